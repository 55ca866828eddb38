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

from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

import simpy

from fdsim.counts import StallCause
from fdsim.schedule.ops import Buffer, Op, Schedule, Unit, buffer_capacities, buffer_spec
from fdsim.sim.units import Activity, execute_all
from fdsim.spec.hardware import HardwareSpec


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


# the causes as plain names: an enum member lookup per op and cause is measurably slow
_DRAM_BANDWIDTH = StallCause.DRAM_BANDWIDTH
_DRAM_LATENCY = StallCause.DRAM_LATENCY
_DEPENDENCY = StallCause.DEPENDENCY
_UNIT_BUSY = StallCause.UNIT_BUSY
_BUFFER_FULL = StallCause.BUFFER_FULL
_SRAM_BANK = StallCause.SRAM_BANK
_SRAM_BANDWIDTH = StallCause.SRAM_BANDWIDTH


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
    allocators: dict[Buffer, list[int]] = {}
    for op in ops:
        for buffer in dict.fromkeys(b for b, _ in op.allocate):
            allocators.setdefault(buffer, []).append(op.index)
    space = {
        buffer: _OrderedPool(env, capacity, allocators.get(buffer, []))
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


def simulate(schedule: Schedule, hardware: HardwareSpec) -> Trace:
    """Run ``schedule`` on ``hardware``; deterministic (no randomness, no wall clock)."""
    env = simpy.Environment()
    ops = schedule.ops
    activities = execute_all(ops, hardware)
    usable = [False] * len(ops)  # the op's result is usable: its done cycle reached
    waiters: dict[int, simpy.Event] = {}  # made only for results an op must wait for
    timings: list[OpTiming | None] = [None] * len(ops)
    done_at = [0] * len(ops)
    layer_started: dict[int, int] = {}
    space, ports = _pools(env, ops, activities, hardware)
    queue_slot = queue_slots(ops, hardware.dram.queue_depth)
    from_dma = [op.unit is Unit.DMA for op in ops]

    def make_usable(index: int) -> None:
        usable[index] = True
        waiter = waiters.pop(index, None)
        if waiter is not None:
            waiter.succeed()

    def on_usable(index: int, _: simpy.Event) -> None:
        make_usable(index)

    def run_unit(queue: list[Op]) -> Generator[simpy.Event, Any, None]:
        for op in queue:
            index = op.index
            queued = int(env.now)
            deps = op.deps
            slot = queue_slot.get(index)
            if slot is not None:
                deps = (*deps, slot)
            pending = [d for d in deps if not usable[d]]
            if pending:
                events = [waiters.get(d) or waiters.setdefault(d, env.event()) for d in pending]
                yield events[0] if len(events) == 1 else simpy.AllOf(env, events)
            ready = int(env.now)
            for buffer, amount in op.allocate:
                grant = space[buffer].request(index, amount)
                if grant is not None:
                    yield grant
            allocated = int(env.now)
            activity = activities[index]
            for buffer, amount in activity.bank_ports:
                grant = ports[buffer].request(index, amount)
                if grant is not None:
                    yield grant
            start = int(env.now)
            started = layer_started.setdefault(op.layer, start)
            yield env.timeout(activity.busy_cycles)
            for buffer, amount in activity.bank_ports:
                ports[buffer].release(amount)
            for buffer, amount in op.release:
                space[buffer].release(amount)
            end = int(env.now)
            # the waits, counted only once the layer has started (before, the unit is idle):
            # a layer's start never changes once set, so counting them now equals counting
            # each when it ended
            cause = _DEPENDENCY
            latency_from = busy_from = busy_until = ready
            unit_busy = latency = 0
            if deps:
                last = deps[0] if len(deps) == 1 else max((done_at[d], d) for d in deps)[1]
                producer = timings[last]
                assert producer is not None  # usable, so its timing is recorded
                if from_dma[last]:
                    cause = _DRAM_BANDWIDTH
                    latency_from = busy_from = busy_until = max(queued, producer.end)
                else:
                    busy_from = min(ready, max(queued, producer.start))
                    busy_until = min(ready, max(queued, producer.end))
                unit_busy = max(0, busy_until - max(busy_from, started))
                latency = max(0, ready - max(latency_from, started))
            waited = max(0, ready - max(queued, started)) - latency - unit_busy
            dram = cause is _DRAM_BANDWIDTH
            stalls = {
                _DRAM_BANDWIDTH: waited if dram else 0,
                _DRAM_LATENCY: latency,
                _DEPENDENCY: 0 if dram else waited,
                _UNIT_BUSY: unit_busy,
                _BUFFER_FULL: max(0, allocated - max(ready, started)),
                _SRAM_BANK: max(0, start - max(allocated, started)),
                _SRAM_BANDWIDTH: activity.sram_stall_cycles,
            }
            delay = activity.done_delay_cycles
            done_at[index] = end + delay
            timings[index] = OpTiming(
                queued,
                ready,
                start,
                end,
                end + delay,
                stalls,
                activity,
                cause,
                latency_from,
                allocated,
                busy_from,
                busy_until,
            )
            if delay:
                # a callback, not a process: a process per op costs several events
                env.timeout(delay).callbacks.append(partial(on_usable, index))
            else:
                make_usable(index)

    queues: dict[Unit, list[Op]] = {}
    for op in ops:
        queues.setdefault(op.unit, []).append(op)
    for unit in Unit:  # processes started in Unit order, as the trace's ties expect
        if unit in queues:
            env.process(run_unit(queues[unit]))
    env.run()
    missing = [index for index, timing in enumerate(timings) if timing is None]
    if missing:
        raise SimulationError(
            f"schedule did not finish: {len(missing)} ops never ran (first: op {missing[0]}, "
            f"{ops[missing[0]].kind.value} of layer {schedule.layers[ops[missing[0]].layer].name})"
        )
    final = [timing for timing in timings if timing is not None]
    return Trace(tuple(final), max((t.done for t in final), default=0))
