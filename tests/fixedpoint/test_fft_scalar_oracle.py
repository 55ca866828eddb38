"""Oracle: the vectorised FFT engine equals the plain-Python scalar model, integer for integer
and event for event, across radices, decimations, scaling schedules, twiddle rules, rounding
and overflow modes, multiply forms, orders and directions."""

from __future__ import annotations

import numpy as np
from fxp_scalar_fft_model import scalar_fft
from fxp_strategies import arithmetic_and_size
from hypothesis import given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import ComplexInt, OverflowCounter, OverflowSite, fft, plan_fft
from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftDirection,
    OutputOrder,
    Radix,
    StageGrowthSchedule,
    TwiddleRounding,
    TwiddleWidthFixed,
    TwiddleWidthRule,
)
from fdsim.spec.numerics import OverflowMode, RoundingMode

SITE = OverflowSite("spectra", "fft")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(case=arithmetic_and_size(), data=st.data())
def test_engine_matches_scalar_model(
    case: tuple[FftArithmeticSpec, int], data: st.DataObject
) -> None:
    spec, points = case
    width = data.draw(st.integers(3, 14))
    direction = data.draw(st.sampled_from(list(FftDirection)))
    frames = data.draw(st.integers(1, 3))
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    value = st.integers(low, high) | st.sampled_from([low, high])
    raw = data.draw(
        st.lists(
            st.lists(st.tuples(value, value), min_size=points, max_size=points),
            min_size=frames,
            max_size=frames,
        )
    )
    x = np.array(raw, dtype=np.int64)
    counter = OverflowCounter()
    got = fft(
        ComplexInt(x[..., 0].copy(), x[..., 1].copy()),
        plan_fft(spec, points, direction, width),
        counter,
        SITE,
    )
    expected_events = 0
    for f in range(frames):
        out, events = scalar_fft([(int(r), int(i)) for r, i in x[f]], spec, direction, width)
        expected_events += events
        assert got.re[f].tolist() == [v[0] for v in out]
        assert got.im[f].tolist() == [v[1] for v in out]
    assert counter.events() == expected_events


def test_scalar_model_agrees_on_a_hand_checked_radix4_case() -> None:
    """x = impulse at n=1 (value 64): X[k] = 64·W_16^k.  Full growth, exact twiddles at
    k multiple of 4; elsewhere within one LSB of 64·cos/sin."""
    spec = FftArithmeticSpec(
        radix=Radix.FOUR,
        decimation=Decimation.FREQUENCY,
        output_order=OutputOrder.NATURAL,
        stage_growth_bits=StageGrowthSchedule(repeating_bits=(2,)),
        stage_rounding=RoundingMode.HALF_EVEN,
        overflow=OverflowMode.WRAP,
        twiddle_width=TwiddleWidthFixed(rule=TwiddleWidthRule.FIXED, width_bits_all_stages=16),
        twiddle_integer_bits=2,
        twiddle_rounding=TwiddleRounding.HALF_AWAY_FROM_ZERO,
        complex_multiply_form=ComplexMultiplyForm.FOUR_MULTIPLIER,
        multiplier_min_block_points=8,
    )
    x = [(0, 0)] * 16
    x[1] = (64, 0)
    out, events = scalar_fft(x, spec, FftDirection.FORWARD, 8)
    assert events == 0
    assert out[0] == (64, 0) and out[4] == (0, -64) and out[8] == (-64, 0) and out[12] == (0, 64)
    assert out[2] == (45, -45)  # 64·cos(π/4) = 45.25
    plan = plan_fft(spec, 16, FftDirection.FORWARD, 8)
    z = np.array(x, dtype=np.int64)
    got = fft(ComplexInt(z[:, 0].copy(), z[:, 1].copy()), plan, OverflowCounter(), SITE)
    assert list(zip(got.re.tolist(), got.im.tolist(), strict=True)) == out
