"""FC layers (real vectors and spectral readout) and softmax cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest
from nn_test_helpers import numerical_gradient, random_maps

from fdsim.nn.dense import (
    dense_backward_data,
    dense_backward_params,
    dense_forward,
    spectral_dense_backward_data,
    spectral_dense_backward_params,
    spectral_dense_forward,
)
from fdsim.nn.loss import softmax, softmax_cross_entropy, softmax_cross_entropy_backward


def test_dense_forward_and_gradients(rng: np.random.Generator) -> None:
    x = random_maps(rng, 3, 5)
    weight = random_maps(rng, 4, 5)
    bias = random_maps(rng, 4)
    r = random_maps(rng, 3, 4)
    y = dense_forward(x, weight, bias)
    np.testing.assert_allclose(y[1, 2], x[1] @ weight[2] + bias[2], atol=1e-14)
    np.testing.assert_allclose(
        dense_backward_data(r, weight),
        numerical_gradient(lambda x_: float(np.sum(r * dense_forward(x_, weight, bias))), x),
        atol=1e-8,
    )
    d_weight, d_bias = dense_backward_params(r, x)
    np.testing.assert_allclose(
        d_weight,
        numerical_gradient(lambda w_: float(np.sum(r * dense_forward(x, w_, bias))), weight),
        atol=1e-8,
    )
    np.testing.assert_allclose(d_bias, r.sum(axis=0), atol=1e-14)


@pytest.mark.parametrize("n", [4, 5])
def test_spectral_readout_equals_dense_on_spatial_maps(rng: np.random.Generator, n: int) -> None:
    x = random_maps(rng, 3, 2, n, n)
    v = random_maps(rng, 4, 2, n, n)
    bias = random_maps(rng, 4)
    g = random_maps(rng, 3, 4)
    spatial = dense_forward(x.reshape(3, -1), v.reshape(4, -1), bias)
    spectral = spectral_dense_forward(np.fft.rfft2(x), np.fft.rfft2(v), bias)
    np.testing.assert_allclose(spectral, spatial, atol=1e-12)
    # Gradients are the spectra of the spatial gradients.
    dx = dense_backward_data(g, v.reshape(4, -1)).reshape(x.shape)
    np.testing.assert_allclose(
        spectral_dense_backward_data(g, np.fft.rfft2(v)), np.fft.rfft2(dx), atol=1e-12
    )
    d_weight, d_bias = dense_backward_params(g, x.reshape(3, -1))
    dv, dv_bias = spectral_dense_backward_params(g, np.fft.rfft2(x))
    np.testing.assert_allclose(dv, np.fft.rfft2(d_weight.reshape(v.shape)), atol=1e-12)
    np.testing.assert_array_equal(dv_bias, d_bias)


def test_cross_entropy_goldens() -> None:
    labels = np.array([0, 2])
    assert softmax_cross_entropy(np.zeros((2, 3)), labels) == pytest.approx(np.log(3.0))
    # Huge logits: no overflow, no NaN; the loss is the margin when the label loses.
    logits = np.array([[1000.0, 0.0, 0.0], [1000.0, 0.0, -1000.0]])
    assert softmax_cross_entropy(logits[:1], np.array([0])) == pytest.approx(
        np.log1p(2 * np.exp(-1000.0)), abs=1e-300
    )
    assert softmax_cross_entropy(logits, labels) == pytest.approx((0.0 + 2000.0) / 2)
    np.testing.assert_allclose(softmax(logits)[1], [1.0, 0.0, 0.0], atol=1e-300)
    grad = softmax_cross_entropy_backward(logits, labels)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.0], [0.5, 0.0, -0.5]], atol=1e-300)


def test_cross_entropy_gradient(rng: np.random.Generator) -> None:
    logits = 3 * random_maps(rng, 4, 5)
    labels = np.array([0, 4, 2, 2])
    grad = softmax_cross_entropy_backward(logits, labels)
    np.testing.assert_allclose(
        grad, numerical_gradient(lambda z: softmax_cross_entropy(z, labels), logits), atol=1e-9
    )
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-16)


def test_bad_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got range \[0, 3\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must be integers, got dtype float64"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="differ in input features"):
        dense_forward(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(4))
