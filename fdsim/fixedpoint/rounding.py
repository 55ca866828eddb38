"""Rounding: dropping low bits of int64 words, and rounding float64 values to integers.

Both are exact: integer shifts never leave int64 (callers keep values within the 63-bit
budget), and the float path decides ties from the exactly-representable fractional part
``x - floor(x)`` rather than from ``x + 0.5``, which would itself round for ``|x| >= 2**52``.
"""

from __future__ import annotations

import numpy as np

from fdsim.fixedpoint.formats import INT64_SAFE_BITS, FloatArray, IntArray
from fdsim.spec.fft_arithmetic import TwiddleRounding
from fdsim.spec.numerics import RoundingMode


def shift_right(
    values: IntArray, shift_bits: int, mode: RoundingMode, out: IntArray | None = None
) -> IntArray:
    """``values / 2**shift_bits`` rounded by ``mode`` (``shift_bits >= 0``).  Written into
    ``out`` when given (``out`` may be ``values`` itself); otherwise a new array, except that
    a zero shift without ``out`` returns ``values`` unchanged."""
    if shift_bits < 0:
        raise ValueError(f"shift_bits must be non-negative, got {shift_bits}")
    if shift_bits == 0:
        if out is None or out is values:
            return values
        np.copyto(out, values)
        return out
    # Values stay inside the 63-bit budget (|v| < 2**62), so every shift of 63 bits or more
    # gives the same result as 63 (0 or -1 truncated, 0 rounded); numpy rejects shifts >= 64.
    shift_bits = min(shift_bits, INT64_SAFE_BITS)
    half = 1 << (shift_bits - 1)
    if mode is RoundingMode.TRUNCATE:
        return np.right_shift(values, shift_bits, out=out)
    if mode is RoundingMode.HALF_UP:
        result = np.add(values, half, out=out)
    else:
        # Half-to-even without a compare: add half-1 plus the kept LSB, then floor.  A tie
        # (remainder == half) then carries exactly when the kept part is odd.
        kept_lsb = values >> shift_bits
        kept_lsb &= 1
        result = np.add(values, kept_lsb, out=out)
        result += half - 1
    result >>= shift_bits
    return result


def round_float(values: FloatArray, mode: RoundingMode | TwiddleRounding) -> FloatArray:
    """Finite float64 ``values`` rounded to integral float64 values by ``mode`` (the enums share
    the names ``truncate``/``half_up``/``half_even``; ``half_away_from_zero`` is C ``llround``)."""
    floor = np.floor(values)
    fraction = values - floor  # exact: the fractional part of a double is representable
    name = mode.value
    if name == RoundingMode.TRUNCATE.value:
        return floor
    if name == RoundingMode.HALF_UP.value:
        up = fraction >= 0.5
    elif name == RoundingMode.HALF_EVEN.value:
        up = (fraction > 0.5) | ((fraction == 0.5) & (np.fmod(floor, 2.0) != 0.0))
    elif name == TwiddleRounding.HALF_AWAY_FROM_ZERO.value:
        up = (fraction > 0.5) | ((fraction == 0.5) & (values > 0.0))
    else:
        raise ValueError(f"unknown rounding mode {name!r}")
    rounded: FloatArray = floor + up
    return rounded
