"""Run results: tidy tables priced from counts, the summary and the manifest; saving them.

``layers`` has one row per layer × phase × unit (``unit`` ``sram`` carries the buffers'
leakage); its layer-level columns (``layer_cycles``, ``bound_cycles``, ``busiest_unit``,
``critical_stall_{cause}_cycles``) repeat on every unit row of the layer, its per-unit stalls
are ``unit_stall_{cause}_cycles``. ``traffic`` has one row per layer × phase × memory ×
tensor-or-buffer × direction (DRAM tensors: activations, weights, gradients, stash,
velocity). The summary's totals are one training step (the phases simulated); ``phases``
splits them per phase. Energy is derived here from counts and the energy table, so a new
table re-prices a stored run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from fdsim.cost.area import UnitArea, unit_areas
from fdsim.cost.energy import arithmetic_energy_pj, dram_energy_pj, sram_energy_pj_per_byte
from fdsim.schedule.ops import LayerBound, Phase, Schedule, Unit, buffer_spec
from fdsim.sim.counters import CriticalCause, LayerCounts, UnitCounts
from fdsim.sim.engine import StallCause
from fdsim.sim.functional import INFORMATION_LOST_DB, FunctionalNumerics
from fdsim.sim.units import Arith
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Workload
from fdsim.step_totals import phase_overlap, spatial_equivalent_ops, throughput, union_cycles

PJ_PER_MW_SECOND = 1e9


@dataclass(frozen=True)
class RunResult:
    layers: pd.DataFrame
    traffic: pd.DataFrame
    summary: dict[str, Any]
    numerics: FunctionalNumerics | None = None


def with_numerics(result: RunResult, numerics: FunctionalNumerics) -> RunResult:
    """``result`` with a functional run's numerics and their totals in the summary: overflow
    and underflow events (in all and by site, sites with events only), the lowest SQNR per
    phase, and the tensors whose varying part is below ``INFORMATION_LOST_DB``."""
    sqnr, overflows = numerics.sqnr, numerics.overflows
    measured = sqnr.dropna(subset=["sqnr_db"])
    worst = measured.loc[measured.groupby("phase", sort=False)["sqnr_db"].idxmin()]
    by_site = overflows.groupby("site", sort=False)[["overflow_events", "underflow_events"]].sum()
    lost = numerics.information_lost()
    summary = {
        **result.summary,
        "numerics": {
            "source": numerics.source,
            "seed": numerics.seed,
            "overflow_events": int(overflows["overflow_events"].sum()),
            "values_checked": int(overflows["values_checked"].sum()),
            "lowest_sqnr_by_phase": {
                str(phase): {
                    "layer": str(layer),
                    "tensor": str(tensor),
                    # JSON has no infinity: an exact tensor (no noise at all) is null
                    "sqnr_db": value if math.isfinite(value) else None,
                }
                for phase, layer, tensor, value in zip(
                    worst["phase"],
                    worst["layer"],
                    worst["tensor"],
                    worst["sqnr_db"].astype(float),
                    strict=True,
                )
            },
            "overflow_events_by_site": {
                str(site): int(events)
                for site, events in by_site["overflow_events"].items()
                if events > 0
            },
            "underflow_events": int(overflows["underflow_events"].sum()),
            "underflow_events_by_site": {
                str(site): int(events)
                for site, events in by_site["underflow_events"].items()
                if events > 0
            },
            "information_lost": {
                "threshold_db": INFORMATION_LOST_DB,
                # -inf (nothing of the varying part survives) is not JSON: null
                "tensors": [
                    {
                        "layer": str(layer),
                        "phase": str(phase),
                        "tensor": str(tensor),
                        "sqnr_varying_db": value if math.isfinite(value) else None,
                    }
                    for layer, phase, tensor, value in zip(
                        lost["layer"],
                        lost["phase"],
                        lost["tensor"],
                        lost["sqnr_varying_db"].astype(float),
                        strict=True,
                    )
                ],
            },
        },
    }
    return replace(result, summary=summary, numerics=numerics)


def _total(counts: Mapping[tuple[Any, Any], int], which: object) -> int:
    """Sum of a two-part-keyed counter over keys whose one part is ``which`` (an arithmetic
    operation, or a direction "read"/"write")."""
    return sum(n for key, n in counts.items() if which in key)


def _unit_energy(
    counts: UnitCounts, hardware: HardwareSpec, table: EnergyTable
) -> tuple[float, float, float]:
    """(compute, SRAM, DRAM) dynamic energy in pJ of one unit's counts."""
    compute = sum(
        n * arithmetic_energy_pj(table.int_mult if op is Arith.MULT else table.int_add, bits)
        for (op, bits), n in counts.arith.items()
    )
    sram = 0.0
    for (buffer, direction), nbytes in counts.sram_bytes.items():
        spec = buffer_spec(hardware, buffer)
        per_byte = sram_energy_pj_per_byte(
            table.sram, spec.size_bytes // spec.banks, write=direction == "write"
        )
        sram += nbytes * per_byte
    reads, writes = _total(counts.dram_bytes, "read"), _total(counts.dram_bytes, "write")
    return compute, sram, dram_energy_pj(table, reads, writes)


