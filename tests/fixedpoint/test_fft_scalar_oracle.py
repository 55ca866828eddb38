"""Oracle: the vectorised FFT engine, on both carriers, equals the plain-Python scalar model,
integer for integer and event for event, across radices, decimations, scaling schedules,
twiddle rules, rounding and overflow modes, multiply forms, orders and directions; and so do
the packed real transforms (split and merge included)."""

from __future__ import annotations

import numpy as np
from fxp_scalar_fft_model import scalar_fft, scalar_irfft_pair, scalar_rfft_pair
from fxp_strategies import arithmetic_and_size, int_arrays
from hypothesis import given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import (
    Carrier,
    ComplexInt,
    FftPlan,
    OverflowCounter,
    OverflowSite,
    fft,
    irfft,
    plan_fft,
    rfft,
)
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


EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)


@EXAMPLES
@given(case=arithmetic_and_size(), data=st.data())
def test_engine_matches_scalar_model(
    case: tuple[FftArithmeticSpec, int], data: st.DataObject
) -> None:
    spec, points = case
    width = data.draw(st.integers(3, 14))
    direction = data.draw(st.sampled_from(list(FftDirection)))
    frames = data.draw(st.integers(1, 2))
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    x = data.draw(int_arrays(low, high, (frames, points, 2)))
    expected = [
        scalar_fft([(int(r), int(i)) for r, i in x[f]], spec, direction, width)
        for f in range(frames)
    ]
    auto = plan_fft(spec, points, direction, width)
    plans = [plan_fft(spec, points, direction, width, Carrier.INT64)]
    if auto.carrier is Carrier.COMPLEX128:
        plans.append(auto)
    tallies = []
    for plan in plans:
        counter = OverflowCounter()
        got = fft(ComplexInt(x[..., 0].copy(), x[..., 1].copy()), plan, counter, SITE)
        for f, (out, _) in enumerate(expected):
            assert got.re[f].tolist() == [v[0] for v in out]
            assert got.im[f].tolist() == [v[1] for v in out]
        assert counter.events() == sum(events for _, events in expected)
        tallies.append(counter.tallies())
    assert all(t == tallies[0] for t in tallies)


def carriers(
    spec: FftArithmeticSpec, points: int, direction: FftDirection, width: int
) -> list[FftPlan]:
    """The int64 plan, and the automatic plan too when it picks complex128."""
    auto = plan_fft(spec, points, direction, width)
    plans = [plan_fft(spec, points, direction, width, Carrier.INT64)]
    return [*plans, auto] if auto.carrier is Carrier.COMPLEX128 else plans


@EXAMPLES
@given(case=arithmetic_and_size(natural_order=True, max_points=16), data=st.data())
def test_packed_real_transforms_match_scalar_model(
    case: tuple[FftArithmeticSpec, int], data: st.DataObject
) -> None:
    """Three real frames (so one pair is completed with a zero frame) through ``rfft`` with
    a forward plan and ``irfft`` with an inverse plan, on int64 and, where the plan picks it,
    complex128.  Up to 16 points (the core alone is checked up to 64 above)."""
    spec, points = case
    assert points >= 2
    width = data.draw(st.integers(3, 12))
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    x = data.draw(int_arrays(low, high, (3, points)))
    zero = [0] * points
    pairs = [(x[0].tolist(), x[1].tolist()), (x[2].tolist(), zero)]
    forward = carriers(spec, points, FftDirection.FORWARD, width)
    halves, events = [], 0
    for xa, xb in pairs:
        a, b, e = scalar_rfft_pair(xa, xb, spec, FftDirection.FORWARD, width)
        halves += [a, b]
        events += e
    for plan in forward:
        counter = OverflowCounter()
        got = rfft(x, plan, counter, SITE)
        for f in range(3):
            assert list(zip(got.re[f].tolist(), got.im[f].tolist(), strict=True)) == halves[f]
        assert counter.events() == events
    spectra_width = forward[0].output_width_bits
    inverse = carriers(spec, points, FftDirection.INVERSE, spectra_width)
    frames, events = [], 0
    for a, b in ((halves[0], halves[1]), (halves[2], [(0, 0)] * len(halves[2]))):
        xa, xb, e = scalar_irfft_pair(a, b, spec, FftDirection.INVERSE, spectra_width)
        frames += [xa, xb]
        events += e
    half = np.array(halves[:3], dtype=np.int64)
    for plan in inverse:
        counter = OverflowCounter()
        back = irfft(ComplexInt(half[..., 0].copy(), half[..., 1].copy()), plan, counter, SITE)
        assert back.tolist() == frames[:3]
        assert counter.events() == events


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
