"""A-priori error bounds of the fixed-point ops, derived from their formats.

Each function returns the worst-case ``|fixed − exact|`` of **one real part** of one output
value, in value units, when the inputs are exactly the represented values and no overflow
event was counted.  One rounding that drops ``d > 0`` bits to an LSB of ``2**L`` errs by at
most ``2**(L−1)`` (half_up, half_even) or ``(2**d − 1)·2**(L−d)`` (truncate); a rounding that
drops nothing is exact.  Errors add linearly through a reduction (the accumulator is exact
between roundings), and a later product scales an earlier error by the coefficient.
"""

from __future__ import annotations

from collections.abc import Sequence

from fdsim.nn.fixed.reduction import ReductionNumerics, check_tiles
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, log2_exact
from fdsim.spec.numerics import RoundingMode


def rounding_bound(source_lsb_exponent: int, target: TensorFormat) -> float:
    """Largest error of rounding a value with LSB ``2**source_lsb_exponent`` to ``target``."""
    drop = target.lsb_exponent - source_lsb_exponent
    if drop <= 0:
        return 0.0
    if target.fmt.rounding is RoundingMode.TRUNCATE:
        return float(((1 << drop) - 1) * 2.0**source_lsb_exponent)
    return 2.0 ** (target.lsb_exponent - 1)


def output_rounding_bound(out: TensorFormat) -> float:
    """One rounding to ``out`` from any finer LSB: the bound of the single-rounding ops (crop,
    crop backward, fold with a coarser ``out``, affine, linear combinations)."""
    half = out.fmt.rounding is not RoundingMode.TRUNCATE
    return 2.0 ** (out.lsb_exponent - (1 if half else 0))


def reduction_error_bound(
    term_lsb_exponent: int,
    length: int,
    acc_exponent: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    reduce_tiles: Sequence[int] | None = None,
    initial_lsb_exponent: int | None = None,
) -> float:
    """The accumulator datapath of :func:`fdsim.nn.fixed.reduction.accumulate` followed by the
    output rounding: ``length`` term roundings + (preload rounding) + per spill (store and
    reload roundings) + the output rounding."""
    acc = TensorFormat(numerics.accumulator, acc_exponent)
    bound = length * rounding_bound(term_lsb_exponent, acc)
    if initial_lsb_exponent is not None:
        bound += rounding_bound(initial_lsb_exponent, acc)
    if numerics.partial_sums is not None:
        spills = len(check_tiles(reduce_tiles, length)) - 1
        spill = TensorFormat(numerics.partial_sums, acc_exponent)
        per_spill = rounding_bound(acc.lsb_exponent, spill) + rounding_bound(
            spill.lsb_exponent, acc
        )
        bound += spills * per_spill
    return bound + rounding_bound(acc.lsb_exponent, out)


def cmac_error_bound(
    a: TensorFormat,
    b: TensorFormat,
    length: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    reduce_tiles: Sequence[int] | None = None,
    bias: TensorFormat | None = None,
) -> float:
    """Bound of :func:`fdsim.nn.fixed.cmac.cmac_reduce` (and the dense GEMMs) over ``length``
    terms."""
    return reduction_error_bound(
        a.lsb_exponent + b.lsb_exponent,
        length,
        a.exponent + b.exponent,
        numerics,
        out,
        reduce_tiles,
        None if bias is None else bias.lsb_exponent,
    )


def spectral_product_error_bound(
    a: TensorFormat,
    b: TensorFormat,
    n: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    reduce_tiles: Sequence[int] | None = None,
) -> float:
    """Bound of :func:`fdsim.nn.fixed.spectral_product.spectral_product_fixed` on N×N grids."""
    log2_n2 = 2 * log2_exact(n, "N")
    return reduction_error_bound(
        a.lsb_exponent + b.lsb_exponent - log2_n2,
        n * n,
        a.exponent + b.exponent - log2_n2,
        numerics,
        out,
        reduce_tiles,
    )


def coefficient_magnitude(c: FixedTensor) -> float:
    """``|c|`` of a scalar coefficient."""
    return abs(float(c.to_float()))


def quadratic_error_bound(
    c2: FixedTensor,
    product_bound: float,
    out: TensorFormat,
    backward: bool = False,
) -> float:
    """Bound of the quadratic activation (or its backward, where the coefficient is ``2·c2``)
    given the bound of its spectral product (:func:`spectral_product_error_bound`)."""
    scale = coefficient_magnitude(c2) * (2.0 if backward else 1.0)
    return scale * product_bound + output_rounding_bound(out)


def sgd_error_bound(
    learning_rate: FixedTensor, velocity: TensorFormat, weights: TensorFormat
) -> tuple[float, float]:
    """``(velocity bound, weights bound)`` of one :func:`fdsim.nn.fixed.sgd.sgd_step`: the
    velocity rounds once; the weights round once and inherit ``lr`` times the velocity's."""
    velocity_bound = output_rounding_bound(velocity)
    weights_bound = coefficient_magnitude(learning_rate) * velocity_bound + output_rounding_bound(
        weights
    )
    return velocity_bound, weights_bound
