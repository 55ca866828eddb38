"""The model against the spatial-domain reference network (direct convolutions, no FFT): layer
outputs, gradients, and spectral SGD equal to spatial SGD on the k×k kernels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from model_test_helpers import BACKEND, kernels, workload

from fdsim.model.backend import TensorClass
from fdsim.model.passes import INPUT_NAME, backward, forward, init_params, update
from fdsim.network.graph import Network
from fdsim.network.lowering import lower_network
from fdsim.nn.crop import NyquistMode
from fdsim.nn.dense import dense_backward_data, dense_backward_params, dense_forward
from fdsim.nn.loss import softmax_cross_entropy_backward
from fdsim.nn.reference import (
    circular_conv2d,
    circular_conv2d_backward_data,
    circular_conv2d_backward_weight,
    decimate,
    decimate_backward,
    linear_conv2d,
    linear_conv2d_backward_data,
    linear_conv2d_backward_weight,
    spatial_spectral_pool,
    spatial_spectral_pool_backward,
)
from fdsim.spec.workload import TrainingSpec

Array = np.ndarray[Any, Any]
QUADRATIC = (0.188, 0.5, 0.234)

SPECTRAL_LAYERS: list[dict[str, Any]] = [
    {"name": "c1", "kind": "conv", "out_channels": 2, "kernel": 3},
    {"name": "q1", "kind": "activation", "function": "quadratic", "coefficients": list(QUADRATIC)},
    {"name": "p1", "kind": "pool", "method": "spectral", "output_size": 4},
    {"name": "c2", "kind": "conv", "out_channels": 3, "kernel": 3, "stride": 2},
    {"name": "s2", "kind": "activation", "function": "linear_sigmoid"},
    {"name": "f1", "kind": "fc", "out_features": 4},
]


def _quadratic(z: Array) -> Array:
    return np.asarray(QUADRATIC[0] + QUADRATIC[1] * z + QUADRATIC[2] * z * z)


@dataclass(frozen=True)
class Reference:
    """The spectral network's layer outputs (spatial maps) and gradients, computed spatially."""

    outputs: dict[str, Array]
    grads: dict[str, Array]  # conv: k×k kernel gradients; fc: as stored


def spectral_reference(model: Network, params: dict[str, Array], x: Array, y: Array) -> Reference:
    w1, w2 = kernels(model, params, "c1.weight"), kernels(model, params, "c2.weight")
    v, b = params["f1.weight"], params["f1.bias"]
    z1 = circular_conv2d(x, w1)
    a1 = _quadratic(z1)
    p1 = spatial_spectral_pool(a1, 4, NyquistMode.AVERAGE)
    z2 = decimate(circular_conv2d(p1, w2), 2)
    a2 = 0.5 + 0.25 * z2
    logits = dense_forward(a2.reshape(len(x), -1), v, b)
    g = softmax_cross_entropy_backward(logits, y)
    dv, db = dense_backward_params(g, a2.reshape(len(x), -1))
    g_a2 = dense_backward_data(g, v).reshape(a2.shape)
    g_c2 = decimate_backward(0.25 * g_a2, 2)
    dw2 = circular_conv2d_backward_weight(g_c2, p1, 3)
    g_a1 = spatial_spectral_pool_backward(
        circular_conv2d_backward_data(g_c2, w2), 8, NyquistMode.AVERAGE
    )
    g_z1 = g_a1 * (QUADRATIC[1] + 2 * QUADRATIC[2] * z1)
    dw1 = circular_conv2d_backward_weight(g_z1, x, 3)
    outputs = {"c1": z1, "q1": a1, "p1": p1, "c2": z2, "s2": a2, "f1": logits}
    grads = {"c1.weight": dw1, "c2.weight": dw2, "f1.weight": dv, "f1.bias": db}
    return Reference(outputs, grads)


def _run(model: Network, params: dict[str, Array], images: Array, labels: Array) -> Any:
    x = BACKEND.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    _, cache = forward(model, BACKEND, params, x)
    _, grads = backward(model, BACKEND, params, cache, labels)
    return cache, grads


def _as_maps(value: Array) -> Array:
    if np.iscomplexobj(value):
        return np.fft.irfft2(value, s=(value.shape[-2], value.shape[-2]))
    return value.reshape(value.shape[0], -1) if value.shape[-1] == 1 else value


def test_spectral_network_matches_the_spatial_reference() -> None:
    model = lower_network(workload(8, 4, SPECTRAL_LAYERS))
    params = init_params(model, BACKEND, seed=5)
    rng = np.random.default_rng(2)
    images, labels = rng.random((3, 1, 8, 8)), np.array([0, 3, 1])
    cache, grads = _run(model, params, images, labels)
    ref = spectral_reference(model, params, images, labels)
    for name, expected in ref.outputs.items():
        np.testing.assert_allclose(_as_maps(cache.outputs[name]), expected, atol=1e-10)
    for name, expected in ref.grads.items():
        actual = kernels(model, grads, name) if name.startswith("c") else grads[name]
        np.testing.assert_allclose(actual, expected, atol=1e-12, err_msg=name)


