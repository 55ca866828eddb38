"""Figures of the frequency-domain pooling experiments (:mod:`fdsim.pooling.experiments`):
the ASM max-pooling error against the number of spatial frequencies, and the spectral-pooling
chain errors. Each function returns the Figure; saving is the caller's business."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from fdsim.pooling.experiments import AsmRmseTable, ChainTable

WIDTH_IN = 10.0
HEIGHT_IN = 3.6
FLOOR = 1e-17  # log-scale stand-in for exact zeros


def asm_rmse_figure(table: AsmRmseTable) -> Figure:
    """Left: mean RMSE against true 2×2 max pooling per n, DCT and DFT masks. Right: the argmax
    miss rate per number of coefficients kept (the fairer axis: the DFT rule keeps more per n)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, HEIGHT_IN))
    left.plot(table.n, table.rmse_dct, "o-", label="DCT blocks (α+β ≤ n, seed 000)")
    left.plot(table.n, table.rmse_dft, "s--", label="DFT (|k|+|l| ≤ n, circular)")
    left.set_xlabel("spatial frequencies n")
    left.set_ylabel(f"mean RMSE ({table.n_trials} images)")
    left.set_title("ASM max pooling error")
    left.legend(fontsize=8, frameon=False)
    right.plot(table.kept_dct, table.miss_dct, "o-", label="DCT")
    right.plot(table.kept_dft, table.miss_dft, "s--", label="DFT")
    right.set_xlabel("coefficients kept (of 64)")
    right.set_ylabel("argmax miss rate")
    right.set_title("Windows with a wrong maximum")
    right.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def chain_error_figure(table: ChainTable) -> Figure:
    """Per input kind and nonlinearity, the chain's relative change when the input frequencies
    the single low-pass discards are removed (log scale; exact zeros drawn at 1e-17)."""
    figure, axes = plt.subplots(figsize=(WIDTH_IN * 0.6, HEIGHT_IN))
    kinds = list(dict.fromkeys(r.inputs for r in table.rows))
    names = list(dict.fromkeys(r.nonlinearity for r in table.rows))
    width = 0.8 / len(kinds)
    for i, kind in enumerate(kinds):
        values = [
            max(r.error_vs_lowpassed_input, FLOOR)
            for name in names
            for r in table.rows
            if r.inputs == kind and r.nonlinearity == name
        ]
        axes.bar(np.arange(len(names)) + i * width, values, width, label=f"{kind} inputs")
    axes.set_xticks(np.arange(len(names)) + width * (len(kinds) - 1) / 2, names)
    axes.set_yscale("log")
    axes.set_ylabel("‖chain(x) − chain(LP x)‖ / ‖chain(x)‖")
    chain = " → ".join(str(s) for s in (table.input_size, *table.sizes))
    axes.set_title(f"Spectral pooling chain {chain}")
    axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    return figure
