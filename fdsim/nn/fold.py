"""Strided convolution by spectral folding (aliasing), and its adjoint (tiling).

Decimating an N×N map by ``s`` (N divisible by s, M = N/s; keeping samples ``0, s, 2s, …`` of
each axis) aliases its unnormalised DFT:

    ``Y_s[k1, k2] = (1/s²)·Σ_{a,b<s} Y[k1 + a·M, k2 + b·M]``  (k1, k2 < M).

So a stride-s convolution is the stride-1 spectral convolution followed by one fold per output
map. The backward (adjoint of decimation = zero insertion) tiles the M×M gradient spectrum over
the N×N grid with **no** scale factor: ``G_up[k] = G_s[k mod M]``. Both act on the last two axes
of half-spectra; the unstored columns are read through Hermitian mirroring.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import ComplexArray, half_spectrum_size, half_width, require_positive
from fdsim.nn.hermitian import half_to_full


def spectral_fold(y: ComplexArray, stride: int) -> ComplexArray:
    """Fold ``(..., N, N//2+1)`` to ``(..., M, M//2+1)``, M = N/stride: the spectrum of the map
    decimated by ``stride`` on both axes."""
    n = half_spectrum_size(y, "y")
    m = _check_stride(n, stride)
    blocks = half_to_full(y).reshape(*y.shape[:-2], stride, m, stride, m)
    folded = blocks.sum(axis=(-4, -2)) / (stride * stride)
    return np.ascontiguousarray(folded[..., : half_width(m)])


def spectral_fold_backward(g: ComplexArray, stride: int) -> ComplexArray:
    """Tile ``(..., M, M//2+1)`` to ``(..., N, N//2+1)``, N = M·stride: the spectrum of the
    gradient with ``stride − 1`` zeros inserted between samples."""
    m = half_spectrum_size(g, "g")
    require_positive(stride, "stride")
    n = m * stride
    g_full = half_to_full(g)
    rows = np.arange(n) % m
    cols = np.arange(half_width(n)) % m
    return np.ascontiguousarray(g_full[..., rows, :][..., cols])


def _check_stride(n: int, stride: int) -> int:
    require_positive(stride, "stride")
    if n % stride != 0:
        raise ValueError(f"spectral folding needs N divisible by the stride, got N={n}, s={stride}")
    return n // stride
