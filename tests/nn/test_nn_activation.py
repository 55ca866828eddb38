"""Spectral activations against the DFT of the spatial activation, and their backward passes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_test_helpers import numerical_gradient, random_maps

from fdsim.nn.activation import (
    spectral_affine,
    spectral_affine_backward,
    spectral_linear_sigmoid,
    spectral_linear_sigmoid_backward,
    spectral_product,
    spectral_quadratic,
    spectral_quadratic_backward,
)
from fdsim.nn.hermitian import half_spectrum_to_real


@pytest.mark.parametrize("n", [1, 4, 7])
def test_linear_sigmoid_is_dft_of_half_plus_quarter_x(rng: np.random.Generator, n: int) -> None:
    x = random_maps(rng, 2, 3, n, n)
    y = spectral_linear_sigmoid(np.fft.rfft2(x))
    np.testing.assert_allclose(y, np.fft.rfft2(0.5 + x / 4), atol=1e-12)
    # DC gains N²/2; every other bin is scaled by 1/4.
    assert y[0, 0, 0, 0] == pytest.approx(n * n / 2 + np.fft.rfft2(x)[0, 0, 0, 0] / 4)


def test_affine_forward_and_backward(rng: np.random.Generator) -> None:
    x = random_maps(rng, 3, 6, 6)
    g = random_maps(rng, 3, 6, 6)
    y = spectral_affine(np.fft.rfft2(x), -1.5, 0.75)
    np.testing.assert_allclose(y, np.fft.rfft2(-1.5 * x + 0.75), atol=1e-12)
    np.testing.assert_allclose(
        spectral_affine_backward(np.fft.rfft2(g), -1.5), np.fft.rfft2(-1.5 * g), atol=1e-12
    )
    np.testing.assert_allclose(
        spectral_linear_sigmoid_backward(np.fft.rfft2(g)), np.fft.rfft2(g / 4), atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 10),
    coefficients=st.tuples(*(st.floats(-2, 2) for _ in range(3))),
    seed=st.integers(0, 2**32 - 1),
)
def test_quadratic_is_dft_of_polynomial(
    n: int, coefficients: tuple[float, float, float], seed: int
) -> None:
    c0, c1, c2 = coefficients
    x = random_maps(np.random.default_rng(seed), 2, n, n)
    y = spectral_quadratic(np.fft.rfft2(x), c0, c1, c2)
    np.testing.assert_allclose(y, np.fft.rfft2(c0 + c1 * x + c2 * x * x), atol=1e-9)


def test_spectral_product_broadcasts(rng: np.random.Generator) -> None:
    a = random_maps(rng, 2, 1, 6, 6)
    b = random_maps(rng, 3, 6, 6)
    product = spectral_product(np.fft.rfft2(a), np.fft.rfft2(b))
    assert product.shape == (2, 3, 6, 4)
    np.testing.assert_allclose(product, np.fft.rfft2(a * b), atol=1e-10)


@pytest.mark.parametrize("n", [4, 5])
def test_quadratic_backward(rng: np.random.Generator, n: int) -> None:
    c0, c1, c2 = 0.188, 0.5, 0.234  # least-squares quadratic fit of ReLU on [−2, 2]
    x = random_maps(rng, 2, n, n)
    r = random_maps(rng, 2, n, n)

    def loss(x_: np.ndarray) -> float:
        y = spectral_quadratic(np.fft.rfft2(x_), c0, c1, c2)
        return float(np.sum(r * half_spectrum_to_real(y)))

    dx = spectral_quadratic_backward(np.fft.rfft2(r), np.fft.rfft2(x), c1, c2)
    np.testing.assert_allclose(dx, np.fft.rfft2(r * (c1 + 2 * c2 * x)), atol=1e-10)
    np.testing.assert_allclose(half_spectrum_to_real(dx), numerical_gradient(loss, x), atol=1e-7)


def test_product_size_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match=r"a \(4, 3\) and b \(6, 4\) differ in N"):
        spectral_product(np.zeros((4, 3), complex), np.zeros((6, 4), complex))