def collect(
    schedule: Schedule,
    layer_counts: list[LayerCounts],
    bounds: list[LayerBound],
    total_cycles: int,
    hardware: HardwareSpec,
    table: EnergyTable,
    manifest: dict[str, Any],
    workload: Workload,
) -> RunResult:
    """Price the counts and assemble the tables and summary (``workload``: the batch size and
    kernel sizes behind the per-image and spatial-equivalent totals)."""
    areas = {area.unit: area for area in unit_areas(hardware, table)}
    unit_names = [u.value for u in Unit if u is Unit.DMA or u.value in areas]
    rows: list[dict[str, Any]] = []
    traffic: list[dict[str, Any]] = []
    seconds_per_cycle = 1 / hardware.clock_hz
    for plan, counts, bound in zip(schedule.layers, layer_counts, bounds, strict=True):
        base = {
            "layer": plan.name,
            "phase": plan.phase.value,
            "kind": plan.kind,
            "domain": plan.domain,
            "layer_cycles": counts.cycles,
            "bound_cycles": bound.cycles,
            "busiest_unit": counts.busiest.value if counts.busiest else "",
            **{
                f"critical_stall_{cause.value}_cycles": counts.critical_stalls.get(cause, 0)
                for cause in CriticalCause
            },
        }
        leak_seconds = counts.cycles * seconds_per_cycle
        for name in [*unit_names, "sram"]:
            unit_counts = counts.units.get(Unit(name)) if name != "sram" else None
            unit_counts = unit_counts or UnitCounts()
            compute, sram, dram = _unit_energy(unit_counts, hardware, table)
            area: UnitArea | None = areas.get(name)
            leakage = (area.leakage_mw if area else 0.0) * leak_seconds * PJ_PER_MW_SECOND
            stalls = unit_counts.stall_cycles
            rows.append(
                {
                    **base,
                    "unit": name,
                    "ops": unit_counts.ops,
                    "busy_cycles": unit_counts.busy_cycles,
                    **{
                        f"unit_stall_{cause.value}_cycles": stalls.get(cause, 0)
                        for cause in StallCause
                    },
                    "utilisation": unit_counts.busy_cycles / counts.cycles
                    if counts.cycles
                    else 0.0,
                    "mults": _total(unit_counts.arith, Arith.MULT),
                    "adds": _total(unit_counts.arith, Arith.ADD),
                    "sram_read_bytes": _total(unit_counts.sram_bytes, "read"),
                    "sram_write_bytes": _total(unit_counts.sram_bytes, "write"),
                    "dram_read_bytes": _total(unit_counts.dram_bytes, "read"),
                    "dram_write_bytes": _total(unit_counts.dram_bytes, "write"),
                    "compute_energy_pj": compute,
                    "sram_energy_pj": sram,
                    "dram_energy_pj": dram,
                    "leakage_energy_pj": leakage,
                    "energy_pj": compute + sram + dram + leakage,
                }
            )
            for (buffer, direction), nbytes in unit_counts.sram_bytes.items():
                traffic.append(
                    {
                        "layer": plan.name,
                        "phase": plan.phase.value,
                        "level": "sram",
                        "memory": buffer.value,
                        "direction": direction,
                        "bytes": nbytes,
                    }
                )
            for (tensor, direction), nbytes in unit_counts.dram_bytes.items():
                traffic.append(
                    {
                        "layer": plan.name,
                        "phase": plan.phase.value,
                        "level": "dram",
                        "memory": tensor.value,
                        "direction": direction,
                        "bytes": nbytes,
                    }
                )
    layers = pd.DataFrame(rows)
    traffic_frame = pd.DataFrame(
        traffic, columns=["layer", "phase", "level", "memory", "direction", "bytes"]
    )
    if not traffic_frame.empty:
        traffic_frame = traffic_frame.groupby(
            ["layer", "phase", "level", "memory", "direction"], as_index=False, sort=False
        ).agg(bytes=("bytes", "sum"))
    summary = _summary(layers, total_cycles, hardware, list(areas.values()), manifest)
    summary.update(
        throughput(summary, layers, workload, spatial_equivalent_ops(schedule, workload))
    )
    summary["phases"] = _phase_totals(schedule, layer_counts, layers, areas.values(), hardware)
    summary.update(phase_overlap(summary["phases"], total_cycles))
    summary["mapping"] = {
        phase.value: {p.name: p.mapping for p in schedule.layers if p.phase is phase}
        for phase in Phase
        if phase in schedule.phases
    }
    summary["reduction_tiles"] = {
        phase.value: {
            p.name: list(p.reduction_tiles)
            for p in schedule.layers
            if p.phase is phase and p.reduction_tiles
        }
        for phase in Phase
        if phase in schedule.phases
    }
    return RunResult(layers, traffic_frame, summary)


