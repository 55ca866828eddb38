"""Linear ("valid"/"same") convolution through the spectral operators (the ``hybrid`` domain).

A DFT product is a *circular* correlation. To get the zero-padded linear cross-correlation
``y[n] = Σ_m x_p[n+m]·w[m]`` (``x_p`` = x padded by ``padding`` zeros per side; output size
``n_out = N + 2·padding − k + 1``), embed ``x`` at offset ``padding`` in an L×L zero map with
``L ≥ N + 2·padding``, correlate circularly on the L grid (kernels zero-padded to L×L with
:func:`fdsim.nn.conv.kernel_spectrum`), and keep the first ``n_out`` rows and columns. For a
cross-correlation the wrap-around only pollutes outputs ``n ≥ n_out``, so ``L ≥ N + 2·padding``
suffices (the familiar ``N + k − 1`` bound is for the *full* convolution).

The pipeline is ``extract(irfft2(conv(rfft2(embed(x)), W_L)))``; its backward is
``embed_backward(irfft2(conv_backward_data(rfft2(extract_backward(g)), W_L)))``.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import RealArray, require_positive, square_map_size


def linear_conv_output_size(n: int, k: int, padding: int) -> int:
    """Output size ``N + 2·padding − k + 1`` of a linear cross-correlation; must be ≥ 1."""
    size = n + 2 * padding - k + 1
    if padding < 0 or size < 1:
        raise ValueError(f"no valid output for N={n}, k={k}, padding={padding}")
    return size


def min_linear_fft_size(n: int, padding: int) -> int:
    """Smallest grid L on which circular correlation gives the linear one: ``N + 2·padding``."""
    require_positive(n, "n")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    return n + 2 * padding


def embed_for_linear_conv(x: RealArray, padding: int, fft_size: int) -> RealArray:
    """Place maps ``(..., N, N)`` at offset ``padding`` in zero maps ``(..., L, L)``."""
    n = square_map_size(x, "x")
    if fft_size < min_linear_fft_size(n, padding):
        raise ValueError(
            f"fft_size {fft_size} too small for N={n}, padding={padding}: "
            f"needs >= {min_linear_fft_size(n, padding)}"
        )
    out = np.zeros((*x.shape[:-2], fft_size, fft_size))
    out[..., padding : padding + n, padding : padding + n] = x
    return out


def embed_for_linear_conv_backward(g: RealArray, n: int, padding: int) -> RealArray:
    """Adjoint of :func:`embed_for_linear_conv`: the ``N×N`` window at offset ``padding``."""
    square_map_size(g, "g")
    return np.ascontiguousarray(g[..., padding : padding + n, padding : padding + n])


def extract_linear_conv_output(y: RealArray, n_out: int) -> RealArray:
    """The valid ``n_out×n_out`` corner of circular-correlation maps ``(..., L, L)``."""
    size = square_map_size(y, "y")
    if not 1 <= n_out <= size:
        raise ValueError(f"n_out must lie in [1, {size}], got {n_out}")
    return np.ascontiguousarray(y[..., :n_out, :n_out])


def extract_linear_conv_output_backward(g: RealArray, fft_size: int) -> RealArray:
    """Adjoint of :func:`extract_linear_conv_output`: zero-pad ``(..., n_out, n_out)`` to L×L."""
    n_out = square_map_size(g, "g")
    if fft_size < n_out:
        raise ValueError(f"fft_size {fft_size} smaller than the output {n_out}")
    out = np.zeros((*g.shape[:-2], fft_size, fft_size))
    out[..., :n_out, :n_out] = g
    return out
