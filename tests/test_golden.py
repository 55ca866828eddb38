"""A tiny case computed by hand (see conftest.GOLDEN_*): every cycle and count checked exactly.

The forward alone (inference, ``phases={fwd}``) and as the first phase of a training step
must give the same timeline: the backward only starts after the forward's loss.

Timeline (DRAM moves 4 bytes/cycle; an 8×8 real map is 64 × 2 bytes, its half-spectrum
8 × 5 bins × 4 bytes). The FFT engine's pipeline latency at P = 8 (fixedpoint/fft_timing.py,
no fft.arithmetic: radix-2 stages of blocks 8, 4 and 2, the 8- and 4-point stages multiply,
multiplier_pipeline_cycles 0): delay lines 8/2 + 4/2 + 2/2 = 7, two multiplying stages
2 × (0 + 6 registers) = 12, the 2-point stage 3 registers, reorder buffer 8: 30 clocks, paid
once by the row pass and once by the column pass of every transform op (+60).
- conv1, input FFT step: load 128 B (32 cycles) 0–32; FFT (8+1) transforms × 8 samples = 72
  cycles + 60 = 132, 32–164; store 160 B (40) 164–204.
- conv1, CMAC step: weights 2 × 40 bins × 4 B = 320 B (80) 204–284; input spectra 160 B (40)
  284–324; CMAC: 2 lanes over the 2 output channels, 2 over bins, 40/2 = 20 passes × 1 input
  channel = 20 cycles 324–344; store 2 × 40 × 4 B (80) 344–424.
- fc1, iFFT step: load 2 spectra 320 B (80) 424–504; iFFT 2 × 72 + 60 = 204 cycles 504–708;
  store 2 × 128 B (64) 708–772.
- fc1, GEMM: weights and biases 2 × (128 + 1) × 2 B = 516 B (129) 772–901; input 256 B (64)
  901–965; 128 inputs at 4 real MACs per lane-cycle = 32 cycles 965–997 (each bias is added in
  the accumulator's first cycle); store 4 B (1) 997–998.
- loss: load 4 B (1) 998–999; 2 logits at 4 per cycle (1) 999–1000; store 2 B (1) 1000–1001.
"""

from __future__ import annotations

from pathlib import Path

from fdsim.api import run
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import Phase
from fdsim.sim.engine import simulate
from fdsim.spec.load import load_hardware, load_workload


def _by_unit(layers, layer: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    rows = layers[layers["layer"] == layer]
    return {row["unit"]: row for row in rows.to_dict("records")}


FORWARD_SPANS = [
    ("load", 0, 32),
    ("fft", 32, 164),
    ("store", 164, 204),
    ("load", 204, 284),
    ("load", 284, 324),
    ("cmac", 324, 344),
    ("store", 344, 424),
    ("load", 424, 504),
    ("ifft", 504, 708),
    ("store", 708, 772),
    ("load", 772, 901),
    ("load", 901, 965),
    ("gemm", 965, 997),
    ("store", 997, 998),
    ("load", 998, 999),
    ("loss", 999, 1000),
    ("store", 1000, 1001),
]


def _spans(hardware: Path, workload: Path, phases: set[Phase]) -> tuple[list[tuple], int]:
    hw, wl = load_hardware(hardware).spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw, phases)
    trace = simulate(schedule, hw)
    spans = [
        (op.kind.value, t.start, t.end) for op, t in zip(schedule.ops, trace.timings, strict=True)
    ]
    return spans, trace.total_cycles


def test_golden_timeline(golden_files: tuple[Path, Path]) -> None:
    spans, total = _spans(*golden_files, {Phase.FORWARD})
    assert spans == FORWARD_SPANS
    assert total == 1001
    step, _total = _spans(*golden_files, set(Phase))
    assert step[: len(FORWARD_SPANS)] == FORWARD_SPANS


