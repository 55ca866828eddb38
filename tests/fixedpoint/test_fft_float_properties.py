"""Float properties of the bit-true transforms: errors against float64 numpy stay within the
a-priori bound derived from the formats, round trips return N·x, and errors shrink toward
float64 as the formats widen."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from fxp_strategies import arithmetic_and_size
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from fdsim.fixedpoint import (
    ComplexInt,
    ErrorBound,
    Fft2Plan,
    OverflowCounter,
    OverflowSite,
    complex_mac,
    dequantize_complex,
    digit_reversal,
    fft,
    fft2,
    fft2_error_bound,
    fft_error_bound,
    irfft,
    irfft2,
    irfft2_error_bound,
    irfft_error_bound,
    plan_fft,
    quantize_complex,
    rfft,
    rfft2,
    rfft2_error_bound,
    rfft_error_bound,
)
from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftCoreSpec,
    FftDirection,
    OutputOrder,
    Radix,
    StageGrowthSchedule,
    TwiddleRounding,
    TwiddleWidthFixed,
    TwiddleWidthRule,
)
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

SITE = OverflowSite("spectra", "fft")


def dif_arithmetic(
    growth: int, twiddle_bits: int, order: OutputOrder = OutputOrder.NATURAL
) -> FftArithmeticSpec:
    return FftArithmeticSpec(
        radix=Radix.TWO,
        decimation=Decimation.FREQUENCY,
        output_order=order,
        stage_growth_bits=StageGrowthSchedule(repeating_bits=(growth,)),
        stage_rounding=RoundingMode.HALF_EVEN,
        overflow=OverflowMode.WRAP,
        twiddle_width=TwiddleWidthFixed(
            rule=TwiddleWidthRule.FIXED, width_bits_all_stages=twiddle_bits
        ),
        twiddle_integer_bits=2,
        twiddle_rounding=TwiddleRounding.HALF_EVEN,
        complex_multiply_form=ComplexMultiplyForm.FOUR_MULTIPLIER,
        multiplier_min_block_points=8,
    )


def random_frames(seed: int, shape: tuple[int, ...], width: int, headroom_bits: int) -> ComplexInt:
    rng = np.random.default_rng(seed)
    reach = 1 << (width - 1 - headroom_bits)
    return ComplexInt(rng.integers(-reach, reach, shape), rng.integers(-reach, reach, shape))


def peak(z: ComplexInt) -> float:
    return float(np.max(np.abs(z.re + 1j * z.im.astype(np.float64))))


def as_complex(z: ComplexInt) -> np.ndarray:
    return z.re.astype(np.float64) + 1j * z.im.astype(np.float64)


def to_natural(values: np.ndarray, spec: FftArithmeticSpec, points: int) -> np.ndarray:
    if spec.output_order is OutputOrder.NATURAL:
        return values
    return values[..., digit_reversal(points, int(spec.radix))]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(
    case=arithmetic_and_size(),
    width=st.integers(6, 16),
    seed=st.integers(0, 2**32 - 1),
    direction=st.sampled_from(list(FftDirection)),
)
def test_error_against_float64_is_within_the_format_bound(
    case: tuple[FftArithmeticSpec, int], width: int, seed: int, direction: FftDirection
) -> None:
    spec, points = case
    plan = plan_fft(spec, points, direction, width)
    x = random_frames(seed, (4, points), width, headroom_bits=2)
    counter = OverflowCounter()
    got = fft(x, plan, counter, SITE)
    assume(counter.events() == 0)  # the bound holds for overflow-free runs
    ideal_fn = (
        np.fft.fft if direction is FftDirection.FORWARD else (lambda v: np.fft.ifft(v) * points)
    )
    ideal = ideal_fn(as_complex(x)) * 2.0**plan.gain_log2
    error = np.max(np.abs(to_natural(as_complex(got), spec, points) - ideal))
    bound = fft_error_bound(plan, ErrorBound(peak(x), 0.0))
    assert error <= bound.max_error + 1e-9
    assert np.max(np.abs(ideal)) <= bound.peak_magnitude + 1e-9


@settings(max_examples=300, deadline=None, derandomize=True)
@given(case=arithmetic_and_size(), width=st.integers(6, 14), seed=st.integers(0, 2**32 - 1))
def test_round_trip_returns_n_x_within_the_bound(
    case: tuple[FftArithmeticSpec, int], width: int, seed: int
) -> None:
    spec, points = case
    forward = plan_fft(spec, points, FftDirection.FORWARD, width)
    inverse = plan_fft(spec, points, FftDirection.INVERSE, forward.output_width_bits)
    x = random_frames(seed, (3, points), width, headroom_bits=2)
    counter = OverflowCounter()
    spectrum = fft(x, forward, counter, SITE)
    if spec.output_order is OutputOrder.DIGIT_REVERSED:
        order = digit_reversal(points, int(spec.radix))
        spectrum = ComplexInt(spectrum.re[..., order], spectrum.im[..., order])
    back = fft(spectrum, inverse, counter, SITE)
    assume(counter.events() == 0)
    ideal = as_complex(x) * points * 2.0 ** (forward.gain_log2 + inverse.gain_log2)
    error = np.max(np.abs(to_natural(as_complex(back), spec, points) - ideal))
    bound = fft_error_bound(inverse, fft_error_bound(forward, ErrorBound(peak(x), 0.0)))
    assert error <= bound.max_error + 1e-9


def test_round_trip_on_the_dblclockfft_arithmetic_is_bounded() -> None:
    """16 frames of 32 points through the dblclockfft arithmetic forward then inverse return
    32·x/16 = 2·x within the derived bound."""
    path = Path(__file__).resolve().parents[2] / "hwconfigs/fft_ip/b32_fwd_n16_dblclk.yaml"
    core = FftCoreSpec.model_validate(YAML(typ="safe").load(path.read_text()))
    forward = plan_fft(core.arithmetic, 32, FftDirection.FORWARD, 16)
    inverse = plan_fft(core.arithmetic, 32, FftDirection.INVERSE, 19)
    x = random_frames(7, (16, 32), 16, headroom_bits=1)
    counter = OverflowCounter()
    back = fft(fft(x, forward, counter, SITE), inverse, counter, SITE)
    assert counter.events() == 0
    assert forward.gain_log2 + inverse.gain_log2 == -4
    error = np.abs(as_complex(back) - 2 * as_complex(x))
    bound = fft_error_bound(inverse, fft_error_bound(forward, ErrorBound(peak(x), 0.0)))
    assert np.max(error) <= bound.max_error
    # Worst case 62.5 LSB (errors double through every growing stage); typical 2 LSB.
    assert round(bound.max_error, 2) == 62.53
    assert np.max(error) <= 2 * np.sqrt(2)


def test_error_shrinks_toward_float64_as_widths_grow() -> None:
    """Halving schedule, twiddles one bit wider than the data: the relative error falls about
    16x per 4 bits; 30-bit data with 31-bit twiddles (the widest whose products fit the
    63-bit budget) are within 5e-8 of float64."""
    rng = np.random.default_rng(2024)
    x = rng.uniform(-1, 1, (8, 64)) + 1j * rng.uniform(-1, 1, (8, 64))
    errors = []
    for width in (8, 12, 16, 20, 24, 28, 30):
        plan = plan_fft(dif_arithmetic(0, width + 1), 64, FftDirection.FORWARD, width)
        fmt = QFormat(total_bits=width, fraction_bits=width - 2)
        counter = OverflowCounter()
        q = quantize_complex(x, fmt, counter, SITE)
        got = dequantize_complex(fft(q, plan, counter, SITE), fmt)
        ideal = np.fft.fft(dequantize_complex(q, fmt)) * 2.0**plan.gain_log2
        assert counter.events() == 0
        errors.append(np.linalg.norm(got - ideal) / np.linalg.norm(ideal))
    # 4-bit steps up to 28 bits (the last step, 28 -> 30, is 2 bits).
    ratios = [a / b for a, b in itertools.pairwise(errors[:-1])]
    assert all(ratio > 8 for ratio in ratios)
    assert errors[-1] < errors[-2] < 5e-7
    assert errors[-1] < 5e-8


def test_48_bit_accumulators_hold_1e_9_relative() -> None:
    """A 64-term complex dot product of 31-bit operands (62-bit exact products) in a 48-bit
    accumulator matches float64 to 1e-9 relative, and to 1e-11 on the quantised operands."""
    rng = np.random.default_rng(5)
    a = rng.uniform(-0.99, 0.99, (256, 64)) + 1j * rng.uniform(-0.99, 0.99, (256, 64))
    b = rng.uniform(-0.99, 0.99, (256, 64)) + 1j * rng.uniform(-0.99, 0.99, (256, 64))
    operand = QFormat(total_bits=31, fraction_bits=30)
    acc_fmt = QFormat(total_bits=48, fraction_bits=40, overflow=OverflowMode.SATURATE)
    counter = OverflowCounter()
    qa, qb = (
        quantize_complex(a, operand, counter, SITE),
        quantize_complex(b, operand, counter, SITE),
    )
    acc = ComplexInt(np.zeros(256, np.int64), np.zeros(256, np.int64))
    for k in range(64):
        acc = complex_mac(
            acc,
            acc_fmt,
            ComplexInt(qa.re[:, k], qa.im[:, k]),
            operand,
            ComplexInt(qb.re[:, k], qb.im[:, k]),
            operand,
            ComplexMultiplyForm.FOUR_MULTIPLIER,
            counter,
            SITE,
        )
    assert counter.events() == 0
    got = dequantize_complex(acc, acc_fmt)
    ideal = np.sum(a * b, axis=1)
    assert np.linalg.norm(got - ideal) / np.linalg.norm(ideal) < 1e-9
    exact_inputs = np.sum(dequantize_complex(qa, operand) * dequantize_complex(qb, operand), axis=1)
    assert np.linalg.norm(got - exact_inputs) / np.linalg.norm(exact_inputs) < 1e-11


def test_rfft_and_irfft_match_numpy_within_the_bound() -> None:
    """Five real frames (two packed pairs and one frame with a zero partner) match numpy
    within the packed bounds, and come back as N·x times the gains."""
    width = 14
    forward = plan_fft(dif_arithmetic(1, 18), 32, FftDirection.FORWARD, width)
    inverse = plan_fft(dif_arithmetic(0, 22), 32, FftDirection.INVERSE, forward.output_width_bits)
    rng = np.random.default_rng(11)
    x = rng.integers(-(1 << 12), 1 << 12, (5, 32))
    counter = OverflowCounter()
    half = rfft(x, forward, counter, SITE)
    assert half.shape == (5, 17)
    bound = rfft_error_bound(forward, ErrorBound(float(np.max(np.abs(x))), 0.0))
    ideal = np.fft.rfft(x) * 2.0**forward.gain_log2
    assert np.max(np.abs(as_complex(half) - ideal)) <= bound.max_error
    assert np.max(np.abs(ideal)) <= bound.peak_magnitude
    back = irfft(half, inverse, counter, SITE)
    assert back.shape == (5, 32) and back.dtype == np.int64
    assert counter.events() == 0
    scale = 32 * 2.0 ** (forward.gain_log2 + inverse.gain_log2)
    round_trip = irfft_error_bound(inverse, bound)
    assert np.max(np.abs(back - x * scale)) <= round_trip.max_error


def test_packed_pair_by_hand_and_overflow_sites() -> None:
    """A hand-computed 2-point pair: the split separates the two frames exactly and records
    at ``split``; a halving stage's rne((a - b)/2) = 128 overflows and is counted at its
    stage."""
    spec = dif_arithmetic(1, 16).model_copy(update={"overflow": OverflowMode.SATURATE})
    plan = plan_fft(spec, 2, FftDirection.FORWARD, 8)  # one +1 stage: 8 -> 9 bits
    # Z[0] = xa0 + xa1 + j(xb0 + xb1), Z[1] = xa0 - xa1 + j(xb0 - xb1); bin 1 mirrors itself.
    x = np.array([[-128, 127], [127, -128]], dtype=np.int64)  # Z[1] = -255 + 255j
    counter = OverflowCounter()
    half = rfft(x, plan, counter, SITE)
    # X_a[1] = ((Zr + Wr)/2, (Zi - Wi)/2) = (-255, 0)
    # X_b[1] = ((Zi + Wi)/2, (Wr - Zr)/2) = (255, 0)
    assert half.re.tolist() == [[-1, -255], [-1, 255]]
    tallies = {t.site.name: t.events for t in counter.tallies()}
    assert tallies == {"fft.stage0": 0, "fft.split": 0}
    spec_halving = dif_arithmetic(0, 16).model_copy(update={"overflow": OverflowMode.SATURATE})
    plan = plan_fft(spec_halving, 2, FftDirection.FORWARD, 8)  # 8 -> 8 bits, rne((a - b)/2)
    counter = OverflowCounter()
    rfft(np.array([[127, -128], [0, 0]], dtype=np.int64), plan, counter, SITE)
    # Stage: (127 + 128)/2 = 127.5 -> 128 overflows the 8-bit word (saturated to 127).
    assert {t.site.name: t.events for t in counter.tallies()}["fft.stage0"] == 1


def test_rfft2_and_irfft2_match_numpy_and_the_axis_path() -> None:
    """Real 8x16 maps -> 8x9 half spectra with a narrowing transpose buffer, checked bit for
    bit against an independent composition (explicit transposes) and against numpy within
    the bound; the inverse returns the maps."""
    rows = plan_fft(dif_arithmetic(1, 16), 16, FftDirection.FORWARD, 12)  # 12 -> 16 bits
    columns = plan_fft(dif_arithmetic(1, 18), 8, FftDirection.FORWARD, 14)  # narrowed to 14
    plan = Fft2Plan(rows, columns)
    assert plan.narrowing_shift_bits == 2 and plan.gain_log2 == -2
    rng = np.random.default_rng(3)
    x = rng.integers(-(1 << 10), 1 << 10, (4, 8, 16))
    counter = OverflowCounter()
    half = rfft2(x, plan, counter, SITE)
    assert half.shape == (4, 8, 9)
    # Independent composition: rows, narrow by hand (half-even), transpose, columns, transpose.
    row_half = rfft(x, rows, OverflowCounter(), SITE)

    def narrow(v: np.ndarray) -> np.ndarray:
        q, r = np.divmod(v, 4)
        return q + ((r > 2) | ((r == 2) & (q % 2 == 1)))

    narrowed = ComplexInt(
        narrow(row_half.re).swapaxes(1, 2).copy(), narrow(row_half.im).swapaxes(1, 2).copy()
    )
    cols = fft(narrowed, columns, OverflowCounter(), SITE)
    assert half.equals(ComplexInt(cols.re.swapaxes(1, 2), cols.im.swapaxes(1, 2)))
    bound = rfft2_error_bound(plan, ErrorBound(float(np.max(np.abs(x))), 0.0))
    ideal = np.fft.rfft2(x) * 2.0**plan.gain_log2
    assert np.max(np.abs(as_complex(half) - ideal)) <= bound.max_error
    # Inverse: columns (8-point) then merged rows (16-point, Hermitian).
    inv_columns = plan_fft(dif_arithmetic(0, 20), 8, FftDirection.INVERSE, 18)
    inv_rows = plan_fft(dif_arithmetic(0, 20), 16, FftDirection.INVERSE, 19)
    inverse_plan = Fft2Plan(inv_columns, inv_rows)
    back = irfft2(half, inverse_plan, counter, SITE)
    assert back.shape == (4, 8, 16)
    assert counter.events() == 0
    scale = 8 * 16 * 2.0 ** (plan.gain_log2 + inverse_plan.gain_log2)
    assert np.max(np.abs(back - x * scale)) <= irfft2_error_bound(inverse_plan, bound).max_error


def test_complex_fft2_matches_numpy_within_the_bound() -> None:
    """Complex 16x8 maps (rows of 8 points, then 16-point columns through a narrowing
    transpose buffer): bit for bit the explicit composition, and numpy within the bound."""
    rows = plan_fft(dif_arithmetic(1, 16), 8, FftDirection.FORWARD, 12)  # 12 -> 15 bits
    columns = plan_fft(dif_arithmetic(1, 18), 16, FftDirection.FORWARD, 13)  # narrowed to 13
    plan = Fft2Plan(rows, columns)
    assert plan.narrowing_shift_bits == 2
    rng = np.random.default_rng(21)
    x = ComplexInt(
        rng.integers(-(1 << 10), 1 << 10, (3, 16, 8)), rng.integers(-(1 << 10), 1 << 10, (3, 16, 8))
    )
    counter = OverflowCounter()
    spectra = fft2(x, plan, counter, SITE)
    assert spectra.shape == (3, 16, 8)
    assert counter.events() == 0
    row_spectra = fft(x, rows, OverflowCounter(), SITE, axis=-1)

    def narrow(v: np.ndarray) -> np.ndarray:
        q, r = np.divmod(v, 4)
        return q + ((r > 2) | ((r == 2) & (q % 2 == 1)))

    narrowed = ComplexInt(narrow(row_spectra.re), narrow(row_spectra.im))
    assert spectra.equals(fft(narrowed, columns, OverflowCounter(), SITE, axis=-2))
    peak = float(np.max(np.abs(as_complex(x))))
    bound = fft2_error_bound(plan, ErrorBound(peak, 0.0))
    ideal = np.fft.fft2(as_complex(x)) * 2.0**plan.gain_log2
    assert np.max(np.abs(as_complex(spectra) - ideal)) <= bound.max_error
    assert np.max(np.abs(ideal)) <= bound.peak_magnitude
