"""Bit-true spectral folding (strided convolution) and its adjoint, as :mod:`fdsim.nn.fold`.

Fold: the ``s²`` aliased M×M blocks (M = N/s) of the full spectrum are summed **exactly**; the
``1/s²`` goes into the exponent (the stride divides a power-of-two grid, so it is a power of
two; anything else raises ``ValueError``).  The exact sum is then brought to ``out`` once —
by default ``x.fmt`` at exponent ``x.exponent − 2·log2 s``, where nothing is rounded and the
sum is only fitted (``site.child("output")``, counted); pass a coarser ``out`` to buy headroom
with one rounding.  Backward: the M×M gradient is tiled over N×N with no scale factor — exact,
same layout; only the conjugate mirror of a most-negative imaginary part can overflow (fitted,
counted).
"""

from __future__ import annotations

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite, require_int64_width
from fdsim.nn.arrays import half_width
from fdsim.nn.fixed.mirror import half_spectrum_size_fixed, half_to_full_parts
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, log2_exact, rescale_parts


def spectral_fold_fixed(
    x: FixedTensor,
    stride: int,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Fold ``(..., N, N//2+1)`` to ``(..., M, M//2+1)``, M = N/stride (exact sum; one
    rounding only if ``out`` is coarser than ``x.lsb − 2·log2 stride``)."""
    n = half_spectrum_size_fixed(x, "x")
    log2_stride = log2_exact(stride, "the fold stride")
    if n % stride:
        raise ValueError(f"spectral folding needs N divisible by the stride, got N={n}, s={stride}")
    m = n // stride
    if out is None:
        out = TensorFormat(x.fmt, x.exponent - 2 * log2_stride)
    width = x.fmt.total_bits + 1 + 2 * log2_stride  # +1: a mirrored most-negative part
    require_int64_width(width, "spectral fold sum")
    blocks = (
        full.reshape(*full.shape[:-2], stride, m, stride, m)
        for full in half_to_full_parts(x.parts, n)
    )
    parts = tuple(b.sum(axis=(-4, -2))[..., : half_width(m)] for b in blocks)
    lsb = x.lsb_exponent - 2 * log2_stride
    return rescale_parts(parts, lsb, width, out, counter, site.child("output"))


def spectral_fold_backward_fixed(
    g: FixedTensor, stride: int, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    """Tile ``(..., M, M//2+1)`` to ``(..., N, N//2+1)``, N = M·stride, in ``g``'s layout."""
    m = half_spectrum_size_fixed(g, "g")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    n = m * stride
    rows = np.arange(n) % m
    cols = np.arange(half_width(n)) % m
    parts = tuple(full[..., rows, :][..., cols] for full in half_to_full_parts(g.parts, m))
    return rescale_parts(
        parts, g.lsb_exponent, g.fmt.total_bits + 1, g.layout, counter, site.child("output")
    )
