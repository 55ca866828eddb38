"""Counted actions of the activation unit, the FC forward's bias and the CMAC's adders, on the
golden hardware (conftest.GOLDEN_HARDWARE: 4 lanes, four_mult, 16-bit values, 4 elements per
cycle), each derived by hand from what the operation computes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fdsim.api import run
from fdsim.cost.area import unit_areas
from fdsim.counts import Arith
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import Buffer, OpKind, Phase, Tensor
from fdsim.sim.units import execute
from fdsim.spec.load import load_energy_table, load_hardware, load_workload

ACTIVATIONS = """\
name: activations
input: {channels: 1, height: 8, width: 8, classes: 2}
batch_size: 1
layers:
  - {name: fc0, kind: fc, out_features: 4}
  - {name: r, kind: activation, function: relu}
  - {name: q, kind: activation, function: quadratic, coefficients: [0.0, 0.5, 0.25]}
  - {name: a, kind: activation, function: affine, coefficients: [0.5, 0.25]}
  - {name: fc1, kind: fc, out_features: 2}
  - {name: loss, kind: loss}
"""

SPECTRAL_QUADRATIC = """\
name: squares
input: {channels: 1, height: 8, width: 8, classes: 2}
batch_size: 1
layers:
  - {name: conv1, kind: conv, out_channels: 2, kernel: 3}
  - {name: sq, kind: activation, function: quadratic, coefficients: [0.0, 0.5, 0.25]}
  - {name: fc1, kind: fc, out_features: 2}
  - {name: loss, kind: loss}
"""


def _counts(hardware: Path, workload: Path) -> dict[tuple[str, str, str], tuple[int, int]]:
    layers = run(hardware, workload).layers
    return {
        (row["layer"], row["phase"], row["unit"]): (row["mults"], row["adds"])
        for row in layers.to_dict("records")
    }


def test_spatial_activations_count_what_they_compute(golden_files: tuple[Path, Path]) -> None:
    """Four FC outputs per image, batch 1. Forward: ReLU compares with 0 (1 add each: 0, 4);
    quadratic c0 + c1·x + c2·x² squares, scales twice and adds twice (3, 2 each: 12, 8);
    affine c0 + c1·x (1, 1: 4, 4). Backward: ReLU selects by its stashed mask (0, 0);
    quadratic g·x, c1·g, 2c2·(g·x) and one add (3, 1: 12, 4); affine c1·g (1, 0: 4, 0).
    fc0 forward: 64 inputs × 4 outputs = 256 real MACs + 4 bias adds: (256, 260)."""
    hardware, workload = golden_files
    workload.write_text(ACTIVATIONS)
    counts = _counts(hardware, workload)
    assert counts[("r", "fwd", "activation")] == (0, 4)
    assert counts[("q", "fwd", "activation")] == (12, 8)
    assert counts[("a", "fwd", "activation")] == (4, 4)
    assert counts[("r", "bwd_data", "activation")] == (0, 0)
    assert counts[("q", "bwd_data", "activation")] == (12, 4)
    assert counts[("a", "bwd_data", "activation")] == (4, 0)
    assert counts[("fc0", "fwd", "cmac")] == (256, 260)


def test_spectral_quadratic_counts_its_combination(golden_files: tuple[Path, Path]) -> None:
    """conv1's 2 maps on the 8-point grid: 8·5 = 40 stored bins each, every bin the sum of
    8² = 64 products of the self-convolution: 2·40·64 = 5,120 complex MACs × (4 mult, 4 add),
    20,480 each. The combination c1·X + c2·S (forward) or c1·G + 2c2·(G ⊛ X) (backward) per
    stored bin: two real-by-complex scalings (4 multiplies) and a complex add (2 adds), × 80
    bins: 320 and 160. Both directions: (20,800, 20,640)."""
    hardware, workload = golden_files
    workload.write_text(SPECTRAL_QUADRATIC)
    counts = _counts(hardware, workload)
    assert counts[("sq", "fwd", "cmac")] == (20_800, 20_640)
    assert counts[("sq", "bwd_data", "cmac")] == (20_800, 20_640)


def test_fc_forward_loads_its_bias(golden_files: tuple[Path, Path]) -> None:
    """The golden fc1 (128 → 2) loads 2 × (128 + 1) 16-bit values = 516 bytes of weights and
    biases, and reads each bias once from the weights buffer: 256 + 2 reads × 2 bytes."""
    hardware, workload = golden_files
    hw, wl = load_hardware(hardware).spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw, {Phase.FORWARD})
    fc1 = [op for op in schedule.ops if schedule.layers[op.layer].name == "fc1"]
    loads = [(op.tensor, op.bytes) for op in fc1 if op.kind is OpKind.LOAD]
    # the iFFT step's 2 spectra, then the GEMM's weights and biases and its 2·8·8 inputs
    assert loads == [
        (Tensor.ACTIVATIONS, 320),
        (Tensor.WEIGHTS, 516),
        (Tensor.ACTIVATIONS, 256),
    ]
    (gemm,) = [op for op in fc1 if op.kind is OpKind.GEMM]
    assert execute(gemm, hw).sram_bytes[(Buffer.WEIGHTS, "read")] == (256 + 2) * 2


def test_cmac_adders_same_width_for_area_and_energy(golden_files: tuple[Path, Path]) -> None:
    """With 40-bit accumulators every CMAC add is priced and sized at 40 bits. Energy: conv1's
    80 complex MACs × (2 product + 2 accumulate adds) = 320 adds, all keyed (add, 40). Area
    (45 nm table): a 16-bit multiplier from the 32-bit row, 3495·(16/32)² = 873.75 µm²; a
    40-bit adder from the 32-bit row, 137·40/32 = 171.25 µm²; a four_mult lane 4 × 873.75 +
    (2 + 2) × 171.25 = 4180 µm²; 4 lanes 16,720 µm² = 0.01672 mm²."""
    hardware, workload = golden_files
    text = hardware.read_text()
    old = "accumulators: {total_bits: 16, fraction_bits: 8}"
    assert old in text
    hardware.write_text(text.replace(old, "accumulators: {total_bits: 40, fraction_bits: 8}"))
    loaded = load_hardware(hardware)
    hw, wl = loaded.spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw, {Phase.FORWARD})
    (cmac,) = [op for op in schedule.ops if op.kind is OpKind.CMAC]
    adds = {bits: n for (kind, bits), n in execute(cmac, hw).arith.items() if kind is Arith.ADD}
    assert adds == {40: 320}
    table = load_energy_table(hardware.parent / hw.energy_table).spec
    areas = {area.unit: area.area_mm2 for area in unit_areas(hw, table)}
    assert areas["cmac"] == pytest.approx(0.01672, rel=1e-12)
