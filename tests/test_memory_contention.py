"""SRAM bank ports shared between units and the DRAM channel's bursts and queue
(``sim/engine.py``, ``sim/units.py``): hand-built schedules and the golden case, every cycle
computed by hand."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from fdsim.api import run
from fdsim.counts import StallCause
from fdsim.operators.relu import Relu
from fdsim.operators.spectral_crop import Crop
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import Buffer, LayerPlan, OpKind, Phase, Schedule, Tensor
from fdsim.schedule.program import ProgramBuilder, Traffic
from fdsim.sim.analytic import estimate
from fdsim.sim.engine import simulate
from fdsim.sim.units import bank_ports_needed
from fdsim.spec.hardware import BufferSpec, HardwareSpec
from fdsim.spec.load import load_hardware, load_workload

ACT = Buffer.ACTIVATIONS
# 256 elements of 2 bytes in and out: 1024 bytes in 64 cycles at 4 elements per cycle
STREAM = Traffic(ACT, ACT, (256, 256), (2, 2))


@pytest.fixture
def golden(golden_files: tuple[Path, Path]) -> HardwareSpec:
    return load_hardware(golden_files[0]).spec


def _with_activations(hardware: HardwareSpec, **fields: int) -> HardwareSpec:
    """The golden hardware (one bank of 4096 B/cycle per buffer) with its activations buffer's
    ``fields`` changed."""
    buffers = hardware.buffers
    changed = buffers.activations.model_copy(update=fields)
    return hardware.model_copy(
        update={"buffers": buffers.model_copy(update={"activations": changed})}
    )


def _two_streams() -> Schedule:
    """A load, then a ReLU (activation unit) and a crop (crop unit) of the loaded tile, which
    do not depend on each other: both stream the activations buffer at once if its bank ports
    let them."""
    program = ProgramBuilder(ACT)
    tile = program.load(0, 512, Tensor.ACTIVATIONS, ACT, True)
    program.stream(0, OpKind.ACTIVATE, (tile,), STREAM, spectral=False, operator=Relu())
    program.stream(0, OpKind.CROP, (tile,), STREAM, spectral=True, operator=Crop(8, 4))
    program.flush()
    plan = LayerPlan("both", "activation", Phase.FORWARD, "spatial", (1, 16), (1, 16), "-")
    return Schedule(None, (plan,), tuple(program.ops))  # type: ignore[arg-type]


def _stream_spans(hardware: HardwareSpec) -> list[tuple[int, int, int]]:
    trace = simulate(_two_streams(), hardware)
    assert estimate(_two_streams(), hardware).timings == trace.timings  # no space waits
    return [(t.start, t.end, t.stalls[StallCause.SRAM_BANK]) for t in trace.timings[1:]]


def test_bank_ports_an_op_holds_keep_pace_with_its_compute() -> None:
    spec = BufferSpec(size_bytes=4096, banks=8, bytes_per_cycle=256, word_bytes=32)
    # 32 bytes per cycle per bank: 1024 bytes in 64 cycles need 16 B/cycle -> one bank
    assert bank_ports_needed(1024, 64, spec) == 1
    assert bank_ports_needed(1024 * 3, 64, spec) == 2  # 48 B/cycle
    assert bank_ports_needed(10**6, 64, spec) == 8  # more than all: all of them
    assert bank_ports_needed(1, 0, spec) == 8  # no compute to keep pace with


def test_one_single_ported_bank_serialises_the_units(golden: HardwareSpec) -> None:
    """One bank of one port: the crop gets it when the ReLU ends. The load's 512 bytes take
    128 cycles; each stream 256 / 4 = 64 cycles."""
    assert _stream_spans(golden) == [(128, 192, 0), (192, 256, 64)]


@pytest.mark.parametrize("banks", [{"ports": 2}, {"banks": 4, "bytes_per_cycle": 16384}])
def test_a_second_port_or_more_banks_let_the_units_share_the_buffer(
    golden: HardwareSpec, banks: dict[str, int]
) -> None:
    """Two ports on the bank, or four banks of 4096 B/cycle each (one bank keeps pace with a
    stream's 16 B/cycle): both streams run at once."""
    assert _stream_spans(_with_activations(golden, **banks)) == [(128, 192, 0), (128, 192, 0)]


def test_a_chain_of_ops_never_waits_for_bank_ports(golden_files: tuple[Path, Path]) -> None:
    """The golden forward runs one op at a time: bank ports are free whenever one starts."""
    hardware = load_hardware(golden_files[0]).spec
    workload = load_workload(golden_files[1]).spec
    trace = simulate(compile_schedule(workload, hardware, {Phase.FORWARD}), hardware)
    assert all(t.start == t.allocated for t in trace.timings)


def _golden_forward(hardware: HardwareSpec, workload: Path) -> list[tuple[str, int, int]]:
    schedule = compile_schedule(load_workload(workload).spec, hardware, {Phase.FORWARD})
    trace = simulate(schedule, hardware)
    assert estimate(schedule, hardware).timings == trace.timings
    return [
        (op.kind.value, t.start, t.end) for op, t in zip(schedule.ops, trace.timings, strict=True)
    ]


def _dram(hardware: HardwareSpec, **fields: float) -> HardwareSpec:
    return hardware.model_copy(update={"dram": hardware.dram.model_copy(update=fields)})


def test_transfers_move_whole_bursts(golden_files: tuple[Path, Path]) -> None:
    """The golden forward (tests/test_golden.py) with 64-byte bursts at 4 bytes per cycle:
    every transfer takes 16 cycles per started burst. 160 B -> 3 bursts (48 cycles, was 40),
    516 B -> 9 (144, was 129), 4 and 2 B -> 1 (16, was 1); 128, 320 and 256 B are whole."""
    hardware = _dram(load_hardware(golden_files[0]).spec, burst_bytes=64)
    spans = _golden_forward(hardware, golden_files[1])
    assert spans == [
        ("load", 0, 32),
        ("fft", 32, 164),
        ("store", 164, 212),
        ("load", 212, 292),
        ("load", 292, 340),
        ("cmac", 340, 360),
        ("store", 360, 440),
        ("load", 440, 520),
        ("ifft", 520, 724),
        ("store", 724, 788),
        ("load", 788, 932),
        ("load", 932, 996),
        ("gemm", 996, 1028),
        ("store", 1028, 1044),
        ("load", 1044, 1060),
        ("loss", 1060, 1061),
        ("store", 1061, 1077),
    ]


def test_a_one_deep_dram_queue_waits_out_each_transfers_latency(
    golden_files: tuple[Path, Path],
) -> None:
    """100 cycles of DRAM latency and one transfer in flight at a time: a transfer starts only
    once the one before it is usable. conv1: the input load 0-32 is usable at 132, when the
    FFT starts (132-264); its store 264-304 is done at 404, so the weights load waits until
    then (404-484, usable at 584) and the spectra load until 584 (584-624, usable at 724), when
    the CMAC starts. The waits are DRAM latency."""
    hardware = _dram(load_hardware(golden_files[0]).spec, latency_ns=100, queue_depth=1)
    spans = _golden_forward(hardware, golden_files[1])
    assert spans[:6] == [
        ("load", 0, 32),
        ("fft", 132, 264),
        ("store", 264, 304),
        ("load", 404, 484),
        ("load", 584, 624),
        ("cmac", 724, 744),
    ]
    transfers = [(start, end) for kind, start, end in spans if kind in ("load", "store")]
    assert all(b[0] >= a[1] + 100 for a, b in pairwise(transfers))
    layers = run(*golden_files, {Phase.FORWARD}).layers  # the default queue: no such waits
    dma = layers[layers["unit"] == "dma"]
    assert dma["unit_stall_dram_latency_cycles"].sum() == 0


def test_queue_waits_are_dram_latency(golden_files: tuple[Path, Path]) -> None:
    hardware = _dram(load_hardware(golden_files[0]).spec, latency_ns=100, queue_depth=1)
    schedule = compile_schedule(load_workload(golden_files[1]).spec, hardware, {Phase.FORWARD})
    trace = simulate(schedule, hardware)
    weights = trace.timings[3]  # the weights load: queued at 304 (the store's end), ran at 404
    assert (weights.queued, weights.start) == (304, 404)
    assert weights.stalls[StallCause.DRAM_LATENCY] == 100
    assert sum(weights.stalls.values()) == 100
