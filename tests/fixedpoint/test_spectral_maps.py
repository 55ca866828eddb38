"""Layer-level transforms on the shipped default arithmetic (hwconfigs/fdtrain_28nm.yaml):
exponents, agreement with numpy within the derived bounds, round trips, no overflow for any
Q5.10 maps up to a 256 grid, and overflow counting without the guard bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from fdsim.fixedpoint import (
    ErrorBound,
    OverflowCounter,
    OverflowSite,
    dequantize,
    dequantize_complex,
)
from fdsim.fixedpoint.spectral_maps import (
    maps_to_spectra,
    maps_to_spectra_error_bound,
    plan_spectral_maps,
    spectra_to_maps,
    spectra_to_maps_error_bound,
)
from fdsim.spec.fft_arithmetic import FftArithmeticSpec, Radix
from fdsim.spec.numerics import OverflowMode, QFormat

CONFIG = Path(__file__).resolve().parents[2] / "hwconfigs" / "fdtrain_28nm.yaml"
SITE = OverflowSite("spectra", "fft")


def shipped() -> tuple[FftArithmeticSpec, QFormat, QFormat]:
    raw = YAML(typ="safe").load(CONFIG.read_text())
    numerics = raw["numerics"]
    return (
        FftArithmeticSpec.model_validate(raw["fft"]["arithmetic"]),
        QFormat.model_validate(numerics["activations"]),
        QFormat.model_validate(numerics["spectra"]),
    )


def extreme_maps(size: int) -> np.ndarray:
    """Full-scale Q5.10 patterns: constants, checkerboards, stripes and random ±full scale."""
    low, high = -(1 << 15), (1 << 15) - 1
    rng = np.random.default_rng(size)
    checker = np.indices((size, size)).sum(axis=0) % 2
    stripes = np.indices((size, size))[1] % 2
    maps = [
        np.full((size, size), low),
        np.full((size, size), high),
        np.where(checker, low, high),
        np.where(stripes, high, low),
        rng.choice([low, high], (size, size)),
    ]
    return np.stack(maps).astype(np.int64)


@pytest.mark.parametrize("points, size", [(4, 3), (32, 28), (64, 64)])
def test_forward_and_inverse_agree_with_numpy_within_the_bounds(points: int, size: int) -> None:
    arithmetic, activations, spectra = shipped()
    plan = plan_spectral_maps(arithmetic, points, activations, spectra)
    rng = np.random.default_rng(points)
    maps = rng.integers(-(1 << 14), 1 << 14, (3, size, size))  # headroom for the inverse store
    counter = OverflowCounter()
    half, exponent = maps_to_spectra(maps, plan, counter, SITE)
    assert half.shape == (3, points, points // 2 + 1)
    assert exponent == plan.spectra_exponent
    x = dequantize(maps, activations)
    ideal = np.fft.rfft2(x, s=(points, points))
    lsb = 2.0 ** (exponent - spectra.fraction_bits)
    forward_bound = maps_to_spectra_error_bound(plan, float(np.max(np.abs(maps))))
    assert np.max(np.abs(dequantize_complex(half, spectra) * 2.0**exponent - ideal)) <= (
        forward_bound.max_error * lsb
    )
    ideal_peak_lsb = float(np.max(np.abs(ideal))) / lsb
    assert ideal_peak_lsb <= forward_bound.peak_magnitude
    # Inverse stored in plain activations (exponent 0), and with the top-bits default.
    word_exponent = plan.inverse_word_exponent(exponent)
    back, back_exponent = spectra_to_maps(half, exponent, size, plan, counter, SITE, 0)
    assert back.shape == (3, size, size) and back_exponent == 0
    bound = spectra_to_maps_error_bound(
        plan, ErrorBound(ideal_peak_lsb, forward_bound.max_error), drop_bits=-word_exponent
    )
    assert np.max(np.abs(back - maps)) <= bound.max_error
    top, top_exponent = spectra_to_maps(half, exponent, size, plan, counter, SITE)
    assert top_exponent == plan.maps_exponent(exponent)
    assert counter.events() == 0
    # The inverse of the stored spectra, against numpy on exactly those spectra.
    given = np.fft.irfft2(dequantize_complex(half, spectra) * 2.0**exponent, s=(points, points))
    exact_in = spectra_to_maps_error_bound(
        plan, ErrorBound(ideal_peak_lsb + forward_bound.max_error, 0.0)
    )
    top_lsb = 2.0 ** (top_exponent - activations.fraction_bits)
    assert np.max(np.abs(top * top_lsb - given[:, :size, :size])) <= exact_in.max_error * top_lsb


def test_round_trip_error_at_32_points() -> None:
    """Smooth Q5.10 maps through 16-bit spectra and back on a 32 grid: the inverse word's
    LSB is 2**-5 (the alternating schedule keeps five fraction bits; halving every stage
    would leave an LSB of 2) and the error stays below 0.25, set by the 16-bit spectra and
    the inverse's roundings."""
    arithmetic, activations, spectra = shipped()
    plan = plan_spectral_maps(arithmetic, 32, activations, spectra)
    grid = np.linspace(-1.0, 1.0, 32)
    x = 20.0 * np.sin(3 * grid)[None, :, None] * np.cos(2 * grid)[None, None, :]
    maps = np.round(x * 2**activations.fraction_bits).astype(np.int64)
    counter = OverflowCounter()
    half, exponent = maps_to_spectra(maps, plan, counter, SITE)
    back, _ = spectra_to_maps(half, exponent, 32, plan, counter, SITE, 0)
    assert counter.events() == 0
    assert plan.inverse_word_exponent(exponent) == 5
    assert np.all(back % 32 == 0)
    assert np.max(np.abs(dequantize(back - maps, activations))) < 0.25


