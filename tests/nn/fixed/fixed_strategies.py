"""Hypothesis strategies and converters shared by the fdsim.nn.fixed tests."""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import numpy as np
from fixed_scalar_model import value
from hypothesis import strategies as st
from value_styles import seeded_ints

from fdsim.fixedpoint import ComplexInt
from fdsim.nn.fixed import FixedTensor, ReductionNumerics
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

ROUNDINGS = list(RoundingMode)
OVERFLOWS = list(OverflowMode)

# Every strategy below costs Hypothesis one choice per format, tensor or tiling: an integer that
# is decoded (format digits) or seeds numpy (exponent, values).  With a thousand examples per
# oracle test, drawing each element, bit count and mode separately dominated the run time.
# Integer 0 decodes to the simplest format, so failures still shrink toward simple cases.

SEEDS = st.integers(0, 2**32 - 1)


def _digits(index: int, *radices: int) -> list[int]:
    """``index`` in mixed radix: roughly uniform digits for a uniform index."""
    digits = []
    for radix in radices:
        index, digit = divmod(index, radix)
        digits.append(digit)
    return digits


def decode_format(
    index: int, min_bits: int, max_bits: int, fraction_span: int, signed: bool | None
) -> tuple[QFormat, int]:
    """The format numbered ``index`` (total bits uniform, then fraction bits, sign, rounding and
    overflow mode; 0 is the simplest) and the rest of ``index`` for further choices."""
    signs = (True,) if signed is True else (False,) if signed is False else (True, False)
    rounding, overflow, sign, total, rest = _digits(
        index, len(ROUNDINGS), len(OVERFLOWS), len(signs), max_bits - min_bits + 1, 1 << 62
    )
    total += min_bits
    fractions = sorted(range(-fraction_span, total + 1), key=abs)
    rest, fraction = divmod(rest, len(fractions))
    fmt = QFormat(
        total_bits=total,
        fraction_bits=fractions[fraction],
        signed=signs[sign],
        rounding=ROUNDINGS[rounding],
        overflow=OVERFLOWS[overflow],
    )
    return fmt, rest


@functools.cache
def qformats(
    min_bits: int = 3, max_bits: int = 14, fraction_span: int = 3, signed: bool | None = True
) -> st.SearchStrategy[QFormat]:
    """Formats of ``min_bits…max_bits`` bits with ``−fraction_span…total`` fraction bits, every
    rounding and overflow mode; ``signed=None`` draws unsigned formats too."""

    @st.composite
    def decoded(draw: st.DrawFn) -> QFormat:  # composite, so failures print the format
        return decode_format(draw(SEEDS), min_bits, max_bits, fraction_span, signed)[0]

    return decoded()


def format_range(fmt: QFormat) -> tuple[int, int]:
    """Smallest and largest integer of ``fmt`` (written out here, not taken from fdsim)."""
    if fmt.signed:
        return -(1 << (fmt.total_bits - 1)), (1 << (fmt.total_bits - 1)) - 1
    return 0, (1 << fmt.total_bits) - 1


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: tuple[int, ...],
    is_complex: bool,
    fmt: QFormat | None = None,
    exponents: tuple[int, int] = (-3, 3),
    signed: bool | None = True,
    bits: tuple[int, int, int] = (3, 14, 3),
) -> FixedTensor:
    """A tensor of ``shape`` from one drawn integer: its format (unless given: ``bits`` =
    (min bits, max bits, fraction span) as for :func:`qformats`), its exponent in
    ``exponents`` and the seed of its values."""
    index = draw(SEEDS)
    if fmt is None:
        fmt, _ = decode_format(index, *bits, signed)
    exponent = int(np.random.default_rng([index, 1]).integers(*exponents, endpoint=True))
    low, high = format_range(fmt)
    size = int(np.prod(shape))
    values = seeded_ints(index, low, high, 2 * size if is_complex else size)
    stored: np.ndarray | ComplexInt = (
        ComplexInt(values[:size].reshape(shape), values[size:].reshape(shape))
        if is_complex
        else values.reshape(shape)
    )
    return FixedTensor(stored, fmt, exponent)


@st.composite
def reduction_numerics(draw: st.DrawFn, signed: bool | None = True) -> ReductionNumerics:
    accumulator = draw(qformats(6, 36, 6, signed))
    partial = draw(st.none() | qformats(4, 30, 6, signed))
    return ReductionNumerics(accumulator, partial)


@st.composite
def compositions(draw: st.DrawFn, length: int) -> tuple[int, ...]:
    """Tile sizes summing to ``length``: one drawn bit mask of the ``length − 1`` cut points."""
    mask = draw(st.integers(0, (1 << max(length - 1, 0)) - 1))
    bounds = [0, *(i for i in range(1, length) if mask >> (i - 1) & 1), length]
    return tuple(b - a for a, b in itertools.pairwise(bounds))


def scalar_values(t: FixedTensor) -> np.ndarray:
    """Object array of exact (re, im) Fraction pairs (im = 0 for real tensors)."""
    parts = t.parts
    out = np.empty(t.shape, dtype=object)
    for index in np.ndindex(t.shape):
        re = value(int(parts[0][index]), t.fmt, t.exponent)
        im = value(int(parts[1][index]), t.fmt, t.exponent) if len(parts) == 2 else Fraction(0)
        out[index] = (re, im)
    return out
