"""Aggregating a trace into per-layer, per-unit counts (cycles, stalls, actions, bytes; the
count types live in :mod:`fdsim.counts`), and into each layer's critical-path stalls.

Critical-path stalls of a layer (one plan: layer × phase) split the cycles by which its span
exceeds the busy time of its busiest unit ``U`` (most busy cycles in the layer; ties go to the
first in ``Unit`` order). A unit's ops tile its time line from cycle 0 (see ``OpTiming``), so
every cycle of the span from its start ``S`` to the end of ``U``'s last op of the layer falls
in exactly one segment of one op of ``U``:

- a busy segment of the layer's own op: busy time, not a stall;
- a wait of the layer's own op: ``dram_bandwidth``/``dram_latency`` or ``dependency``
  (waiting for its inputs, by the unit of the input that came last; ``unit_busy`` while
  that input's op was running on its unit, ``dependency`` before it had started),
  ``buffer_full`` (waiting for SRAM space) or ``sram_bank`` (waiting for bank ports other
  units' ops hold);
- any segment (busy or waiting) of an op of another layer: ``other_layers`` — the unit was
  occupied by overlapping work of a neighbouring layer (a prefetch, the previous layer's tail);

and the cycles after ``U``'s last op of the layer until the layer's last result is usable are
``drain`` (other units finishing the layer's work, DRAM write latency). The causes therefore
sum to ``cycles - busiest busy cycles`` exactly. SRAM-port stalls are inside busy time (see
``Activity``) and are not critical-path stalls.

Both are computed on per-op columns (numpy arrays of the timings' cycles, one pass over the
trace to build them), so counting is linear in the ops with a small constant: a VGG-16
training step has 0.7 M of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.counts import CriticalCause, LayerCounts, StallCause, UnitCounts
from fdsim.schedule.ops import UNIT_OF_KIND, Schedule, Unit
from fdsim.sim.engine import Trace

IntArray = npt.NDArray[np.int64]

_UNITS = tuple(Unit)
_UNIT_CODE = {kind: _UNITS.index(unit) for kind, unit in UNIT_OF_KIND.items()}
_STALL_CAUSES = tuple(StallCause)
_STALL_CODE = {cause: code for code, cause in enumerate(_STALL_CAUSES)}


@dataclass(frozen=True)
class _Columns:
    """What the critical-path walk reads of the trace, as columns indexed like
    ``schedule.ops``: each op's layer and unit (position in ``Unit``), its ``OpTiming`` cycles
    and the code (position in ``StallCause``) of what its data wait awaited."""

    layer: IntArray
    unit: IntArray
    queued: IntArray
    ready: IntArray
    start: IntArray
    end: IntArray
    latency_from: IntArray
    allocated: IntArray
    busy_from: IntArray
    busy_until: IntArray
    waited_for: IntArray


def _column(values: Iterator[int], n: int, dtype: type[np.integer[Any]] = np.int64) -> IntArray:
    return np.fromiter(values, dtype=dtype, count=n)


def _columns(schedule: Schedule, trace: Trace) -> _Columns:
    ops, timings = schedule.ops, trace.timings
    assert len(ops) == len(timings), "a trace has one timing per op"
    n = len(ops)

    def field(name: str) -> IntArray:
        return _column(map(attrgetter(name), timings), n)

    # the codes are small: int32 keeps the columns' memory down (0.7 M ops)
    kinds = map(attrgetter("kind"), ops)
    waits = map(attrgetter("waited_for"), timings)
    return _Columns(
        layer=_column(map(attrgetter("layer"), ops), n, np.int32),
        unit=_column(map(_UNIT_CODE.__getitem__, kinds), n, np.int32),
        queued=field("queued"),
        ready=field("ready"),
        start=field("start"),
        end=field("end"),
        latency_from=field("latency_from"),
        allocated=field("allocated"),
        busy_from=field("busy_from"),
        busy_until=field("busy_until"),
        waited_for=_column(map(_STALL_CODE.__getitem__, waits), n, np.int32),
    )


def count(schedule: Schedule, trace: Trace) -> list[LayerCounts]:
    """One ``LayerCounts`` per entry of ``schedule.layers`` (empty span for a layer with no ops)."""
    columns = _columns(schedule, trace)
    units: list[dict[Unit, UnitCounts]] = [{} for _ in schedule.layers]
    starts: list[int | None] = [None] * len(schedule.layers)
    ends = [0] * len(schedule.layers)
    if len(schedule.ops):
        _count_groups(columns, trace, units, starts, ends)
    # a unit's ops in program order are its ops in time order (one queue per unit)
    lanes = {code: np.flatnonzero(columns.unit == code) for code in np.unique(columns.unit)}
    result = []
    for layer, (start, end, unit_counts) in enumerate(zip(starts, ends, units, strict=True)):
        if start is None:
            result.append(LayerCounts(0, 0, unit_counts))
            continue
        busiest = max(Unit, key=lambda u: unit_counts[u].busy_cycles if u in unit_counts else -1)
        stalls = _critical_stalls(
            layer,
            (start, unit_counts[busiest].last_end_cycle, end),
            columns,
            lanes[_UNITS.index(busiest)],
        )
        result.append(LayerCounts(start, end, unit_counts, busiest, stalls))
    return result


def _count_groups(
    columns: _Columns,
    trace: Trace,
    units: list[dict[Unit, UnitCounts]],
    starts: list[int | None],
    ends: list[int],
) -> None:
    """Fill ``units`` (one ``UnitCounts`` per layer and unit, in the order of each one's first
    op), ``starts`` and ``ends`` (each layer's first start and last result), summing per
    (layer, unit) group with ``reduceat`` over the ops sorted by group."""
    timings = trace.timings
    n = len(timings)
    group = columns.layer.astype(np.int64) * len(_UNITS) + columns.unit
    order = np.argsort(group, kind="stable")  # stable: each group's ops in program order
    firsts = np.flatnonzero(np.diff(group[order], prepend=-1))  # where each group begins

    def summed(values: IntArray) -> list[int]:
        return np.add.reduceat(values[order], firsts).tolist()  # type: ignore[no-any-return]

    busy = summed(columns.end - columns.start)
    last_end = np.maximum.reduceat(columns.end[order], firsts).tolist()
    first_start = np.minimum.reduceat(columns.start[order], firsts).tolist()
    done = _column(map(attrgetter("done"), timings), n)
    last_done = np.maximum.reduceat(done[order], firsts).tolist()
    del done
    # one cause at a time: a whole ops × causes matrix would add to the run's peak memory
    stall_sums = [
        summed(_column(map(methodcaller("get", cause, 0), map(attrgetter("stalls"), timings)), n))
        for cause in _STALL_CAUSES
    ]
    sizes = np.diff(firsts, append=len(order)).tolist()
    first_ops = order[firsts]
    for g in np.argsort(first_ops, kind="stable").tolist():
        layer, unit = int(columns.layer[first_ops[g]]), _UNITS[int(columns.unit[first_ops[g]])]
        units[layer][unit] = UnitCounts(
            ops=sizes[g],
            busy_cycles=busy[g],
            last_end_cycle=last_end[g],
            stall_cycles=Counter(
                {cause: sums[g] for cause, sums in zip(_STALL_CAUSES, stall_sums, strict=True)}
            ),
        )
        first = starts[layer]
        starts[layer] = first_start[g] if first is None else min(first, first_start[g])
        ends[layer] = max(ends[layer], last_done[g])
    _count_activities(columns, trace, group, units)


def _count_activities(
    columns: _Columns, trace: Trace, group: IntArray, units: list[dict[Unit, UnitCounts]]
) -> None:
    """Add each group's actions: tiles repeat (ops share their ``Activity``), so each distinct
    activity of a (layer, unit) group is added once, times its repeats, in the order of its
    first op (the counters keep their keys in counting order, which pricing sums in)."""
    activities = list(map(attrgetter("activity"), trace.timings))
    activity_ids = np.fromiter(map(id, activities), dtype=np.uint64, count=len(activities))
    _ids, activity = np.unique(activity_ids, return_inverse=True)
    pair = group * (int(activity.max()) + 1) + activity
    _pairs, first_op, repeats = np.unique(pair, return_index=True, return_counts=True)
    for position in np.argsort(first_op, kind="stable").tolist():
        op, n = int(first_op[position]), int(repeats[position])
        counts = units[int(columns.layer[op])][_UNITS[int(columns.unit[op])]]
        distinct = activities[op]
        counts.arith.update({k: v * n for k, v in distinct.arith.items()})
        counts.sram_bytes.update({k: v * n for k, v in distinct.sram_bytes.items()})
        counts.dram_bytes.update({k: v * n for k, v in distinct.dram_bytes.items()})


def _overlap(low: IntArray, high: IntArray, start: int, last_end: int) -> int:
    """Cycles of the segments [low, high) inside [start, last_end), summed."""
    return int(np.maximum(0, np.minimum(high, last_end) - np.maximum(low, start)).sum())


def _critical_stalls(
    layer: int, span: tuple[int, int, int], columns: _Columns, lane: IntArray
) -> Counter[CriticalCause]:
    """Classify the cycles of the layer's span ``(start, last_end, end)`` (``last_end``: the end
    of the busiest unit's last op of the layer) that ``lane`` (the busiest unit's ops, in
    program order) was not busy with ``layer``'s ops, by the module docstring's rule."""
    start, last_end, end = span
    stalls: Counter[CriticalCause] = Counter(dict.fromkeys(CriticalCause, 0))
    queued = columns.queued[lane]
    # the lane's ops from the one waiting at ``start`` to the last queued before ``last_end``
    ops = lane[
        max(0, int(np.searchsorted(queued, start, side="right")) - 1) : int(
            np.searchsorted(queued, last_end, side="left")
        )
    ]
    own = ops[columns.layer[ops] == layer]
    other = ops[columns.layer[ops] != layer]
    stalls[CriticalCause.OTHER_LAYERS] += _overlap(
        columns.queued[other], columns.end[other], start, last_end
    )
    # a DMA wait: bandwidth until the transfer's end, then its latency; a wait for another
    # unit: unit busy while the producer ran, dependency before it started
    waited_for = columns.waited_for[own]
    for code in np.unique(waited_for).tolist():
        waits = own[waited_for == code]
        cause = CriticalCause(_STALL_CAUSES[code].value)
        stalls[cause] += _overlap(
            columns.queued[waits], columns.busy_from[waits], start, last_end
        ) + _overlap(columns.busy_until[waits], columns.latency_from[waits], start, last_end)
    stalls[CriticalCause.UNIT_BUSY] += _overlap(
        columns.busy_from[own], columns.busy_until[own], start, last_end
    )
    stalls[CriticalCause.DRAM_LATENCY] += _overlap(
        columns.latency_from[own], columns.ready[own], start, last_end
    )
    stalls[CriticalCause.BUFFER_FULL] += _overlap(
        columns.ready[own], columns.allocated[own], start, last_end
    )
    stalls[CriticalCause.SRAM_BANK] += _overlap(
        columns.allocated[own], columns.start[own], start, last_end
    )
    stalls[CriticalCause.DRAIN] += end - last_end
    return stalls
