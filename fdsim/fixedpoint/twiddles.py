"""Twiddle factors ``W_S^k = exp(∓j·2πk/S)`` as the integers a twiddle ROM holds, and the
exact ±1/±j rotations of stages that have no multiplier."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.formats import IntArray, integer_range
from fdsim.fixedpoint.rounding import round_float
from fdsim.spec.fft_arithmetic import FftDirection, TwiddleRounding


def twiddle_angle_sign(direction: FftDirection) -> int:
    """-1 for the forward transform's ``exp(-j…)``, +1 for the inverse."""
    return -1 if direction is FftDirection.FORWARD else 1


def quantized_twiddles(
    block_points: int,
    exponents: npt.NDArray[np.int64],
    width_bits: int,
    integer_bits: int,
    rounding: TwiddleRounding,
    direction: FftDirection,
) -> tuple[IntArray, IntArray]:
    """``(round(U·cos θ), round(U·sin θ))`` for ``θ = ∓2π·k/block_points`` and each ``k`` in
    ``exponents``, with unity ``U = 2**(width_bits - integer_bits)``, saturated to a signed
    ``width_bits`` word (only ±1 can need it, when ``integer_bits`` is 1).  The angle is
    evaluated in the same float64 operation order as a C generator
    (``sign*2.0*M_PI*k/S``) and with the C library ``cos``/``sin`` (Python ``math``), so ROM
    words match generators that round with ``llround``."""
    sign = twiddle_angle_sign(direction)
    angles = [sign * 2.0 * math.pi * int(k) / block_points for k in exponents.ravel()]
    unity = float(1 << (width_bits - integer_bits))
    cos = np.array([math.cos(a) for a in angles], dtype=np.float64).reshape(exponents.shape)
    sin = np.array([math.sin(a) for a in angles], dtype=np.float64).reshape(exponents.shape)
    low, high = integer_range(width_bits, signed=True)
    re = np.clip(round_float(unity * cos, rounding), low, high).astype(np.int64)
    im = np.clip(round_float(unity * sin, rounding), low, high).astype(np.int64)
    return re, im


def trivial_rotations(
    block_points: int, exponents: npt.NDArray[np.int64], direction: FftDirection
) -> tuple[IntArray, IntArray]:
    """Exact ``(cos θ, sin θ)`` in {-1, 0, 1} for exponents that are multiples of a quarter
    turn; raises ``ValueError`` otherwise (such a stage needs a multiplier)."""
    quarter_turns, remainder = np.divmod(4 * exponents, block_points)
    if np.any(remainder):
        raise ValueError(
            f"a {block_points}-point block has twiddles other than ±1, ±j; "
            "it needs a multiplier (lower multiplier_min_block_points)"
        )
    quarter = (quarter_turns * -twiddle_angle_sign(direction)) % 4
    # (-j)**q for q = 0..3: 1, -j, -1, j
    cos = np.array([1, 0, -1, 0], dtype=np.int64)[quarter]
    sin = np.array([0, -1, 0, 1], dtype=np.int64)[quarter]
    return cos, sin
