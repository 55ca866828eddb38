"""Spatial-domain layers on the matrix unit: the systolic array (the baseline) or the CMAC lanes.

The spatial convolution is an im2col GEMM (rows: images × output positions; reduction:
channels × k²; columns: output channels). These tests check its float semantics against a
direct loop, the GEMM each phase compiles to, the systolic array's cycles against the array
model when one tile holds the layer, and the tiling of a map too large for its buffer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fdsim.api import run
from fdsim.errors import ConfigError
from fdsim.operators.spatial_conv import SpatialConv
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import GemmOp, OpKind, Phase
from fdsim.sim.engine import simulate
from fdsim.spec.hardware import Dataflow
from fdsim.spec.load import load_hardware, load_workload
from fdsim.systolic.compute import compute_cycles
from fdsim.systolic.shapes import ArrayShape, GemmShape

SYSTOLIC = """\
name: systolic_8x4
clock_hz: 1000000000
systolic_array: {{rows: 8, cols: 4, dataflow: {dataflow}}}
crop: {{elements_per_cycle: 4}}
activation: {{elements_per_cycle: 4}}
update: {{elements_per_cycle: 4}}
buffers:
  activations: {{size_bytes: {size}, banks: 1, bytes_per_cycle: 4096, word_bytes: 1}}
  weights: {{size_bytes: {size}, banks: 1, bytes_per_cycle: 4096, word_bytes: 1}}
  gradients: {{size_bytes: {size}, banks: 1, bytes_per_cycle: 4096, word_bytes: 1}}
  outputs: {{size_bytes: {size}, banks: 1, bytes_per_cycle: 4096, word_bytes: 1}}
dram: {{bandwidth_bytes_per_s: 64000000000, latency_ns: 0}}
numerics:
  activations: {{total_bits: 16, fraction_bits: 8}}
  weights: {{total_bits: 16, fraction_bits: 8}}
  gradients: {{total_bits: 16, fraction_bits: 8}}
  spectra: {{total_bits: 16, fraction_bits: 8}}
  accumulators: {{total_bits: 32, fraction_bits: 16}}
  twiddles: {{total_bits: 16, fraction_bits: 14}}
energy_table: 28nm
"""

NETWORK = """\
name: spatial_small
input: {channels: 3, height: 12, width: 12, classes: 4}
batch_size: 2
domain: spatial
layers:
  - {name: c1, kind: conv, out_channels: 6, kernel: 3, stride: 2, padding: 1}
  - {name: a1, kind: activation, function: relu}
  - {name: p1, kind: pool, method: max, kernel: 2}
  - {name: c2, kind: conv, out_channels: 5, kernel: 3, padding: 1}
  - {name: f1, kind: fc, out_features: 4}
  - {name: loss, kind: loss}
