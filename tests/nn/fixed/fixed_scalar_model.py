"""A deliberately simple scalar model of the fixed-point ops, on Python ints and Fractions.

Nothing here is vectorised or shared with ``fdsim.nn.fixed``: values are exact rationals,
rounding is decided from ``floor`` and the remainder, overflow by comparing with the range, and
every op is written from its mathematical definition, one output value at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

Complex = tuple[Fraction, Fraction]


@functools.cache
def pow2(exponent: int) -> Fraction:
    return Fraction(2) ** exponent


@dataclass
class Events:
    """Overflow events seen by the scalar model (one per real value that did not fit)."""

    count: int = 0
    checked: list[int] = field(default_factory=list)


def round_to_int(x: Fraction, mode: RoundingMode) -> int:
    """``x`` rounded to an integer: ``floor`` and the remainder ``rest/d`` (``0 ≤ rest < d``)
    compared with one half as ``2·rest`` against ``d``."""
    d = x.denominator
    floor, rest = divmod(x.numerator, d)
    if mode is RoundingMode.TRUNCATE or 2 * rest < d:
        return floor
    if 2 * rest > d or mode is RoundingMode.HALF_UP:
        return floor + 1
    return floor + floor % 2  # a tie, half_even: up to the even neighbour


def fit_int(q: int, fmt: QFormat, events: Events) -> int:
    bits = fmt.total_bits
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if fmt.signed else (0, (1 << bits) - 1)
    if low <= q <= high:
        return q
    events.count += 1
    if fmt.overflow is OverflowMode.SATURATE:
        return min(max(q, low), high)
    q %= 1 << bits
    return q - (1 << bits) if fmt.signed and q > high else q


def store(value: Fraction, fmt: QFormat, exponent: int, events: Events) -> int:
    """The integer ``fmt``/``exponent`` hold for exact ``value``: round, then fit."""
    lsb = exponent - fmt.fraction_bits
    return fit_int(round_to_int(value / pow2(lsb), fmt.rounding), fmt, events)


def value(q: int, fmt: QFormat, exponent: int) -> Fraction:
    return Fraction(q) * pow2(exponent - fmt.fraction_bits)


def cmul(a: Complex, b: Complex) -> Complex:
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def conj(a: Complex) -> Complex:
    return a[0], -a[1]


@dataclass(frozen=True)
class Accumulator:
    """Accumulator and partial-sum formats of a reduction, and its shared exponent."""

    acc: QFormat
    partial: QFormat | None
    exponent: int


def reduce_terms(
    terms: list[Complex],
    spec: Accumulator,
    tiles: tuple[int, ...],
    out: QFormat,
    out_exponent: int,
    events: Events,
    initial: Complex | None = None,
) -> tuple[int, int]:
    """Sequential MAC of exact ``terms`` (each part separately), spills after each tile but the
    last, then one output rounding.  Returns the output integers (re, im)."""
    result = []
    for part in range(2):
        acc = 0 if initial is None else store(initial[part], spec.acc, spec.exponent, events)
        index = 0
        for tile_number, size in enumerate(tiles):
            for _ in range(size):
                # The rounded term joins the sum unfitted; the sum is fitted.
                acc_lsb = pow2(spec.exponent - spec.acc.fraction_bits)
                term = round_to_int(terms[index][part] / acc_lsb, spec.acc.rounding)
                acc = fit_int(acc + term, spec.acc, events)
                index += 1
            if spec.partial is not None and tile_number < len(tiles) - 1:
                stored = store(
                    value(acc, spec.acc, spec.exponent), spec.partial, spec.exponent, events
                )
                acc = store(
                    value(stored, spec.partial, spec.exponent), spec.acc, spec.exponent, events
                )
        result.append(store(value(acc, spec.acc, spec.exponent), out, out_exponent, events))
    return result[0], result[1]
