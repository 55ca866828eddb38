"""Measuring bytes and bandwidth from a trace (definitions: :mod:`fdsim.bandwidth`).

Every op's activity says which bytes it moves in which memory and direction (a *selection*);
the trace says when the op was busy. A selection's rate is piecewise constant and rises only
where one of its ops starts, so its peak is its rate at one of those starts. A unit runs one
op at a time, so at any instant each unit contributes the rate of at most one op: the one it
is busy with, found for every op's start and every unit by one binary search per unit
(``_covering``, numpy over all ops). Ops of one layer and activity that last equally long (a
*class*: a tiled layer repeats its tile) run at equal rates, so starts that see the same
class on every unit see the same rates in every selection: each such *state* is evaluated
once. Float sums of its few correctly rounded terms (no running sum) rank the states of a
scope × selection; the ones within rounding of the largest are summed again in rationals,
and the largest of those is the exact peak. Cost: linear in the ops plus the distinct states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import product
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from fdsim.bandwidth import ALL, STEP, BandwidthRow
from fdsim.counts import CountKind, Direction
from fdsim.schedule.ops import UNIT_OF_KIND, Schedule, Unit
from fdsim.sim.engine import Trace
from fdsim.sim.units import Activity
from fdsim.vocabulary import Buffer, Tensor

Ints = npt.NDArray[np.int64]

Selection = tuple[CountKind, str, str]  # (level, memory or ALL, direction or ALL)

_MEMORIES: dict[CountKind, tuple[str, ...]] = {
    CountKind.DRAM: tuple(tensor.value for tensor in Tensor),
    CountKind.SRAM: tuple(buffer.value for buffer in Buffer),
}
_DIRECTIONS = tuple(direction.value for direction in Direction)

SELECTIONS: tuple[Selection, ...] = tuple(
    (level, memory, direction)
    for level in (CountKind.DRAM, CountKind.SRAM)
    for memory in (*_MEMORIES[level], ALL)
    for direction in (*_DIRECTIONS, ALL)
)
"""Every selection of traffic, in the order of the table's rows within a scope."""

_CODE = {selection: code for code, selection in enumerate(SELECTIONS)}
_KIND_LANE = {kind: list(Unit).index(unit) for kind, unit in UNIT_OF_KIND.items()}
_ACTIVITY, _START, _END, _DONE = (attrgetter(name) for name in ("activity", "start", "end", "done"))
_KIND, _LAYER = attrgetter("kind"), attrgetter("layer")

# float sums of at most len(Unit) correctly rounded rates are within a few ulps of exact;
# every candidate this close to the largest is checked exactly
_TOLERANCE = 1e-12


def measure(schedule: Schedule, trace: Trace) -> list[BandwidthRow]:
    """The rows of ``bandwidth.csv``: per layer × phase with traffic, in ``schedule.layers``
    order, then the step; within a scope by :data:`SELECTIONS`, rows with bytes only."""
    timings, program = trace.timings, schedule.ops
    n = len(timings)

    def column(values: Iterable[int]) -> Ints:
        return np.fromiter(values, np.int64, n)

    # ops of one tile share one Activity object (units.execute_all): one row per distinct one
    identities = column(map(id, map(_ACTIVITY, timings)))
    _, example, activity = np.unique(identities, return_index=True, return_inverse=True)
    ops = Ops(
        lane=column(map(_KIND_LANE.__getitem__, map(_KIND, program))),
        layer=column(map(_LAYER, program)),
        start=column(map(_START, timings)),
        end=column(map(_END, timings)),
        activity=activity,
    )
    moved = selection_bytes([timings[index].activity for index in example.tolist()])
    # a layer's span as layers.csv's: first start to last result usable
    first = np.full(len(schedule.layers), np.iinfo(np.int64).max)
    last = np.zeros(len(schedule.layers), np.int64)
    np.minimum.at(first, ops.layer, ops.start)
    np.maximum.at(last, ops.layer, column(map(_DONE, timings)))
    rows: list[BandwidthRow] = []
    for (layer, code), (total, peak) in sorted(peaks(ops, moved, len(schedule.layers)).items()):
        level, memory, direction = SELECTIONS[code]
        if layer < 0:
            where, phase, span = STEP, STEP, trace.total_cycles
        else:
            plan = schedule.layers[layer]
            where, phase, span = plan.name, plan.phase.value, int(last[layer] - first[layer])
        rows.append(BandwidthRow(where, phase, level, memory, direction, total, span, peak))
    # the step after the layers
    return sorted(rows, key=lambda row: row.layer == STEP)


def selection_bytes(activities: list[Activity]) -> Ints:
    """Bytes each activity moves in each selection: activity × :data:`SELECTIONS`."""
    moved = np.zeros((len(activities), len(SELECTIONS)), np.int64)
    for index, activity in enumerate(activities):
        for level, counter in (
            (CountKind.SRAM, activity.sram_bytes),
            (CountKind.DRAM, activity.dram_bytes),
        ):
            for (memory, direction), nbytes in counter.items():
                for selection in product((memory.value, ALL), (direction.value, ALL)):
                    moved[index, _CODE[(level, *selection)]] += nbytes
    return moved


