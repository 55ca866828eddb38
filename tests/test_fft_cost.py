"""The FFT engine's cost model: arithmetic stage by stage at each stage's width, and a pipeline
latency derived from the core's structure (checked against the two measured RTL cores)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fdsim.cli import main
from fdsim.cost.area import unit_areas
from fdsim.counts import Arith
from fdsim.fixedpoint.fft_timing import derived_latency_clocks
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import OpKind, Phase
from fdsim.sim.fft_counts import transform_latency_cycles
from fdsim.sim.units import execute
from fdsim.spec.load import load_energy_table, load_fft_core, load_hardware, load_workload

REPO = Path(__file__).resolve().parent.parent


def test_latency_derived_from_structure_against_rtl() -> None:
    """a16 (N = 16, 1 sample/clock, input 12 bits, stage widths 12 → 13 → 14 → 14 → 15):
    delay lines 8 + 4 + 2 + 1 = 15; shift-add multipliers ⌈(IW+2)/2⌉ + 2 at IW = 12 and 13:
    9 + 10 = 19, plus 2 × 6 stage registers = 12; 4-point stage 3 + 1 (∓j), 2-point stage 3:
    7; reorder buffer 16. 15 + 19 + 12 + 7 + 16 = 69, measured 69.
    b32 (N = 32, 2 samples/clock, widths 16 → 17 → 18 → 18 → 19 → 19): delay lines
    (16 + 8 + 4 + 2 + 1) // 2 per stage = 8 + 4 + 2 + 1 + 0 = 15; multipliers at IW = 16, 17,
    18: 11 + 12 + 12 = 35, plus 3 × 6 = 18; 7 as above; reorder 32 / 2 = 16. 91, measured 93."""
    derived = {}
    for name in ("a16_fwd_n12_k1", "b32_fwd_n16_dblclk"):
        core = load_fft_core(REPO / "hwconfigs" / "fft_ip" / f"{name}.yaml").spec
        derived[name] = (derived_latency_clocks(core), core.latency_clocks)
    assert derived == {"a16_fwd_n12_k1": (69, 69), "b32_fwd_n16_dblclk": (91, 93)}


def test_each_size_pays_its_own_latency() -> None:
    """fdtrain_28nm: 2 samples/clock, multiplier_pipeline_cycles 2, natural order; multiplying
    stages are the blocks ≥ 8. P = 32: delay lines 8 + 4 + 2 + 1 + 0 = 15, 3 × (2 + 6) = 24,
    4-point stage 4, 2-point stage 3, reorder 16: 62. P = 256: delay lines
    64 + 32 + 16 + 8 + 4 + 2 + 1 + 0 = 127, 6 × 8 = 48, 4 + 3, reorder 128: 310."""
    hardware = load_hardware(REPO / "hwconfigs" / "fdtrain_28nm.yaml").spec
    assert transform_latency_cycles(32, hardware) == 62
    assert transform_latency_cycles(256, hardware) == 310


def test_lenet_c1_forward_fft_multiplies_only_in_multiplying_stages() -> None:
    """LeNet c1's forward FFT on fdtrain_28nm: 32 maps (batch 32 × 1 channel) on a P = 32 grid,
    each 16 packed row transforms + 17 column transforms = 33; of the 5 stages only blocks 32,
    16 and 8 multiply (multiplier_min_block_points 8), 16 butterflies each, 3 real multiplies
    per complex product: 32 × 33 × 3 × 16 × 3 = 152,064 (the old all-stage count: 253,440).

    Widths: rows enter at 16 + 1 guard = 17 bits and grow +1, +0, +1, +0, +1 (inputs 17, 18,
    18, 19, 19; output 20); columns enter at the rows' 20 (inputs 20, 21, 21, 22, 22; output
    23). A multiply is keyed at max(sum width, twiddle 16): rows 18, 19, 19; columns 21, 22,
    22. Per multiplying stage: rows 32 × 16 = 512 transforms × 16 × 3 = 24,576, columns
    32 × 17 = 544 × 48 = 26,112.

    Adds per transform: every stage 16 butterflies × 4 real adds = 64 at its sum width; every
    complex product 5 (three_mult) at the multiply width: 16 × 5 = 80; the 4-point stage
    negates 32 / 4 = 8 words at its output width. Rows: 18: 64 + 80 = 144; 19: 2 × 144 + 8 =
    296; 20: 64 + 64 = 128, × 512 = 73,728 / 151,552 / 65,536; the real split 32 × 2 × 32 × 17
    = 34,816 at the rows' output 20: 100,352. Columns: 21: 144, 22: 296, 23: 128, × 544 =
    78,336 / 161,024 / 69,632."""
    hardware = load_hardware(REPO / "hwconfigs" / "fdtrain_28nm.yaml").spec
    workload = load_workload(REPO / "workloads" / "lenet5.yaml").spec
    schedule = compile_schedule(workload, hardware, {Phase.FORWARD})
    counts: Counter[tuple[Arith, int]] = Counter()
    for op in schedule.ops:
        if op.kind is OpKind.FFT and schedule.layers[op.layer].name == "c1":
            counts.update(execute(op, hardware).arith)
    mults = {bits: n for (kind, bits), n in counts.items() if kind is Arith.MULT}
    adds = {bits: n for (kind, bits), n in counts.items() if kind is Arith.ADD}
    assert mults == {18: 24_576, 19: 2 * 24_576, 21: 26_112, 22: 2 * 26_112}
    assert sum(mults.values()) == 152_064
    assert adds == {
        18: 73_728,
        19: 151_552,
        20: 65_536 + 34_816,
        21: 78_336,
        22: 161_024,
        23: 69_632,
    }


def test_old_latency_field_is_a_clear_error(
    golden_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hardware, workload = golden_files
    text = hardware.read_text()
    hardware.write_text(text.replace("multiplier_pipeline_cycles: 0", "pipeline_latency_cycles: 0"))
    out = tmp_path / "out"
    assert main(["run", str(hardware), str(workload), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"{hardware}:3: fft: pipeline_latency_cycles was renamed: use multiplier_pipeline_cycles "
        "(the latency is now derived per transform size from the stage structure)\n"
    )
    assert not out.exists()


def test_fft_area_stage_by_stage(golden_files: tuple[Path, Path]) -> None:
    """The golden engine (no fft.arithmetic, P = 8, one path, four_mult, 16-bit words, 45 nm
    table): stages of blocks 8, 4, 2; adders at the 17-bit exact sum, 67·17/16 = 71.1875 µm²
    (16-bit row); multipliers at max(17, twiddle 16) = 17 bits, 3495·(17/32)² =
    986.3818359375 µm² (32-bit row, nearer in log width than the 8-bit one). Butterflies
    3 × 4 × 71.1875 = 854.25; the two multiplying stages 2 × (4 × 986.3818359375 +
    2 × 71.1875) = 8175.8046875; delay lines 4 + 2 + 1 = 7 complex 16-bit words = 28 bytes
    × 4 µm² = 112. Total 9142.0546875 µm²."""
    hardware, _ = golden_files
    hw = load_hardware(hardware).spec
    table = load_energy_table(hardware.parent / hw.energy_table).spec
    areas = {area.unit: area.area_mm2 for area in unit_areas(hw, table)}
    assert areas["fft"] == pytest.approx(9142.0546875e-6, rel=1e-12)
