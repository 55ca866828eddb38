"""Small networks composed from the spectral operators: the linear collapse, and an end-to-end
forward/backward pass checked against the spatial reference model and finite differences.

Network: conv 3×3 (1→2, sinc-interpolated kernels) → activation → crop 8→4 → conv 3×3 stride 2
(2→3, folded) → activation → FC on spectra (→4) → softmax cross-entropy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from nn_test_helpers import numerical_gradient, random_maps

from fdsim.nn.activation import spectral_quadratic, spectral_quadratic_backward
from fdsim.nn.conv import (
    spectral_conv_backward_data,
    spectral_conv_backward_weight,
    spectral_conv_forward,
)
from fdsim.nn.crop import NyquistMode, spectral_crop, spectral_crop_backward
from fdsim.nn.dense import (
    dense_forward,
    spectral_dense_backward_data,
    spectral_dense_forward,
)
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.nn.hermitian import half_spectrum_to_real
from fdsim.nn.loss import softmax_cross_entropy, softmax_cross_entropy_backward
from fdsim.nn.reference import circular_conv2d, decimate, spatial_spectral_pool
from fdsim.nn.sinc import sinc_interpolate, sinc_project

N, POOLED, STRIDE, CLASSES = 8, 4, 2, 4
LINEAR_SIGMOID = (0.5, 0.25, 0.0)
QUADRATIC_RELU = (0.188, 0.5, 0.234)  # least-squares fit of ReLU on [−2, 2]


@dataclass(frozen=True)
class Params:
    w1: np.ndarray  # (2, 1, 3, 3) spatial kernels
    w2: np.ndarray  # (3, 2, 3, 3)
    v: np.ndarray  # (CLASSES, 3, 2, 2) spatial FC weight maps
    bias: np.ndarray  # (CLASSES,)


def make_params(rng: np.random.Generator) -> Params:
    return Params(
        w1=0.5 * random_maps(rng, 2, 1, 3, 3),
        w2=0.5 * random_maps(rng, 3, 2, 3, 3),
        v=random_maps(rng, CLASSES, 3, 2, 2),
        bias=random_maps(rng, CLASSES),
    )


def spectral_logits(
    x: np.ndarray, p: Params, act: tuple[float, float, float]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward in the frequency domain; returns the logits and the saved spectra."""
    s: dict[str, np.ndarray] = {"x": np.fft.rfft2(x)}
    s["w1"] = sinc_interpolate(np.fft.rfft2(p.w1), N)
    s["y1"] = spectral_conv_forward(s["x"], s["w1"])
    s["a1"] = spectral_quadratic(s["y1"], *act)
    s["p1"] = spectral_crop(s["a1"], POOLED, NyquistMode.AVERAGE)
    s["w2"] = sinc_interpolate(np.fft.rfft2(p.w2), POOLED)
    s["y2"] = spectral_fold(spectral_conv_forward(s["p1"], s["w2"]), STRIDE)
    s["a2"] = spectral_quadratic(s["y2"], *act)
    return spectral_dense_forward(s["a2"], np.fft.rfft2(p.v), p.bias), s


def spectral_gradients(
    x: np.ndarray, labels: np.ndarray, p: Params, act: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Backward in the frequency domain: (∂L/∂x, ∂L/∂w1) as spatial arrays."""
    logits, s = spectral_logits(x, p, act)
    g_logits = softmax_cross_entropy_backward(logits, labels)
    g = spectral_dense_backward_data(g_logits, np.fft.rfft2(p.v))
    g = spectral_quadratic_backward(g, s["y2"], act[1], act[2])
    g = spectral_conv_backward_data(spectral_fold_backward(g, STRIDE), s["w2"])
    g = spectral_crop_backward(g, N, NyquistMode.AVERAGE)
    g = spectral_quadratic_backward(g, s["y1"], act[1], act[2])
    dw1 = sinc_project(spectral_conv_backward_weight(g, s["x"]), 3)
    dx = spectral_conv_backward_data(g, s["w1"])
    return half_spectrum_to_real(dx), half_spectrum_to_real(dw1)


def reference_logits(x: np.ndarray, p: Params, act: tuple[float, float, float]) -> np.ndarray:
    """The same network computed spatially by the float64 reference model."""

    def activation(z: np.ndarray) -> np.ndarray:
        return np.asarray(act[0] + act[1] * z + act[2] * z * z)

    a1 = activation(circular_conv2d(x, p.w1))
    p1 = spatial_spectral_pool(a1, POOLED, NyquistMode.AVERAGE)
    a2 = activation(decimate(circular_conv2d(p1, p.w2), STRIDE))
    return dense_forward(a2.reshape(len(x), -1), p.v.reshape(CLASSES, -1), p.bias)


@pytest.mark.parametrize("act", [LINEAR_SIGMOID, QUADRATIC_RELU])
def test_spectral_network_matches_spatial_reference(
    rng: np.random.Generator, act: tuple[float, float, float]
) -> None:
    x = random_maps(rng, 3, 1, N, N)
    p = make_params(rng)
    logits, _ = spectral_logits(x, p, act)
    np.testing.assert_allclose(logits, reference_logits(x, p, act), atol=1e-10)


def test_end_to_end_gradients_match_finite_differences(rng: np.random.Generator) -> None:
    x = random_maps(rng, 2, 1, N, N)
    labels = np.array([1, 3])
    p = make_params(rng)
    dx, dw1 = spectral_gradients(x, labels, p, QUADRATIC_RELU)

    def loss_of_x(x_: np.ndarray) -> float:
        return softmax_cross_entropy(reference_logits(x_, p, QUADRATIC_RELU), labels)

    def loss_of_w1(w1: np.ndarray) -> float:
        q = Params(w1=w1, w2=p.w2, v=p.v, bias=p.bias)
        return softmax_cross_entropy(reference_logits(x, q, QUADRATIC_RELU), labels)

    np.testing.assert_allclose(dx, numerical_gradient(loss_of_x, x), atol=1e-8)
    np.testing.assert_allclose(dw1, numerical_gradient(loss_of_w1, p.w1), atol=1e-8)


def affinity_defect(rng: np.random.Generator, act: tuple[float, float, float]) -> float:
    """max |f(a+b) − f(a) − f(b) + f(0)| / max |f(a)|: zero exactly when f is affine."""
    p = make_params(rng)
    a, b = random_maps(rng, 2, 1, N, N), random_maps(rng, 2, 1, N, N)

    def f(x: np.ndarray) -> np.ndarray:
        return spectral_logits(x, p, act)[0]

    defect = f(a + b) - f(a) - f(b) + f(np.zeros_like(a))
    return float(np.abs(defect).max() / np.abs(f(a)).max())


def test_linear_sigmoid_network_collapses_to_an_affine_map(rng: np.random.Generator) -> None:
    assert affinity_defect(rng, LINEAR_SIGMOID) < 1e-12


def test_quadratic_network_is_not_affine(rng: np.random.Generator) -> None:
    assert affinity_defect(rng, QUADRATIC_RELU) > 1e-2