def _phase_totals(
    schedule: Schedule,
    layer_counts: list[LayerCounts],
    layers: pd.DataFrame,
    areas: Iterable[UnitArea],
    hardware: HardwareSpec,
) -> dict[str, dict[str, Any]]:
    """Per phase: its span (first op start to last result usable; spans of consecutive
    phases may overlap where DMA prefetches), dynamic energy, leakage over the span, DRAM bytes,
    and how its layers' spans add up to it: ``layer_cycles_sum − overlap_cycles + gap_cycles
    = cycles``, where ``overlap_cycles`` counts each cycle once per layer span beyond the first
    that covers it and ``gap_cycles`` the cycles of the span no layer covers."""
    leakage_mw = sum(area.leakage_mw for area in areas)
    totals: dict[str, dict[str, Any]] = {}
    for phase in Phase:
        spans = [
            counts
            for plan, counts in zip(schedule.layers, layer_counts, strict=True)
            if plan.phase is phase and counts.units
        ]
        if not spans:
            continue
        start, end = min(c.start_cycle for c in spans), max(c.end_cycle for c in spans)
        cycles = end - start
        covered = union_cycles([(c.start_cycle, c.end_cycle) for c in spans])
        layer_sum = sum(c.cycles for c in spans)
        rows = layers[layers["phase"] == phase.value]
        dynamic = float(rows[["compute_energy_pj", "sram_energy_pj", "dram_energy_pj"]].sum().sum())
        leakage = leakage_mw * cycles / hardware.clock_hz * PJ_PER_MW_SECOND
        totals[phase.value] = {
            "start_cycle": start,
            "end_cycle": end,
            "cycles": cycles,
            "dynamic_energy_pj": dynamic,
            "leakage_energy_pj": leakage,
            "energy_pj": dynamic + leakage,
            "dram_read_bytes": int(rows["dram_read_bytes"].sum()),
            "dram_write_bytes": int(rows["dram_write_bytes"].sum()),
            "layer_cycles_sum": layer_sum,
            "overlap_cycles": layer_sum - covered,
            "gap_cycles": cycles - covered,
        }
    return totals


def _summary(
    layers: pd.DataFrame,
    total_cycles: int,
    hardware: HardwareSpec,
    areas: list[UnitArea],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    seconds = total_cycles / hardware.clock_hz
    leakage_pj = sum(area.leakage_mw for area in areas) * seconds * PJ_PER_MW_SECOND
    dynamic = {
        column: float(layers[column].sum())
        for column in ("compute_energy_pj", "sram_energy_pj", "dram_energy_pj")
    }
    return {
        "total_cycles": total_cycles,
        "time_s": seconds,
        "energy_pj": sum(dynamic.values()) + leakage_pj,
        **dynamic,
        "leakage_energy_pj": leakage_pj,
        "dram_read_bytes": int(layers["dram_read_bytes"].sum()),
        "dram_write_bytes": int(layers["dram_write_bytes"].sum()),
        "area_mm2": {area.unit: area.area_mm2 for area in areas},
        "total_area_mm2": sum(area.area_mm2 for area in areas),
        "leakage_mw": {area.unit: area.leakage_mw for area in areas},
        "manifest": manifest,
    }


def write_tables(result: RunResult, directory: Path) -> None:
    """``layers.csv``, ``traffic.csv``, ``summary.json`` and (functional runs)
    ``numerics.csv`` and ``overflows.csv`` into ``directory``."""
    result.layers.to_csv(directory / "layers.csv", index=False)
    result.traffic.to_csv(directory / "traffic.csv", index=False)
    if result.numerics is not None:
        result.numerics.sqnr.to_csv(directory / "numerics.csv", index=False)
        result.numerics.overflows.to_csv(directory / "overflows.csv", index=False)
    (directory / "summary.json").write_text(
        json.dumps(result.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
