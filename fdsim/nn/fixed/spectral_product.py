"""Bit-true spectral self-convolution ``(A ⊛ B)/N²`` (the spectrum of a pointwise product of
two real maps, :func:`fdsim.nn.activation.spectral_product`) as a CMAC reduction.

``(A ⊛ B)[k] = Σ_m A[m]·B[(k − m) mod N]`` over the ``N²`` bins ``m`` of the *full* spectra
(Hermitian mirrors of the stored half-spectra, so a mirrored part may be one bit wider), for
every stored output bin ``k``.  Terms are taken in ascending ``m = m1·N + m2`` through the
accumulator datapath of :mod:`fdsim.nn.fixed.reduction` (rounding to the accumulator, fit after
every addition, spills at ``reduce_tiles`` boundaries), and the ``1/N²`` is in the exponent
(N a power of two).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.arrays import half_width
from fdsim.nn.fixed.mirror import half_spectrum_size_fixed, half_to_full_parts
from fdsim.nn.fixed.products import multiply_parts, product_bits
from fdsim.nn.fixed.reduction import ReductionNumerics, accumulate
from fdsim.nn.fixed.tensor import FixedTensor, Parts, TensorFormat, log2_exact, requantize_tensor


def spectral_product_fixed(
    a: FixedTensor,
    b: FixedTensor,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """``(A ⊛ B)/N²`` for complex half-spectra ``(..., N, N//2+1)`` (leading axes broadcast),
    accumulated in ``numerics`` at exponent ``a.exponent + b.exponent − 2·log2 N``, then
    rounded and fitted to ``out`` (``site.child("output")``)."""
    n = half_spectrum_size_fixed(a, "a")
    if half_spectrum_size_fixed(b, "b") != n:
        raise ValueError(f"a {a.shape} and b {b.shape} differ in N")
    log2_n2 = 2 * log2_exact(n, "the spectral product's size N")
    a_full = half_to_full_parts(a.parts, n)
    b_full = half_to_full_parts(b.parts, n)
    rows = np.arange(n)
    cols = np.arange(half_width(n))
    width = product_bits(a.fmt.total_bits + 1, True, b.fmt.total_bits + 1, True)

    def term(r: int) -> Parts:
        m1, m2 = divmod(r, n)
        lhs = tuple(p[..., m1, m2][..., None, None] for p in a_full)
        row_index = ((rows - m1) % n)[:, None]
        col_index = ((cols - m2) % n)[None, :]
        rhs = tuple(p[..., row_index, col_index] for p in b_full)
        return multiply_parts(lhs, rhs, False, width)

    acc = accumulate(
        term,
        a.lsb_exponent + b.lsb_exponent - log2_n2,
        width,
        n * n,
        a.exponent + b.exponent - log2_n2,
        numerics,
        counter,
        site,
        reduce_tiles,
    )
    return requantize_tensor(acc, out, counter, site.child("output"))
