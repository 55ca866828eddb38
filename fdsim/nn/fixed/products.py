"""Exact full-width products of real or complex fixed-point parts (the multiplier stage).

Nothing is rounded here: a product of an ``m``-bit and an ``n``-bit word is ``m + n`` bits, a
complex product one more (the sum of two real products; the 3- and 4-multiplier forms give the
same integers).  Conjugating an operand negates its imaginary part, which cannot widen the
product (``|a|·|b|`` is unchanged).
"""

from __future__ import annotations

from fdsim.fixedpoint import require_int64_width
from fdsim.nn.fixed.tensor import Parts


def product_bits(a_bits: int, a_complex: bool, b_bits: int, b_complex: bool) -> int:
    """Width (sign included) of every exact product of the two operand words."""
    return a_bits + b_bits + (1 if a_complex and b_complex else 0)


def multiply_parts(a: Parts, b: Parts, conjugate_b: bool, width_bits: int) -> Parts:
    """Exact elementwise (broadcasting) product ``a·b`` or ``a·conj(b)``; real operands have
    one part, complex two.  ``width_bits`` (from :func:`product_bits`) is checked against the
    int64 budget first."""
    require_int64_width(width_bits, "exact product")
    if len(b) == 2 and conjugate_b:
        b = (b[0], -b[1])
    if len(a) == 1 and len(b) == 1:
        return (a[0] * b[0],)
    if len(a) == 1:
        return a[0] * b[0], a[0] * b[1]
    if len(b) == 1:
        return a[0] * b[0], a[1] * b[0]
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]
