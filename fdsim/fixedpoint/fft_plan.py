"""Planning a bit-true FFT: from ``FftArithmeticSpec`` + size + direction + input width to the
per-stage widths, shifts and integer twiddle tables the engine executes.

A plan is built once and reused for every batch; it holds no data and no counters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdsim.fixedpoint.formats import IntArray, require_int64_width
from fdsim.fixedpoint.twiddles import quantized_twiddles, trivial_rotations, twiddle_angle_sign
from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftCoreSpec,
    FftDirection,
    OutputOrder,
)


@dataclass(frozen=True, eq=False)
class StagePlan:
    """One stage.  ``twiddle_re/im`` has shape ``(radix - 1, block_points // radix)``: row
    ``m - 1`` holds ``W_S^(j·m)`` for output ``m`` (DIF) or input ``m`` (DIT) at index ``j``;
    integers at unity ``2**twiddle_unity_log2`` on multiplying stages, exact {-1, 0, 1} with
    ``twiddle_unity_log2 = 0`` otherwise.  ``max_twiddle_error`` is the largest
    ``|W_quantised/U - W|`` (0 for exact rotations)."""

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


@dataclass(frozen=True, eq=False)
class FftPlan:
    """A planned transform of ``points`` complex samples.  Hardware output
    ``X_hw[k] ≈ DFT(x)[k] · 2**gain_log2`` (``gain_log2 <= 0``)."""

    arithmetic: FftArithmeticSpec
    points: int
    direction: FftDirection
    input_width_bits: int
    stages: tuple[StagePlan, ...]
    input_permutation: IntArray | None
    output_permutation: IntArray | None

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
    arithmetic: FftArithmeticSpec, points: int, direction: FftDirection, input_width_bits: int
) -> FftPlan:
    """Plan a ``points``-point transform of ``input_width_bits``-bit complex integers.
    Raises ``ValueError`` for a size/schedule mismatch and ``Int64WidthError`` when an
    intermediate would not fit int64."""
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
    return FftPlan(
        arithmetic, points, direction, input_width_bits, tuple(stages), in_perm, out_perm
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
    )
