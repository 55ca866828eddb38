"""Sinc-interpolated kernels: equal to zero-pad-then-FFT, and the adjoint projection."""

from __future__ import annotations

import numpy as np
import pytest
from nn_test_helpers import random_maps

from fdsim.nn.hermitian import half_spectrum_to_real, spectral_inner_product
from fdsim.nn.sinc import dirichlet_matrix, sinc_interpolate, sinc_project

SIZES = [(8, 3), (9, 5), (16, 5), (7, 7), (6, 1), (10, 4)]


def test_dirichlet_matrix_matches_closed_form() -> None:
    n, k = 12, 5
    f = np.arange(n)[:, None] / n - np.arange(k)[None, :] / k
    at_integer = np.isclose(f, np.round(f))
    safe = np.where(at_integer, 0.5, f)
    closed = (
        np.exp(-1j * np.pi * safe * (k - 1)) * np.sin(np.pi * safe * k) / (k * np.sin(np.pi * safe))
    )
    a = dirichlet_matrix(n, k)
    np.testing.assert_allclose(a[~at_integer], closed[~at_integer], atol=1e-14)
    # D(0) = 1 (u/N = p/k): those bins are shared by both grids and pass unchanged.
    np.testing.assert_allclose(a[at_integer], 1.0, atol=1e-14)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_interpolation_equals_zero_pad_fft(rng: np.random.Generator, n: int, k: int) -> None:
    w = random_maps(rng, 3, 2, k, k)
    interpolated = sinc_interpolate(np.fft.rfft2(w), n)
    np.testing.assert_allclose(interpolated, np.fft.rfft2(w, s=(n, n)), atol=1e-12)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_projection_is_crop_after_inverse_fft(rng: np.random.Generator, n: int, k: int) -> None:
    g = np.fft.rfft2(random_maps(rng, 2, 3, n, n))
    expected = np.fft.rfft2(half_spectrum_to_real(g)[..., :k, :k])
    np.testing.assert_allclose(sinc_project(g, k), expected, atol=1e-12)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_projection_is_the_adjoint_and_a_left_inverse(
    rng: np.random.Generator, n: int, k: int
) -> None:
    w_k = np.fft.rfft2(random_maps(rng, k, k))
    g = np.fft.rfft2(random_maps(rng, n, n))
    lhs = spectral_inner_product(sinc_interpolate(w_k, n), g)
    rhs = spectral_inner_product(w_k, sinc_project(g, k))
    assert float(lhs) == pytest.approx(float(rhs), rel=1e-12)
    np.testing.assert_allclose(sinc_project(sinc_interpolate(w_k, n), k), w_k, atol=1e-12)


def test_kernel_larger_than_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="k <= N, got k=5 > N=4"):
        sinc_interpolate(np.zeros((5, 3), complex), 4)