def test_golden_counts(golden_files: tuple[Path, Path]) -> None:
    result = run(*golden_files, {Phase.FORWARD})
    layers = result.layers
    conv, fc, loss = (_by_unit(layers, name) for name in ("conv1", "fc1", "loss"))
    # FFT: 9 transforms; only the 8- and 4-point stages multiply, 4 butterflies each: 9 × 8 =
    # 72 complex multiplies × 4 real (four_mult); adds: 72 × 2 (complex multiply) + 9 × 3
    # stages × 4 butterflies × 4 real adds (a complex add and subtract) = 432, + 2·8·5 = 80
    # (real split): 144 + 432 + 80 = 656.
    assert (conv["fft"]["mults"], conv["fft"]["adds"]) == (288, 656)
    assert (conv["cmac"]["mults"], conv["cmac"]["adds"]) == (320, 320)  # 80 complex MACs
    assert (fc["fft"]["mults"], fc["fft"]["adds"]) == (576, 1312)  # two inverse transforms
    # 128 × 2 real MACs (1 multiply + 1 add each) and the 2 bias adds
    assert (fc["cmac"]["mults"], fc["cmac"]["adds"]) == (256, 256 + 2)
    assert (loss["activation"]["mults"], loss["activation"]["adds"]) == (2, 4)
    assert conv["dma"]["dram_read_bytes"] == 128 + 320 + 160
    assert conv["dma"]["dram_write_bytes"] == 160 + 320
    assert fc["dma"]["dram_read_bytes"] == 320 + 516 + 256
    assert fc["dma"]["dram_write_bytes"] == 256 + 4
    assert (conv["fft"]["layer_cycles"], fc["fft"]["layer_cycles"]) == (424, 998 - 424)
    assert conv["cmac"]["busy_cycles"] == 20
    # waited from the layer's start for data, all of it the transfers (the golden DRAM has no
    # latency)
    assert conv["cmac"]["unit_stall_dram_bandwidth_cycles"] == 324
    assert conv["cmac"]["unit_stall_dram_latency_cycles"] == 0
    assert result.summary["total_cycles"] == 1001
    assert result.summary["dram_read_bytes"] == 128 + 320 + 160 + 320 + 516 + 256 + 4


def test_energy_is_linear_in_counts(golden_files: tuple[Path, Path]) -> None:
    """Energy of a unit's row is its counts priced by the table: doubling the batch doubles
    the CMAC's compute energy exactly (same bins, channels and formats)."""
    hardware, workload = golden_files
    one = run(hardware, workload).layers
    workload.write_text(workload.read_text().replace("batch_size: 1", "batch_size: 2"))
    two = run(hardware, workload).layers
    pick = (one["layer"] == "conv1") & (one["unit"] == "cmac") & (one["phase"] == "fwd")
    assert two[pick]["compute_energy_pj"].item() == 2 * one[pick]["compute_energy_pj"].item()


def test_dram_latency_stalls_apart_from_bandwidth(golden_files: tuple[Path, Path]) -> None:
    """With 100 ns of DRAM latency (100 cycles at 1 GHz), every compute op whose input comes
    last from a load waits exactly that latency after the channel is free: counted as
    ``dram_latency``, the transfer itself as ``dram_bandwidth``."""
    hardware, workload = golden_files
    hardware.write_text(hardware.read_text().replace("latency_ns: 0", "latency_ns: 100"))
    layers = run(hardware, workload, {Phase.FORWARD}).layers
    computing = layers[(layers["ops"] > 0) & (layers["unit"] != "dma")]
    assert list(computing["unit_stall_dram_latency_cycles"]) == [100] * 5
    # the FFT of conv1 waits for its 128-byte input load: 32 cycles at 4 bytes/cycle
    fft = computing[(computing["layer"] == "conv1") & (computing["unit"] == "fft")]
    assert int(fft["unit_stall_dram_bandwidth_cycles"].iloc[0]) == 32
