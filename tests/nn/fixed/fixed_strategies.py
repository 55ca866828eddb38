"""Hypothesis strategies and converters shared by the fdsim.nn.fixed tests."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from fixed_scalar_model import value
from hypothesis import strategies as st

from fdsim.fixedpoint import ComplexInt
from fdsim.nn.fixed import FixedTensor, ReductionNumerics
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

ROUNDINGS = list(RoundingMode)
OVERFLOWS = list(OverflowMode)


@st.composite
def qformats(
    draw: st.DrawFn, min_bits: int = 3, max_bits: int = 14, fraction_span: int = 3
) -> QFormat:
    total = draw(st.integers(min_bits, max_bits))
    return QFormat(
        total_bits=total,
        fraction_bits=draw(st.integers(-fraction_span, total)),
        rounding=draw(st.sampled_from(ROUNDINGS)),
        overflow=draw(st.sampled_from(OVERFLOWS)),
    )


def int_arrays(fmt: QFormat, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """int64 arrays of ``shape`` inside ``fmt``'s range, extremes included."""
    low, high = -(1 << (fmt.total_bits - 1)), (1 << (fmt.total_bits - 1)) - 1
    size = int(np.prod(shape))
    element = st.integers(low, high) | st.sampled_from([low, high, 0, -1])
    return st.lists(element, min_size=size, max_size=size).map(
        lambda v: np.array(v, dtype=np.int64).reshape(shape)
    )


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: tuple[int, ...],
    is_complex: bool,
    fmt: QFormat | None = None,
    exponents: tuple[int, int] = (-3, 3),
) -> FixedTensor:
    fmt = fmt or draw(qformats())
    exponent = draw(st.integers(*exponents))
    if is_complex:
        values: np.ndarray | ComplexInt = ComplexInt(
            draw(int_arrays(fmt, shape)), draw(int_arrays(fmt, shape))
        )
    else:
        values = draw(int_arrays(fmt, shape))
    return FixedTensor(values, fmt, exponent)


@st.composite
def reduction_numerics(draw: st.DrawFn) -> ReductionNumerics:
    accumulator = draw(qformats(min_bits=6, max_bits=36, fraction_span=6))
    partial = draw(st.none() | qformats(min_bits=4, max_bits=30, fraction_span=6))
    return ReductionNumerics(accumulator, partial)


@st.composite
def compositions(draw: st.DrawFn, length: int) -> tuple[int, ...]:
    """Random tile sizes summing to ``length``."""
    cuts = (
        sorted(draw(st.sets(st.integers(1, length - 1), max_size=length - 1))) if length > 1 else []
    )
    bounds = [0, *cuts, length]
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
