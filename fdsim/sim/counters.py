"""Aggregating a trace into per-layer, per-unit counts (cycles, stalls, actions, bytes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fdsim.schedule.ops import Schedule, Unit
from fdsim.sim.engine import StallCause, Trace
from fdsim.sim.units import ArithKey, DramKey, SramKey


@dataclass
class UnitCounts:
    ops: int = 0
    busy_cycles: int = 0
    stall_cycles: Counter[StallCause] = field(default_factory=Counter)
    arith: Counter[ArithKey] = field(default_factory=Counter)
    sram_bytes: Counter[SramKey] = field(default_factory=Counter)
    dram_bytes: Counter[DramKey] = field(default_factory=Counter)


@dataclass(frozen=True)
class LayerCounts:
    """A layer's span (first op start to last result usable) and what each unit did in it."""

    start_cycle: int
    end_cycle: int
    units: dict[Unit, UnitCounts]

    @property
    def cycles(self) -> int:
        return self.end_cycle - self.start_cycle


def count(schedule: Schedule, trace: Trace) -> list[LayerCounts]:
    """One ``LayerCounts`` per entry of ``schedule.layers`` (empty span for a layer with no ops)."""
    units: list[dict[Unit, UnitCounts]] = [{} for _ in schedule.layers]
    starts: list[int | None] = [None] * len(schedule.layers)
    ends = [0] * len(schedule.layers)
    for op, timing in zip(schedule.ops, trace.timings, strict=True):
        counts = units[op.layer].setdefault(op.unit, UnitCounts())
        counts.ops += 1
        counts.busy_cycles += timing.end - timing.start
        counts.stall_cycles.update(timing.stalls)
        counts.arith.update(timing.activity.arith)
        counts.sram_bytes.update(timing.activity.sram_bytes)
        counts.dram_bytes.update(timing.activity.dram_bytes)
        first = starts[op.layer]
        starts[op.layer] = timing.start if first is None else min(first, timing.start)
        ends[op.layer] = max(ends[op.layer], timing.done)
    return [
        LayerCounts(start if start is not None else 0, max(end, start or 0), unit_counts)
        for start, end, unit_counts in zip(starts, ends, units, strict=True)
    ]
