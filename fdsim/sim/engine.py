"""The event loop: one SimPy process per unit, one timed event per op (never one per cycle).

Each unit executes its ops in program order. Before an op starts, its unit waits for the op's
dependencies (a stall caused by DRAM when the last one to finish was a DMA transfer, else by a
dependency on another unit) and then for its SRAM allocation (a buffer-full stall). SRAM space
is granted in program order, so the schedule is a monotone max-plus system: shortening any op
(more bandwidth, more lanes) never delays another one.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from fdsim.counts import StallCause
from fdsim.schedule.ops import Op, Schedule, Unit, buffer_capacities
from fdsim.sim.units import Activity, execute_all
from fdsim.spec.hardware import HardwareSpec

_STALL_CAUSES = tuple(StallCause)  # iterating the enum itself once per op is measurably slow


@dataclass(frozen=True, slots=True)
class OpTiming:
    """When an op ran: its unit turned to it at ``queued`` (the end of the unit's previous op,
    or 0), its dependencies were all done at ``ready``, it got its SRAM space and started at
    ``start``, freed the unit at ``end``; its result is usable at ``done``. So
    ``queued <= ready <= start <= end <= done``, and a unit's ops tile its time line from 0:
    [queued, ready) waiting for data, [ready, start) for buffer space, [start, end) busy.
    When the data came last from a DMA transfer (``waited_for`` DRAM_BANDWIDTH), the wait
    until ``latency_from`` (the transfer's end: the channel free) is DRAM bandwidth, the rest
    its DRAM latency. ``stalls`` counts the waits by cause from the op's layer's start only."""

    queued: int
    ready: int
    start: int
    end: int
    done: int
    stalls: dict[StallCause, int]
    activity: Activity
    waited_for: StallCause  # DRAM_BANDWIDTH when [queued, ready) awaited a DMA transfer
    latency_from: int  # from here to ``ready`` the wait was DRAM latency (else ``ready``)


@dataclass(frozen=True)
class Trace:
    """The outcome of a simulation: per-op timings (indexed like ``schedule.ops``)."""

    timings: tuple[OpTiming, ...]
    total_cycles: int


class SimulationError(RuntimeError):
    """The engine could not finish the schedule: a compiler bug, never a user error."""


class _OrderedPool:
    """SRAM capacity, granted strictly in program order of the requesting ops."""

    def __init__(self, env: simpy.Environment, capacity: int, order: list[int]) -> None:
        self.env = env
        self.level = capacity
        self.order = order
        self.position = 0
        self.waiting: dict[int, tuple[int, simpy.Event]] = {}

    def request(self, op_index: int, amount: int) -> simpy.Event:
        event = self.env.event()
        self.waiting[op_index] = (amount, event)
        self._grant()
        return event

    def release(self, amount: int) -> None:
        self.level += amount
        self._grant()

    def _grant(self) -> None:
        while self.position < len(self.order):
            index = self.order[self.position]
            if index not in self.waiting or self.waiting[index][0] > self.level:
                return
            amount, event = self.waiting.pop(index)
            self.level -= amount
            self.position += 1
            event.succeed()


def simulate(schedule: Schedule, hardware: HardwareSpec) -> Trace:
    """Run ``schedule`` on ``hardware``; deterministic (no randomness, no wall clock)."""
    env = simpy.Environment()
    ops = schedule.ops
    activities = execute_all(ops, hardware)
    done = [env.event() for _ in ops]
    finish: list[int] = [0] * len(ops)
    timings: list[OpTiming | None] = [None] * len(ops)
    layer_started: dict[int, int] = {}
    pools = {
        buffer: _OrderedPool(
            env,
            capacity,
            [op.index for op in ops if any(b is buffer for b, _ in op.allocate)],
        )
        for buffer, capacity in buffer_capacities(hardware).items()
    }

    def complete(op: Op, delay: int) -> Generator[simpy.Event, Any, None]:
        if delay:
            yield env.timeout(delay)
        finish[op.index] = int(env.now)
        done[op.index].succeed()

    def waited(layer: int, since: int) -> int:
        """Cycles waited since ``since`` that count as a stall of ``layer``: only once the layer
        has started (before that the unit is idle, not stalled)."""
        started = layer_started.get(layer)
        return 0 if started is None else max(0, int(env.now) - max(since, started))

    def run_unit(queue: list[Op]) -> Generator[simpy.Event, Any, None]:
        for op in queue:
            stalls = dict.fromkeys(_STALL_CAUSES, 0)
            waited_from = int(env.now)
            cause = StallCause.DEPENDENCY
            latency_from = waited_from
            if op.deps:
                yield simpy.AllOf(env, [done[d] for d in op.deps])
                last = max(op.deps, key=lambda d: (finish[d], d))
                latency_from = int(env.now)
                if ops[last].unit is Unit.DMA:
                    cause = StallCause.DRAM_BANDWIDTH
                    transfer = timings[last]
                    assert transfer is not None  # done, so its timing is recorded
                    latency_from = max(waited_from, transfer.end)
                latency = waited(op.layer, latency_from)
                stalls[cause] += waited(op.layer, waited_from) - latency
                stalls[StallCause.DRAM_LATENCY] += latency
            allocated_from = int(env.now)
            for buffer, amount in op.allocate:
                yield pools[buffer].request(op.index, amount)
            stalls[StallCause.BUFFER_FULL] += waited(op.layer, allocated_from)
            layer_started.setdefault(op.layer, int(env.now))
            activity = activities[op.index]
            stalls[StallCause.SRAM_BANDWIDTH] = activity.sram_stall_cycles
            start = int(env.now)
            yield env.timeout(activity.busy_cycles)
            for buffer, amount in op.release:
                pools[buffer].release(amount)
            end = int(env.now)
            timings[op.index] = OpTiming(
                waited_from,
                allocated_from,
                start,
                end,
                end + activity.done_delay_cycles,
                stalls,
                activity,
                cause,
                latency_from,
            )
            env.process(complete(op, activity.done_delay_cycles))

    for unit in Unit:
        queue = [op for op in ops if op.unit is unit]
        if queue:
            env.process(run_unit(queue))
    env.run()
    missing = [index for index, timing in enumerate(timings) if timing is None]
    if missing:
        raise SimulationError(
            f"schedule did not finish: {len(missing)} ops never ran (first: op {missing[0]}, "
            f"{ops[missing[0]].kind.value} of layer {schedule.layers[ops[missing[0]].layer].name})"
        )
    final = [timing for timing in timings if timing is not None]
    return Trace(tuple(final), max((t.done for t in final), default=0))
