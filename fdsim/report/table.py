"""The per-layer table printed by ``fdsim run``."""

from __future__ import annotations

import pandas as pd


def layer_table(layers: pd.DataFrame) -> pd.DataFrame:
    """One row per layer × phase: cycles, bound, the busiest unit, energy and DRAM traffic."""
    rows = []
    for (layer, phase), group in layers.groupby(["layer", "phase"], sort=False):
        busiest = group.sort_values("busy_cycles", ascending=False, kind="stable").iloc[0]
        stalls = group.filter(like="stall_").sum()
        rows.append(
            {
                "layer": layer,
                "phase": phase,
                "kind": busiest["kind"],
                "domain": busiest["domain"],
                "cycles": int(busiest["layer_cycles"]),
                "bound": int(busiest["bound_cycles"]),
                "busiest": f"{busiest['unit']} {100 * busiest['utilisation']:.0f}%",
                "stall_cycles": int(stalls.sum()),
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


def phase_totals(phases: dict[str, dict[str, float]]) -> pd.DataFrame:
    """One row per phase of ``summary["phases"]``: span, energy, DRAM traffic."""
    return pd.DataFrame(
        [
            {
                "phase": phase,
                "cycles": int(totals["cycles"]),
                "energy_uj": totals["energy_pj"] / 1e6,
                "dram_mib": (totals["dram_read_bytes"] + totals["dram_write_bytes"]) / 2**20,
            }
            for phase, totals in phases.items()
        ]
    )


def format_phase_totals(phases: dict[str, dict[str, float]]) -> str:
    return phase_totals(phases).to_string(
        index=False, formatters={"energy_uj": "{:.2f}".format, "dram_mib": "{:.2f}".format}
    )
