"""Planning a bit-true FFT: from ``FftArithmeticSpec`` + size + direction + input width to the
per-stage widths, shifts and integer twiddle tables the engine executes.

A plan is built once and reused for every batch; it holds no data and no counters.  It also
decides, from static bounds, what the engine may leave out without changing a single bit:

* **carrier** — int64 (re, im) pairs always work; complex128 holding exact integers is chosen
  when every intermediate of every stage stays below ``2**(FLOAT64_EXACT_BITS - 1)``, because
  then each float64 product, sum and power-of-two scaling is exact.
* **overflow checks** — the value range of each butterfly output group is bounded by interval
  arithmetic on the stage's input word range (exact integer endpoints, rounding applied to the
  endpoints, twiddle magnitudes from the ROM).  A group whose range provably fits its word is
  not scanned; it is still recorded as checked with zero events, so tallies do not depend on
  the carrier or on the proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.formats import (
    FLOAT64_EXACT_BITS,
    IntArray,
    integer_range,
    require_int64_width,
)
from fdsim.fixedpoint.rounding import shift_right
from fdsim.fixedpoint.twiddles import quantized_twiddles, trivial_rotations, twiddle_angle_sign
from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftCoreSpec,
    FftDirection,
    OutputOrder,
)
from fdsim.spec.numerics import RoundingMode


class Carrier(StrEnum):
    """How the engine holds integers: int64 (re, im) pairs, or complex128 whose parts are
    exact integers (faster: one numpy pass per complex multiply)."""

    INT64 = "int64"
    COMPLEX128 = "complex128"


@dataclass(frozen=True, eq=False)
class StagePlan:
    """One stage.  ``twiddle_re/im`` has shape ``(radix - 1, block_points // radix)``: row
    ``m - 1`` holds ``W_S^(j·m)`` for output ``m`` (DIF) or input ``m`` (DIT) at index ``j``;
    integers at unity ``2**twiddle_unity_log2`` on multiplying stages, exact {-1, 0, 1} with
    ``twiddle_unity_log2 = 0`` otherwise.  ``max_twiddle_error`` is the largest
    ``|W_quantised/U - W|`` (0 for exact rotations).  ``twiddle_complex`` holds the same
    integers as complex128 for the complex128 carrier.  ``check_outputs[q]``
    says whether output group ``q`` can overflow the stage output word; ``check_rotations[q]``
    whether rounded group ``q`` (DIF stages without a multiplier, before their exact ±1/±j
    rotation; entry 0 unused) can."""

    index: int
    block_points: int
    input_width_bits: int
    output_width_bits: int
    shift_bits: int
    uses_multiplier: bool
    twiddle_width_bits: int | None
    twiddle_unity_log2: int
    twiddle_re: IntArray
    twiddle_im: IntArray
    max_twiddle_error: float
    intermediate_bits: int
    twiddle_complex: npt.NDArray[np.complex128]
    check_outputs: tuple[bool, ...]
    check_rotations: tuple[bool, ...]


@dataclass(frozen=True, eq=False)
class FftPlan:
    """A planned transform of ``points`` complex samples.  Hardware output
    ``X_hw[k] ≈ DFT(x)[k] · 2**gain_log2`` (``gain_log2 <= 0``).  ``carrier`` is how the
    engine holds the integers; every carrier gives the same integers and the same tallies."""

    arithmetic: FftArithmeticSpec
    points: int
    direction: FftDirection
    input_width_bits: int
    stages: tuple[StagePlan, ...]
    input_permutation: IntArray | None
    output_permutation: IntArray | None
    carrier: Carrier

    @property
    def output_width_bits(self) -> int:
        return self.stages[-1].output_width_bits

    @property
    def gain_log2(self) -> int:
        return -sum(stage.shift_bits for stage in self.stages)


def digit_reversal(points: int, radix: int) -> IntArray:
    """Permutation ``p`` with ``p[i]`` = ``i`` with its base-``radix`` digits reversed (an
    involution, so it both scrambles and unscrambles)."""
    digits = 0
    while radix**digits < points:
        digits += 1
    index = np.arange(points, dtype=np.int64)
    reversed_index = np.zeros(points, dtype=np.int64)
    for _ in range(digits):
        reversed_index = reversed_index * radix + index % radix
        index //= radix
    return reversed_index


def plan_fft(
    arithmetic: FftArithmeticSpec,
    points: int,
    direction: FftDirection,
    input_width_bits: int,
    carrier: Carrier | None = None,
) -> FftPlan:
    """Plan a ``points``-point transform of ``input_width_bits``-bit complex integers.
    ``carrier`` ``None`` picks complex128 when it is exact for every stage, else int64; asking
    for complex128 where it is not exact raises ``ValueError``.  Raises ``ValueError`` for a
    size/schedule mismatch and ``Int64WidthError`` when an intermediate would not fit int64."""
    radix = int(arithmetic.radix)
    blocks = arithmetic.stage_block_points(points)
    outputs = arithmetic.stage_output_widths_bits(points, input_width_bits)
    twiddle_widths = arithmetic.stage_twiddle_widths_bits(points, input_width_bits)
    stages = []
    width_in = input_width_bits
    for index, (block, width_out, twiddle_width) in enumerate(
        zip(blocks, outputs, twiddle_widths, strict=True)
    ):
        stages.append(
            _plan_stage(arithmetic, direction, index, block, width_in, width_out, twiddle_width)
        )
        width_in = width_out
    natural = arithmetic.output_order is OutputOrder.NATURAL
    reversal = digit_reversal(points, radix)
    if arithmetic.decimation is Decimation.FREQUENCY:
        in_perm, out_perm = None, (reversal if natural else None)
    else:
        in_perm, out_perm = reversal, (None if natural else reversal)
    float_bits = max(stage.intermediate_bits for stage in stages)
    if arithmetic.complex_multiply_form is ComplexMultiplyForm.THREE_MULTIPLIER and any(
        stage.uses_multiplier for stage in stages
    ):
        # The complex128 carrier forms the 4-multiplier products, one bit narrower.
        float_bits -= 1
    float_exact = float_bits <= FLOAT64_EXACT_BITS
    if carrier is None:
        carrier = Carrier.COMPLEX128 if float_exact else Carrier.INT64
    elif carrier is Carrier.COMPLEX128 and not float_exact:
        raise ValueError(
            f"the complex128 carrier is exact up to {FLOAT64_EXACT_BITS}-bit intermediates; "
            f"this plan forms {float_bits}-bit ones"
        )
    return FftPlan(
        arithmetic, points, direction, input_width_bits, tuple(stages), in_perm, out_perm, carrier
    )


def plan_core(core: FftCoreSpec) -> FftPlan:
    """The plan of an FFT IP core (its size, direction and input width)."""
    return plan_fft(core.arithmetic, core.points, core.direction, core.input_width_bits)


def _plan_stage(
    arithmetic: FftArithmeticSpec,
    direction: FftDirection,
    index: int,
    block: int,
    width_in: int,
    width_out: int,
    twiddle_width: int | None,
) -> StagePlan:
    radix = int(arithmetic.radix)
    shift = arithmetic.radix.log2 - (width_out - width_in)
    exponents = np.outer(np.arange(1, radix), np.arange(block // radix)).astype(np.int64)
    butterfly_bits = width_in + arithmetic.radix.log2
    if twiddle_width is None:
        re, im = trivial_rotations(block, exponents, direction)
        unity_log2, max_error, intermediate = 0, 0.0, butterfly_bits
    else:
        unity_log2 = twiddle_width - arithmetic.twiddle_integer_bits
        re, im = quantized_twiddles(
            block,
            exponents,
            twiddle_width,
            arithmetic.twiddle_integer_bits,
            arithmetic.twiddle_rounding,
            direction,
        )
        exact = np.exp(twiddle_angle_sign(direction) * 2j * np.pi * exponents / block)
        max_error = float(np.max(np.abs((re + 1j * im) / 2.0**unity_log2 - exact)))
        three = arithmetic.complex_multiply_form is ComplexMultiplyForm.THREE_MULTIPLIER
        # Exact complex product: data + twiddle + 1 (sum of two products), + 1 more for the
        # 3-multiplier's (a+b)(c+d).  DIF multiplies the butterfly output, DIT the input and
        # then sums radix products.
        data_bits = butterfly_bits if arithmetic.decimation is Decimation.FREQUENCY else width_in
        intermediate = data_bits + twiddle_width + 1 + (1 if three else 0)
        if arithmetic.decimation is Decimation.TIME:
            intermediate += arithmetic.radix.log2
    require_int64_width(intermediate, f"FFT stage {index} ({block}-point blocks) intermediate")
    check_outputs, check_rotations = _overflow_checks(
        arithmetic, width_in, width_out, shift, unity_log2, twiddle_width is not None, re, im
    )
    return StagePlan(
        index=index,
        block_points=block,
        input_width_bits=width_in,
        output_width_bits=width_out,
        shift_bits=shift,
        uses_multiplier=twiddle_width is not None,
        twiddle_width_bits=twiddle_width,
        twiddle_unity_log2=unity_log2,
        twiddle_re=re,
        twiddle_im=im,
        max_twiddle_error=max_error,
        intermediate_bits=intermediate,
        twiddle_complex=re + 1j * im,
        check_outputs=check_outputs,
        check_rotations=check_rotations,
    )


def _overflow_checks(
    arithmetic: FftArithmeticSpec,
    width_in: int,
    width_out: int,
    shift: int,
    unity_log2: int,
    multiplies: bool,
    re: IntArray,
    im: IntArray,
) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Per output group: can it leave the ``width_out`` word (final fit), and can the rounded
    group leave it before a trivial rotation?  Interval arithmetic on real parts (an imaginary
    part obeys the same bounds), starting from the full input word range."""
    radix = int(arithmetic.radix)
    rounding = arithmetic.stage_rounding
    low, high = integer_range(width_in, signed=True)
    out_low, out_high = integer_range(width_out, signed=True)
    # Largest |c| + |s| per twiddle row: bounds one part of z·W by max|part of z| times it.
    spread = np.max(np.abs(re) + np.abs(im), axis=1).tolist()
    negates = [
        bool(np.any(re_row < 0) or np.any(im_row != 0))
        for re_row, im_row in zip(re, im, strict=True)
    ]

    def rounded(lo: int, hi: int, bits: int) -> tuple[int, int]:
        return _shift_range(lo, hi, bits, rounding)

    def outside(lo: int, hi: int) -> bool:
        return lo < out_low or hi > out_high

    if arithmetic.decimation is Decimation.FREQUENCY:
        # Output 0 sums all inputs; every other output adds half of them and subtracts half.
        sums = [(radix * low, radix * high)] + [
            (radix // 2 * (low - high), radix // 2 * (high - low))
        ] * (radix - 1)
        outputs = [rounded(*sums[0], shift)]
        rotations = [False]
        for q in range(1, radix):
            if multiplies:
                bound = sums[q][1] * int(spread[q - 1])
                outputs.append(rounded(-bound, bound, unity_log2 + shift))
                rotations.append(False)
            else:
                lo, hi = rounded(*sums[q], shift)
                rotations.append(outside(lo, hi))
                outputs.append((min(lo, -hi), max(hi, -lo)) if negates[q - 1] else (lo, hi))
        return tuple(outside(*r) for r in outputs), tuple(rotations)
    # DIT: each output sums input 0 (aligned to the twiddle unity) and rotated inputs 1..r-1.
    magnitude = -low
    bound = magnitude * (1 << unity_log2) + sum(magnitude * int(t) for t in spread)
    lo, hi = rounded(-bound, bound, unity_log2 + shift)
    return (outside(lo, hi),) * radix, (False,) * radix


def _shift_range(lo: int, hi: int, bits: int, mode: RoundingMode) -> tuple[int, int]:
    """Exact range of ``shift_right`` over integers in ``[lo, hi]`` (rounding is monotone)."""
    ends = shift_right(np.array([lo, hi], dtype=np.int64), bits, mode)
    return int(ends[0]), int(ends[1])
