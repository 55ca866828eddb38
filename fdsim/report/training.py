"""Training outputs: loss and hold-out accuracy per epoch (bit-true against float) as a figure,
the curves as CSV, the summary as JSON, and a short Markdown report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

from fdsim.output import write_json

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import pandas as pd

from fdsim.report.notes import linearity_note


def training_curves(curves: pd.DataFrame, path: Path) -> None:
    """``curves`` has one row per (arithmetic, epoch) with ``train_loss``, ``holdout_loss``
    and ``holdout_accuracy``; epochs are plotted 1-based."""
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for arithmetic, group in curves.groupby("arithmetic", sort=False):
        epochs = group["epoch"] + 1
        loss_axes.plot(epochs, group["train_loss"], marker="o", label=f"{arithmetic}: train")
        loss_axes.plot(
            epochs,
            group["holdout_loss"],
            marker="s",
            linestyle="--",
            label=f"{arithmetic}: hold-out",
        )
        accuracy_axes.plot(
            epochs, 100 * group["holdout_accuracy"], marker="o", label=f"{arithmetic}: hold-out"
        )
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("cross-entropy (nats)")
    loss_axes.set_title("Loss")
    loss_axes.legend(fontsize=8)
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.set_title("Hold-out accuracy")
    accuracy_axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_training_report(curves: pd.DataFrame, summary: dict[str, Any], directory: Path) -> None:
    """``curves.csv``, ``summary.json``, ``curves.png`` and ``report.md`` into ``directory``."""
    curves.to_csv(directory / "curves.csv", index=False)
    write_json(directory / "summary.json", summary)
    training_curves(curves, directory / "curves.png")
    step = summary["training_step"]
    inputs = summary["manifest"]["inputs"]
    note = linearity_note(summary["linearity"])
    epochs = curves.pivot(index="epoch", columns="arithmetic", values="holdout_accuracy")
    lines = [
        f"# Training {summary['workload']} on {summary['hardware']}",
        "",
        f"Command: `{summary['command']}`",
        "",
        f"- hardware: `{inputs['hardware']}`",
        f"- workload: `{inputs['workload']}`",
        "",
        f"Dataset: {summary['dataset']} ({summary['train_images']} training, "
        f"{summary['holdout_images']} hold-out images); {summary['epochs']} epochs, batch "
        f"{summary['batch_size']}, seed {summary['seed']}; SGD {summary['training']}.",
        "",
        "| arithmetic | hold-out accuracy | train accuracy | hold-out loss | wall time |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {100 * f['holdout_accuracy']:.1f} % | {100 * f['train_accuracy']:.1f} % "
            f"| {f['holdout_loss']:.4f} | {f['wall_s']:.1f} s |"
            for name, f in summary["final"].items()
        ),
        "",
        f"One simulated training step: {step['cycles']:,} cycles ({1e3 * step['time_s']:.3f} ms), "
        f"{step['energy_pj'] / 1e6:.3f} µJ.",
        "",
        "Overflow events of the bit-true run by tensor class: "
        + (", ".join(f"{k} {v:,}" for k, v in summary["overflow_events"].items()) or "none")
        + ".",
        "",
        *([f"Note: {note}.", ""] if note else []),
        "![training curves](curves.png)",
        "",
        "Hold-out accuracy per epoch:",
        "",
        "| epoch | " + " | ".join(epochs.columns) + " |",
        "|---:|" + "---:|" * len(epochs.columns),
        *(
            f"| {epoch + 1} | " + " | ".join(f"{100 * v:.1f} %" for v in row) + " |"
            for epoch, row in zip(epochs.index, epochs.to_numpy(), strict=True)
        ),
        "",
    ]
    (directory / "report.md").write_text("\n".join(lines), encoding="utf-8")
