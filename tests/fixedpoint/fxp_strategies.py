"""Hypothesis strategies shared by the FFT tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from value_styles import seeded_ints

from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    OutputOrder,
    Radix,
    StageGrowthSchedule,
    TwiddleRounding,
    TwiddleWidthFixed,
    TwiddleWidthInputPlusExtra,
    TwiddleWidthPerMultiplyStage,
    TwiddleWidthRule,
)
from fdsim.spec.numerics import OverflowMode, RoundingMode


@st.composite
def arithmetic_and_size(
    draw: st.DrawFn, natural_order: bool = False, max_points: int = 64
) -> tuple[FftArithmeticSpec, int]:
    """An FFT arithmetic spec and its size, 2…``max_points`` points (``natural_order``:
    output in natural order)."""
    radix = draw(st.sampled_from(list(Radix)))
    stages = draw(st.integers(1, (max_points.bit_length() - 1) // radix.log2))
    growth = st.integers(0, radix.log2)
    schedule = StageGrowthSchedule(
        leading_bits=tuple(draw(st.lists(growth, max_size=2))),
        repeating_bits=tuple(draw(st.lists(growth, min_size=1, max_size=2))),
    )
    integer_bits = draw(st.integers(1, 3))
    multiplier_min = draw(st.sampled_from([2, 4, 8]))
    points = int(radix) ** stages
    multiply_stages = sum(points // int(radix) ** s >= multiplier_min for s in range(stages))
    rule = draw(st.sampled_from(list(TwiddleWidthRule)))
    width = st.integers(integer_bits + 1, 18)
    twiddle_width: TwiddleWidthInputPlusExtra | TwiddleWidthFixed | TwiddleWidthPerMultiplyStage
    if rule is TwiddleWidthRule.INPUT_WIDTH_PLUS_EXTRA:
        twiddle_width = TwiddleWidthInputPlusExtra(rule=rule, extra_bits=draw(st.integers(1, 6)))
    elif rule is TwiddleWidthRule.FIXED or multiply_stages == 0:
        twiddle_width = TwiddleWidthFixed(
            rule=TwiddleWidthRule.FIXED, width_bits_all_stages=draw(width)
        )
    else:
        widths = draw(st.lists(width, min_size=multiply_stages, max_size=multiply_stages))
        twiddle_width = TwiddleWidthPerMultiplyStage(rule=rule, width_bits_by_stage=tuple(widths))
    spec = FftArithmeticSpec(
        radix=radix,
        decimation=draw(st.sampled_from(list(Decimation))),
        output_order=OutputOrder.NATURAL
        if natural_order
        else draw(st.sampled_from(list(OutputOrder))),
        stage_growth_bits=schedule,
        stage_rounding=draw(st.sampled_from(list(RoundingMode))),
        overflow=draw(st.sampled_from(list(OverflowMode))),
        twiddle_width=twiddle_width,
        twiddle_integer_bits=integer_bits,
        twiddle_rounding=draw(st.sampled_from(list(TwiddleRounding))),
        complex_multiply_form=draw(st.sampled_from(list(ComplexMultiplyForm))),
        multiplier_min_block_points=multiplier_min,
    )
    return spec, points


# --- integer values: one Hypothesis choice per array ----------------------------------------
# Drawing every element through Hypothesis dominated the run time of the oracle tests at a
# thousand examples each; a drawn seed (which also picks the value style) lets numpy fill an
# array at the cost of one choice.  Formats, modes, sizes and shapes stay Hypothesis' choices.

SEEDS = st.integers(0, 2**32 - 1)


@st.composite
def int_arrays(
    draw: st.DrawFn, low: int, high: int, shape: tuple[int, ...]
) -> npt.NDArray[np.int64]:
    """int64 array of ``shape`` with values in ``[low, high]`` (extremes included)."""
    size = 1
    for side in shape:
        size *= side
    return seeded_ints(draw(SEEDS), low, high, size).reshape(shape)
