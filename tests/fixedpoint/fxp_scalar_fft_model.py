"""A deliberately simple scalar model of the bit-true FFT, in plain Python integers.

It follows the contract in ``fdsim.spec.fft_arithmetic`` one value at a time, with its own
twiddle generation (exact ``Fraction`` rounding) and its own rounding/overflow helpers, and
treats every multiplying-stage output uniformly (even ``W = 1`` goes through the multiplier),
so agreement with the vectorised engine is evidence, not tautology.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftDirection,
    OutputOrder,
)
from fdsim.spec.numerics import OverflowMode, RoundingMode

Complex = tuple[int, int]


def round_shift(v: int, k: int, mode: RoundingMode) -> int:
    """v / 2**k rounded by mode, from divmod."""
    if k == 0:
        return v
    q, r = divmod(v, 1 << k)  # floor division, 0 <= r < 2**k
    if mode is RoundingMode.TRUNCATE:
        return q
    twice = 2 * r
    if twice > (1 << k):
        return q + 1
    if twice < (1 << k):
        return q
    return q + 1 if mode is RoundingMode.HALF_UP else q + (q % 2)


def round_fraction(x: Fraction, mode: str) -> int:
    floor = math.floor(x)
    frac = x - floor
    if mode == "truncate":
        return floor
    if frac != Fraction(1, 2):
        return floor + (1 if frac > Fraction(1, 2) else 0)
    if mode == "half_up":
        return floor + 1
    if mode == "half_even":
        return floor + (floor % 2)
    return floor + 1 if x > 0 else floor  # half_away_from_zero


class Fitter:
    def __init__(self, width: int, mode: OverflowMode) -> None:
        self.width, self.mode, self.events = width, mode, 0

    def __call__(self, v: int) -> int:
        low, high = -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        if low <= v <= high:
            return v
        self.events += 1
        if self.mode is OverflowMode.SATURATE:
            return max(low, min(high, v))
        return (v - low) % (1 << self.width) + low


def cmul(a: Complex, b: Complex, form: ComplexMultiplyForm) -> Complex:
    if form is ComplexMultiplyForm.FOUR_MULTIPLIER:
        return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]
    p1, p2, p3 = b[0] * a[0], b[1] * a[1], (b[0] + b[1]) * (a[0] + a[1])
    return p1 - p2, p3 - p1 - p2


def twiddle(k: int, block: int, width: int | None, spec: FftArithmeticSpec, sign: int) -> Complex:
    """W_block^k: quantised at unity 2**(width - integer bits), or exact ±1/±j when width is
    None (then k*4 must be a multiple of block)."""
    if width is None:
        quarter = (4 * k // block) % 4
        table = [(1, 0), (0, sign), (-1, 0), (0, -sign)]  # (j*sign)**quarter
        return table[quarter]
    unity = 1 << (width - spec.twiddle_integer_bits)
    angle = sign * 2.0 * math.pi * k / block
    high = (1 << (width - 1)) - 1
    re = round_fraction(Fraction(math.cos(angle)) * unity, spec.twiddle_rounding.value)
    im = round_fraction(Fraction(math.sin(angle)) * unity, spec.twiddle_rounding.value)
    return min(re, high), min(im, high)


def digit_reverse(i: int, points: int, radix: int) -> int:
    out, n = 0, points
    while n > 1:
        out = out * radix + i % radix
        i //= radix
        n //= radix
    return out


def scalar_fft(
    x: list[Complex],
    spec: FftArithmeticSpec,
    direction: FftDirection,
    input_width: int,
) -> tuple[list[Complex], int]:
    """Outputs in the spec's order and the number of overflow events."""
    n, r = len(x), int(spec.radix)
    sign = -1 if direction is FftDirection.FORWARD else 1
    blocks = spec.stage_block_points(n)
    widths = spec.stage_output_widths_bits(n, input_width)
    twiddle_widths = spec.stage_twiddle_widths_bits(n, input_width)
    dit = spec.decimation is Decimation.TIME

    @functools.cache
    def w(k: int, block: int, width: int | None) -> Complex:
        """``twiddle`` for this transform, computed once per (k, block, width)."""
        return twiddle(k, block, width, spec, sign)

    data = [x[digit_reverse(i, n, r)] for i in range(n)] if dit else list(x)
    events = 0
    w_in = input_width
    for block, w_out, tw in zip(blocks, widths, twiddle_widths, strict=True):
        fitter = Fitter(w_out, spec.overflow)
        shift = spec.radix.log2 - (w_out - w_in)
        unity_log2 = 0 if tw is None else tw - spec.twiddle_integer_bits
        span = block // r

        def weight(
            j: int, m: int, block: int = block, tw: int | None = tw, u: int = unity_log2
        ) -> Complex:
            """W_block^(j·m); input/output 0 of a butterfly is never twiddled (exact unity)."""
            return (1 << u, 0) if m == 0 else w(j * m, block, tw)

        new = list(data)
        for start in range(0, n, block):
            for j in range(span):
                a = [data[start + j + m * span] for m in range(r)]
                if dit:
                    a = [cmul(a[m], weight(j, m), spec.complex_multiply_form) for m in range(r)]
                for q in range(r):
                    y = [0, 0]
                    for m in range(r):
                        rot = w(m * q * (4 // r), 4, None)  # W_r^(mq)
                        p = cmul(a[m], rot, ComplexMultiplyForm.FOUR_MULTIPLIER)
                        y[0] += p[0]
                        y[1] += p[1]
                    if dit:
                        out = tuple(
                            fitter(round_shift(v, unity_log2 + shift, spec.stage_rounding))
                            for v in y
                        )
                    elif tw is not None:
                        p = cmul((y[0], y[1]), weight(j, q), spec.complex_multiply_form)
                        out = tuple(
                            fitter(round_shift(v, unity_log2 + shift, spec.stage_rounding))
                            for v in p
                        )
                    else:
                        rounded = [fitter(round_shift(v, shift, spec.stage_rounding)) for v in y]
                        p = cmul(
                            (rounded[0], rounded[1]),
                            w(j * q, block, None),
                            ComplexMultiplyForm.FOUR_MULTIPLIER,
                        )
                        out = (fitter(p[0]), fitter(p[1]))
                    new[start + j + q * span] = (out[0], out[1])
        data = new
        events += fitter.events
        w_in = w_out
    natural_now = dit
    want_natural = spec.output_order is OutputOrder.NATURAL
    if natural_now != want_natural:
        data = [data[digit_reverse(i, n, r)] for i in range(n)]
    return data, events


def scalar_rfft_pair(
    xa: list[int], xb: list[int], spec: FftArithmeticSpec, direction: FftDirection, width: int
) -> tuple[list[Complex], list[Complex], int]:
    """Two real frames packed as ``xa + j·xb``, transformed, and split into their half
    spectra: each of ``Zr ± Wr``, ``Zi ± Wi`` halved by the stage rounding and fitted to the
    core output width.  Returns both half spectra and the events (core and split)."""
    n = len(xa)
    spectrum, events = scalar_fft(list(zip(xa, xb, strict=True)), spec, direction, width)
    fitter = Fitter(spec.stage_output_widths_bits(n, width)[-1], spec.overflow)

    def halve(v: int) -> int:
        return fitter(round_shift(v, 1, spec.stage_rounding))

    a, b = [], []
    for k in range(n // 2 + 1):
        (zr, zi), (wr, wi) = spectrum[k], spectrum[(n - k) % n]
        a.append((halve(zr + wr), halve(zi - wi)))
        b.append((halve(zi + wi), halve(wr - zr)))
    return a, b, events + fitter.events


def scalar_irfft_pair(
    a: list[Complex], b: list[Complex], spec: FftArithmeticSpec, direction: FftDirection, width: int
) -> tuple[list[int], list[int], int]:
    """Two half spectra extended by Hermitian symmetry (imaginary parts of bins 0 and N/2
    dropped), merged into ``A + j·B`` fitted to ``width``, and transformed; the real and
    imaginary parts are the two frames.  Returns both frames and the events."""
    n = 2 * (len(a) - 1)
    fitter = Fitter(width, spec.overflow)

    def full(half: list[Complex]) -> list[Complex]:
        kept = [(re, 0 if k in (0, n // 2) else im) for k, (re, im) in enumerate(half)]
        return kept + [(re, -im) for re, im in kept[n // 2 - 1 : 0 : -1]]

    merged = [
        (fitter(ar - bi), fitter(ai + br))
        for (ar, ai), (br, bi) in zip(full(a), full(b), strict=True)
    ]
    frames, events = scalar_fft(merged, spec, direction, width)
    return [re for re, _ in frames], [im for _, im in frames], events + fitter.events