@dataclass(frozen=True)
class Ops:
    """Per op, in program order: its unit's lane (a small integer), its layer × phase (an
    index of ``schedule.layers``), its busy interval [``start``, ``end``) and its activity
    (a row of :func:`selection_bytes`)."""

    lane: Ints
    layer: Ints
    start: Ints
    end: Ints
    activity: Ints


def peaks(ops: Ops, moved: Ints, layers: int) -> dict[tuple[int, int], tuple[int, Fraction]]:
    """Per (layer, selection code) with bytes, and per (-1, code) for the step: the exact
    bytes and the exact peak rate in bytes per cycle (module docstring). ``moved``: bytes per
    activity × selection. The ops of one lane must not overlap in time (a unit runs one op
    at a time), and an op that moves bytes must last a cycle at least; ``ValueError`` if not."""
    duration = ops.end - ops.start
    carries = np.asarray(moved.any(axis=1))
    if (duration[carries[ops.activity]] <= 0).any():
        raise ValueError("an op that moves bytes lasts no cycle")
    activities = len(moved)
    per_layer = np.bincount(ops.layer * activities + ops.activity, minlength=layers * activities)
    totals = per_layer.reshape(layers, activities) @ moved
    if not len(duration):
        return {}
    # a class: ops of one layer and activity lasting as long, hence at the same rates
    _, durations = np.unique(duration, return_inverse=True)
    key = (ops.layer * activities + ops.activity) * (int(durations.max()) + 1) + durations
    _, first, class_of = np.unique(key, return_index=True, return_inverse=True)
    classes = _Classes(ops.layer[first], ops.activity[first], duration[first], moved)
    lanes, own_lane = np.unique(ops.lane, return_inverse=True)
    covering = _covering(ops, lanes, class_of)
    # ops starting while the same classes run (and of the same lane) see the same rates
    state = own_lane
    for column in range(len(lanes)):
        state = _combined(state, covering[:, column] + 1, classes.count + 1)
    _, representative = np.unique(state, return_index=True)
    running = covering[representative]
    own = class_of[representative]
    found: dict[tuple[int, int], tuple[int, Fraction]] = {}
    for scoped in (True, False):
        candidate, code = np.nonzero(moved[classes.activity[own]] > 0)
        scope = classes.layer[own[candidate]] if scoped else np.full(len(candidate), -1)
        active = running[candidate] >= 0
        if scoped:
            active &= classes.layer[running[candidate]] == scope[:, None]
        rate = np.where(active, classes.rate[running[candidate], code[:, None]], 0.0).sum(axis=1)
        group = (scope + 1) * len(SELECTIONS) + code
        best = np.full((layers + 1) * len(SELECTIONS), -1.0)
        np.maximum.at(best, group, rate)
        near = np.flatnonzero(rate >= best[group] * (1 - _TOLERANCE))
        exact: dict[int, Fraction] = {}
        seen: set[tuple[int, ...]] = set()
        for index in near.tolist():
            which = (int(group[index]), *running[candidate[index]][active[index]].tolist())
            if which in seen:
                continue
            seen.add(which)
            value = sum((classes.exact(k, int(code[index])) for k in which[1:]), Fraction(0))
            exact[which[0]] = max(exact.get(which[0], value), value)
        for group_key, value in exact.items():
            layer, selection = divmod(group_key, len(SELECTIONS))
            nbytes = totals[layer - 1, selection] if scoped else totals[:, selection].sum()
            found[(layer - 1, selection)] = (int(nbytes), value)
    return found


@dataclass(frozen=True)
class _Classes:
    """Ops of one layer and activity lasting ``duration`` cycles: their rates per selection."""

    layer: Ints
    activity: Ints
    duration: Ints
    moved: Ints

    @property
    def count(self) -> int:
        return len(self.layer)

    @cached_property
    def rate(self) -> npt.NDArray[np.float64]:
        """Bytes per cycle, class × selection (the float nearest each exact rate)."""
        cycles = np.maximum(self.duration, 1)[:, None]
        return np.asarray(self.moved[self.activity] / cycles, np.float64)

    def exact(self, index: int, code: int) -> Fraction:
        nbytes = int(self.moved[self.activity[index], code])
        return Fraction(nbytes, int(self.duration[index])) if nbytes else Fraction(0)


def _covering(ops: Ops, lanes: Ints, class_of: Ints) -> Ints:
    """Op × lane: the class of the lane's op busy at the op's start (its own, in its own
    lane), or -1 when the lane is idle then."""
    covering = np.full((len(ops.start), len(lanes)), -1, np.int64)
    for column, lane in enumerate(lanes.tolist()):
        mine = np.flatnonzero(ops.lane == lane)
        starts, ends = ops.start[mine], ops.end[mine]
        if (ends[:-1] > starts[1:]).any() or (ends < starts).any():
            raise ValueError(f"the ops of lane {lane} overlap in time")
        position = np.searchsorted(starts, ops.start, side="right") - 1
        found = mine[np.maximum(position, 0)]
        busy = (position >= 0) & (ops.end[found] > ops.start)
        covering[:, column] = np.where(busy, class_of[found], -1)
        covering[mine, column] = class_of[mine]
    return covering


def _combined(left: Ints, right: Ints, radix: int) -> Ints:
    """Ids equal exactly where both ``left`` and ``right`` (below ``radix``) are equal."""
    if (int(left.max(initial=0)) + 1) * radix >= 2**62:
        left = np.unique(left, return_inverse=True)[1]
    return left * radix + right
