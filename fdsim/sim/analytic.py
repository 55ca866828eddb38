"""The analytic model: the event model's schedule timed by its max-plus recurrence, in one
pass over the ops and without the event loop (``--model analytic``).

Every op starts when its unit has finished the op before it (program order) and its
dependencies are done: ``start = max(unit free, done of its deps)``, ``end = start + busy``,
``done = end + done_delay`` — dependencies always come earlier in program order, so one pass
computes them all; a DMA transfer also waits for the data of the transfer
``dram.queue_depth`` before it, as in the event model. SRAM bank ports are granted
in program order as in the event model, and each op holds them until its own end, which the
pass knows by then: the grants are exact. Left out is what needs the event loop: waiting for
SRAM space (a buffer-full stall), granted in program order by releases that may come later in
it. So the analytic cycles never exceed the event model's (the event model only adds waits,
and the schedule is monotone), and equal them when no op waits for space; busy cycles,
actions and the other stall causes are computed as the event model does, from the same unit
models, so a result carries the same tables. ``tests/test_analytic.py`` checks both bounds on
every shipped workload and hardware; the event model stays the reference.
"""

from __future__ import annotations

import heapq

from fdsim.counts import StallCause
from fdsim.schedule.ops import Buffer, Schedule, Unit, buffer_spec
from fdsim.sim.engine import OpTiming, Trace, queue_slots
from fdsim.sim.units import execute_all
from fdsim.spec.hardware import HardwareSpec


class _PortPool:
    """A buffer's bank ports in the one pass: granted in program order (so never before the
    previous grant), each held by an earlier op until its end, which the pass already knows."""

    def __init__(self, capacity: int) -> None:
        self.level = capacity
        self.last_grant = 0
        self.holders: list[tuple[int, int]] = []  # heap of (end, amount)

    def grant(self, ready: int, amount: int) -> int:
        """The cycle an op ready at ``ready`` gets ``amount`` ports."""
        at = max(ready, self.last_grant)
        while self.holders and (self.holders[0][0] <= at or self.level < amount):
            end, freed = heapq.heappop(self.holders)
            at = max(at, end)
            self.level += freed
        self.level -= amount
        self.last_grant = at
        return at

    def hold(self, end: int, amount: int) -> None:
        heapq.heappush(self.holders, (end, amount))


def estimate(schedule: Schedule, hardware: HardwareSpec) -> Trace:
    """The analytic timing of ``schedule`` on ``hardware`` as a :class:`Trace` (see the module
    docstring); deterministic."""
    ops = schedule.ops
    activities = execute_all(ops, hardware)
    queue_slot = queue_slots(ops, hardware.dram.queue_depth)
    done = [0] * len(ops)
    ends = [0] * len(ops)
    starts = [0] * len(ops)
    free = dict.fromkeys(Unit, 0)
    banks: dict[Buffer, _PortPool] = {}
    for activity in activities:
        for buffer, _ in activity.bank_ports:
            if buffer not in banks:
                spec = buffer_spec(hardware, buffer)
                banks[buffer] = _PortPool(spec.banks * spec.ports)
    times: list[tuple[int, int, int, StallCause, int, int, int]] = []
    layer_start: dict[int, int] = {}
    for op, activity in zip(ops, activities, strict=True):
        queued = free[op.unit]
        cause = StallCause.DEPENDENCY
        ready = latency_from = busy_from = busy_until = queued
        deps = op.deps
        slot = queue_slot.get(op.index)
        if slot is not None:
            deps = (*deps, slot)
        if deps:
            last = max(deps, key=lambda d: (done[d], d))
            ready = latency_from = busy_from = busy_until = max(queued, done[last])
            if ops[last].unit is Unit.DMA:
                cause = StallCause.DRAM_BANDWIDTH
                latency_from = busy_from = busy_until = max(queued, ends[last])
            else:
                busy_from = min(ready, max(queued, starts[last]))
                busy_until = min(ready, max(queued, ends[last]))
        start = ready
        for buffer, amount in activity.bank_ports:
            start = banks[buffer].grant(start, amount)
        starts[op.index] = start
        end = ends[op.index] = start + activity.busy_cycles
        for buffer, amount in activity.bank_ports:
            banks[buffer].hold(end, amount)
        free[op.unit] = end
        done[op.index] = end + activity.done_delay_cycles
        layer_start[op.layer] = min(layer_start.get(op.layer, start), start)
        times.append((queued, ready, start, cause, latency_from, busy_from, busy_until))
    timings = []
    for op, activity, (queued, ready, start, cause, latency_from, busy_from, busy_until) in zip(
        ops, activities, times, strict=True
    ):
        stalls = dict.fromkeys(StallCause, 0)
        # as the event model counts them: only once the layer has started
        started = layer_start[op.layer]

        def counted(low: int, high: int, started: int = started) -> int:
            return max(0, high - max(low, started))

        latency = counted(latency_from, ready)
        unit_busy = counted(busy_from, busy_until)
        stalls[StallCause.UNIT_BUSY] = unit_busy
        stalls[StallCause.DRAM_LATENCY] = latency
        stalls[cause] += counted(queued, ready) - latency - unit_busy
        stalls[StallCause.SRAM_BANK] = counted(ready, start)
        stalls[StallCause.SRAM_BANDWIDTH] = activity.sram_stall_cycles
        end = ends[op.index]
        timing = OpTiming(
            queued,
            ready,
            start,
            end,
            done[op.index],
            stalls,
            activity,
            cause,
            latency_from,
            ready,
            busy_from,
            busy_until,
        )
        timings.append(timing)
    return Trace(tuple(timings), max(done, default=0))
