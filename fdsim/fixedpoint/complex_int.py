"""Complex fixed-point values as (re, im) int64 array pairs, their exact product and the
complex multiply-accumulate step of the CMAC array."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.arithmetic import product_format
from fdsim.fixedpoint.formats import FixedFormat, IntArray, NumberFormat, require_int64_width
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite, fit, lost_to_zero
from fdsim.fixedpoint.quantize import dequantize, quantize
from fdsim.fixedpoint.rounding import shift_right
from fdsim.spec.fft_arithmetic import ComplexMultiplyForm
from fdsim.spec.numerics import QFormat


@dataclass(frozen=True, eq=False)
class ComplexInt:
    """Complex integers: ``re`` and ``im`` are int64 arrays of one shape (leading axes are
    batch axes).  The format is carried by the caller, as for real arrays."""

    re: IntArray
    im: IntArray

    def __post_init__(self) -> None:
        if self.re.shape != self.im.shape:
            raise ValueError(f"re shape {self.re.shape} differs from im shape {self.im.shape}")
        if self.re.dtype != np.int64 or self.im.dtype != np.int64:
            raise TypeError(f"ComplexInt needs int64 parts, got {self.re.dtype}/{self.im.dtype}")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.re.shape

    def equals(self, other: ComplexInt) -> bool:
        """Bit-for-bit equality of both parts."""
        return bool(np.array_equal(self.re, other.re) and np.array_equal(self.im, other.im))


def quantize_complex(
    values: npt.ArrayLike, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
) -> ComplexInt:
    """Complex float ``values`` quantised part by part to ``fmt``."""
    array = np.asarray(values, dtype=np.complex128)
    return ComplexInt(
        quantize(array.real, fmt, counter, site), quantize(array.imag, fmt, counter, site)
    )


def dequantize_complex(z: ComplexInt, fmt: NumberFormat) -> npt.NDArray[np.complex128]:
    """``z / 2**fraction_bits`` as complex128."""
    out: npt.NDArray[np.complex128] = dequantize(z.re, fmt) + 1j * dequantize(z.im, fmt)
    return out


def complex_product_format(a_fmt: NumberFormat, b_fmt: NumberFormat) -> FixedFormat:
    """Format of an exact complex product: a real product plus one bit for the sum of two; of
    unsigned operands, also a sign bit (the real part ``ar·br − ai·bi`` is a difference)."""
    real = product_format(a_fmt, b_fmt)
    return FixedFormat(real.total_bits + (1 if real.signed else 2), real.fraction_bits, True)


def complex_multiply(
    a: ComplexInt,
    a_fmt: NumberFormat,
    b: ComplexInt,
    b_fmt: NumberFormat,
    form: ComplexMultiplyForm,
) -> tuple[ComplexInt, FixedFormat]:
    """Exact elementwise complex product (broadcasting) and its format.  ``form`` picks the
    4- or 3-multiplier datapath; the integers are identical, the 3-multiplier form forms one
    more intermediate bit (``(a_re + a_im)·(b_re + b_im)``)."""
    fmt = complex_product_format(a_fmt, b_fmt)
    if form is ComplexMultiplyForm.FOUR_MULTIPLIER:
        return ComplexInt(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re), fmt
    # (a_re + a_im)·(b_re + b_im) is one bit wider than the product's format
    require_int64_width(fmt.total_bits + 1, "3-multiplier complex product")
    p1 = a.re * b.re
    p2 = a.im * b.im
    p3 = (a.re + a.im) * (b.re + b.im)
    return ComplexInt(p1 - p2, p3 - p1 - p2), fmt


def complex_mac(
    acc: ComplexInt,
    acc_fmt: QFormat,
    a: ComplexInt,
    a_fmt: NumberFormat,
    b: ComplexInt,
    b_fmt: NumberFormat,
    form: ComplexMultiplyForm,
    counter: OverflowCounter,
    site: OverflowSite,
) -> ComplexInt:
    """One CMAC step, ``acc + a·b``: the exact product is rounded to the accumulator's
    fraction bits (``acc_fmt.rounding``), added exactly, and the sum fitted to ``acc_fmt``
    (``acc_fmt.overflow``, events at ``site``)."""
    product, p_fmt = complex_multiply(a, a_fmt, b, b_fmt, form)
    drop = p_fmt.fraction_bits - acc_fmt.fraction_bits
    lost = (0, 0)
    if drop >= 0:
        re = shift_right(product.re, drop, acc_fmt.rounding)
        im = shift_right(product.im, drop, acc_fmt.rounding)
        lost = (lost_to_zero(product.re, re), lost_to_zero(product.im, im))
        aligned_bits = p_fmt.total_bits - drop + 1
    else:
        re, im = product.re << -drop, product.im << -drop
        aligned_bits = p_fmt.total_bits - drop
    require_int64_width(max(aligned_bits, acc_fmt.total_bits) + 1, "complex MAC sum")
    re = re + acc.re
    im = im + acc.im
    bits, signed, mode = acc_fmt.total_bits, acc_fmt.signed, acc_fmt.overflow
    return ComplexInt(
        fit(re, bits, signed, mode, counter, site, lost[0]),
        fit(im, bits, signed, mode, counter, site, lost[1]),
    )
