"""A tiny case computed by hand (see conftest.GOLDEN_*): every cycle and count checked exactly.

The forward alone (inference, ``phases={fwd}``) and as the first phase of a training step
must give the same timeline: the backward only starts after the forward's loss.

Timeline (DRAM moves 4 bytes/cycle; an 8×8 real map is 64 × 2 bytes, its half-spectrum
8 × 5 bins × 4 bytes):
- conv1, input FFT step: load 128 B (32 cycles) 0–32; FFT (8+1) transforms × 8 samples = 72
  cycles 32–104; store 160 B (40) 104–144.
- conv1, CMAC step: weights 2 × 40 bins × 4 B = 320 B (80) 144–224; input spectra 160 B (40)
  224–264; CMAC: 2 lanes over the 2 output channels, 2 over bins, 40/2 = 20 passes × 1 input
  channel = 20 cycles 264–284; store 2 × 40 × 4 B (80) 284–364.
- fc1, iFFT step: load 2 spectra 320 B (80) 364–444; iFFT 2 × 72 = 144 cycles 444–588; store
  2 × 128 B (64) 588–652.
- fc1, GEMM: weights 2 × 128 × 2 B (128) 652–780; input 256 B (64) 780–844; 128 inputs at 4
  real MACs per lane-cycle = 32 cycles 844–876; store 4 B (1) 876–877.
- loss: load 4 B (1) 877–878; 2 logits at 4 per cycle (1) 878–879; store 2 B (1) 879–880.
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
    ("fft", 32, 104),
    ("store", 104, 144),
    ("load", 144, 224),
    ("load", 224, 264),
    ("cmac", 264, 284),
    ("store", 284, 364),
    ("load", 364, 444),
    ("ifft", 444, 588),
    ("store", 588, 652),
    ("load", 652, 780),
    ("load", 780, 844),
    ("gemm", 844, 876),
    ("store", 876, 877),
    ("load", 877, 878),
    ("loss", 878, 879),
    ("store", 879, 880),
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
    assert total == 880
    step, _total = _spans(*golden_files, set(Phase))
    assert step[: len(FORWARD_SPANS)] == FORWARD_SPANS


def test_golden_counts(golden_files: tuple[Path, Path]) -> None:
    result = run(*golden_files, {Phase.FORWARD})
    layers = result.layers
    conv, fc, loss = (_by_unit(layers, name) for name in ("conv1", "fc1", "loss"))
    # FFT: 9 transforms × 12 radix-2 butterflies = 108 complex multiplies × 4 real; adds:
    # 108 × 2 (complex multiply) + 2 × 216 (two complex adds per butterfly) + 80 (real split).
    assert (conv["fft"]["mults"], conv["fft"]["adds"]) == (432, 728)
    assert (conv["cmac"]["mults"], conv["cmac"]["adds"]) == (320, 320)  # 80 complex MACs
    assert (fc["fft"]["mults"], fc["fft"]["adds"]) == (864, 1456)  # two inverse transforms
    assert (fc["cmac"]["mults"], fc["cmac"]["adds"]) == (256, 256)  # 128 × 2 real MACs
    assert (loss["activation"]["mults"], loss["activation"]["adds"]) == (2, 4)
    assert conv["dma"]["dram_read_bytes"] == 128 + 320 + 160
    assert conv["dma"]["dram_write_bytes"] == 160 + 320
    assert fc["dma"]["dram_read_bytes"] == 320 + 512 + 256
    assert fc["dma"]["dram_write_bytes"] == 256 + 4
    assert (conv["fft"]["layer_cycles"], fc["fft"]["layer_cycles"]) == (364, 513)
    assert conv["cmac"]["busy_cycles"] == 20
    assert conv["cmac"]["unit_stall_dram_cycles"] == 264  # waited from the layer's start for data
    assert result.summary["total_cycles"] == 880
    assert result.summary["dram_read_bytes"] == 128 + 320 + 160 + 320 + 512 + 256 + 4


def test_energy_is_linear_in_counts(golden_files: tuple[Path, Path]) -> None:
    """Energy of a unit's row is its counts priced by the table: doubling the batch doubles
    the CMAC's compute energy exactly (same bins, channels and formats)."""
    hardware, workload = golden_files
    one = run(hardware, workload).layers
    workload.write_text(workload.read_text().replace("batch_size: 1", "batch_size: 2"))
    two = run(hardware, workload).layers
    pick = (one["layer"] == "conv1") & (one["unit"] == "cmac") & (one["phase"] == "fwd")
    assert two[pick]["compute_energy_pj"].item() == 2 * one[pick]["compute_energy_pj"].item()
