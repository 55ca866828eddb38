"""The report's figures: one panel per phase, one bar per layer (the ``TOP_LAYERS`` largest of
a phase, the rest summed into one "other" bar, so any network keeps a bounded width):
energy by component, and cycles as the busiest unit's busy time plus critical-path stalls."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fdsim.report.table import cycle_parts, energy_components, energy_unit, top_layers

TOP_LAYERS = 12  # bars per phase before the rest are summed into "other"
WIDTH_IN = 10.0  # figure width (1200 px at DPI), whatever the network's size
PANEL_HEIGHT_IN = 2.6
DPI = 120


def _panels(phases: list[str], title: str) -> tuple[Figure, list[Axes]]:
    figure, axes = plt.subplots(
        len(phases), 1, figsize=(WIDTH_IN, 1.0 + PANEL_HEIGHT_IN * len(phases)), squeeze=False
    )
    figure.suptitle(title, y=1 - 0.15 / figure.get_figheight())
    return figure, list(axes[:, 0])


def _save(figure: Figure, axes: list[Axes], path: Path) -> None:
    """Save with one legend (the first panel's entries) under the title, clear of the bars."""
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="upper center",
        ncols=4,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 1 - 0.45 / figure.get_figheight()),
    )
    top = 1 - 0.8 / figure.get_figheight()
    figure.tight_layout(rect=(0, 0, 1, top))
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def energy_by_component(layers: pd.DataFrame, path: Path) -> None:
    """Per phase, each layer's energy stacked by component (compute, SRAM access, DRAM
    access, leakage), in the unit (nJ, µJ, mJ, J) the largest bar calls for."""
    energy = energy_components(layers)
    parts = [c for c in energy.columns if c not in ("layer", "phase")]
    energy = energy.assign(total=energy[parts].sum(axis=1))
    phases = list(dict.fromkeys(energy["phase"]))
    bars = {p: top_layers(energy[energy["phase"] == p], "total", TOP_LAYERS) for p in phases}
    scale, unit = energy_unit(max(float(shown["total"].max()) for shown in bars.values()))
    figure, axes = _panels(phases, "Energy per layer by component (dynamic + leakage)")
    for phase, ax in zip(phases, axes, strict=True):
        shown = bars[phase]
        (shown.set_index("label")[parts] / scale).plot.bar(
            stacked=True, ax=ax, width=0.8, legend=False
        )
        ax.set_title(phase, fontsize=9, loc="left")
        ax.set_ylabel(f"energy ({unit})")
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    _save(figure, axes, path)


def _cycle_unit(largest: int) -> tuple[float, str]:
    """Axis scale for cycle counts up to ``largest``: plain, thousands or millions."""
    for scale, name in ((1e6, "cycles (millions)"), (1e3, "cycles (thousands)")):
        if largest >= 10 * scale:
            return scale, name
    return 1.0, "cycles"


def cycles_with_stalls(layers: pd.DataFrame, path: Path) -> None:
    """Per phase, each layer's span as its busiest unit's busy cycles (the SRAM-port-bound
    part of them shaded apart, inside busy time) plus its critical-path stalls by cause, with
    the analytic lower bound marked; the stacked bar's height is the layer's span exactly."""
    frame = cycle_parts(layers)
    parts = [c for c in frame.columns if c not in ("layer", "phase", "cycles", "bound")]
    phases = list(dict.fromkeys(frame["phase"]))
    figure, axes = _panels(phases, "Cycles per layer: busiest unit's busy time + critical stalls")
    for phase, ax in zip(phases, axes, strict=True):
        shown = top_layers(frame[frame["phase"] == phase], "cycles", TOP_LAYERS)
        scale, unit = _cycle_unit(int(shown["cycles"].max()))
        (shown.set_index("label")[parts] / scale).plot.bar(
            stacked=True, ax=ax, width=0.8, legend=False
        )
        ax.scatter(
            range(len(shown)),
            shown["bound"] / scale,
            marker="v",
            color="black",
            label="analytic bound",
        )
        ax.set_title(phase, fontsize=9, loc="left")
        ax.set_ylabel(unit)
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    _save(figure, axes, path)
