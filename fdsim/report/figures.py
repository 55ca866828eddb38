"""The report's figures, one bar per layer × phase: energy by unit; cycles split into busy
time and stalls."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import pandas as pd

from fdsim.report.table import layer_table


def _labelled(layers: pd.DataFrame) -> pd.DataFrame:
    """``layers`` with a ``label`` column "layer phase" (one bar per layer × phase)."""
    return layers.assign(label=layers["layer"] + " " + layers["phase"])


def energy_by_unit(layers: pd.DataFrame, path: Path) -> None:
    pivot = _labelled(layers).pivot_table(
        index="label", columns="unit", values="energy_pj", aggfunc="sum", sort=False
    )
    pivot = pivot.loc[:, pivot.sum() > 0] / 1e6
    figure, axes = plt.subplots(figsize=(max(9, 0.25 * len(pivot)), 4.5))
    pivot.plot.bar(stacked=True, ax=axes, width=0.8)
    axes.set_ylabel("energy (µJ)")
    axes.set_xlabel("")
    axes.set_title("Energy by unit per layer (dynamic + leakage)")
    axes.legend(title="unit", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def cycles_with_stalls(layers: pd.DataFrame, path: Path) -> None:
    """For each layer, the busiest unit's busy cycles and its stalls by cause, with the
    layer's span and its analytic lower bound."""
    summary = layer_table(layers)
    busiest = layers.loc[layers.groupby(["layer", "phase"], sort=False)["busy_cycles"].idxmax()]
    busiest = _labelled(busiest).set_index("label")
    parts = busiest[["busy_cycles", *[c for c in busiest.columns if c.startswith("stall_")]]]
    parts.columns = [c.removesuffix("_cycles").replace("stall_", "stall: ") for c in parts.columns]
    figure, axes = plt.subplots(figsize=(max(9, 0.25 * len(parts)), 4.5))
    parts.plot.bar(stacked=True, ax=axes, width=0.8)
    positions = range(len(summary))
    axes.scatter(positions, summary["cycles"], marker="_", s=400, color="black", label="layer span")
    axes.scatter(positions, summary["bound"], marker="v", color="red", label="analytic bound")
    axes.set_ylabel("cycles")
    axes.set_xlabel("")
    axes.set_title("Cycles per layer: busiest unit's busy time and stalls")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