"""


def _files(tmp_path: Path, dataflow: str = "ws", size: int = 1 << 20) -> tuple[Path, Path]:
    hardware = tmp_path / "systolic.yaml"
    hardware.write_text(SYSTOLIC.format(dataflow=dataflow, size=size))
    workload = tmp_path / "spatial.yaml"
    workload.write_text(NETWORK)
    return hardware, workload


def _direct_conv(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = w.shape[-1]
    n_out = (xp.shape[-1] - k) // stride + 1
    y = np.zeros((x.shape[0], w.shape[0], n_out, n_out))
    for b in range(x.shape[0]):
        for o in range(w.shape[0]):
            for i in range(n_out):
                for j in range(n_out):
                    window = xp[b, :, i * stride : i * stride + k, j * stride : j * stride + k]
                    y[b, o, i, j] = np.sum(window * w[o])
    return y


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2)])
def test_spatial_conv_float_is_the_direct_cross_correlation(stride: int, padding: int) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 9, 9))
    w = rng.standard_normal((4, 3, 3, 3))
    op = SpatialConv("c.weight", 3, stride, padding)
    y = op.forward_float("c", {"c.weight": w}, x)
    np.testing.assert_allclose(y, _direct_conv(x, w, stride, padding), rtol=0, atol=1e-12)
    # both gradients are the adjoints: <conv(x, w), g> = <x, dx> = <w, dw> (bilinear)
    g = rng.standard_normal(y.shape)
    dx, grads = op.backward_float("c", {"c.weight": w}, x, g, True)
    assert dx is not None
    inner = float(np.sum(y * g))
    assert np.sum(x * dx) == pytest.approx(inner, rel=1e-12)
    assert np.sum(w * grads["c.weight"]) == pytest.approx(inner, rel=1e-12)


def test_spatial_conv_lowers_to_one_gemm_per_tile(tmp_path: Path) -> None:
    """c1: 2 images × 6×6 positions × (3·9) × 6; c2: 2 × 3×3 × (6·9) × 5; f1: 2 × 45 × 4."""
    hardware, workload = _files(tmp_path)
    schedule = compile_schedule(load_workload(workload).spec, load_hardware(hardware).spec)
    macs: dict[tuple[str, Phase], int] = {}
    for op in schedule.ops:
        if isinstance(op, GemmOp):
            assert op.kind is OpKind.SYSTOLIC
            plan = schedule.layers[op.layer]
            key = (plan.name, plan.phase)
            macs[key] = macs.get(key, 0) + op.real_macs
    forward = {"c1": 2 * 36 * 27 * 6, "c2": 2 * 9 * 54 * 5, "f1": 2 * 45 * 4}
    for name, count in forward.items():
        assert macs[(name, Phase.FORWARD)] == count
    # the weight gradients: the same products (f1's with its bias column of ones)
    assert macs[("c1", Phase.BACKWARD_WEIGHT)] == forward["c1"]
    assert macs[("c2", Phase.BACKWARD_WEIGHT)] == forward["c2"]
    assert macs[("f1", Phase.BACKWARD_WEIGHT)] == 2 * 46 * 4
    # c1 is the first layer with parameters: nobody needs its input gradient
    assert (("c1", Phase.BACKWARD_DATA) in macs) is False
    assert macs[("c2", Phase.BACKWARD_DATA)] == forward["c2"]
    assert macs[("f1", Phase.BACKWARD_DATA)] == forward["f1"]


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_one_tile_takes_the_arrays_cycles(tmp_path: Path, dataflow: str) -> None:
    """With buffers that hold every layer, each forward GEMM is one op whose busy cycles are the
    array model's for the whole layer (the SCALE-Sim semantics of fdsim.systolic)."""
    hardware, workload = _files(tmp_path, dataflow)
    hw = load_hardware(hardware).spec
    schedule = compile_schedule(load_workload(workload).spec, hw, {Phase.FORWARD})
    trace = simulate(schedule, hw)
    array = ArrayShape(8, 4, hw.systolic_array.dataflow)  # type: ignore[union-attr]
    expected = {
        "c1": GemmShape(2 * 36, 27, 6),
        "c2": GemmShape(2 * 9, 54, 5),
        "f1": GemmShape(2, 45, 4),
    }
    seen = {}
    for op, timing in zip(schedule.ops, trace.timings, strict=True):
        if isinstance(op, GemmOp):
            name = schedule.layers[op.layer].name
            assert name not in seen, "one op per layer"
            seen[name] = timing.activity.busy_cycles
    assert seen == {name: compute_cycles(shape, array) for name, shape in expected.items()}


def test_spatial_mode_runs_on_the_cmac_lanes(
    tmp_path: Path, golden_files: tuple[Path, Path]
) -> None:
    """Without a systolic array the same GEMMs run on the CMAC lanes (4 lanes of a four_mult
    complex multiplier: 4 real MACs per lane per cycle): c1's forward is 72 rows × 27 × 6,
    i.e. 72 · ⌈6/4⌉ · ⌈27/4⌉ cycles."""
    hardware, _ = golden_files
    _, workload = _files(tmp_path)
    hw = load_hardware(hardware).spec
    schedule = compile_schedule(load_workload(workload).spec, hw, {Phase.FORWARD})
    trace = simulate(schedule, hw)
    gemms = [
        (op, timing)
        for op, timing in zip(schedule.ops, trace.timings, strict=True)
        if isinstance(op, GemmOp) and schedule.layers[op.layer].name == "c1"
    ]
    assert [op.kind for op, _ in gemms] == [OpKind.GEMM]
    assert gemms[0][0].real_macs == 2 * 36 * 27 * 6
    assert gemms[0][1].activity.busy_cycles == 72 * 2 * 7


def test_a_map_too_large_for_its_buffer_is_tiled_in_bands(tmp_path: Path) -> None:
    """One 12×12×3 image at 2 bytes is 864 bytes; a 1 KiB buffer double-buffered holds 512:
    bands of output rows, each loading the input rows under its windows."""
    hardware, workload = _files(tmp_path, size=1024)
    wl = load_workload(workload).spec
    hw = load_hardware(hardware).spec
    schedule = compile_schedule(wl, hw, {Phase.FORWARD})
    plan = schedule.layers[0]
    assert "bands of" in plan.mapping
    assert "output rows" in plan.mapping


