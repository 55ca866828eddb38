"""Bytes and bandwidth per layer × phase × memory × direction (``bandwidth.csv``).

The bytes are the counts' (per layer and in total, on LeNet-5, the digits CNN and LeNet-5 on
the systolic baseline); the peak is checked by hand on three ops, against a brute-force
sweep in rationals on random intervals (Hypothesis) and on whole runs, and never below the
average nor (DRAM) above the channel.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import cases

from fdsim.api import compile_specs, simulate
from fdsim.bandwidth import ALL, STEP, BandwidthRow
from fdsim.counts import CountKind
from fdsim.modes import in_mode
from fdsim.results import RunResult
from fdsim.schedule.compile import compile_schedule
from fdsim.sim.bandwidth import SELECTIONS, Ops, measure, peaks, selection_bytes
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate as simulate_schedule
from fdsim.sim.units import Activity
from fdsim.spec.load import load_hardware, load_workload
from fdsim.vocabulary import Buffer, Direction, Domain, Tensor

ACCELERATOR = Path("hwconfigs/fdtrain_28nm.yaml")
BASELINE = Path("hwconfigs/spatial_systolic_32x32.yaml")
CASES = {
    "lenet5": (ACCELERATOR, "lenet5", None),
    "digits_cnn": (ACCELERATOR, "digits_cnn", None),
    "lenet5_systolic": (BASELINE, "lenet5", Domain.SPATIAL),
}


def _case(name: str):  # type: ignore[no-untyped-def]
    hardware_path, workload, domain = CASES[name]
    hardware = load_hardware(hardware_path).spec
    spec = load_workload(Path(f"workloads/{workload}.yaml")).spec
    if domain is not None:
        spec = in_mode(spec, domain, "max")
    return hardware, spec


@pytest.fixture(scope="module", params=sorted(CASES))
def result(request: pytest.FixtureRequest) -> RunResult:
    hardware, spec = _case(request.param)
    return simulate(hardware, spec)


def _code(level: CountKind, memory: str, direction: str) -> int:
    return SELECTIONS.index((level, memory, direction))


def test_three_ops_by_hand() -> None:
    """Layer 0: a load of 100 bytes over [0, 12) (25/3 bytes per cycle into the activations
    buffer, out of DRAM) while a CMAC op reads 10 bytes of it over [5, 8) (10/3); layer 1: a
    load of 30 bytes over [12, 15) (10 per cycle). The activations buffer peaks at 25/3 +
    10/3 = 35/3 in layer 0 and in the step, its writes at 25/3 in layer 0 and 10 in the
    step; DRAM at 25/3, 10 and 10."""
    load_a, load_c = (
        Activity(
            cycles,
            0,
            Counter(),
            Counter({(Buffer.ACTIVATIONS, Direction.WRITE): nbytes}),
            Counter({(Tensor.ACTIVATIONS, Direction.READ): nbytes}),
        )
        for cycles, nbytes in ((12, 100), (3, 30))
    )
    read_b = Activity(
        3, 0, Counter(), Counter({(Buffer.ACTIVATIONS, Direction.READ): 10}), Counter()
    )
    moved = selection_bytes([load_a, read_b, load_c])
    ops = Ops(
        lane=np.array([0, 2, 0]),
        layer=np.array([0, 0, 1]),
        start=np.array([0, 5, 12]),
        end=np.array([12, 8, 15]),
        activity=np.array([0, 1, 2]),
    )
    found = peaks(ops, moved, layers=2)
    sram, dram = CountKind.SRAM, CountKind.DRAM
    expected = {
        (0, (sram, "activations", ALL)): (110, Fraction(35, 3)),
        (0, (sram, "activations", "write")): (100, Fraction(25, 3)),
        (0, (sram, "activations", "read")): (10, Fraction(10, 3)),
        (0, (dram, "activations", "read")): (100, Fraction(25, 3)),
        (1, (sram, "activations", "write")): (30, Fraction(10)),
        (1, (sram, ALL, ALL)): (30, Fraction(10)),
        (-1, (sram, "activations", ALL)): (140, Fraction(35, 3)),
        (-1, (sram, "activations", "write")): (130, Fraction(10)),
        (-1, (sram, ALL, "read")): (10, Fraction(10, 3)),
        (-1, (dram, ALL, ALL)): (130, Fraction(10)),
    }
    for (layer, selection), value in expected.items():
        assert found[(layer, _code(*selection))] == value, (layer, selection)
    # only selections bytes move in: layer 0 and the step 3 + 3 SRAM and 2 + 2 DRAM (the
    # activations and all memories: read or write, and all directions), layer 1 2 + 2 + 2 + 2
    assert len(found) == 10 + 8 + 10


def _brute_force(intervals: list[tuple[int, int, int]]) -> Fraction:
    """The largest sum of rates at any instant, by checking every start in rationals."""
    return max(
        sum(
            (Fraction(b, e - s) for s, e, b in intervals if s <= at < e),
            Fraction(0),
        )
        for at, _, _ in intervals
    )


@st.composite
def lanes(draw: st.DrawFn) -> list[tuple[int, int, int, int]]:
    """(lane, start, end, bytes) of up to 4 lanes of sequential ops, each lasting ≥ 1 cycle."""
    ops = []
    for lane in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(1, 6))):
            at += draw(st.integers(0, 4))
            cycles = draw(st.integers(1, 7))
            ops.append((lane, at, at + cycles, draw(st.integers(1, 50))))
            at += cycles
    return ops


@settings(max_examples=200, deadline=None)
@given(lanes())
def test_the_peak_is_the_brute_force_sweep(ops: list[tuple[int, int, int, int]]) -> None:
    activities = [
        Activity(e - s, 0, Counter(), Counter({(Buffer.WEIGHTS, Direction.READ): b}), Counter())
        for _, s, e, b in ops
    ]
    found = peaks(
        Ops(
            lane=np.array([op[0] for op in ops]),
            layer=np.zeros(len(ops), np.int64),
            start=np.array([op[1] for op in ops]),
            end=np.array([op[2] for op in ops]),
            activity=np.arange(len(ops)),
        ),
        selection_bytes(activities),
        layers=1,
    )
    nbytes = sum(op[3] for op in ops)
    peak = _brute_force([op[1:] for op in ops])
    for layer in (0, -1):
        for direction in ("read", ALL):
            for memory in ("weights", ALL):
                key = (layer, _code(CountKind.SRAM, memory, direction))
                assert found[key] == (nbytes, peak)


def test_overlapping_ops_of_one_lane_are_refused() -> None:
    activity = Activity(2, 0, Counter(), Counter({(Buffer.WEIGHTS, Direction.READ): 4}), Counter())
    ops = Ops(
        lane=np.array([0, 0]),
        layer=np.array([0, 0]),
        start=np.array([0, 1]),
        end=np.array([2, 3]),
        activity=np.array([0, 0]),
    )
    with pytest.raises(ValueError, match="the ops of lane 0 overlap in time"):
        peaks(ops, selection_bytes([activity]), layers=1)


def _specific(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["memory"] != ALL) & (frame["direction"] != ALL)]


def test_bytes_per_level_sum_to_the_counts(result: RunResult) -> None:
    """Per layer × phase the specific rows are traffic.csv's rows; the ``all`` rows and the
    step's rows are their sums; the step's total per level is counts.csv's and layers.csv's."""
    frame, traffic = result.bandwidth, result.traffic
    layers = frame[frame["layer"] != STEP]
    keys = ["layer", "phase", "level", "memory", "direction"]
    mine = _specific(layers)[[*keys, "bytes"]].sort_values(keys).reset_index(drop=True)
    theirs = traffic[traffic["bytes"] > 0].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs[[*keys, "bytes"]], check_dtype=False)
    for scope in (layers, frame[frame["layer"] == STEP]):
        grouped = scope.groupby(["layer", "phase", "level"])
        for _, rows in grouped:
            specific = _specific(rows)
            total = int(specific["bytes"].sum())
            assert (
                int(rows[(rows["memory"] == ALL) & (rows["direction"] == ALL)]["bytes"].iloc[0])
                == total
            )
            for direction in ("read", "write"):
                part = rows[(rows["memory"] == ALL) & (rows["direction"] == direction)]
                assert int(part["bytes"].sum()) == int(
                    specific[specific["direction"] == direction]["bytes"].sum()
                )
            for memory, of_memory in specific.groupby("memory"):
                row = rows[(rows["memory"] == memory) & (rows["direction"] == ALL)]
                assert int(row["bytes"].iloc[0]) == int(of_memory["bytes"].sum())
    step = frame[frame["layer"] == STEP].set_index(["level", "memory", "direction"])["bytes"]
    counts = result.counts
    for level in ("sram", "dram"):
        for direction in ("read", "write"):
            counted = counts[(counts["kind"] == level) & (counts["action"] == direction)]
            assert step[(level, ALL, direction)] == counted["count"].sum()
            assert (
                step[(level, ALL, direction)] == result.layers[f"{level}_{direction}_bytes"].sum()
            )
    # the step's row of a selection sums its layers' rows
    summed = layers.groupby(["level", "memory", "direction"])["bytes"].sum()
    pd.testing.assert_series_equal(
        summed.sort_index(), step.sort_index(), check_names=False, check_dtype=False
    )


def test_averages_and_peaks(result: RunResult) -> None:
    frame = result.bandwidth
    hardware = result.hardware
    assert (frame["average_bytes_per_cycle"] <= frame["peak_bytes_per_cycle"]).all()
    assert (frame["average_bytes_per_cycle"] == frame["bytes"] / frame["span_cycles"]).all()
    layer_cycles = result.layers.drop_duplicates(["layer", "phase"]).set_index(["layer", "phase"])
    layers = frame[frame["layer"] != STEP]
    spans = layer_cycles.loc[list(zip(layers["layer"], layers["phase"], strict=True))]
    assert list(layers["span_cycles"]) == list(spans["layer_cycles"])
    assert (frame[frame["layer"] == STEP]["span_cycles"] == result.summary.total_cycles).all()
    # a transfer of b bytes lasts at least b·clock/bandwidth cycles: never above the channel
    dram = frame[frame["level"] == "dram"]
    channel = hardware.dram.bandwidth_bytes_per_s / hardware.clock_hz
    assert (dram["peak_bytes_per_cycle"] <= channel * (1 + 1e-12)).all()
    scale = hardware.clock_hz / 1e9
    assert np.allclose(frame["peak_gb_per_s"], frame["peak_bytes_per_cycle"] * scale, rtol=1e-15)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_peaks_of_a_run_are_the_brute_force_sweep(case: str) -> None:
    """Every row of a step against a direct sweep over its ops in rationals."""
    hardware, spec = _case(case)
    schedule = compile_specs(hardware, spec)
    trace = simulate_schedule(schedule, hardware)
    rows = measure(schedule, trace)
    moved = selection_bytes([timing.activity for timing in trace.timings])
    for row in rows:
        code = SELECTIONS.index((row.level, row.memory, row.direction))
        intervals = [
            (timing.start, timing.end, int(moved[index, code]))
            for index, (op, timing) in enumerate(zip(schedule.ops, trace.timings, strict=True))
            if moved[index, code]
            and (row.layer == STEP or schedule.layers[op.layer].name == row.layer)
            and (row.phase == STEP or schedule.layers[op.layer].phase.value == row.phase)
        ]
        assert row.bytes == sum(b for _, _, b in intervals)
        assert row.peak_bytes_per_cycle == _brute_force(intervals), row


def test_the_summary_names_each_memory(result: RunResult) -> None:
    memories = result.summary.bandwidth
    assert memories[0].level == "dram" and memories[0].memory == ALL
    assert memories[-1].level == "sram" and memories[-1].memory == ALL
    frame = result.bandwidth
    for memory in memories:
        row = frame[
            (frame["layer"] == STEP)
            & (frame["level"] == memory.level)
            & (frame["memory"] == memory.memory)
            & (frame["direction"] == ALL)
        ].iloc[0]
        assert memory.peak_gb_per_s == row["peak_gb_per_s"]
        assert memory.average_gb_per_s == row["average_gb_per_s"]
        layers = frame[
            (frame["layer"] != STEP)
            & (frame["level"] == memory.level)
            & (frame["memory"] == memory.memory)
            & (frame["direction"] == ALL)
        ]
        busiest = layers.loc[layers["average_bytes_per_cycle"].idxmax()]
        assert (memory.busiest_layer, memory.busiest_phase) == (busiest["layer"], busiest["phase"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_bytes_per_level_sum_to_the_counts_on_any_step(case) -> None:  # type: ignore[no-untyped-def]
    """On random networks and hardware: every layer's bytes per memory and direction are the
    counters' (summed over units), the step's their sum; no peak below its average, no DRAM
    peak above the channel."""
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    trace = simulate_schedule(schedule, hardware)
    counted: Counter[tuple[str, str, CountKind, str, str]] = Counter()
    for plan, layer in zip(schedule.layers, count(schedule, trace), strict=True):
        for units in layer.units.values():
            for level, moved in (
                (CountKind.SRAM, units.sram_bytes),
                (CountKind.DRAM, units.dram_bytes),
            ):
                for (memory, direction), nbytes in moved.items():
                    for scope in ((plan.name, plan.phase.value), (STEP, STEP)):
                        for selection in (
                            (memory.value, direction.value),
                            (memory.value, ALL),
                            (ALL, direction.value),
                            (ALL, ALL),
                        ):
                            counted[(*scope, level, *selection)] += nbytes
    rows = measure(schedule, trace)
    assert {
        (row.layer, row.phase, row.level, row.memory, row.direction): row.bytes for row in rows
    } == {key: n for key, n in counted.items() if n}
    channel = Fraction(hardware.dram.bandwidth_bytes_per_s) / Fraction(hardware.clock_hz)
    for row in rows:
        assert row.average_bytes_per_cycle <= row.peak_bytes_per_cycle
        assert row.level is CountKind.SRAM or row.peak_bytes_per_cycle <= channel


def test_a_row_is_exact() -> None:
    row = BandwidthRow("c1", "fwd", CountKind.DRAM, ALL, ALL, 10, 3, Fraction(7, 2))
    assert row.average_bytes_per_cycle == Fraction(10, 3)