def test_hybrid_conv_matches_the_linear_reference() -> None:
    layers = [
        {"name": "c1", "kind": "conv", "out_channels": 2, "kernel": 3, "padding": 1},
        {"name": "f1", "kind": "fc", "out_features": 3},
    ]
    model = lower_network(workload(5, 3, layers, domain="hybrid"))
    params = init_params(model, BACKEND, seed=6)
    rng = np.random.default_rng(4)
    images, labels = rng.random((2, 1, 5, 5)), np.array([2, 1])
    cache, grads = _run(model, params, images, labels)
    w = kernels(model, params, "c1.weight")
    z = linear_conv2d(images, w, padding=1)
    to_maps = model.layers[1].ops[0]
    maps = BACKEND.forward(to_maps, "f1", params, cache.outputs["c1"])
    np.testing.assert_allclose(maps, z, atol=1e-12)
    logits = dense_forward(z.reshape(2, -1), params["f1.weight"], params["f1.bias"])
    g = dense_backward_data(softmax_cross_entropy_backward(logits, labels), params["f1.weight"])
    dw = linear_conv2d_backward_weight(g.reshape(z.shape), images, 3, padding=1)
    np.testing.assert_allclose(kernels(model, grads, "c1.weight"), dw, atol=1e-12)


def test_spectral_sgd_equals_spatial_sgd_on_the_kernels() -> None:
    model = lower_network(workload(8, 4, SPECTRAL_LAYERS))
    params = init_params(model, BACKEND, seed=8)
    training = TrainingSpec(learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    rng = np.random.default_rng(9)
    images, labels = rng.random((4, 1, 8, 8)), np.array([0, 1, 2, 3])
    spatial = {name: kernels(model, params, name) for name in ("c1.weight", "c2.weight")}
    spatial_velocity = {name: np.zeros_like(w) for name, w in spatial.items()}
    velocities: dict[str, Array] = {}
    for _ in range(3):
        ref = spectral_reference(model, params, images, labels)
        _, grads = _run(model, params, images, labels)
        params, velocities = update(model, BACKEND, params, grads, velocities, training)
        for name, w in spatial.items():
            step = ref.grads[name] + training.weight_decay * w
            spatial_velocity[name] = training.momentum * spatial_velocity[name] + step
            spatial[name] = w - training.learning_rate * spatial_velocity[name]
            maps = np.fft.irfft2(params[name], s=(8 if name == "c1.weight" else 4,) * 2)
            np.testing.assert_allclose(maps[..., :3, :3], spatial[name], atol=1e-12)
            np.testing.assert_allclose(maps[..., 3:, :], 0, atol=1e-12)  # support stays k×k
            np.testing.assert_allclose(maps[..., :, 3:], 0, atol=1e-12)


def _max_pool2(x: Array) -> tuple[Array, Array]:
    """2×2 max pooling, stride 2, by loops; and the mask of each window's maximum."""
    out = np.zeros((*x.shape[:2], x.shape[2] // 2, x.shape[3] // 2))
    mask = np.zeros(x.shape)
    for index in np.ndindex(out.shape):
        b, c, i, j = index
        window = x[b, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
        out[index] = window.max()
        r, s = np.unravel_index(np.argmax(window), window.shape)
        mask[b, c, 2 * i + r, 2 * j + s] = 1.0
    return out, mask


def test_hybrid_network_matches_the_spatial_reference() -> None:
    # Linear convolutions (padded, then padded and strided) through the FFT, spatial ReLU,
    # max and average pooling, FC: outputs and every gradient against direct spatial maths.
    layers = [
        {"name": "c1", "kind": "conv", "out_channels": 2, "kernel": 3, "padding": 1},
        {"name": "r1", "kind": "activation", "function": "relu"},
        {"name": "m1", "kind": "pool", "method": "max", "kernel": 2},
        {"name": "c2", "kind": "conv", "out_channels": 3, "kernel": 3, "padding": 1, "stride": 2},
        {"name": "a2", "kind": "pool", "method": "average", "kernel": 2},
        {"name": "f1", "kind": "fc", "out_features": 3},
    ]
    model = lower_network(workload(8, 3, layers, domain="hybrid"))
    params = init_params(model, BACKEND, seed=11)
    rng = np.random.default_rng(12)
    images, labels = rng.random((2, 1, 8, 8)), np.array([2, 0])
    cache, grads = _run(model, params, images, labels)
    w1, w2 = kernels(model, params, "c1.weight"), kernels(model, params, "c2.weight")
    z1 = linear_conv2d(images, w1, padding=1)
    r1 = np.maximum(z1, 0.0)
    m1, argmax = _max_pool2(r1)
    z2 = decimate(linear_conv2d(m1, w2, padding=1), 2)  # 4×4 → (4 + 2 − 3)/2 + 1 = 2
    a2 = z2.mean(axis=(2, 3), keepdims=True)
    logits = dense_forward(a2.reshape(2, -1), params["f1.weight"], params["f1.bias"])
    for name, expected in {"r1": r1, "m1": m1, "a2": a2.reshape(2, -1), "f1": logits}.items():
        np.testing.assert_allclose(_as_maps(cache.outputs[name]), expected, atol=1e-12)
    g = softmax_cross_entropy_backward(logits, labels)
    dv, db = dense_backward_params(g, a2.reshape(2, -1))
    g_a2 = dense_backward_data(g, params["f1.weight"]).reshape(a2.shape)
    g_c2 = decimate_backward(np.broadcast_to(g_a2 / 4, z2.shape), 2)
    dw2 = linear_conv2d_backward_weight(g_c2, m1, 3, padding=1)
    g_m1 = linear_conv2d_backward_data(g_c2, w2, padding=1)
    g_z1 = np.repeat(np.repeat(g_m1, 2, axis=2), 2, axis=3) * argmax * (z1 > 0)
    dw1 = linear_conv2d_backward_weight(g_z1, images, 3, padding=1)
    expected_grads = {"c1.weight": dw1, "c2.weight": dw2, "f1.weight": dv, "f1.bias": db}
    for name, expected in expected_grads.items():
        actual = kernels(model, grads, name) if name.startswith("c") else grads[name]
        np.testing.assert_allclose(actual, expected, atol=1e-12, err_msg=name)
