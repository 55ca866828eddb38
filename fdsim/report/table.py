"""The per-layer and per-phase tables printed by ``fdsim run`` and written into report.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from fdsim.summary import PhaseTotals, Summary

CRITICAL_PREFIX = "critical_stall_"

# energy components of a layers.csv row and how the report names them
ENERGY_COMPONENTS = {
    "compute_energy_pj": "compute",
    "sram_energy_pj": "SRAM access",
    "dram_energy_pj": "DRAM access",
    "leakage_energy_pj": "leakage",
}
# layers.csv unit names that read wrongly on their own
UNIT_LABELS = {"dma": "dma engine", "sram": "sram buffers"}
_ENERGY_UNITS = ((1e12, "J"), (1e9, "mJ"), (1e6, "µJ"), (1e3, "nJ"))


def energy_unit(largest_pj: float) -> tuple[float, str]:
    """(pJ per unit, unit name) for values up to ``largest_pj``: J from 1 J, mJ from 1 mJ, µJ
    from 1 µJ, else nJ (so a value shows 1 to 999 units before its decimals)."""
    for scale, name in _ENERGY_UNITS:
        if abs(largest_pj) >= scale:
            return scale, name
    return _ENERGY_UNITS[-1]


def format_energy(energy_pj: float) -> str:
    """``energy_pj`` in the unit its magnitude calls for, three decimals: ``658.350 µJ``."""
    scale, name = energy_unit(energy_pj)
    return f"{energy_pj / scale:.3f} {name}"


def critical_columns(layers: pd.DataFrame) -> list[str]:
    """The ``critical_stall_{cause}_cycles`` columns of ``layers``, in cause order."""
    return [c for c in layers.columns if c.startswith(CRITICAL_PREFIX)]


def cause_of(column: str) -> str:
    """``critical_stall_dram_cycles`` -> ``dram``."""
    return column.removeprefix(CRITICAL_PREFIX).removesuffix("_cycles")


def _busiest_row(group: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """A layer's first row (its layer-level columns) and its busiest unit's row (the first
    row for a layer without ops, whose ``busiest_unit`` is empty)."""
    first = group.iloc[0]
    busiest = group[group["unit"] == first["busiest_unit"]]
    return first, busiest.iloc[0] if len(busiest) else first


def layer_table(layers: pd.DataFrame) -> pd.DataFrame:
    """One row per layer × phase: cycles (the layer's span), bound, the busiest unit and its
    utilisation, the critical-path stall (``cycles`` minus the busiest unit's busy cycles, so
    never more than ``cycles``) and its largest cause, energy and DRAM traffic."""
    causes = critical_columns(layers)
    rows = []
    for (layer, phase), group in layers.groupby(["layer", "phase"], sort=False):
        first, busiest = _busiest_row(group)
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
                "busiest": f"{UNIT_LABELS.get(busiest['unit'], busiest['unit'])} "
                f"{100 * busiest['utilisation']:.0f}%",
                "critical_stall": stall,
                "main_cause": main,
                "energy_pj": group["energy_pj"].sum(),
                "dram_kib": (group["dram_read_bytes"].sum() + group["dram_write_bytes"].sum())
                / 1024,
            }
        )
    return in_energy_unit(pd.DataFrame(rows))


def in_energy_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``energy_pj`` column in the unit its largest value calls for, named
    after it (``energy_uj``, ``energy_mj``, ...)."""
    if frame.empty:
        return frame
    scale, unit = energy_unit(float(frame["energy_pj"].max()))
    name = "energy_" + unit.replace("µ", "u").lower()
    return frame.assign(energy_pj=frame["energy_pj"] / scale).rename(columns={"energy_pj": name})


def _formatters(frame: pd.DataFrame) -> dict[str, Any]:
    """Two decimals for energies and MiB, one for KiB."""
    return {
        column: ("{:.1f}" if column.endswith("_kib") else "{:.2f}").format
        for column in frame.columns
        if column.startswith("energy_") or column.startswith("dram_")
    }


def format_table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, formatters=_formatters(frame))


def phase_totals(phases: Mapping[str, PhaseTotals]) -> pd.DataFrame:
    """One row per phase of ``Summary.phases``: span, how the layers' spans add up to it
    (sum − overlap + gap = cycles), energy, DRAM traffic."""
    return in_energy_unit(
        pd.DataFrame(
            [
                {
                    "phase": phase,
                    "cycles": totals.cycles,
                    "layer_cycles_sum": totals.layer_cycles_sum,
                    "overlap": totals.overlap_cycles,
                    "gap": totals.gap_cycles,
                    "energy_pj": totals.energy_pj,
                    "dram_mib": (totals.dram_read_bytes + totals.dram_write_bytes) / 2**20,
                }
                for phase, totals in phases.items()
            ]
        )
    )


def format_phase_totals(phases: Mapping[str, PhaseTotals]) -> str:
    return format_table(phase_totals(phases))


