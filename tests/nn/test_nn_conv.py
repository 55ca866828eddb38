"""Spectral convolution: convolution theorem, backward ops, adjointness, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_test_helpers import numerical_gradient, random_maps

from fdsim.nn.conv import (
    kernel_spectrum,
    spectral_conv_backward_data,
    spectral_conv_backward_weight,
    spectral_conv_forward,
)
from fdsim.nn.hermitian import half_spectrum_to_real, spectral_inner_product
from fdsim.nn.reference import (
    circular_conv2d,
    circular_conv2d_backward_data,
    circular_conv2d_backward_weight,
)


@st.composite
def conv_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Random (x, w): batch 1–3, 1–3 channels in and out, N 1–9 (odd and even), k ≤ N."""
    n = draw(st.integers(1, 9))
    k = draw(st.integers(1, n))
    batch, c_in, c_out = (draw(st.integers(1, 3)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_maps(rng, batch, c_in, n, n), random_maps(rng, c_out, c_in, k, k)


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_convolution_theorem(case: tuple[np.ndarray, np.ndarray]) -> None:
    x, w = case
    n = x.shape[-1]
    y = spectral_conv_forward(np.fft.rfft2(x), kernel_spectrum(w, n))
    np.testing.assert_allclose(half_spectrum_to_real(y), circular_conv2d(x, w), atol=1e-9)


def test_reference_conv_matches_explicit_sum(rng: np.random.Generator) -> None:
    x = random_maps(rng, 2, 2, 5, 5)
    w = random_maps(rng, 3, 2, 3, 3)
    expected = np.zeros((2, 3, 5, 5))
    for b, o, i, n1, n2, m1, m2 in np.ndindex(2, 3, 2, 5, 5, 3, 3):
        expected[b, o, n1, n2] += x[b, i, (n1 + m1) % 5, (n2 + m2) % 5] * w[o, i, m1, m2]
    np.testing.assert_allclose(circular_conv2d(x, w), expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_backward_ops_match_spatial_reference(case: tuple[np.ndarray, np.ndarray]) -> None:
    x, w = case
    n, k = x.shape[-1], w.shape[-1]
    g = np.random.default_rng(7).standard_normal((x.shape[0], w.shape[0], n, n))
    g_half = np.fft.rfft2(g)
    dx = spectral_conv_backward_data(g_half, kernel_spectrum(w, n))
    np.testing.assert_allclose(
        half_spectrum_to_real(dx), circular_conv2d_backward_data(g, w), atol=1e-9
    )
    dw = spectral_conv_backward_weight(g_half, np.fft.rfft2(x))
    # dW is F(∂L/∂w) on the whole N×N grid; its k×k corner is the kernel's gradient.
    dw_full_grid = circular_conv2d_backward_weight(g, x, n)
    np.testing.assert_allclose(dw, np.fft.rfft2(dw_full_grid), atol=1e-8)
    np.testing.assert_allclose(
        half_spectrum_to_real(dw)[..., :k, :k], circular_conv2d_backward_weight(g, x, k), atol=1e-9
    )


def test_backward_ops_are_adjoints(rng: np.random.Generator) -> None:
    x = np.fft.rfft2(random_maps(rng, 2, 3, 6, 6))
    w = np.fft.rfft2(random_maps(rng, 4, 3, 6, 6))
    g = np.fft.rfft2(random_maps(rng, 2, 4, 6, 6))
    forward = spectral_inner_product(spectral_conv_forward(x, w), g).sum()
    via_data = spectral_inner_product(x, spectral_conv_backward_data(g, w)).sum()
    via_weight = spectral_inner_product(w, spectral_conv_backward_weight(g, x)).sum()
    assert forward == pytest.approx(via_data, rel=1e-12)
    assert forward == pytest.approx(via_weight, rel=1e-12)


@pytest.mark.parametrize("n", [4, 5])
def test_gradients_match_central_differences(rng: np.random.Generator, n: int) -> None:
    """L = Σ r·y with y = corr(x, w): the spectral gradients are DFTs of ∂L/∂x and ∂L/∂w."""
    k = 3
    x = random_maps(rng, 2, 2, n, n)
    w = random_maps(rng, 3, 2, k, k)
    r = random_maps(rng, 2, 3, n, n)

    def loss_x(x_: np.ndarray) -> float:
        y = spectral_conv_forward(np.fft.rfft2(x_), kernel_spectrum(w, n))
        return float(np.sum(r * half_spectrum_to_real(y)))

    def loss_w(w_: np.ndarray) -> float:
        y = spectral_conv_forward(np.fft.rfft2(x), kernel_spectrum(w_, n))
        return float(np.sum(r * half_spectrum_to_real(y)))

    g = np.fft.rfft2(r)
    dx = half_spectrum_to_real(spectral_conv_backward_data(g, kernel_spectrum(w, n)))
    dw = half_spectrum_to_real(spectral_conv_backward_weight(g, np.fft.rfft2(x)))[..., :k, :k]
    np.testing.assert_allclose(dx, numerical_gradient(loss_x, x), atol=1e-7)
    np.testing.assert_allclose(dw, numerical_gradient(loss_w, w), atol=1e-7)


def test_reference_gradients_match_central_differences(rng: np.random.Generator) -> None:
    x = random_maps(rng, 2, 2, 5, 5)
    w = random_maps(rng, 3, 2, 2, 2)
    r = random_maps(rng, 2, 3, 5, 5)
    np.testing.assert_allclose(
        circular_conv2d_backward_data(r, w),
        numerical_gradient(lambda x_: float(np.sum(r * circular_conv2d(x_, w))), x),
        atol=1e-7,
    )
    np.testing.assert_allclose(
        circular_conv2d_backward_weight(r, x, 2),
        numerical_gradient(lambda w_: float(np.sum(r * circular_conv2d(x, w_))), w),
        atol=1e-7,
    )


def test_shape_errors() -> None:
    x = np.zeros((2, 3, 4, 3), complex)
    with pytest.raises(
        ValueError, match=r"x \(2, 3, 4, 3\) and w \(5, 2, 4, 3\) differ in input channels"
    ):
        spectral_conv_forward(x, np.zeros((5, 2, 4, 3), complex))
    with pytest.raises(ValueError, match="differ in N"):
        spectral_conv_forward(x, np.zeros((5, 3, 6, 4), complex))
    with pytest.raises(ValueError, match=r"g must have shape \(batch, channels, N, N//2\+1\)"):
        spectral_conv_backward_data(np.zeros((4, 3), complex), np.zeros((5, 3, 4, 3), complex))
    with pytest.raises(ValueError, match="differ in batch size"):
        spectral_conv_backward_weight(np.zeros((1, 5, 4, 3), complex), x)
    with pytest.raises(ValueError, match=r"k <= N=4"):
        kernel_spectrum(np.zeros((1, 1, 5, 5)), 4)
