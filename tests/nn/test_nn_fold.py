"""Strided convolution by spectral folding, and tiling as its backward."""

from __future__ import annotations

import numpy as np
import pytest
from nn_test_helpers import random_maps

from fdsim.nn.conv import kernel_spectrum, spectral_conv_forward
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.nn.hermitian import half_spectrum_to_real, spectral_inner_product
from fdsim.nn.reference import circular_conv2d, decimate, decimate_backward

CASES = [(12, 3), (8, 2), (8, 4), (9, 3), (6, 6), (5, 1), (10, 2)]


@pytest.mark.parametrize(("n", "stride"), CASES)
def test_folded_convolution_equals_strided_direct_convolution(
    rng: np.random.Generator, n: int, stride: int
) -> None:
    x = random_maps(rng, 2, 3, n, n)
    w = random_maps(rng, 2, 3, 3, 3)
    y = spectral_fold(spectral_conv_forward(np.fft.rfft2(x), kernel_spectrum(w, n)), stride)
    m = n // stride
    assert y.shape == (2, 2, m, m // 2 + 1)
    expected = decimate(circular_conv2d(x, w), stride)
    np.testing.assert_allclose(half_spectrum_to_real(y), expected, atol=1e-10)


@pytest.mark.parametrize(("n", "stride"), CASES)
def test_tiling_is_zero_insertion_and_the_adjoint(
    rng: np.random.Generator, n: int, stride: int
) -> None:
    m = n // stride
    g = random_maps(rng, 3, m, m)
    tiled = spectral_fold_backward(np.fft.rfft2(g), stride)
    np.testing.assert_allclose(tiled, np.fft.rfft2(decimate_backward(g, stride)), atol=1e-12)
    y = np.fft.rfft2(random_maps(rng, 3, n, n))
    np.testing.assert_allclose(
        spectral_inner_product(spectral_fold(y, stride), np.fft.rfft2(g)),
        spectral_inner_product(y, tiled),
        rtol=1e-12,
    )


def test_stride_one_is_the_identity(rng: np.random.Generator) -> None:
    y = np.fft.rfft2(random_maps(rng, 7, 7))
    np.testing.assert_allclose(spectral_fold(y, 1), y, atol=1e-15)
    np.testing.assert_array_equal(spectral_fold_backward(y, 1), y)


def test_indivisible_size_is_refused() -> None:
    with pytest.raises(ValueError, match="N divisible by the stride, got N=8, s=3"):
        spectral_fold(np.zeros((8, 5), complex), 3)
