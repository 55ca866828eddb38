"""build_model follows the compiler's representation walk: per-layer shapes equal
``schedule.lower``'s for every shipped workload, and the same layers are rejected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_test_helpers import BACKEND, workload

from fdsim.errors import SpecFieldError
from fdsim.geometry import PoolWindows
from fdsim.model.backend import Backend, TensorClass
from fdsim.model.float_backend import Array, FloatBackend
from fdsim.model.passes import INPUT_NAME, forward, init_params, initial_param_values
from fdsim.network.graph import LayerKind, ParamRole
from fdsim.network.lowering import lower_network
from fdsim.operators.fold import Fold
from fdsim.operators.spectral_conv import SpectralConv
from fdsim.operators.spectral_crop import Crop
from fdsim.operators.transforms import ToMaps, ToSpectra
from fdsim.schedule.lower import lower
from fdsim.spec.load import load_hardware, load_workload

ROOT = Path(__file__).parent.parent.parent
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))
HARDWARE = ROOT / "hwconfigs" / "fdtrain_28nm.yaml"


@pytest.mark.parametrize("path", WORKLOADS, ids=[p.name for p in WORKLOADS])
def test_layer_shapes_equal_the_compilers(path: Path) -> None:
    spec = load_workload(path).spec
    lowered = lower(spec, load_hardware(HARDWARE).spec)
    model = lower_network(spec)
    mine = [[(r.channels, r.size, r.grid) for r in (x.rep_in, x.rep_out)] for x in model.layers]
    theirs = [[(r.channels, r.size, r.grid) for r in pair] for pair in lowered.layer_reps]
    assert mine == theirs
    assert [layer.domain for layer in model.layers] == list(lowered.layer_domains)


def test_float_backend_satisfies_the_protocol() -> None:
    backend: Backend[Array] = FloatBackend()  # checked by mypy; at run time a smoke test
    assert backend.to_float(np.ones(2)).dtype == np.float64


def test_digits_forward_exposes_every_layer_output_by_name() -> None:
    model = lower_network(load_workload(ROOT / "workloads" / "digits_cnn.yaml").spec)
    params = init_params(model, BACKEND, seed=1)
    images = np.random.default_rng(0).random((3, 1, 8, 8))
    logits, cache = forward(
        model, BACKEND, params, BACKEND.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    )
    assert logits.shape == (3, 10, 1, 1)
    assert list(cache.outputs) == [layer.name for layer in model.layers]
    for layer in model.layers[:-1]:
        rep = layer.rep_out
        out = cache.outputs[layer.name]
        expected = (3, rep.channels, rep.grid, rep.grid // 2 + 1) if rep.spectral else None
        assert out.shape == (expected or (3, rep.channels, rep.size, rep.size))


def test_conv_weights_are_spectra_of_seeded_kernels() -> None:
    model = lower_network(
        workload(8, 3, [{"name": "c", "kind": "conv", "out_channels": 2, "kernel": 3}, _fc(3)])
    )
    first, again = initial_param_values(model, 7), initial_param_values(model, 7)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    (conv,) = (p for p in model.params if p.role is ParamRole.CONV_WEIGHT)
    assert conv.shape == (2, 1, 8, 5) and first[conv.name].shape == conv.shape
    maps = np.fft.irfft2(first[conv.name], s=(8, 8))
    np.testing.assert_allclose(maps[..., 3:, :], 0, atol=1e-13)  # k×k support
    np.testing.assert_allclose(maps[..., :, 3:], 0, atol=1e-13)


def test_strided_spectral_conv_and_non_power_of_two_ifft_ops() -> None:
    layers = [
        {"name": "c", "kind": "conv", "out_channels": 2, "kernel": 3, "stride": 2},
        {"name": "p", "kind": "pool", "method": "spectral", "output_size": 3},
        _fc(3),
    ]
    model = lower_network(workload(6, 3, layers))
    conv, pool, fc = model.layers[:3]
    assert conv.ops == (ToSpectra(6, 8, 0), SpectralConv("c.weight", 3), Fold(2))
    assert pool.ops == (Crop(4, 3),)
    assert fc.ops[0] == ToMaps(3, 4)  # grid 3 read by a 4-point iFFT: interpolated to 4×4
    assert fc.kind is LayerKind.FC and fc.rep_in.size == 3


@pytest.mark.parametrize(
    ("layers", "path", "message"),
    [
        (
            [{"name": "a", "kind": "activation", "function": "relu"}],
            ("layers", 0, "function"),
            "relu has no spectral-domain form",
        ),
        (
            [{"name": "c", "kind": "conv", "out_channels": 1, "kernel": 3, "stride": 3}],
            ("layers", 0, "stride"),
            "must divide the spectral grid (8)",
        ),
        (
            [{"name": "p", "kind": "pool", "method": "spectral", "output_size": 4}],
            ("layers", 0, "method"),
            "spectral pooling runs in the spectral domain",
        ),
    ],
)
def test_rejected_like_the_compiler(
    layers: list[dict[str, object]], path: tuple[object, ...], message: str
) -> None:
    spec = workload(8, 16, layers, domain="spectral" if path[-1] != "method" else "hybrid")
    with pytest.raises(SpecFieldError) as error:
        lower_network(spec)
    assert error.value.path == path and message in error.value.message


def test_pool_windows() -> None:
    assert PoolWindows.sliding(7, 3, 2) == PoolWindows(7, (0, 2, 4), (3, 5, 7))
    assert PoolWindows.adaptive(8, 4) == PoolWindows.sliding(8, 2, 2)
    assert PoolWindows.adaptive(5, 2) == PoolWindows(5, (0, 2), (3, 5))


def _fc(out: int) -> dict[str, object]:
    return {"name": "fc", "kind": "fc", "out_features": out}
