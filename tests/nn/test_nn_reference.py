"""The spatial reference model itself, and the hybrid (linear-convolution) spectral pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from nn_test_helpers import numerical_gradient, random_maps
from scipy.signal import correlate2d

from fdsim.nn.conv import kernel_spectrum, spectral_conv_backward_data, spectral_conv_forward
from fdsim.nn.crop import NyquistMode
from fdsim.nn.hermitian import half_spectrum_to_real
from fdsim.nn.hybrid import (
    embed_for_linear_conv,
    embed_for_linear_conv_backward,
    extract_linear_conv_output,
    extract_linear_conv_output_backward,
    linear_conv_output_size,
    min_linear_fft_size,
)
from fdsim.nn.reference import (
    linear_conv2d,
    linear_conv2d_backward_data,
    linear_conv2d_backward_weight,
    spectral_pool_matrix,
)

CASES = [(6, 3, 0), (6, 3, 1), (7, 5, 2), (5, 2, 0), (4, 1, 0)]


@pytest.mark.parametrize(("n", "k", "padding"), CASES)
def test_linear_conv_matches_scipy(rng: np.random.Generator, n: int, k: int, padding: int) -> None:
    x = random_maps(rng, 2, 3, n, n)
    w = random_maps(rng, 2, 3, k, k)
    y = linear_conv2d(x, w, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    for b, o in np.ndindex(2, 2):
        expected = sum(correlate2d(xp[b, i], w[o, i], mode="valid") for i in range(3))
        np.testing.assert_allclose(y[b, o], expected, atol=1e-12)


@pytest.mark.parametrize(("n", "k", "padding"), CASES)
def test_linear_conv_gradients(rng: np.random.Generator, n: int, k: int, padding: int) -> None:
    x = random_maps(rng, 2, 2, n, n)
    w = random_maps(rng, 3, 2, k, k)
    n_out = linear_conv_output_size(n, k, padding)
    r = random_maps(rng, 2, 3, n_out, n_out)
    np.testing.assert_allclose(
        linear_conv2d_backward_data(r, w, padding),
        numerical_gradient(lambda x_: float(np.sum(r * linear_conv2d(x_, w, padding))), x),
        atol=1e-7,
    )
    np.testing.assert_allclose(
        linear_conv2d_backward_weight(r, x, k, padding),
        numerical_gradient(lambda w_: float(np.sum(r * linear_conv2d(x, w_, padding))), w),
        atol=1e-7,
    )


@pytest.mark.parametrize(("n", "k", "padding"), CASES)
@pytest.mark.parametrize("extra", [0, 3])
def test_hybrid_pipeline_is_linear_convolution(
    rng: np.random.Generator, n: int, k: int, padding: int, extra: int
) -> None:
    x = random_maps(rng, 2, 3, n, n)
    w = random_maps(rng, 2, 3, k, k)
    fft_size = min_linear_fft_size(n, padding) + extra
    n_out = linear_conv_output_size(n, k, padding)
    w_spectrum = kernel_spectrum(w, fft_size)
    x_spectrum = np.fft.rfft2(embed_for_linear_conv(x, padding, fft_size))
    y = extract_linear_conv_output(
        half_spectrum_to_real(spectral_conv_forward(x_spectrum, w_spectrum)), n_out
    )
    np.testing.assert_allclose(y, linear_conv2d(x, w, padding), atol=1e-10)
    g = random_maps(rng, 2, 2, n_out, n_out)
    g_spectrum = np.fft.rfft2(extract_linear_conv_output_backward(g, fft_size))
    dx = embed_for_linear_conv_backward(
        half_spectrum_to_real(spectral_conv_backward_data(g_spectrum, w_spectrum)), n, padding
    )
    np.testing.assert_allclose(dx, linear_conv2d_backward_data(g, w, padding), atol=1e-10)


def test_too_small_grid_and_empty_output_are_refused() -> None:
    with pytest.raises(ValueError, match="fft_size 7 too small for N=6, padding=1: needs >= 8"):
        embed_for_linear_conv(np.zeros((6, 6)), 1, 7)
    with pytest.raises(ValueError, match="no valid output for N=3, k=5, padding=0"):
        linear_conv_output_size(3, 5, 0)


def test_pool_matrix_goldens() -> None:
    np.testing.assert_array_equal(spectral_pool_matrix(5, 5, NyquistMode.AVERAGE), np.eye(5))
    # 4→2 'drop' keeps only DC: every output is the mean of the four inputs.
    np.testing.assert_allclose(spectral_pool_matrix(4, 2, NyquistMode.DROP), np.full((2, 4), 0.25))
    # 4→2 'sum': S[j, n] = (1 + 2·(−1)^j·cos(πn/2))/4, the DC row plus the full Nyquist pair.
    np.testing.assert_allclose(
        spectral_pool_matrix(4, 2, NyquistMode.SUM),
        [[0.75, 0.25, -0.25, 0.25], [-0.25, 0.25, 0.75, 0.25]],
        atol=1e-15,
    )
