"""Exact real fixed-point arithmetic: full-width products and aligned sums.

Results are exact; their format is returned alongside so the caller decides where to round
(``requantize``), as the datapath does.  Widths are checked against the int64 budget first.
"""

from __future__ import annotations

from fdsim.fixedpoint.formats import FixedFormat, IntArray, NumberFormat


def product_format(a_fmt: NumberFormat, b_fmt: NumberFormat) -> FixedFormat:
    """Format holding every product of ``a_fmt`` and ``b_fmt`` values exactly
    (``(-2**(m-1))·(-2**(n-1)) = 2**(m+n-2)`` is why the width is ``m + n``)."""
    return FixedFormat(
        a_fmt.total_bits + b_fmt.total_bits,
        a_fmt.fraction_bits + b_fmt.fraction_bits,
        a_fmt.signed or b_fmt.signed,
    )


def multiply(
    a: IntArray, a_fmt: NumberFormat, b: IntArray, b_fmt: NumberFormat
) -> tuple[IntArray, FixedFormat]:
    """Exact elementwise product (broadcasting) and its format."""
    fmt = product_format(a_fmt, b_fmt)
    return a * b, fmt


def sum_format(a_fmt: NumberFormat, b_fmt: NumberFormat) -> FixedFormat:
    """Format holding every sum of ``a_fmt`` and ``b_fmt`` values exactly: binary points
    aligned, one bit of growth above the wider integer part."""
    signed = a_fmt.signed or b_fmt.signed

    def integer_bits(fmt: NumberFormat) -> int:
        # An unsigned word needs one more bit to sit in a signed result.
        return fmt.total_bits - fmt.fraction_bits + (1 if signed and not fmt.signed else 0)

    fraction = max(a_fmt.fraction_bits, b_fmt.fraction_bits)
    return FixedFormat(
        max(integer_bits(a_fmt), integer_bits(b_fmt)) + 1 + fraction, fraction, signed
    )


def add(
    a: IntArray, a_fmt: NumberFormat, b: IntArray, b_fmt: NumberFormat
) -> tuple[IntArray, FixedFormat]:
    """Exact elementwise sum (broadcasting) with binary points aligned, and its format."""
    fmt = sum_format(a_fmt, b_fmt)
    return (a << (fmt.fraction_bits - a_fmt.fraction_bits)) + (
        b << (fmt.fraction_bits - b_fmt.fraction_bits)
    ), fmt