def step_line(summary: Summary) -> str:
    """The terminal's final line: one training step's cycles, time, energy, per-image and
    per-second figures and area."""
    return (
        f"training step ({', '.join(summary.phases)}), batch {summary.batch_size}: "
        f"{summary.total_cycles:,} cycles ({summary.time_s * 1e3:.4f} ms), "
        f"{format_energy(summary.energy_pj)} "
        f"({format_energy(summary.energy_per_image_pj)} per image), "
        f"{format_rate(summary.images_per_s)} images/s, "
        f"{summary.spatial_equivalent_gops:.1f} spatial-equivalent GOPS "
        f"({summary.spatial_equivalent_gops_per_w:.1f} GOPS/W; performed "
        f"{summary.performed_gops:.1f} GOPS), area {summary.total_area_mm2:.3f} mm²"
    )


def format_bytes(nbytes: int) -> str:
    """``nbytes`` in KiB, MiB or GiB by magnitude, two decimals."""
    for shift, name in ((30, "GiB"), (20, "MiB")):
        if nbytes >= 1 << shift:
            return f"{nbytes / (1 << shift):.2f} {name}"
    return f"{nbytes / 1024:.2f} KiB"


def format_rate(per_second: float) -> str:
    """A rate with at least three significant digits: ``104,557``, ``9.22``."""
    return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.3g}"


def energy_components(layers: pd.DataFrame) -> pd.DataFrame:
    """Energy in pJ per layer × phase (rows, program order; columns ``layer``, ``phase``) by
    component (compute, SRAM access, DRAM access, leakage), summed over units: accesses count
    where they happen, whichever unit makes them."""
    sums = layers.groupby(["layer", "phase"], sort=False)[list(ENERGY_COMPONENTS)].sum()
    return sums.rename(columns=ENERGY_COMPONENTS).reset_index()


def unit_energy_table(layers: pd.DataFrame) -> pd.DataFrame:
    """Energy in pJ per unit (rows, labelled) by component, summed over layers and phases; a
    ``total`` column."""
    sums = layers.groupby("unit", sort=False)[list(ENERGY_COMPONENTS)].sum()
    sums = sums.rename(columns=ENERGY_COMPONENTS, index=lambda u: UNIT_LABELS.get(u, u))
    return sums.assign(total=sums.sum(axis=1))


def unit_time_table(layers: pd.DataFrame, total_cycles: int) -> pd.DataFrame:
    """Per unit (the sram row has no ops and is left out), summed over the step's layers: ops,
    busy cycles, busy / ``total_cycles``, and each per-unit stall. A unit's ops never overlap,
    so each sum is at most ``total_cycles``."""
    stalls = [c for c in layers.columns if c.startswith("unit_stall_")]
    sums = layers[layers["ops"] > 0].groupby("unit", sort=False)[["ops", "busy_cycles", *stalls]]
    table = sums.sum().rename(index=lambda u: UNIT_LABELS.get(u, u))
    table.insert(2, "busy_share", table["busy_cycles"] / total_cycles if total_cycles else 0.0)
    names = {c: c.removeprefix("unit_").removesuffix("_cycles") for c in stalls}
    return table.rename(columns=names).reset_index()


def cycle_parts(layers: pd.DataFrame) -> pd.DataFrame:
    """Per layer × phase (program order): the busiest unit's busy cycles split into the part
    its SRAM ports bound (``busy, SRAM-port bound``) and the rest (``busy``), then the
    critical-path stalls by cause; the parts sum to ``cycles`` (the layer's span) exactly.
    Also ``bound`` (the analytic lower bound), ``layer`` and ``phase``."""
    rows = []
    causes = critical_columns(layers)
    for (layer, phase), group in layers.groupby(["layer", "phase"], sort=False):
        first, busiest = _busiest_row(group)
        sram = int(busiest["unit_stall_sram_bandwidth_cycles"])
        rows.append(
            {
                "layer": layer,
                "phase": phase,
                "busy": int(busiest["busy_cycles"]) - sram,
                "busy, SRAM-port bound": sram,
                **{f"stall: {cause_of(c)}": int(first[c]) for c in causes},
                "cycles": int(first["layer_cycles"]),
                "bound": int(first["bound_cycles"]),
            }
        )
    return pd.DataFrame(rows)


def top_layers(frame: pd.DataFrame, by: str, count: int) -> pd.DataFrame:
    """The ``count`` rows of ``frame`` largest in ``by`` (kept in their order), and the rest
    summed into one row labelled ``other (n layers)``; a ``label`` column names each row by
    its ``layer``. Every numeric column keeps its total."""
    labelled = frame.assign(label=frame["layer"])
    if len(frame) <= count + 1:
        return labelled
    keep = frame[by].nlargest(count, keep="first").index
    kept, rest = labelled.loc[sorted(keep)], labelled.drop(index=keep)
    other = rest.select_dtypes("number").sum().to_dict()
    other.update(layer="", phase=rest["phase"].iloc[0], label=f"other ({len(rest)} layers)")
    return pd.concat([kept, pd.DataFrame([other])], ignore_index=True)
