"""Moving values between float64 and Q-formats, and between Q-formats.

``quantize`` rounds ``x * 2**fraction_bits`` by the format's rounding mode and fits the result
by its overflow mode; ``requantize`` does the same to an integer already in another format.
Both are exact for every finite input (no float64 double rounding, no int64 overflow).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.formats import (
    FloatArray,
    IntArray,
    NumberFormat,
    integer_range,
    require_int64_width,
)
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite, fit, lost_to_zero, wrap
from fdsim.fixedpoint.rounding import round_float, shift_right
from fdsim.spec.numerics import OverflowMode, QFormat


def quantize(
    values: npt.ArrayLike, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    """Float ``values`` as integers of ``fmt`` (``q ≈ x·2**fraction_bits``), rounded by
    ``fmt.rounding`` and fitted by ``fmt.overflow``; nonzero values rounded to zero are
    recorded as underflow events.  Raises ``ValueError`` on NaN/inf."""
    scaled = np.ldexp(np.asarray(values, dtype=np.float64), fmt.fraction_bits)
    if not np.all(np.isfinite(scaled)):
        raise ValueError("cannot quantize NaN or infinite values (or values scaled past float64)")
    rounded = round_float(scaled, fmt.rounding)
    low, high = integer_range(fmt.total_bits, fmt.signed)
    # Compare with high + 1, a power of two: high itself may not be representable in float64.
    outside = (rounded < low) | (rounded >= high + 1)
    events = int(np.count_nonzero(outside))
    counter.record(site, fmt.overflow, events, rounded.size, lost_to_zero(scaled, rounded))
    if not events:
        return rounded.astype(np.int64)
    if fmt.overflow is OverflowMode.SATURATE:
        return np.clip(rounded, low, high + 1).astype(np.int64).clip(low, high)
    # fmod by a power of two is exact and leaves a value of magnitude < 2**total_bits.
    reduced = np.fmod(rounded, float(1 << fmt.total_bits)).astype(np.int64)
    return wrap(reduced, fmt.total_bits, fmt.signed)


def dequantize(q: IntArray, fmt: NumberFormat) -> FloatArray:
    """``q / 2**fraction_bits`` as float64 (exact while ``|q| < 2**53``)."""
    return np.ldexp(q.astype(np.float64), -fmt.fraction_bits)


def requantize(
    q: IntArray,
    source: NumberFormat,
    target: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> IntArray:
    """Integers of ``source`` re-expressed in ``target``: low bits dropped with
    ``target.rounding`` (or zeros appended), then fitted by ``target.overflow``; values the
    dropped bits take to zero are underflow events."""
    drop = source.fraction_bits - target.fraction_bits
    underflows = 0
    if drop >= 0:
        moved = shift_right(q, drop, target.rounding)
        underflows = lost_to_zero(q, moved)
    else:
        require_int64_width(source.total_bits - drop, "requantize left shift")
        moved = q << -drop
    return fit(moved, target.total_bits, target.signed, target.overflow, counter, site, underflows)


def fit_shifted(
    values: IntArray,
    width_bits: int,
    drop_bits: int,
    fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    what: str,
) -> IntArray:
    """``width_bits``-bit integers ``values / 2**drop_bits`` rounded by ``fmt.rounding`` and
    fitted by ``fmt.overflow`` (events at ``site``); a negative drop appends zero bits exactly
    (``Int64WidthError`` naming ``what`` past the int64 budget). Values the dropped bits take
    to zero are underflow events."""
    underflows = 0
    if drop_bits > 0:
        # Dropping more than the word's width rounds every value like dropping width + 1 bits
        # (to -1 or 0), so clamp: the shift must stay inside int64.
        moved = shift_right(values, min(drop_bits, width_bits + 1), fmt.rounding)
        underflows = lost_to_zero(values, moved)
    else:
        require_int64_width(width_bits - drop_bits, what)
        moved = values << -drop_bits
    return fit(moved, fmt.total_bits, fmt.signed, fmt.overflow, counter, site, underflows)
