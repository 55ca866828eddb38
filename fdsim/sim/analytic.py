"""The analytic model: the event model's schedule timed by its max-plus recurrence, in one
pass over the ops and without the event loop (``--model analytic``).

Every op starts when its unit has finished the op before it (program order) and its
dependencies are done: ``start = max(unit free, done of its deps)``, ``end = start + busy``,
``done = end + done_delay`` — dependencies always come earlier in program order, so one pass
computes them all. Left out is what needs the event loop: waiting for SRAM space (a
buffer-full stall), granted in program order by releases that may come later in it. So the
analytic cycles never exceed the event model's (the event model only adds waits, and the
schedule is monotone), and equal them when no op waits for space; busy cycles, actions and
the other stall causes are computed as the event model does, from the same unit models, so a
result carries the same tables. ``tests/test_analytic.py`` checks both bounds on every shipped
workload and hardware; the event model stays the reference.
"""

from __future__ import annotations

from fdsim.counts import StallCause
from fdsim.schedule.ops import Schedule, Unit
from fdsim.sim.engine import OpTiming, Trace
from fdsim.sim.units import execute_all
from fdsim.spec.hardware import HardwareSpec


def estimate(schedule: Schedule, hardware: HardwareSpec) -> Trace:
    """The analytic timing of ``schedule`` on ``hardware`` as a :class:`Trace` (see the module
    docstring); deterministic."""
    ops = schedule.ops
    activities = execute_all(ops, hardware)
    done = [0] * len(ops)
    ends = [0] * len(ops)
    free = dict.fromkeys(Unit, 0)
    times: list[tuple[int, int, StallCause, int]] = []
    layer_start: dict[int, int] = {}
    for op, activity in zip(ops, activities, strict=True):
        queued = free[op.unit]
        cause = StallCause.DEPENDENCY
        ready = latency_from = queued
        if op.deps:
            last = max(op.deps, key=lambda d: (done[d], d))
            ready = latency_from = max(queued, done[last])
            if ops[last].unit is Unit.DMA:
                cause = StallCause.DRAM_BANDWIDTH
                latency_from = max(queued, ends[last])
        end = ends[op.index] = ready + activity.busy_cycles
        free[op.unit] = end
        done[op.index] = end + activity.done_delay_cycles
        layer_start[op.layer] = min(layer_start.get(op.layer, ready), ready)
        times.append((queued, ready, cause, latency_from))
    timings = []
    for op, activity, (queued, ready, cause, latency_from) in zip(
        ops, activities, times, strict=True
    ):
        stalls = dict.fromkeys(StallCause, 0)
        # as the event model counts them: only once the layer has started
        started = layer_start[op.layer]
        latency = max(0, ready - max(latency_from, started))
        stalls[cause] = max(0, ready - max(queued, started)) - latency
        stalls[StallCause.DRAM_LATENCY] += latency
        stalls[StallCause.SRAM_BANDWIDTH] = activity.sram_stall_cycles
        end = ends[op.index]
        timing = OpTiming(
            queued, ready, ready, end, done[op.index], stalls, activity, cause, latency_from
        )
        timings.append(timing)
    return Trace(tuple(timings), max(done, default=0))
