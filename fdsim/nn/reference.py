"""Float64 spatial-domain reference model: direct implementations used as the oracle.

Nothing here uses an FFT: convolutions are explicit sums over kernel taps, decimation is slicing
and spectral pooling is a dense real resampling matrix built from its cosine-sum definition. The
shapes mirror the spectral operators: maps ``(batch, channels, N, N)``, kernels
``(out, in, k, k)``. All convolutions are **cross-correlations** (as CNNs compute):

* circular: ``y[b,o,n] = Σ_{i,m} x[b,i,(n+m) mod N]·w[o,i,m]`` (the ``spectral`` domain);
* linear:   ``y[b,o,n] = Σ_{i,m} x_p[b,i,n+m]·w[o,i,m]``, ``x_p`` zero-padded by ``padding`` on
  each side, output size ``N + 2·padding − k + 1`` ("valid" for padding 0, "same" for
  padding (k−1)/2 with odd k; the ``hybrid`` and ``spatial`` domains).

Backward functions return gradients of a loss with respect to the inputs and summed over the batch
for the weights, given ``g = ∂L/∂y``.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import RealArray, require_ndim, require_positive, square_map_size
from fdsim.nn.crop import NyquistMode, nyquist_weight
from fdsim.nn.hybrid import linear_conv_output_size

_MAPS = "(batch, channels, N, N)"
_KERNELS = "(out, in, k, k)"


def circular_conv2d(x: RealArray, w: RealArray) -> RealArray:
    """Circular cross-correlation of ``(batch, in, N, N)`` maps with ``(out, in, k, k)`` kernels
    → ``(batch, out, N, N)``."""
    k = _check_conv(x, w)
    y = np.zeros((x.shape[0], w.shape[0], x.shape[2], x.shape[3]))
    for m1 in range(k):
        for m2 in range(k):
            shifted = np.roll(x, (-m1, -m2), axis=(-2, -1))  # shifted[n] = x[n + m]
            y += np.einsum("bihw,oi->bohw", shifted, w[:, :, m1, m2])
    return y


def circular_conv2d_backward_data(g: RealArray, w: RealArray) -> RealArray:
    """``∂x[b,i,p] = Σ_{o,m} g[b,o,(p−m) mod N]·w[o,i,m]``: ``(batch, in, N, N)``."""
    k = _check_kernel(w)
    dx = np.zeros((g.shape[0], w.shape[1], g.shape[2], g.shape[3]))
    for m1 in range(k):
        for m2 in range(k):
            shifted = np.roll(g, (m1, m2), axis=(-2, -1))  # shifted[p] = g[p − m]
            dx += np.einsum("bohw,oi->bihw", shifted, w[:, :, m1, m2])
    return dx


def circular_conv2d_backward_weight(g: RealArray, x: RealArray, kernel_size: int) -> RealArray:
    """``∂w[o,i,m] = Σ_{b,n} g[b,o,n]·x[b,i,(n+m) mod N]``: ``(out, in, k, k)``."""
    require_positive(kernel_size, "kernel_size")
    dw = np.zeros((g.shape[1], x.shape[1], kernel_size, kernel_size))
    for m1 in range(kernel_size):
        for m2 in range(kernel_size):
            shifted = np.roll(x, (-m1, -m2), axis=(-2, -1))
            dw[:, :, m1, m2] = np.einsum("bohw,bihw->oi", g, shifted)
    return dw


def linear_conv2d(x: RealArray, w: RealArray, padding: int) -> RealArray:
    """Zero-padded linear cross-correlation → ``(batch, out, n_out, n_out)``."""
    require_ndim(x, 4, "x", _MAPS)
    k = _check_kernel(w)
    n_out = linear_conv_output_size(square_map_size(x, "x"), k, padding)
    xp = _pad(x, padding)
    y = np.zeros((x.shape[0], w.shape[0], n_out, n_out))
    for m1 in range(k):
        for m2 in range(k):
            window = xp[..., m1 : m1 + n_out, m2 : m2 + n_out]
            y += np.einsum("bihw,oi->bohw", window, w[:, :, m1, m2])
    return y


def linear_conv2d_backward_data(g: RealArray, w: RealArray, padding: int) -> RealArray:
    """Input gradient of :func:`linear_conv2d` → ``(batch, in, N, N)``."""
    k = _check_kernel(w)
    n_out = square_map_size(g, "g")
    n_padded = n_out + k - 1
    dxp = np.zeros((g.shape[0], w.shape[1], n_padded, n_padded))
    for m1 in range(k):
        for m2 in range(k):
            dxp[..., m1 : m1 + n_out, m2 : m2 + n_out] += np.einsum(
                "bohw,oi->bihw", g, w[:, :, m1, m2]
            )
    return dxp[..., padding : n_padded - padding, padding : n_padded - padding]


def linear_conv2d_backward_weight(
    g: RealArray, x: RealArray, kernel_size: int, padding: int
) -> RealArray:
    """Weight gradient of :func:`linear_conv2d`, summed over the batch → ``(out, in, k, k)``."""
    require_positive(kernel_size, "kernel_size")
    n_out = square_map_size(g, "g")
    xp = _pad(x, padding)
    dw = np.zeros((g.shape[1], x.shape[1], kernel_size, kernel_size))
    for m1 in range(kernel_size):
        for m2 in range(kernel_size):
            window = xp[..., m1 : m1 + n_out, m2 : m2 + n_out]
            dw[:, :, m1, m2] = np.einsum("bohw,bihw->oi", g, window)
    return dw


def decimate(y: RealArray, stride: int) -> RealArray:
    """Keep samples ``0, s, 2s, …`` of the last two axes (N divisible by s)."""
    n = square_map_size(y, "y")
    require_positive(stride, "stride")
    if n % stride != 0:
        raise ValueError(f"decimation needs N divisible by the stride, got N={n}, s={stride}")
    return np.ascontiguousarray(y[..., ::stride, ::stride])


def decimate_backward(g: RealArray, stride: int) -> RealArray:
    """Adjoint of :func:`decimate`: insert ``stride − 1`` zeros between samples."""
    m = square_map_size(g, "g")
    require_positive(stride, "stride")
    up = np.zeros((*g.shape[:-2], m * stride, m * stride))
    up[..., ::stride, ::stride] = g
    return up


def spectral_pool_matrix(n: int, out_size: int, nyquist: NyquistMode) -> RealArray:
    """Real ``(H, N)`` matrix ``S`` of 1-D spectral pooling N→H, ``y = S·x``, from its definition
    ``y[j] = (H/N)·iDFT_H(C·DFT_N(x))[j]`` written as cosine sums:

        ``S[j, n] = (1/N)·[1 + 2·Σ_{k=1}^{(H−1)//2} cos(2πk·(j/H − n/N))]
                  + (1/N)·2w·(−1)^j·cos(2π(H/2)·n/N)``   (last term only for even H < N),

    with ``w`` the Nyquist weight. H = N gives the identity.
    """
    require_positive(out_size, "out_size")
    if out_size > n:
        raise ValueError(f"spectral pooling needs out_size <= N, got {out_size} > {n}")
    if out_size == n:
        return np.eye(n)
    j = np.arange(out_size)[:, None]
    t = j / out_size - np.arange(n)[None, :] / n
    freqs = np.arange(1, (out_size - 1) // 2 + 1)
    s = 1.0 + 2.0 * np.cos(2.0 * np.pi * freqs * t[..., None]).sum(axis=-1)
    if out_size % 2 == 0:
        half = out_size // 2
        sign = (-1.0) ** j
        s = s + 2.0 * nyquist_weight(nyquist) * sign * np.cos(2 * np.pi * half * np.arange(n) / n)
    return np.asarray(s / n, dtype=np.float64)


def spatial_spectral_pool(x: RealArray, out_size: int, nyquist: NyquistMode) -> RealArray:
    """Spectral pooling of maps ``(..., N, N)`` → ``(..., H, H)`` as ``S·x·Sᵀ``."""
    s = spectral_pool_matrix(square_map_size(x, "x"), out_size, nyquist)
    return np.asarray(s @ x @ s.T, dtype=np.float64)


def spatial_spectral_pool_backward(g: RealArray, in_size: int, nyquist: NyquistMode) -> RealArray:
    """Adjoint of :func:`spatial_spectral_pool`: ``(..., H, H)`` → ``(..., N, N)`` as ``Sᵀ·g·S``."""
    s = spectral_pool_matrix(in_size, square_map_size(g, "g"), nyquist)
    return np.asarray(s.T @ g @ s, dtype=np.float64)


def _check_kernel(w: RealArray) -> int:
    require_ndim(w, 4, "w", _KERNELS)
    if w.shape[2] != w.shape[3]:
        raise ValueError(f"w must have shape {_KERNELS}, got {w.shape}")
    return int(w.shape[2])


def _check_conv(x: RealArray, w: RealArray) -> int:
    require_ndim(x, 4, "x", _MAPS)
    n = square_map_size(x, "x")
    k = _check_kernel(w)
    if x.shape[1] != w.shape[1] or k > n:
        raise ValueError(f"x {x.shape} and w {w.shape}: channels must match and k <= N")
    return k


def _pad(x: RealArray, padding: int) -> RealArray:
    width = ((0, 0),) * (x.ndim - 2) + ((padding, padding), (padding, padding))
    return np.pad(x, width)