@pytest.mark.parametrize("points", [4, 16, 256])
def test_no_overflow_anywhere_for_full_scale_maps(points: int) -> None:
    arithmetic, activations, spectra = shipped()
    plan = plan_spectral_maps(arithmetic, points, activations, spectra)
    counter = OverflowCounter()
    maps_to_spectra(extreme_maps(points), plan, counter, SITE)
    assert counter.events() == 0
    assert all(t.values_checked > 0 for t in counter.tallies())


def test_overflow_is_counted_without_the_guard_bit() -> None:
    """Packed rows x_a = +full, x_b = -full scale at the 45° twiddle: the first multiplying
    stage's part reaches √2 times the word without the guard bit and saturates; counted."""
    arithmetic, activations, spectra = shipped()
    points = 8
    low, high = -(1 << 15), (1 << 15) - 1
    row_a = np.array([high] * 4 + [low] * 4)
    row_b = np.array([low] * 4 + [high] * 4)
    maps = np.stack([row_a, row_b] * 4)[None]
    unguarded = plan_spectral_maps(arithmetic, points, activations, spectra, guard_bits=0)
    counter = OverflowCounter()
    maps_to_spectra(maps, unguarded, counter, SITE)
    assert counter.events(OverflowMode.SATURATE) > 0
    assert counter.events_by_tensor_class() == {"spectra": counter.events()}
    guarded = plan_spectral_maps(arithmetic, points, activations, spectra)
    counter = OverflowCounter()
    maps_to_spectra(maps, guarded, counter, SITE)
    assert counter.events() == 0


def test_sizes_that_the_core_cannot_take_are_rejected() -> None:
    arithmetic, activations, spectra = shipped()
    with pytest.raises(ValueError, match="power of two of at least 4, got 12"):
        plan_spectral_maps(arithmetic, 12, activations, spectra)
    radix4 = arithmetic.model_copy(update={"radix": Radix.FOUR})
    with pytest.raises(ValueError, match="radix-4 core cannot transform 32 points"):
        plan_spectral_maps(radix4, 32, activations, spectra)
    plan = plan_spectral_maps(arithmetic, 8, activations, spectra)
    with pytest.raises(ValueError, match="n <= 8"):
        maps_to_spectra(np.zeros((2, 9, 9), dtype=np.int64), plan, OverflowCounter(), SITE)
