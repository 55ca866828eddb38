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
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict

from fdsim.counts import CriticalCause, LayerCounts, UnitCounts
from fdsim.schedule.ops import Schedule, Unit
from fdsim.sim.engine import OpTiming, Trace
from fdsim.sim.units import Activity


def count(schedule: Schedule, trace: Trace) -> list[LayerCounts]:
    """One ``LayerCounts`` per entry of ``schedule.layers`` (empty span for a layer with no ops)."""
    units: list[dict[Unit, UnitCounts]] = [{} for _ in schedule.layers]
    starts: list[int | None] = [None] * len(schedule.layers)
    ends = [0] * len(schedule.layers)
    lanes: dict[Unit, list[tuple[int, OpTiming]]] = {}
    activities: dict[int, Activity] = {}
    repeats: defaultdict[tuple[int, Unit], Counter[int]] = defaultdict(Counter)
    for op, timing in zip(schedule.ops, trace.timings, strict=True):
        lanes.setdefault(op.unit, []).append((op.layer, timing))
        # one UnitCounts per layer and unit, built only the first time (not once per op)
        counts = units[op.layer].get(op.unit) or units[op.layer].setdefault(op.unit, UnitCounts())
        counts.ops += 1
        counts.busy_cycles += timing.end - timing.start
        counts.last_end_cycle = max(counts.last_end_cycle, timing.end)
        counts.stall_cycles.update(timing.stalls)
        # tiles repeat (ops share their Activity): add each distinct one once, times its
        # repeats, below
        activities[id(timing.activity)] = timing.activity
        repeats[(op.layer, op.unit)][id(timing.activity)] += 1
        first = starts[op.layer]
        starts[op.layer] = timing.start if first is None else min(first, timing.start)
        ends[op.layer] = max(ends[op.layer], timing.done)
    for (layer, unit), distinct in repeats.items():
        counts = units[layer][unit]
        for key, n in distinct.items():
            activity = activities[key]
            counts.arith.update({k: v * n for k, v in activity.arith.items()})
            counts.sram_bytes.update({k: v * n for k, v in activity.sram_bytes.items()})
            counts.dram_bytes.update({k: v * n for k, v in activity.dram_bytes.items()})
    # a unit's ops in program order are its ops in time order (one queue per unit)
    queued = {unit: [timing.queued for _, timing in lane] for unit, lane in lanes.items()}
    result = []
    for layer, (start, end, unit_counts) in enumerate(zip(starts, ends, units, strict=True)):
        if start is None:
            result.append(LayerCounts(0, 0, unit_counts))
            continue
        busiest = max(Unit, key=lambda u: unit_counts[u].busy_cycles if u in unit_counts else -1)
        stalls = _critical_stalls(
            layer,
            (start, unit_counts[busiest].last_end_cycle, end),
            lanes[busiest],
            queued[busiest],
        )
        result.append(LayerCounts(start, end, unit_counts, busiest, stalls))
    return result


def _critical_stalls(
    layer: int,
    span: tuple[int, int, int],
    lane: list[tuple[int, OpTiming]],
    queued: list[int],
) -> Counter[CriticalCause]:
    """Classify the cycles of the layer's span ``(start, last_end, end)`` (``last_end``: the end
    of the busiest unit's last op of the layer) that ``lane`` (the busiest unit's ops, in
    order; ``queued`` their queued cycles) was not busy with ``layer``'s ops, by the module
    docstring's rule."""
    start, last_end, end = span
    stalls: Counter[CriticalCause] = Counter(dict.fromkeys(CriticalCause, 0))

    def add(cause: CriticalCause, low: int, high: int) -> None:
        stalls[cause] += max(0, min(high, last_end) - max(low, start))

    for owner, timing in lane[max(0, bisect_right(queued, start) - 1) :]:
        if timing.queued >= last_end:
            break
        if owner != layer:
            add(CriticalCause.OTHER_LAYERS, timing.queued, timing.end)
            continue
        # a DMA wait: bandwidth until the transfer's end, then its latency; a wait for
        # another unit: unit busy while the producer ran, dependency before it started
        waited_for = CriticalCause(timing.waited_for.value)
        add(waited_for, timing.queued, timing.busy_from)
        add(CriticalCause.UNIT_BUSY, timing.busy_from, timing.busy_until)
        add(waited_for, timing.busy_until, timing.latency_from)
        add(CriticalCause.DRAM_LATENCY, timing.latency_from, timing.ready)
        add(CriticalCause.BUFFER_FULL, timing.ready, timing.allocated)
        add(CriticalCause.SRAM_BANK, timing.allocated, timing.start)
    stalls[CriticalCause.DRAIN] += end - last_end
    return stalls
