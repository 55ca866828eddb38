"""``fdsim modes``'s folder: one network in the spectral, hybrid and spatial domains on the FFT
accelerator and in the spatial domain on the baseline, side by side; see
:func:`write_modes_report`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

from fdsim.output import write_json

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import pandas as pd

from fdsim.modes import ModeCase, ModesStudy
from fdsim.schedule.ops import Phase

MODES_FILES = ("report.md", "modes.csv", "modes_layers.csv", "modes.png", "summary.json")
"""What :func:`write_modes_report` writes, in the order the CLI names them."""

_ENERGY_PARTS = ("compute", "sram", "dram", "leakage")


def case_label(case: ModeCase) -> str:
    return f"{case.mode.value} on {case.hardware}"


def modes_table(study: ModesStudy) -> pd.DataFrame:
    """One row per case: totals of the step, per-phase cycles and the energy by component;
    a refused case has only its reason."""
    rows: list[dict[str, Any]] = []
    for case in study.cases:
        row: dict[str, Any] = {
            "mode": case.mode.value,
            "role": case.role,
            "hardware": case.hardware,
            "refused": case.refused,
        }
        if case.result is not None:
            summary = case.result.summary
            row |= {
                "cycles": summary["total_cycles"],
                "time_s": summary["time_s"],
                "energy_uj": summary["energy_pj"] / 1e6,
                "energy_per_image_uj": summary["energy_per_image_pj"] / 1e6,
                "images_per_s": summary["images_per_s"],
                "dram_mib": (summary["dram_read_bytes"] + summary["dram_write_bytes"]) / 2**20,
                "area_mm2": summary["total_area_mm2"],
                "spatial_equivalent_gops": summary["spatial_equivalent_gops"],
                "spatial_equivalent_gops_per_w": summary["spatial_equivalent_gops_per_w"],
            }
            for part in _ENERGY_PARTS:
                row[f"{part}_energy_uj"] = summary[f"{part}_energy_pj"] / 1e6
            for phase in Phase:
                phases = summary["phases"]
                row[f"{phase.value}_cycles"] = (
                    phases[phase.value]["cycles"] if phase.value in phases else None
                )
            row["holdout_accuracy_bit_true"] = case.accuracy_bit_true
            row["holdout_accuracy_float64"] = case.accuracy_float64
        rows.append(row)
    return pd.DataFrame(rows)


def modes_layers(study: ModesStudy) -> pd.DataFrame:
    """One row per case × layer × phase: the layer's shapes, cycles, energy and DRAM bytes."""
    frames = []
    for case in study.cases:
        if case.result is None:
            continue
        layers = case.result.layers
        grouped = layers.groupby(["layer", "phase"], sort=False)
        frame = grouped.agg(
            kind=("kind", "first"),
            domain=("domain", "first"),
            cycles=("layer_cycles", "first"),
            energy_pj=("energy_pj", "sum"),
            dram_read=("dram_read_bytes", "sum"),
            dram_write=("dram_write_bytes", "sum"),
        ).reset_index()
        frame["dram_bytes"] = frame.pop("dram_read") + frame.pop("dram_write")
        frame.insert(0, "hardware", case.hardware)
        frame.insert(0, "mode", case.mode.value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_modes_report(study: ModesStudy, directory: Path) -> None:
    """Every file of :data:`MODES_FILES` into ``directory``."""
    table = modes_table(study)
    layers = modes_layers(study)
    table.to_csv(directory / "modes.csv", index=False)
    layers.to_csv(directory / "modes_layers.csv", index=False)
    _figure(study, directory / "modes.png")
    write_json(
        directory / "summary.json",
        {
            "settings": study.settings,
            "cases": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
        },
    )
    (directory / "report.md").write_text(_markdown(study, table, layers), encoding="utf-8")


def _figure(study: ModesStudy, path: Path) -> None:
    """Step time by phase and energy by component, per case that compiled."""
    done = [case for case in study.cases if case.result is not None]
    labels = [case_label(case).replace(" on ", "\non ") for case in done]
    figure, (time_axis, energy_axis) = plt.subplots(1, 2, figsize=(12, 4.4))
    bottom = [0.0] * len(done)
    for phase in Phase:
        heights = []
        for case in done:
            assert case.result is not None
            phases = case.result.summary["phases"]
            cycles = phases[phase.value]["cycles"] if phase.value in phases else 0
            heights.append(cycles / case.result.hardware.clock_hz * 1e3)
        time_axis.bar(labels, heights, bottom=bottom, label=phase.value)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    time_axis.set_ylabel("phase span, ms (phases may overlap)")
    time_axis.set_title("time of one training step")
    time_axis.legend(fontsize=8)
    bottom = [0.0] * len(done)
    for part in _ENERGY_PARTS:
        heights = []
        for case in done:
            assert case.result is not None
            heights.append(case.result.summary[f"{part}_energy_pj"] / 1e6)
        energy_axis.bar(labels, heights, bottom=bottom, label=part)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    energy_axis.set_ylabel("energy, µJ")
    energy_axis.set_title("energy of one training step")
    energy_axis.legend(fontsize=8)
    for axis in (time_axis, energy_axis):
        axis.tick_params(axis="x", labelsize=8)
    figure.suptitle(f"{study.workload.name}: spectral vs hybrid vs spatial")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _markdown(study: ModesStudy, table: pd.DataFrame, layers: pd.DataFrame) -> str:
    settings = study.settings
    lines = [
        f"# {study.workload.name}: spectral, hybrid and spatial",
        "",
        f"Accelerator `{settings['accelerator']}`"
        + (f", baseline `{settings['baseline']}`" if settings["baseline"] else "")
        + f"; phases {', '.join(settings['phases'])}. Outside the spectral domain a spectral "
        f"pool is run as `{settings['spatial_pool']}` pooling to the same size; spectral "
        "convolutions are circular on the FFT grid, hybrid and spatial ones zero-padded "
        "(shapes may differ: `modes_layers.csv`).",
        "",
        "![time and energy](modes.png)",
        "",
        "| case | cycles | time (ms) | energy (µJ) | µJ/image | DRAM (MiB) | area (mm²) | "
        "GOPS/W | hold-out accuracy, bit-true / float64 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    trained = settings["epochs"]
    for row in table.to_dict(orient="records"):
        label = f"{row['mode']} on {row['hardware']}"
        if row["refused"]:
            lines.append(f"| {label} | refused: {row['refused']} | | | | | | | |")
            continue
        accuracy = (
            f"{row['holdout_accuracy_bit_true']:.1%} / {row['holdout_accuracy_float64']:.1%}"
            if trained
            else "not trained"
        )
        lines.append(
            f"| {label} | {int(row['cycles']):,} | {row['time_s'] * 1e3:.3f} | "
            f"{row['energy_uj']:.1f} | {row['energy_per_image_uj']:.2f} | "
            f"{row['dram_mib']:.2f} | {row['area_mm2']:.2f} | "
            f"{row['spatial_equivalent_gops_per_w']:.1f} | {accuracy} |"
        )
    if trained:
        lines += [
            "",
            f"Trained {trained} epochs on {settings['dataset']} (seed {settings['seed']}), "
            "each case from the same initial parameters, bit-true on its hardware and in "
            "float64.",
        ]
    lines += ["", "## Forward cycles per layer", ""]
    forward = layers[layers["phase"] == Phase.FORWARD.value]
    pivot = forward.pivot_table(
        index="layer", columns=["mode", "hardware"], values="cycles", sort=False
    )
    header = ["layer", *(" on ".join(map(str, column)) for column in pivot.columns)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---|" + "---:|" * len(pivot.columns))
    for name, values in pivot.iterrows():
        cells = ["" if pd.isna(v) else f"{int(v):,}" for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Files: `modes.csv` (one row per case), `modes_layers.csv` (case × layer × phase), "
        "`modes.png`, `summary.json`.",
        "",
    ]
    return "\n".join(lines)
