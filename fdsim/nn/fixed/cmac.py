"""Complex (or real) multiply-accumulate reductions: the three CMAC patterns of a layer.

One kernel, the pattern a parameter (see :mod:`fdsim.nn.conv` and :mod:`fdsim.nn.dense`):

* ``FORWARD``          ``Y[b,o]  = Σ_i A[b,i]·conj(B[o,i])``   (A = X, B = W)
* ``BACKWARD_DATA``    ``∂X[b,i] = Σ_o A[b,o]·B[o,i]``         (A = G, B = W)
* ``BACKWARD_WEIGHT``  ``∂W[o,i] = Σ_b A[b,i]·conj(B[b,o])``   (A = X, B = G)

The first two axes of each operand are the ones named above; any further axes (spectral bins)
are elementwise and must agree.  Real operands (FC layers) make ``conj`` the identity, so the
same patterns are the dense GEMMs.  Each product is exact, then enters the accumulator datapath
of :mod:`fdsim.nn.fixed.reduction` (round to accumulator, fit after every add, spills at tile
boundaries); the reduction runs in ascending index order; the accumulator (exponent
``A.exponent + B.exponent``) is rounded and fitted once more to ``out``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.products import multiply_parts, product_bits
from fdsim.nn.fixed.reduction import ReductionNumerics, accumulate
from fdsim.nn.fixed.tensor import FixedTensor, Parts, TensorFormat, requantize_tensor


class CmacPattern(StrEnum):
    """Which operand axes are reduced and which operand is conjugated."""

    FORWARD = "forward"
    BACKWARD_DATA = "backward_data"
    BACKWARD_WEIGHT = "backward_weight"

    def reduction_length(self, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> int:
        """Number of terms, after checking that the operands agree on it."""
        a_axis, b_axis = _REDUCED_AXES[self]
        if len(a_shape) < 2 or a_shape[2:] != b_shape[2:] or a_shape[a_axis] != b_shape[b_axis]:
            raise ValueError(f"{self.value} operands {a_shape} and {b_shape} do not agree")
        return a_shape[a_axis]

    def term(self, a: Parts, b: Parts, r: int) -> tuple[Parts, Parts]:
        """Operand slices for reduction index ``r``, broadcast to the output's leading axes."""
        if self is CmacPattern.FORWARD:  # (B, 1, ...) × (1, O, ...)
            return tuple(p[:, r][:, None] for p in a), tuple(p[:, r][None, :] for p in b)
        if self is CmacPattern.BACKWARD_DATA:  # (B, 1, ...) × (1, I, ...)
            return tuple(p[:, r][:, None] for p in a), tuple(p[r][None, :] for p in b)
        return tuple(p[r][None, :] for p in a), tuple(p[r][:, None] for p in b)  # (1,I)×(O,1)

    @property
    def conjugates_b(self) -> bool:
        return self is not CmacPattern.BACKWARD_DATA


_REDUCED_AXES = {
    CmacPattern.FORWARD: (1, 1),
    CmacPattern.BACKWARD_DATA: (1, 0),
    CmacPattern.BACKWARD_WEIGHT: (0, 0),
}


def cmac_accumulate(
    a: FixedTensor,
    b: FixedTensor,
    pattern: CmacPattern,
    numerics: ReductionNumerics,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
    bias: FixedTensor | None = None,
) -> FixedTensor:
    """The reduction of ``pattern`` left in the accumulator (format ``numerics.accumulator``,
    exponent ``a.exponent + b.exponent``), before the output rounding.  ``bias`` is preloaded
    into the accumulator (broadcast to the output shape)."""
    length = pattern.reduction_length(a.shape, b.shape)
    width = product_bits(a.fmt.total_bits, a.is_complex, b.fmt.total_bits, b.is_complex)
    a_parts, b_parts = a.parts, b.parts

    def term(r: int) -> Parts:
        lhs, rhs = pattern.term(a_parts, b_parts, r)
        return multiply_parts(lhs, rhs, pattern.conjugates_b, width)

    return accumulate(
        term,
        a.lsb_exponent + b.lsb_exponent,
        width,
        length,
        a.exponent + b.exponent,
        numerics,
        counter,
        site,
        reduce_tiles,
        bias,
    )


def cmac_reduce(
    a: FixedTensor,
    b: FixedTensor,
    pattern: CmacPattern,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
    bias: FixedTensor | None = None,
) -> FixedTensor:
    """``pattern``'s reduction of ``a`` and ``b`` (see the module docstring), rounded by
    ``out.fmt.rounding`` and fitted to ``out`` at ``site.child("output")``.

    Output shape: ``(B, O, ...)`` forward, ``(B, I, ...)`` backward-data, ``(O, I, ...)``
    backward-weight.  ``reduce_tiles`` splits the reduction (ascending index) into tiles with
    partial-sum spills between them; ``bias`` is preloaded into the accumulator.
    """
    acc = cmac_accumulate(a, b, pattern, numerics, counter, site, reduce_tiles, bias)
    return requantize_tensor(acc, out, counter, site.child("output"))
