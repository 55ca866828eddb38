"""Unit tests: rounding, overflow, the event counter, the int64 guard, formats."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.fixedpoint import (
    FixedFormat,
    Int64WidthError,
    OverflowCounter,
    OverflowSite,
    add,
    dequantize,
    fit,
    multiply,
    quantize,
    requantize,
    round_float,
    shift_right,
    wrap,
)
from fdsim.spec.fft_arithmetic import TwiddleRounding
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

SITE = OverflowSite("activations", "unit")


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# v / 4 for v = -7 .. 7: -1.75 -1.5 -1.25 -1 -0.75 -0.5 -0.25 0 0.25 0.5 0.75 1 1.25 1.5 1.75
QUARTERS = ints(*range(-7, 8))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.TRUNCATE, [-2, -2, -2, -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1]),
        (RoundingMode.HALF_UP, [-2, -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2]),
        (RoundingMode.HALF_EVEN, [-2, -2, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2]),
    ],
)
def test_shift_right_rounds_quarters(mode: RoundingMode, expected: list[int]) -> None:
    assert shift_right(QUARTERS, 2, mode).tolist() == expected


def test_shift_right_zero_is_identity_and_negative_is_rejected() -> None:
    assert shift_right(QUARTERS, 0, RoundingMode.HALF_EVEN) is QUARTERS
    with pytest.raises(ValueError, match="shift_bits must be non-negative, got -1"):
        shift_right(QUARTERS, -1, RoundingMode.TRUNCATE)


def test_shift_right_at_the_63_bit_edge() -> None:
    top = ints((1 << 62) - 1, -(1 << 62))
    assert shift_right(top, 1, RoundingMode.HALF_UP).tolist() == [1 << 61, -(1 << 61)]
    assert shift_right(top, 1, RoundingMode.HALF_EVEN).tolist() == [1 << 61, -(1 << 61)]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.TRUNCATE, [-3.0, -2.0, -1.0, 0.0, 0.0, 1.0, 2.0]),
        (RoundingMode.HALF_UP, [-2.0, -1.0, -1.0, 0.0, 1.0, 2.0, 3.0]),
        (RoundingMode.HALF_EVEN, [-2.0, -2.0, -1.0, 0.0, 0.0, 2.0, 2.0]),
        (TwiddleRounding.HALF_AWAY_FROM_ZERO, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]),
    ],
)
def test_round_float_ties(mode: RoundingMode | TwiddleRounding, expected: list[float]) -> None:
    values = np.array([-2.5, -1.5, -0.7, 0.2, 0.5, 1.5, 2.5])
    assert round_float(values, mode).tolist() == expected


def test_round_float_is_exact_past_2_to_52() -> None:
    # 2**52 + 1.5 is not a double, but 2**51 + 0.5 is; x + 0.5 rounding would fail here.
    values = np.array([2.0**52 + 1, 2.0**51 + 0.5, -(2.0**51) - 0.5])
    assert round_float(values, RoundingMode.HALF_UP).tolist() == [
        2.0**52 + 1,
        2.0**51 + 1,
        -(2.0**51),
    ]
    assert round_float(values, RoundingMode.HALF_EVEN).tolist() == [
        2.0**52 + 1,
        2.0**51,
        -(2.0**51),
    ]


def test_wrap_and_saturate_with_counts() -> None:
    counter = OverflowCounter()
    values = ints(-9, -8, 7, 8, 9, 100)
    assert wrap(values, 4, signed=True).tolist() == [7, -8, 7, -8, -7, 4]
    assert wrap(values, 4, signed=False).tolist() == [7, 8, 7, 8, 9, 4]
    assert fit(values, 4, True, OverflowMode.WRAP, counter, SITE).tolist() == [7, -8, 7, -8, -7, 4]
    sat_site = OverflowSite("activations", "sat")
    saturated = fit(values, 4, True, OverflowMode.SATURATE, counter, sat_site)
    assert saturated.tolist() == [-8, -8, 7, 7, 7, 7]
    unsigned = fit(values, 4, False, OverflowMode.SATURATE, counter, sat_site)
    assert unsigned.tolist() == [0, 0, 7, 8, 9, 15]
    rows = [(t.site.name, t.mode.value, t.events, t.values_checked) for t in counter.tallies()]
    assert rows == [("sat", "saturate", 7, 12), ("unit", "wrap", 4, 6)]
    assert counter.events() == 11
    assert counter.events(OverflowMode.WRAP) == 4
    assert counter.events_by_tensor_class() == {"activations": 11}


def test_fit_returns_input_when_nothing_overflows_and_records_the_check() -> None:
    counter = OverflowCounter()
    values = ints(-8, 7)
    assert fit(values, 4, True, OverflowMode.WRAP, counter, SITE) is values
    assert [(t.events, t.values_checked) for t in counter.tallies()] == [(0, 2)]


def test_counter_merge_and_child_sites() -> None:
    a, b = OverflowCounter(), OverflowCounter()
    stage = OverflowSite("spectra", "fft").child("stage1")
    a.record(stage, OverflowMode.WRAP, 2, 10)
    b.record(stage, OverflowMode.WRAP, 3, 5)
    b.record(OverflowSite("weights", "load"), OverflowMode.SATURATE, 1, 4)
    a.merge(b)
    assert [(t.site, t.events, t.values_checked) for t in a.tallies()] == [
        (OverflowSite("spectra", "fft.stage1"), 5, 15),
        (OverflowSite("weights", "load"), 1, 4),
    ]
    assert a.events_by_tensor_class() == {"spectra": 5, "weights": 1}


def test_quantize_exact_values_and_events() -> None:
    fmt = QFormat(
        total_bits=6, fraction_bits=2, rounding=RoundingMode.HALF_EVEN, overflow=OverflowMode.WRAP
    )
    counter = OverflowCounter()
    q = quantize([0.125, 0.375, -0.125, 7.75, 8.0, -8.0, -8.25, 1e30], fmt, counter, SITE)
    # 1e30 * 4 is a multiple of 64, so it wraps to 0.
    assert q.tolist() == [0, 2, 0, 31, -32, -32, 31, 0]
    assert counter.events() == 3
    sat = fmt.model_copy(update={"overflow": OverflowMode.SATURATE})
    assert quantize([8.0, -9.0, -1e30], sat, counter, SITE).tolist() == [31, -32, -32]
    assert dequantize(ints(31, -32), fmt).tolist() == [7.75, -8.0]


def test_quantize_rejects_nan() -> None:
    fmt = QFormat(total_bits=8, fraction_bits=4)
    with pytest.raises(ValueError, match="cannot quantize NaN or infinite values"):
        quantize([np.nan], fmt, OverflowCounter(), SITE)


def test_requantize_drops_and_appends_bits() -> None:
    src = FixedFormat(12, 6)
    dst = QFormat(
        total_bits=6, fraction_bits=2, rounding=RoundingMode.HALF_UP, overflow=OverflowMode.SATURATE
    )
    counter = OverflowCounter()
    assert requantize(ints(8, -8, 24, 2047), src, dst, counter, SITE).tolist() == [1, 0, 2, 31]
    wider = QFormat(total_bits=16, fraction_bits=8)
    assert requantize(ints(3, -5), src, wider, counter, SITE).tolist() == [12, -20]
    assert counter.events() == 1


def test_products_and_sums_are_exact_with_their_formats() -> None:
    a_fmt, b_fmt = FixedFormat(8, 3), FixedFormat(6, 5, signed=False)
    product, p_fmt = multiply(ints(-128, 127), a_fmt, ints(63, 63), b_fmt)
    assert product.tolist() == [-8064, 8001]
    assert p_fmt == FixedFormat(14, 8, True)
    total, s_fmt = add(ints(-128, 5), a_fmt, ints(63, 1), b_fmt)
    # -128/8 + 63/32 = -16 + 1.96875 -> -449/32 ; 5/8 + 1/32 = 21/32
    assert total.tolist() == [-449, 21]
    assert s_fmt == FixedFormat(11, 5, True)


def test_int64_guard_names_the_culprit() -> None:
    with pytest.raises(Int64WidthError, match="fixed-point format needs 64 bits"):
        multiply(ints(1), FixedFormat(32, 0), ints(1), FixedFormat(32, 0))
    with pytest.raises(Int64WidthError, match="requantize left shift needs 70 bits"):
        requantize(
            ints(1),
            FixedFormat(40, 0),
            QFormat(total_bits=40, fraction_bits=30),
            OverflowCounter(),
            SITE,
        )


@pytest.mark.parametrize("mode", list(RoundingMode))
def test_shifts_of_64_bits_or_more_round_like_63(mode: RoundingMode) -> None:
    values = np.array([-(2**61), -3, -1, 0, 1, 2**61], dtype=np.int64)
    expected = {
        RoundingMode.TRUNCATE: [-1, -1, -1, 0, 0, 0],
        RoundingMode.HALF_UP: [0, 0, 0, 0, 0, 0],
        RoundingMode.HALF_EVEN: [0, 0, 0, 0, 0, 0],
    }[mode]
    for shift in (63, 64, 200):
        assert shift_right(values, shift, mode).tolist() == expected
