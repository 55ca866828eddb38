"""Run results: tidy tables, the counts they are priced from, the summary and the manifest;
saving them, and re-pricing them under another energy table.

``layers`` has one row per layer × phase × unit (``unit`` ``sram`` carries the buffers'
leakage); its layer-level columns (``layer_cycles``, ``bound_cycles``, ``busiest_unit``,
``critical_stall_{cause}_cycles``) repeat on every unit row of the layer, its per-unit stalls
are ``unit_stall_{cause}_cycles``. ``traffic`` has one row per layer × phase × memory ×
tensor-or-buffer × direction (DRAM tensors: activations, weights, gradients, stash,
velocity). ``bandwidth`` (:mod:`fdsim.bandwidth`) has their bytes with average and peak
bandwidths, per layer × phase and for the step. ``counts``
(:data:`fdsim.counts.COUNT_COLUMNS`) keeps each unit's arithmetic by (operation, operand
bits) and its bytes by (buffer or tensor, direction): what the energy columns are priced
from (``cost/pricing.py``), so :func:`reprice` gives a stored run the energies of a fresh
run under another table without re-simulating. The summary's totals are one training step
(the phases simulated), typed (:class:`fdsim.summary.Summary`); ``phases`` splits them per
phase; ``schema_version`` is :data:`SCHEMA_VERSION`. A result carries the
specs it was made from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from typing import Any

import pandas as pd

from fdsim.bandwidth import BANDWIDTH_COLUMNS, BandwidthRow, bandwidth_frame, memory_bandwidths
from fdsim.cost.area import UnitArea, unit_areas
from fdsim.cost.pricing import priced_summary, unit_energy
from fdsim.counts import (
    COUNT_COLUMNS,
    AreaPart,
    Arith,
    CountKind,
    CriticalCause,
    Direction,
    LayerCounts,
    Part,
    StallCause,
    UnitCounts,
    count_rows,
    part_named,
    priced_counts,
    total,
)
from fdsim.numerics import INFORMATION_LOST_DB, FunctionalNumerics
from fdsim.output import OutputKind, write_json, write_output
from fdsim.scalesim_view import scalesim_files
from fdsim.schedule.ops import LayerBound, Phase, Schedule, Unit
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.load import canonical_hash
from fdsim.spec.workload import Workload
from fdsim.step_totals import phase_overlap, span_breakdown, spatial_equivalent_ops, throughput
from fdsim.summary import InformationLost, LostTensor, LowestSqnr, NumericsTotals, Summary

SCHEMA_VERSION = 1
"""Version of a saved run's layout (files, columns, summary keys); ``load_result`` refuses
another."""

TABLE_FILES = {"layers": "layers.csv", "traffic": "traffic.csv", "counts": "counts.csv"}
BANDWIDTH_FILE = "bandwidth.csv"
"""The ``bandwidth`` table; a folder saved before it existed loads without it (empty)."""
NUMERICS_FILES = {"sqnr": "numerics.csv", "overflows": "overflows.csv"}
SPEC_FILES = {
    "hardware": "hardware.json",
    "workload": "workload.json",
    "energy_table": "energy_table.json",
}
SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class RunResult:
    """One run: its tables, its summary, the specs it ran (``energy_table`` priced it), for a
    functional run its numerics, and its bytes and bandwidths (``fdsim.bandwidth``: they do
    not depend on prices)."""

    layers: pd.DataFrame
    traffic: pd.DataFrame
    counts: pd.DataFrame
    summary: Summary
    hardware: HardwareSpec
    workload: Workload
    energy_table: EnergyTable
    numerics: FunctionalNumerics | None = None
    bandwidth: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BANDWIDTH_COLUMNS))

    def save(self, directory: str | Path, *, force: bool = False) -> Path:
        """Write the run into ``directory`` by the output-folder rules (``fdsim.output``:
        ``ConfigError`` where they refuse), for :func:`fdsim.run_folder.load_result`;
        returns the folder."""
        folder = Path(directory)
        write_output(
            folder, OutputKind.RUN, lambda staging: write_tables(self, staging), force=force
        )
        return folder


def with_numerics(result: RunResult, numerics: FunctionalNumerics) -> RunResult:
    """``result`` with a functional run's numerics and their totals in the summary
    (:func:`numerics_summary`)."""
    summary = replace(result.summary, numerics=numerics_summary(numerics))
    return replace(result, summary=summary, numerics=numerics)


def numerics_summary(numerics: FunctionalNumerics) -> NumericsTotals:
    """The summary's ``numerics``: overflow and underflow events (in all and by site, sites
    with events only), the lowest SQNR per phase, and the tensors whose varying part is below
    ``INFORMATION_LOST_DB``."""
    sqnr, overflows = numerics.sqnr, numerics.overflows
    measured = sqnr.dropna(subset=["sqnr_db"])
    worst = measured.loc[measured.groupby("phase", sort=False)["sqnr_db"].idxmin()]
    by_site = overflows.groupby("site", sort=False)[["overflow_events", "underflow_events"]].sum()
    lost = numerics.information_lost()
    return NumericsTotals(
        source=numerics.source,
        seed=numerics.seed,
        overflow_events=int(overflows["overflow_events"].sum()),
        values_checked=int(overflows["values_checked"].sum()),
        # an exact tensor (no noise at all) has an infinite SQNR: null
        lowest_sqnr_by_phase={
            str(phase): LowestSqnr(**row)
            for phase, row in zip(
                worst["phase"], _json_rows(worst, ("layer", "tensor"), "sqnr_db"), strict=True
            )
        },
        overflow_events_by_site={
            str(site): int(events)
            for site, events in by_site["overflow_events"].items()
            if events > 0
        },
        underflow_events=int(overflows["underflow_events"].sum()),
        underflow_events_by_site={
            str(site): int(events)
            for site, events in by_site["underflow_events"].items()
            if events > 0
        },
        information_lost=InformationLost(
            INFORMATION_LOST_DB,
            # -inf (nothing of the varying part survives): null
            [
                LostTensor(**row)
                for row in _json_rows(lost, ("layer", "phase", "tensor"), "sqnr_varying_db")
            ],
        ),
    )


def _json_rows(frame: pd.DataFrame, names: tuple[str, ...], decibels: str) -> list[dict[str, Any]]:
    """``frame``'s rows as JSON objects: the ``names`` columns as strings and the ``decibels``
    column as a float, null where infinite (JSON has no infinity)."""
    rows: list[dict[str, Any]] = []
    for record in frame.to_dict("records"):
        value = float(record[decibels])
        rows.append(
            {
                **{name: str(record[name]) for name in names},
                decibels: value if math.isfinite(value) else None,
            }
        )
    return rows


def collect(
    schedule: Schedule,
    layer_counts: list[LayerCounts],
    bounds: list[LayerBound],
    total_cycles: int,
    hardware: HardwareSpec,
    table: EnergyTable,
    manifest: dict[str, Any],
    workload: Workload,
    bandwidth: list[BandwidthRow] | None = None,
) -> RunResult:
    """Price the counts and assemble the tables and summary (``workload``: the batch size and
    kernel sizes behind the per-image and spatial-equivalent totals; ``bandwidth``: the rows
    ``sim/bandwidth.py`` measured, for the ``bandwidth`` table and the summary's section)."""
    areas = _areas(hardware, table)
    units = [unit for unit in Unit if unit is Unit.DMA or unit in areas]
    rows: list[dict[str, Any]] = []
    traffic: list[dict[str, Any]] = []
    counted: list[dict[str, Any]] = []
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
        # the ``sram`` rows count nothing: they carry the buffers' leakage
        parts: list[tuple[Part, UnitCounts]] = [
            *((unit, counts.units.get(unit) or UnitCounts()) for unit in units),
            (AreaPart.SRAM, UnitCounts()),
        ]
        for part, unit_counts in parts:
            leakage_mw = _leakage_mw(areas, part)
            stalls = unit_counts.stall_cycles
            rows.append(
                {
                    **base,
                    "unit": part.value,
                    "ops": unit_counts.ops,
                    "busy_cycles": unit_counts.busy_cycles,
                    **{
                        f"unit_stall_{cause.value}_cycles": stalls.get(cause, 0)
                        for cause in StallCause
                    },
                    "utilisation": unit_counts.busy_cycles / counts.cycles
                    if counts.cycles
                    else 0.0,
                    "mults": total(unit_counts.arith, Arith.MULT),
                    "adds": total(unit_counts.arith, Arith.ADD),
                    "sram_read_bytes": total(unit_counts.sram_bytes, Direction.READ),
                    "sram_write_bytes": total(unit_counts.sram_bytes, Direction.WRITE),
                    "dram_read_bytes": total(unit_counts.dram_bytes, Direction.READ),
                    "dram_write_bytes": total(unit_counts.dram_bytes, Direction.WRITE),
                    **unit_energy(unit_counts, leakage_mw, counts.cycles, hardware, table),
                }
            )
            where = {"layer": plan.name, "phase": plan.phase.value, "unit": part.value}
            for kind, action, bits, memory, n in count_rows(unit_counts):
                counted.append(
                    {
                        **where,
                        "kind": kind.value,
                        "action": action,
                        "bits": bits,
                        "memory": memory,
                        "count": n,
                    }
                )
                if kind is not CountKind.ARITH:
                    traffic.append(
                        {
                            "layer": plan.name,
                            "phase": plan.phase.value,
                            "level": kind.value,
                            "memory": memory,
                            "direction": action,
                            "bytes": n,
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
    seconds = total_cycles / hardware.clock_hz
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "total_cycles": total_cycles,
        "time_s": seconds,
        "dram_read_bytes": int(layers["dram_read_bytes"].sum()),
        "dram_write_bytes": int(layers["dram_write_bytes"].sum()),
        "manifest": manifest,
        **throughput(
            seconds, layers, workload.batch_size, spatial_equivalent_ops(schedule, workload)
        ),
        "phases": _phase_spans(schedule, layer_counts, layers),
    }
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
    summary["tiles"] = {
        phase.value: {p.name: p.tiles for p in schedule.layers if p.phase is phase and p.tiles}
        for phase in Phase
        if phase in schedule.phases
    }
    rates = bandwidth or []
    summary["bandwidth"] = [
        asdict(memory) for memory in memory_bandwidths(rates, hardware.clock_hz)
    ]
    priced = Summary.from_json(priced_summary(summary, layers, areas.values(), hardware))
    counts_frame = pd.DataFrame(counted, columns=COUNT_COLUMNS)
    return RunResult(
        layers,
        traffic_frame,
        counts_frame,
        priced,
        hardware,
        workload,
        table,
        bandwidth=bandwidth_frame(rates, hardware.clock_hz),
    )


def _areas(hardware: HardwareSpec, table: EnergyTable) -> dict[Part, UnitArea]:
    return {area.unit: area for area in unit_areas(hardware, table)}


def _leakage_mw(areas: Mapping[Part, UnitArea], part: Part) -> float:
    """``part``'s static power; the DMA engine has no area of its own."""
    area = areas.get(part)
    return area.leakage_mw if area else 0.0


def _phase_spans(
    schedule: Schedule, layer_counts: list[LayerCounts], layers: pd.DataFrame
) -> dict[str, dict[str, Any]]:
    """Per phase: its span (first op start to last result usable; spans of consecutive
    phases may overlap where DMA prefetches), DRAM bytes, and how its layers' spans add up to
    it: ``layer_cycles_sum − overlap_cycles + gap_cycles = cycles``, where ``overlap_cycles``
    counts each cycle once per layer span beyond the first that covers it and ``gap_cycles``
    the cycles of the span no layer covers. Its energy is priced in ``cost/pricing.py``."""
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
        layer_sum, overlap, gap = span_breakdown(
            [(c.start_cycle, c.end_cycle) for c in spans], cycles
        )
        rows = layers[layers["phase"] == phase.value]
        totals[phase.value] = {
            "start_cycle": start,
            "end_cycle": end,
            "cycles": cycles,
            "dram_read_bytes": int(rows["dram_read_bytes"].sum()),
            "dram_write_bytes": int(rows["dram_write_bytes"].sum()),
            "layer_cycles_sum": layer_sum,
            "overlap_cycles": overlap,
            "gap_cycles": gap,
        }
    return totals


def reprice(result: RunResult, table: EnergyTable, *, source: str | None = None) -> RunResult:
    """``result`` priced by ``table`` instead: every energy column of ``layers``, the summary's
    energies, areas and leakage, and its manifest's energy table (``source``: where the table
    came from, recorded as its input; its hash and the run id follow the table) — exactly
    those of a fresh run of the same specs with that table. Counts, cycles and bytes are
    ``result``'s own, and so is ``hardware`` (its ``energy_table`` field and hash still name
    the table the run was simulated with)."""
    hardware = result.hardware
    areas = _areas(hardware, table)
    records: dict[tuple[str, str, str], list[Mapping[Any, Any]]] = {}
    for record in result.counts.to_dict("records"):
        key = (record["layer"], record["phase"], record["unit"])
        records.setdefault(key, []).append(record)
    layers = result.layers
    priced = []
    columns = (layers[name] for name in ("layer", "phase", "unit", "layer_cycles"))
    for layer, phase, unit, cycles in zip(*columns, strict=True):
        leakage_mw = _leakage_mw(areas, part_named(unit))
        counts = priced_counts(records.get((layer, phase, unit), []))
        priced.append(unit_energy(counts, leakage_mw, int(cycles), hardware, table))
    layers = layers.copy()
    energies = pd.DataFrame(priced, index=layers.index)
    layers[energies.columns] = energies
    manifest = result.summary.manifest
    hashes = {**manifest["spec_sha256"], "energy_table": canonical_hash(table)}
    manifest = {
        **manifest,
        "inputs": {**manifest["inputs"], "energy_table": source},
        "spec_sha256": hashes,
        "run_id": canonical_run_id(hashes, manifest["options"]),
    }
    unpriced = {**result.summary.to_json(), "manifest": manifest}
    summary = Summary.from_json(priced_summary(unpriced, layers, areas.values(), hardware))
    return replace(result, layers=layers, summary=summary, energy_table=table)


def canonical_run_id(hashes: Mapping[str, str], options: Mapping[str, Any]) -> str:
    """A short id of everything that decides a run's result: the canonical specs (whatever
    their file names) and the ``options``. Equal specs and options, equal ids."""
    canonical = json.dumps({"spec_sha256": hashes, "options": options}, sort_keys=True)
    return sha256(canonical.encode()).hexdigest()[:12]


def write_tables(result: RunResult, directory: Path) -> None:
    """Every file of a saved run into ``directory``: ``layers.csv``, ``traffic.csv``,
    ``counts.csv``, ``bandwidth.csv``, ``summary.json``, the specs as canonical JSON
    (``hardware.json``, ``workload.json``, ``energy_table.json``), (functional runs)
    ``numerics.csv`` and ``overflows.csv``, and on a systolic array SCALE-Sim's view of the layers
    (:mod:`fdsim.scalesim_view`: ``COMPUTE_REPORT.csv`` …)."""
    for name, file in TABLE_FILES.items():
        getattr(result, name).to_csv(directory / file, index=False)
    result.bandwidth.to_csv(directory / BANDWIDTH_FILE, index=False)
    if result.numerics is not None:
        for name, file in NUMERICS_FILES.items():
            getattr(result.numerics, name).to_csv(directory / file, index=False)
    for name, file in SPEC_FILES.items():
        write_json(directory / file, getattr(result, name).model_dump(mode="json"))
    write_json(directory / SUMMARY_FILE, result.summary.to_json())
    for file, text in scalesim_files(result.workload, result.hardware).items():
        (directory / file).write_text(text, encoding="utf-8")