def test_spatial_conv_kernel_larger_than_padded_map_is_refused(tmp_path: Path) -> None:
    hardware, workload = _files(tmp_path)
    workload.write_text(NETWORK.replace("kernel: 3, stride: 2, padding: 1", "kernel: 15"))
    with pytest.raises(ConfigError) as raised:
        run(hardware, workload, {Phase.FORWARD})
    assert str(raised.value) == (
        f"{workload}:6: layers[0].kernel: larger than the padded input map (12), got 15"
    )


PINNED = """\
name: pinned
input: {channels: 3, height: 12, width: 12, classes: 4}
batch_size: 2
domain: spatial
layers:
  - name: c1
    kind: conv
    out_channels: 6
    kernel: 3
    padding: 1
    mapping: {out_rows: 5, outputs: 4, dataflow: os}
  - {name: f1, kind: fc, out_features: 4, mapping: {images: 1}}
  - {name: loss, kind: loss}
"""


def test_a_pinned_mapping_is_used_and_reported(tmp_path: Path) -> None:
    hardware, workload = _files(tmp_path)
    workload.write_text(PINNED)
    result = run(hardware, workload, {Phase.FORWARD})
    tiles = result.summary["tiles"]["fwd"]
    c1, f1 = tiles["c1"], tiles["f1"]
    # 12 output rows in bands of ≤5 (balanced: 4, 4, 4) for each of 2 images
    assert (c1["row_tiles"], c1["band_rows"], c1["images_per_tile"]) == (6, 4, 1)
    assert (c1["output_tiles"], c1["outputs_per_tile"], c1["dataflow"]) == (2, 4, "os")
    assert c1["pinned"] == ["dataflow", "out_rows", "outputs"]
    # a band of 4 output rows reads 3·1 + 3 = 6 of the 12 input rows, 3 channels, 2 bytes
    assert c1["buffers_held"]["activations"] == 2 * (6 * 12 * 3 * 2)
    assert (f1["row_tiles"], f1["images_per_tile"], f1["dataflow"]) == (2, 1, "ws")


def test_a_pinned_dataflow_holds_for_every_phase(tmp_path: Path) -> None:
    hardware, workload = _files(tmp_path)
    workload.write_text(PINNED)
    schedule = compile_schedule(load_workload(workload).spec, load_hardware(hardware).spec)
    flows = {
        (schedule.layers[op.layer].name, schedule.layers[op.layer].phase): op.dataflow
        for op in schedule.ops
        if isinstance(op, GemmOp)
    }
    assert {phase for (name, phase), flow in flows.items() if name == "c1"} == {
        Phase.FORWARD,
        Phase.BACKWARD_WEIGHT,
    }
    assert all(flow is Dataflow.OUTPUT_STATIONARY for (n, _p), flow in flows.items() if n == "c1")
    assert all(flow is None for (n, _p), flow in flows.items() if n == "f1")


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        (
            "{outputs: 6, reduction_units: 3}",
            "layers[0].mapping.reduction_units: layer c1: 6 outputs × 3 input units do not "
            "fit: a tile needs 2 × 324 bytes of buffers.weights, which holds 512",
        ),
        (
            "{images: 2}",
            "layers[0].mapping.images: layer c1: 2 images do not fit: a tile needs 2 × 1728 "
            "bytes of buffers.activations, which holds 512",
        ),
    ],
)
def test_a_pin_that_does_not_fit_names_itself(tmp_path: Path, pin: str, message: str) -> None:
    hardware, workload = _files(tmp_path, size=512)
    workload.write_text(PINNED.replace("{out_rows: 5, outputs: 4, dataflow: os}", pin))
    with pytest.raises(ConfigError) as raised:
        run(hardware, workload, {Phase.FORWARD})
    assert str(raised.value) == f"{workload}:11: {message}"


def test_a_spectral_conv_refuses_a_pin(tmp_path: Path, golden_files: tuple[Path, Path]) -> None:
    hardware, workload = golden_files
    text = workload.read_text().replace("kernel: 3}", "kernel: 3, mapping: {outputs: 1}}")
    workload.write_text(text)
    with pytest.raises(ConfigError) as raised:
        run(hardware, workload, {Phase.FORWARD})
    assert str(raised.value) == (
        f"{workload}:5: layers[0].mapping: pins the GEMM tiles of a spatial-domain conv or fc "
        "layer; a spectral conv is tiled by bins, chosen by the compiler"
    )
