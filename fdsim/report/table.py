"""The per-layer and per-phase tables printed by ``fdsim run`` and written into report.md."""

from __future__ import annotations

from typing import Any

import pandas as pd

CRITICAL_PREFIX = "critical_stall_"


def critical_columns(layers: pd.DataFrame) -> list[str]:
    """The ``critical_stall_{cause}_cycles`` columns of ``layers``, in cause order."""
    return [c for c in layers.columns if c.startswith(CRITICAL_PREFIX)]


def cause_of(column: str) -> str:
    """``critical_stall_dram_cycles`` -> ``dram``."""
    return column.removeprefix(CRITICAL_PREFIX).removesuffix("_cycles")


def layer_table(layers: pd.DataFrame) -> pd.DataFrame:
    """One row per layer × phase: cycles (the layer's span), bound, the busiest unit and its
    utilisation, the critical-path stall (``cycles`` minus the busiest unit's busy cycles, so
    never more than ``cycles``) and its largest cause, energy and DRAM traffic."""
    causes = critical_columns(layers)
    rows = []
    for (layer, phase), group in layers.groupby(["layer", "phase"], sort=False):
        first = group.iloc[0]
        busiest = group[group["unit"] == first["busiest_unit"]].iloc[0]
        stalls = {cause_of(c): int(first[c]) for c in causes}
        stall = sum(stalls.values())
        main = max(stalls, key=lambda cause: stalls[cause]) if stall else "—"
        rows.append(
            {
                "layer": layer,
                "phase": phase,
                "kind": first["kind"],
                "domain": first["domain"],
                "cycles": int(first["layer_cycles"]),
                "bound": int(first["bound_cycles"]),
                "busiest": f"{busiest['unit']} {100 * busiest['utilisation']:.0f}%",
                "critical_stall": stall,
                "main_cause": main,
                "energy_uj": group["energy_pj"].sum() / 1e6,
                "dram_kib": (group["dram_read_bytes"].sum() + group["dram_write_bytes"].sum())
                / 1024,
            }
        )
    return pd.DataFrame(rows)


def format_table(frame: pd.DataFrame) -> str:
    return frame.to_string(
        index=False,
        formatters={"energy_uj": "{:.2f}".format, "dram_kib": "{:.1f}".format},
    )


def phase_totals(phases: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per phase of ``summary["phases"]``: span, how the layers' spans add up to it
    (sum − overlap + gap = cycles), energy, DRAM traffic."""
    return pd.DataFrame(
        [
            {
                "phase": phase,
                "cycles": int(totals["cycles"]),
                "layer_cycles_sum": int(totals["layer_cycles_sum"]),
                "overlap": int(totals["overlap_cycles"]),
                "gap": int(totals["gap_cycles"]),
                "energy_uj": totals["energy_pj"] / 1e6,
                "dram_mib": (totals["dram_read_bytes"] + totals["dram_write_bytes"]) / 2**20,
            }
            for phase, totals in phases.items()
        ]
    )


def format_phase_totals(phases: dict[str, dict[str, Any]]) -> str:
    return phase_totals(phases).to_string(
        index=False, formatters={"energy_uj": "{:.2f}".format, "dram_mib": "{:.2f}".format}
    )


def step_line(summary: dict[str, Any]) -> str:
    """The terminal's final line: one training step's cycles, time, energy, per-image and
    per-second figures and area."""
    return (
        f"training step ({', '.join(summary['phases'])}), batch {summary['batch_size']}: "
        f"{summary['total_cycles']:,} cycles ({summary['time_s'] * 1e3:.4f} ms), "
        f"{summary['energy_pj'] / 1e6:.3f} µJ ({summary['energy_per_image_pj'] / 1e6:.3f} µJ "
        f"per image), {summary['images_per_s']:,.0f} images/s, "
        f"{summary['spatial_equivalent_gops']:.1f} spatial-equivalent GOPS "
        f"({summary['spatial_equivalent_gops_per_w']:.1f} GOPS/W; performed "
        f"{summary['performed_gops']:.1f} GOPS), area {summary['total_area_mm2']:.3f} mm²"
    )
