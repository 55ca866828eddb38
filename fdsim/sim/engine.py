"""The event loop: one SimPy process per unit, one timed event per op (never one per cycle).

Each unit executes its ops in program order. Before an op starts, its unit waits for the op's
dependencies (a stall caused by DRAM when the last one to finish was a DMA transfer, else by
another unit: unit busy while that unit computes the result, a dependency before it started
it), then for its SRAM allocation (a buffer-full stall), then for the SRAM bank ports it
streams through (``Activity.bank_ports``: held while it runs, shared by the units; an
SRAM-bank stall). A DMA transfer also waits until at most ``dram.queue_depth - 1`` transfers
before it are in flight (their data not yet usable: a DRAM-latency stall). SRAM space and
bank ports are granted in program order, in fixed amounts, so the schedule is a monotone
max-plus system: shortening any op (more bandwidth, more lanes) or adding capacity (space,
banks, ports) never delays another one.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from fdsim.counts import StallCause
from fdsim.schedule.ops import Buffer, Op, Schedule, Unit, buffer_capacities, buffer_spec
from fdsim.sim.units import Activity, execute_all
from fdsim.spec.hardware import HardwareSpec

_STALL_CAUSES = tuple(StallCause)  # iterating the enum itself once per op is measurably slow


@dataclass(frozen=True, slots=True)
class OpTiming:
    """When an op ran: its unit turned to it at ``queued`` (the end of the unit's previous op,
    or 0), its dependencies were all done at ``ready``, it got its SRAM space at
    ``allocated`` and its bank ports and started at ``start``, freed the unit at ``end``; its
    result is usable at ``done``. So ``queued <= ready <= allocated <= start <= end <= done``,
    and a unit's ops tile its time line from 0: [queued, ready) waiting for data,
    [ready, allocated) for buffer space, [allocated, start) for bank ports, [start, end) busy.
    When the data came last from a DMA transfer (``waited_for`` DRAM_BANDWIDTH), the wait
    until ``latency_from`` (the transfer's end: the channel free) is DRAM bandwidth, the rest
    its DRAM latency. When it came last from another unit, [``busy_from``, ``busy_until``) of
    the wait is that unit busy computing it (the producing op running: unit busy), the rest
    that op not yet started (a dependency: it waited itself, for its inputs, its unit, space
    or ports); otherwise ``busy_from == busy_until == latency_from``. ``stalls`` counts the
    waits by cause from the op's layer's start only."""

    queued: int
    ready: int
    start: int
    end: int
    done: int
    stalls: dict[StallCause, int]
    activity: Activity
    waited_for: StallCause  # DRAM_BANDWIDTH when [queued, ready) awaited a DMA transfer
    latency_from: int  # from here to ``ready`` the wait was DRAM latency (else ``ready``)
    allocated: int
    busy_from: int
    busy_until: int


@dataclass(frozen=True)
class Trace:
    """The outcome of a simulation: per-op timings (indexed like ``schedule.ops``)."""

    timings: tuple[OpTiming, ...]
    total_cycles: int


class SimulationError(RuntimeError):
    """The engine could not finish the schedule: a compiler bug, never a user error."""


class _OrderedPool:
    """A capacity (SRAM bytes, bank ports), granted strictly in program order of the ops that
    request it, each in a fixed amount."""

    def __init__(self, env: simpy.Environment, capacity: int, order: list[int]) -> None:
        self.env = env
        self.level = capacity
        self.order = order
        self.position = 0
        self.waiting: dict[int, tuple[int, simpy.Event]] = {}

    def request(self, op_index: int, amount: int) -> simpy.Event | None:
        """None when granted at once (the common case: no event to schedule), else the event
        of the grant."""
        if self.order[self.position] == op_index and amount <= self.level:
            self.level -= amount
            self.position += 1
            if self.waiting:
                self._grant()
            return None
        event = self.env.event()
        self.waiting[op_index] = (amount, event)
        self._grant()
        return event

    def release(self, amount: int) -> None:
        self.level += amount
        if self.waiting:
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


def _pools(
    env: simpy.Environment, ops: tuple[Op, ...], activities: list[Activity], hardware: HardwareSpec
) -> tuple[dict[Buffer, _OrderedPool], dict[Buffer, _OrderedPool]]:
    """The SRAM space of every tile buffer and the bank ports (banks × ports) of every buffer
    some op streams through, each granted in program order."""
    space = {
        buffer: _OrderedPool(
            env,
            capacity,
            [op.index for op in ops if any(b is buffer for b, _ in op.allocate)],
        )
        for buffer, capacity in buffer_capacities(hardware).items()
    }
    users: dict[Buffer, list[int]] = {}
    for op, activity in zip(ops, activities, strict=True):
        for buffer, _ in activity.bank_ports:
            users.setdefault(buffer, []).append(op.index)
    ports = {}
    for buffer, order in users.items():
        spec = buffer_spec(hardware, buffer)
        ports[buffer] = _OrderedPool(env, spec.banks * spec.ports, order)
    return space, ports


def queue_slots(ops: tuple[Op, ...], depth: int) -> dict[int, int]:
    """For every DMA op, the transfer ``depth`` before it on the channel, whose data must be
    usable before it may start (at most ``depth`` in flight)."""
    transfers = [op.index for op in ops if op.unit is Unit.DMA]
    return {index: transfers[k - depth] for k, index in enumerate(transfers) if k >= depth}


def _trigger(target: simpy.Event) -> Callable[[simpy.Event], None]:
    def fire(_: simpy.Event) -> None:
        target.succeed()

    return fire


def simulate(schedule: Schedule, hardware: HardwareSpec) -> Trace:
    """Run ``schedule`` on ``hardware``; deterministic (no randomness, no wall clock)."""
    env = simpy.Environment()
    ops = schedule.ops
    activities = execute_all(ops, hardware)
    done = [env.event() for _ in ops]
    finish: list[int] = [0] * len(ops)
    timings: list[OpTiming | None] = [None] * len(ops)
    layer_started: dict[int, int] = {}
    space, ports = _pools(env, ops, activities, hardware)
    queue_slot = queue_slots(ops, hardware.dram.queue_depth)

    def counted(layer: int, low: int, high: int) -> int:
        """Cycles of [low, high) that count as a stall of ``layer``: only once the layer has
        started (before that the unit is idle, not stalled)."""
        started = layer_started.get(layer)
        return 0 if started is None else max(0, high - max(low, started))

    def run_unit(queue: list[Op]) -> Generator[simpy.Event, Any, None]:
        for op in queue:
            stalls = dict.fromkeys(_STALL_CAUSES, 0)
            queued = int(env.now)
            cause = StallCause.DEPENDENCY
            deps = op.deps
            slot = queue_slot.get(op.index)
            if slot is not None:
                deps = (*deps, slot)
            if deps:
                pending = [done[d] for d in deps if not done[d].triggered]
                if pending:
                    yield pending[0] if len(pending) == 1 else simpy.AllOf(env, pending)
                last = max(deps, key=lambda d: (finish[d], d))
            ready = int(env.now)
            latency_from = busy_from = busy_until = ready
            if deps:
                producer = timings[last]
                assert producer is not None  # done, so its timing is recorded
                if ops[last].unit is Unit.DMA:
                    cause = StallCause.DRAM_BANDWIDTH
                    latency_from = busy_from = busy_until = max(queued, producer.end)
                else:
                    busy_from = min(ready, max(queued, producer.start))
                    busy_until = min(ready, max(queued, producer.end))
                unit_busy = counted(op.layer, busy_from, busy_until)
                latency = counted(op.layer, latency_from, ready)
                stalls[StallCause.UNIT_BUSY] = unit_busy
                stalls[StallCause.DRAM_LATENCY] = latency
                stalls[cause] += counted(op.layer, queued, ready) - latency - unit_busy
            for buffer, amount in op.allocate:
                grant = space[buffer].request(op.index, amount)
                if grant is not None:
                    yield grant
            allocated = int(env.now)
            stalls[StallCause.BUFFER_FULL] = counted(op.layer, ready, allocated)
            activity = activities[op.index]
            for buffer, amount in activity.bank_ports:
                grant = ports[buffer].request(op.index, amount)
                if grant is not None:
                    yield grant
            stalls[StallCause.SRAM_BANK] = counted(op.layer, allocated, int(env.now))
            layer_started.setdefault(op.layer, int(env.now))
            stalls[StallCause.SRAM_BANDWIDTH] = activity.sram_stall_cycles
            start = int(env.now)
            yield env.timeout(activity.busy_cycles)
            for buffer, amount in activity.bank_ports:
                ports[buffer].release(amount)
            for buffer, amount in op.release:
                space[buffer].release(amount)
            end = int(env.now)
            timings[op.index] = OpTiming(
                queued,
                ready,
                start,
                end,
                end + activity.done_delay_cycles,
                stalls,
                activity,
                cause,
                latency_from,
                allocated,
                busy_from,
                busy_until,
            )
            finish[op.index] = end + activity.done_delay_cycles
            if activity.done_delay_cycles:
                # a callback, not a process: a process per op costs several events
                env.timeout(activity.done_delay_cycles).callbacks.append(_trigger(done[op.index]))
            else:
                done[op.index].succeed()

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
