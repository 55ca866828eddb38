"""Seeded integer draws shared by the fixed-point strategies (tests/fixedpoint and
tests/nn/fixed): one Hypothesis integer picks both a value style and a numpy seed, which is far
faster than drawing every element through Hypothesis."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

VALUE_STYLES = ("uniform", "mixed", "extremes", "small", "powers")


def seeded_ints(seed: int, low: int, high: int, size: int) -> npt.NDArray[np.int64]:
    """``size`` integers in ``[low, high]`` in the style ``seed`` selects: uniform, uniform
    with a third extremes, extremes only (the bounds, their neighbours, 0, ±1), small
    magnitudes (ties and exact cases), or ±powers of two."""
    style = VALUE_STYLES[seed % len(VALUE_STYLES)]
    rng = np.random.default_rng(seed)
    extremes = np.array(
        sorted({v for v in (low, low + 1, high - 1, high, 0, -1, 1) if low <= v <= high}),
        dtype=np.int64,
    )
    if style == "extremes":
        return rng.choice(extremes, size)
    if style == "small":
        return rng.integers(max(low, -4), min(high, 4), size, dtype=np.int64, endpoint=True)
    if style == "powers":
        magnitude = np.left_shift(1, rng.integers(0, max(high, -low).bit_length(), size))
        sign = rng.choice(np.array([-1, 1], dtype=np.int64), size) if low < 0 else 1
        return np.clip(sign * magnitude, low, high).astype(np.int64)
    values = rng.integers(low, high, size, dtype=np.int64, endpoint=True)
    if style == "mixed":
        mask = rng.random(size) < 1 / 3
        values[mask] = rng.choice(extremes, int(mask.sum()))
    return values
