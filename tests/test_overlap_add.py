"""Overlap-add tiling of hybrid convolutions larger than the FFT engine: float semantics equal
the direct linear cross-correlation, the bit-true overlap-add is exact, the schedule's
transform and overlap-add counts are exact, and pins are checked by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fdsim
from fdsim.errors import ConfigError, SpecFieldError
from fdsim.fixedpoint.fft_error import ErrorBound
from fdsim.fixedpoint.spectral_maps import plan_spectral_maps, spectra_to_maps_error_bound
from fdsim.geometry import OverlapAddTiles
from fdsim.model.backend import TensorClass
from fdsim.model.fixed_backend import FixedBackend
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import INPUT_NAME, backward_trace, forward, init_params
from fdsim.network.lowering import lower_network
from fdsim.nn.conv import kernel_spectrum
from fdsim.nn.overlap_add import overlap_add
from fdsim.nn.reference import linear_conv2d, linear_conv2d_backward_data
from fdsim.operators.overlap_add import OverlapAdd, TileSpectra
from fdsim.operators.spectral_conv import SpectralConv
from fdsim.operators.transforms import ToMaps
from fdsim.report.console import run_text
from fdsim.report.markdown import write_report
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import CmacOp, FftOp, OpKind, Phase, StreamOp
from fdsim.spec.workload import Workload

ROOT = Path(__file__).resolve().parents[1]
FLOAT = FloatBackend()

# (n, kernel, padding, stride, tile): tiles that divide the padded map or not, a stride, a
# tile shorter than the kernel's k − 1 overlap (three windows reach a sample per axis)
CASES = [(10, 3, 1, 1, 6), (9, 3, 0, 2, 5), (7, 5, 2, 1, 2), (12, 3, 1, 3, 7)]


def _chain(tiling: OverlapAddTiles) -> list[Any]:
    k = tiling.kernel
    return [
        TileSpectra(tiling.tile, tiling.points, k - 1, tiling=tiling),
        SpectralConv("w", k),
        ToMaps(tiling.points, tiling.window),
        OverlapAdd(tiling),
    ]


def _tiling(n: int, k: int, p: int, s: int, tile: int) -> OverlapAddTiles:
    points = 1 << (tile + k - 2).bit_length()
    return OverlapAddTiles(n, p, k, s, tile, points)


@pytest.mark.parametrize(("n", "k", "p", "s", "tile"), CASES)
def test_float_overlap_add_is_the_direct_linear_correlation(
    n: int, k: int, p: int, s: int, tile: int
) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, 3, n, n))
    w = rng.standard_normal((2, 3, k, k))
    tiling = _tiling(n, k, p, s, tile)
    params = {"w": kernel_spectrum(w, tiling.points)}
    y = x
    inputs = []
    for op in _chain(tiling):
        inputs.append(y)
        y = op.forward_float("c", params, y)
    expected = linear_conv2d(x, w, p)[..., ::s, ::s]
    assert y.shape == expected.shape == (2, 2, tiling.out_size, tiling.out_size)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    # the chain's adjoint is the direct correlation's data gradient
    g_out = rng.standard_normal(y.shape)
    g = g_out
    for op, x_in in zip(reversed(_chain(tiling)), reversed(inputs), strict=True):
        g, _ = op.backward_float("c", params, x_in, g, True)
    up = np.zeros((2, 2, n + 2 * p - k + 1, n + 2 * p - k + 1))
    up[..., ::s, ::s] = g_out
    np.testing.assert_allclose(g, linear_conv2d_backward_data(up, w, p), atol=1e-12)


def test_cover_counts_and_adds() -> None:
    # 10 padded samples, tiles of 6, k = 3: windows [−2, 5] and [4, 11] share outputs 4 and 5
    tiling = OverlapAddTiles(6, 2, 3, 1, 6, 8)
    assert (tiling.per_axis, tiling.window, tiling.out_size) == (2, 8, 8)
    assert tiling.cover_counts() == (1, 1, 1, 1, 2, 2, 1, 1)
    assert tiling.overlap_adds() == 10 * 10 - 8 * 8
    assert _tiling(7, 5, 2, 1, 2).cover_counts() == (3,) * 7  # windows of 6, every 2


def _hybrid(size: int, layers: list[dict[str, Any]], **extra: Any) -> Workload:
    return Workload.model_validate(
        {
            "name": "tiled",
            "input": {"channels": 1, "height": size, "width": size, "classes": 3},
            "batch_size": 2,
            "domain": "hybrid",
            "layers": [*layers, {"name": "loss", "kind": "loss"}],
            **extra,
        }
    )


LAYERS: list[dict[str, Any]] = [
    {"name": "c0", "kind": "conv", "out_channels": 2, "kernel": 3, "padding": 1},
    {"name": "r0", "kind": "activation", "function": "relu"},
    {"name": "c1", "kind": "conv", "out_channels": 2, "kernel": 3, "stride": 2},
    {"name": "f", "kind": "fc", "out_features": 3},
]


def test_tiled_model_equals_the_untiled_one_forward_and_backward() -> None:
    spec = _hybrid(10, LAYERS)
    whole, tiled = lower_network(spec), lower_network(spec, max_points=8)
    assert [type(op).__name__ for op in tiled.layers[0].ops] == [
        "TileSpectra",
        "SpectralConv",
        "ToMaps",
        "OverlapAdd",
    ]
    assert tiled.layers[2].ops[0].tiling == OverlapAddTiles(10, 0, 3, 2, 6, 8)
    rng = np.random.default_rng(5)
    images = rng.random((2, 1, 10, 10))
    labels = np.array([0, 2])
    results = []
    for model in (whole, tiled):
        # the same seeded k×k kernels, as spectra on each model's grid (16, or the tiles' 8)
        params = init_params(model, FLOAT, seed=3)
        x = FLOAT.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
        logits, cache = forward(model, FLOAT, params, x)
        _, grads, input_grads = backward_trace(model, FLOAT, params, cache, labels)
        kernels = {
            p.name: np.fft.irfft2(grads[p.name], s=(p.grid, p.grid))[..., : p.kernel, : p.kernel]
            for p in model.params
            if p.grid
        }
        maps = (cache.outputs["r0"], input_grads["c1"])
        results.append((logits, maps, kernels))
    (l0, maps0, k0), (l1, maps1, k1) = results
    np.testing.assert_allclose(l1, l0, atol=1e-12)
    for tiled, whole in zip(maps1, maps0, strict=True):
        assert tiled.shape == whole.shape == (2, 2, 10, 10)
        np.testing.assert_allclose(tiled, whole, atol=1e-12)
    for name, value in k0.items():
        np.testing.assert_allclose(k1[name], value, atol=1e-12, err_msg=name)


def test_fixed_overlap_add_is_exact_and_within_the_format_bound() -> None:
    """Per tile the bit-true FFT and CMAC are the untiled datapath's (bounded by their own
    tests); what tiling adds is an iFFT per tile, stored at the activations format, and the
    overlap-add. Against the exact inverse DFT of the CMAC's stored spectra each window errs by
    at most the inverse's format bound (``spectra_to_maps_error_bound``, maps at exponent 0);
    the overlap-add sums the stored windows exactly (no rounding, no overflow), so an output
    errs by at most c² window bounds, c the most windows reaching a sample per axis."""
    tiling = _tiling(10, 3, 1, 1, 6)
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    backend = FixedBackend(hardware, batch_size=2)
    rng = np.random.default_rng(2)
    x = backend.from_float(INPUT_NAME, rng.random((2, 1, 10, 10)), TensorClass.ACTIVATIONS)
    w = kernel_spectrum(0.3 * rng.standard_normal((2, 1, 3, 3)), tiling.points)
    params = {"w": backend.from_float("w", w, TensorClass.WEIGHTS)}
    fft, conv, to_maps, add = _chain(tiling)
    spectra = backend.forward(conv, "c", params, backend.forward(fft, "c", params, x))
    windows = backend.forward(to_maps, "c", params, spectra)
    out = backend.forward(add, "c", params, windows)
    numerics = hardware.numerics
    assert hardware.fft is not None and hardware.fft.arithmetic is not None
    plan = plan_spectral_maps(
        hardware.fft.arithmetic, tiling.points, numerics.activations, numerics.spectra
    )
    spectra_lsb = 2.0**spectra.lsb_exponent
    given = spectra.to_float()
    exact = np.fft.irfft2(given, s=(tiling.points,) * 2)[..., : tiling.window, : tiling.window]
    assert windows.exponent == 0
    bound = spectra_to_maps_error_bound(
        plan,
        ErrorBound(float(np.max(np.abs(given))) / spectra_lsb, 0.0),
        drop_bits=-plan.inverse_word_exponent(spectra.exponent),
    )
    window_bound = bound.max_error * 2.0**-numerics.activations.fraction_bits
    assert np.max(np.abs(windows.to_float() - exact)) <= window_bound
    # the overlap-add is the exact sum of the stored windows
    np.testing.assert_array_equal(out.to_float(), overlap_add(windows.to_float(), tiling))
    reach = max(tiling.cover_counts())
    error = np.max(np.abs(out.to_float() - overlap_add(exact, tiling)))
    assert 0 < error <= reach * reach * window_bound
    sites = [t for t in backend.counter.tallies() if t.site.name.startswith("overlap_add")]
    assert sites and all(t.events == 0 and t.values_checked == 10 * 10 * 2 * 2 for t in sites)


def _fdtrain(max_points: int) -> fdsim.HardwareSpec:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    return fdsim.override(hardware, {"fft.max_points": max_points})


def test_schedule_counts_every_tile_transform_and_overlap_add(tmp_path: Path) -> None:
    spec = _hybrid(6, [{**LAYERS[0], "padding": 2}, *LAYERS[1:]])
    schedule = compile_schedule(spec, _fdtrain(8))
    tiling = OverlapAddTiles(6, 2, 3, 1, 6, 8)
    c0 = {(p.name, p.phase): i for i, p in enumerate(schedule.layers)}
    batch, co, t2, w2 = 2, 2, tiling.tiles, tiling.window**2

    def ops(layer: str, phase: Phase, kind: OpKind) -> list[Any]:
        plan = c0[(layer, phase)]
        return [op for op in schedule.ops if op.layer == plan and op.kind is kind]

    ffts = ops("c0", Phase.FORWARD, OpKind.FFT)
    iffts = ops("c0", Phase.FORWARD, OpKind.IFFT)
    assert all(isinstance(op, FftOp) and op.points == 8 for op in ffts + iffts)
    assert sum(op.maps for op in ffts) == batch * 1 * t2  # one per tile of each input map
    assert sum(op.maps for op in iffts) == batch * co * t2  # one per tile of each output map
    adds = ops("c0", Phase.FORWARD, OpKind.OVERLAP_ADD)
    assert all(isinstance(op, StreamOp) for op in adds)
    assert sum(op.in_elements for op in adds) == batch * co * t2 * w2  # 512
    assert sum(op.out_elements for op in adds) == batch * co * 8 * 8
    cmacs = ops("c0", Phase.FORWARD, OpKind.CMAC)
    assert sum(op.images * op.bins for op in cmacs) == batch * t2 * 8 * 5  # tiles × P(P/2+1)
    result = fdsim.simulate(_fdtrain(8), spec)
    crop = result.layers.query("layer == 'c0' and phase == 'fwd' and unit == 'crop'")
    assert int(crop["adds"].iloc[0]) == batch * co * tiling.overlap_adds()  # 4 × 36
    # the overlapping borders' traffic: every window read, each output written once (16 bits)
    assert int(crop["sram_read_bytes"].iloc[0]) == batch * co * t2 * w2 * 2
    assert int(crop["sram_write_bytes"].iloc[0]) == batch * co * 8 * 8 * 2
    # the backward of the tiled layer: the gradient's windows, FFT per tile, the weight
    # gradient reduced over images × tiles (c0 is the first conv: no bwd_data product)
    splits = ops("c0", Phase.BACKWARD_DATA, OpKind.OVERLAP_SPLIT)
    assert sum(op.in_elements for op in splits) == batch * co * 8 * 8
    assert sum(op.out_elements for op in splits) == batch * co * t2 * w2
    grad_ffts = ops("c0", Phase.BACKWARD_DATA, OpKind.FFT)
    assert sum(op.maps for op in grad_ffts) == batch * co * t2
    assert sum(schedule.layers[c0[("c0", Phase.BACKWARD_WEIGHT)]].reduction_tiles) == batch * t2
    assert result.summary["tiles"]["fwd"]["c0"] == {
        "unit": "fft",
        "overlap_add": True,
        "tile_size": 6,
        "points": 8,
        "tiles_per_map": 4,
        "window": 8,
        "pinned": [],
    }
    assert (
        "overlap-add: 4 tiles of 6×6 per map on 8-point transforms"
        in (result.summary["mapping"]["fwd"]["c0"])
    )
    said = (
        "overlap-add tiling: c0 (4 tiles of 6×6 per map on 8-point transforms) — each tile's "
        "(tile + k − 1)² window is added into the output maps on the crop unit"
    )
    assert f"note: {said}" in run_text(result).splitlines()
    write_report(result, tmp_path)
    assert f"O{said[1:]}." in (tmp_path / "report.md").read_text().splitlines()


def test_a_tiled_layer_with_a_data_gradient_runs_its_overlap_add_backwards() -> None:
    schedule = compile_schedule(_hybrid(10, LAYERS), _fdtrain(8))
    plans = {(p.name, p.phase): i for i, p in enumerate(schedule.layers)}
    data = plans[("c1", Phase.BACKWARD_DATA)]
    # c1 (10 × 10, k = 3, stride 2: 2 × 2 tiles of 6 on 8 points, 4 × 4 outputs): each output
    # gradient map cut into its 4 windows of 8², an FFT per window, Σ_o G·W per tile × in
    # channel, an iFFT per tile, the tiles' 6² samples reassembled into the 10 × 10 input
    ops = [op for op in schedule.ops if op.layer == data]

    def total(kind: OpKind, field: str) -> int:
        return sum(getattr(op, field) for op in ops if op.kind is kind)

    assert total(OpKind.OVERLAP_SPLIT, "in_elements") == 2 * 2 * 4 * 4
    assert total(OpKind.OVERLAP_SPLIT, "out_elements") == 2 * 2 * 4 * 8 * 8
    assert total(OpKind.FFT, "maps") == 2 * 2 * 4  # images × out channels × tiles
    assert total(OpKind.IFFT, "maps") == 2 * 2 * 4  # images × in channels × tiles
    assert {op.points for op in ops if isinstance(op, FftOp)} == {8}
    products = [(op.images, op.bins) for op in ops if isinstance(op, CmacOp)]
    assert products == [(2 * 4, 8 * 5)]  # images × tiles, the P-point half spectrum


def test_pinned_tile_size_sets_the_transform_size() -> None:
    pinned = [{**LAYERS[0], "mapping": {"tile_size": 3}}, *LAYERS[1:]]
    schedule = compile_schedule(_hybrid(10, pinned), _fdtrain(256))
    tiles = schedule.layers[0].tiles
    assert (tiles["tile_size"], tiles["points"], tiles["tiles_per_map"]) == (3, 8, 16)
    assert tiles["pinned"] == ["tile_size"]


def _refusal(layers: list[dict[str, Any]], max_points: int = 8, **extra: Any) -> str:
    with pytest.raises(SpecFieldError) as info:
        compile_schedule(_hybrid(10, layers, **extra), _fdtrain(max_points))
    return f"{'.'.join(map(str, info.value.path))}: {info.value.message}"


def test_pin_errors_name_the_pin() -> None:
    too_big = [{**LAYERS[0], "mapping": {"tile_size": 7}}, *LAYERS[1:]]
    assert _refusal(too_big) == (
        "layers.0.mapping.tile_size: layer c0: tiles of 7 samples need 9-point transforms "
        "(tile_size + kernel − 1), more than fft.max_points (8)"
    )
    past_map = [{**LAYERS[0], "mapping": {"tile_size": 13}}, *LAYERS[1:]]
    assert _refusal(past_map, 256) == (
        "layers.0.mapping.tile_size: layer c0: a tile of 13 samples exceeds the padded input "
        "map (12)"
    )
    spectral = [{**LAYERS[0], "domain": "spectral", "mapping": {"tile_size": 4}}, *LAYERS[2:]]
    assert _refusal(spectral) == (
        "layers.0.mapping.tile_size: layer c0: overlap-add tiles a hybrid conv; a "
        "spectral-mode conv is a circular convolution on its whole grid and cannot be tiled "
        "(set domain: hybrid on this layer)"
    )
    spatial = [{**LAYERS[0], "domain": "spatial", "mapping": {"tile_size": 4}}, *LAYERS[1:]]
    assert _refusal(spatial) == (
        "layers.0.mapping.tile_size: layer c0: tile_size is the overlap-add tile of a hybrid "
        "conv; a spatial-domain layer is tiled by its GEMM pins"
    )


def test_tile_size_below_one_is_refused_by_the_spec(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        fdsim.override(
            fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml"),
            {"layers[0].mapping": {"tile_size": 0}},
        )
    assert str(info.value).endswith(
        "lenet5.yaml:24: layers[0].mapping.tile_size: must be greater than or equal to 1, got 0"
    )


def test_spectral_mode_larger_than_the_engine_keeps_its_error_with_the_remedy() -> None:
    layers = [{**LAYERS[0], "domain": "spectral"}, *LAYERS[2:]]
    assert _refusal(layers) == (
        "fft.max_points: too small for layer c0: needs 16-point transforms, got 8; spectra "
        "kept in the frequency domain (spectral mode: circular convolution on the whole map) "
        "cannot be overlap-add tiled: use domain: hybrid or a larger fft.max_points"
    )


def test_shipped_lenet5_in_hybrid_mode_runs_on_a_16_point_engine() -> None:
    from fdsim.modes import in_mode
    from fdsim.spec.workload import Domain

    lenet5 = fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml")
    workload = in_mode(lenet5, Domain.HYBRID, "average")
    result = fdsim.simulate(_fdtrain(16), workload)
    tiles = result.summary["tiles"]["fwd"]
    assert {
        name: (t["tile_size"], t["tiles_per_map"])
        for name, t in tiles.items()
        if t.get("overlap_add")
    } == {"c1": (12, 9)}


def test_functional_run_computes_the_tiled_layers_bit_true() -> None:
    spec = _hybrid(10, LAYERS)
    result = fdsim.simulate(_fdtrain(8), spec, functional=True)
    assert result.numerics is not None
    sqnr = result.numerics.sqnr
    rows = set(zip(sqnr["layer"], sqnr["phase"], sqnr["tensor"], strict=True))
    assert {("c0", "fwd", "output"), ("c1", "fwd", "output")} <= rows
    assert ("c1", "bwd_data", "input_gradient") in rows
    assert not any(layer == "c0" and phase == "bwd_data" for layer, phase, _ in rows)
    assert float(sqnr.query("layer == 'c1' and phase == 'fwd'")["sqnr_db"].iloc[0]) > 20.0
    sites = result.numerics.overflows
    added = sites[sites["site"].str.endswith("overlap_add.output")]
    assert sorted(added["layer"]) == ["c0", "c1"] and int(added["overflow_events"].sum()) == 0


def test_an_engine_shorter_than_the_kernel_cannot_tile() -> None:
    layers = [{**LAYERS[0], "kernel": 5, "padding": 2}, *LAYERS[1:]]
    assert _refusal(layers, 4) == (
        "fft.max_points: too small for layer c0: overlap-add tiles need at least 5-point "
        "transforms for its 5×5 kernel, got 4"
    )


def test_a_pin_error_names_the_workload_file() -> None:
    path = ROOT / "workloads" / "lenet5.yaml"
    lenet5 = fdsim.override(
        fdsim.load_workload(path), {"domain": "hybrid", "layers[0].mapping": {"tile_size": 20}}
    )
    with pytest.raises(ConfigError) as info:
        fdsim.simulate(_fdtrain(16), lenet5)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert message.endswith(
        ": layers[0].mapping.tile_size: layer c1: tiles of 20 samples need 24-point transforms "
        "(tile_size + kernel − 1), more than fft.max_points (16)"
    )
