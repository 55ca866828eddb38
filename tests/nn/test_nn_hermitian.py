"""Half-spectrum layout: mirroring, bin weights, Parseval, and the bin-derivative rule."""

from __future__ import annotations

import numpy as np
import pytest
from nn_test_helpers import random_maps

from fdsim.nn.hermitian import (
    full_to_half,
    half_spectrum_to_real,
    half_spectrum_weights,
    half_to_full,
    real_to_half_spectrum,
    spectral_inner_product,
)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9])
def test_half_to_full_equals_fft2(rng: np.random.Generator, n: int) -> None:
    x = random_maps(rng, 2, 3, n, n)
    np.testing.assert_allclose(half_to_full(np.fft.rfft2(x)), np.fft.fft2(x), atol=1e-12)
    np.testing.assert_array_equal(full_to_half(np.fft.fft2(x)), np.fft.fft2(x)[..., : n // 2 + 1])


@pytest.mark.parametrize("n", [1, 4, 7])
def test_round_trip_through_half_spectrum(rng: np.random.Generator, n: int) -> None:
    x = random_maps(rng, 3, n, n)
    spectrum = real_to_half_spectrum(x)
    assert spectrum.shape == (3, n, n // 2 + 1)
    np.testing.assert_allclose(half_spectrum_to_real(spectrum), x, atol=1e-13)


def test_weights_golden() -> None:
    np.testing.assert_array_equal(half_spectrum_weights(1), [[1.0]])
    np.testing.assert_array_equal(half_spectrum_weights(4), [[1.0, 2.0, 1.0]] * 4)
    np.testing.assert_array_equal(half_spectrum_weights(5), [[1.0, 2.0, 2.0]] * 5)
    # Total weight = number of full-spectrum bins.
    for n in range(1, 12):
        assert half_spectrum_weights(n).sum() == n * n


@pytest.mark.parametrize("n", [4, 5, 6])
def test_parseval_and_inner_product(rng: np.random.Generator, n: int) -> None:
    a = random_maps(rng, 2, n, n)
    b = random_maps(rng, 2, n, n)
    a_half, b_half = np.fft.rfft2(a), np.fft.rfft2(b)
    np.testing.assert_allclose(
        spectral_inner_product(a_half, b_half), (a * b).sum(axis=(-2, -1)), atol=1e-12
    )
    np.testing.assert_allclose(
        spectral_inner_product(a_half, a_half), (a * a).sum(axis=(-2, -1)), atol=1e-12
    )


@pytest.mark.parametrize("n", [4, 5])
def test_stored_bin_derivative_is_weighted_gradient_spectrum(
    rng: np.random.Generator, n: int
) -> None:
    """∂L/∂Re X[k] + i·∂L/∂Im X[k] = c[k]·G[k]/N² for L = Σ r·irfft2(X), G = F(∂L/∂x) = F(r).

    This pins down the bin weights: the Nyquist *row* entries outside columns 0 and N/2 count
    twice, like every other bin whose mirror is not stored."""
    r = random_maps(rng, n, n)
    x_half = np.fft.rfft2(random_maps(rng, n, n))

    def loss(spectrum: np.ndarray) -> float:
        return float(np.sum(r * half_spectrum_to_real(spectrum)))

    eps = 1e-6
    numeric = np.zeros_like(x_half)
    for u in range(n):
        for v in range(n // 2 + 1):
            for unit in (1.0, 1j):
                step = np.zeros_like(x_half)
                step[u, v] = eps * unit
                slope = (loss(x_half + step) - loss(x_half - step)) / (2 * eps)
                numeric[u, v] += slope * unit
    expected = half_spectrum_weights(n) * np.fft.rfft2(r) / (n * n)
    # Self-conjugate bins are real: irfft2 ignores their imaginary part, and so does c·G.
    np.testing.assert_allclose(numeric, expected, atol=1e-8)


def test_shape_errors_name_the_operand() -> None:
    with pytest.raises(ValueError, match=r"x_half must have shape \(\.\.\., N, N//2\+1\)"):
        half_to_full(np.zeros((4, 4), dtype=complex))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., N, N\), got shape \(3, 4\)"):
        real_to_half_spectrum(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="differ in N"):
        spectral_inner_product(np.zeros((4, 3), complex), np.zeros((5, 3), complex))
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        half_spectrum_weights(0)
