"""A-priori error bounds of the bit-true FFT, derived from its formats.

For a stage of radix ``r`` and shift ``s`` the exact stage map has gain ``g = r / 2**s`` in the
max-modulus norm.  With quantised twiddles off by at most ``ε`` (measured on the plan's
tables) and a rounding error of at most ``δ`` per real part (1/2 for the half modes, 1 for
truncation, 0 when nothing is dropped), the error against the ideal (exact DFT scaled by
``2**gain_log2``) obeys ``E' = g·E + g·(M + E)·ε + δ·√2`` and the ideal peak ``M' = g·M``.  The
bound holds whenever no overflow event was counted.

Real transforms pack two frames: a packed frame ``x_a + j·x_b`` has modulus at most ``√2``
times the larger real peak; the split's halving keeps the peak and adds one rounding
(``δ·√2``); the merge ``X_a + j·X_b`` at most doubles peak and error.  Taking real or
imaginary parts never increases the error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fdsim.fixedpoint.fft_plan import FftPlan, StagePlan
from fdsim.fixedpoint.fft_real import Fft2Plan
from fdsim.spec.numerics import RoundingMode


@dataclass(frozen=True)
class ErrorBound:
    """``peak_magnitude`` bounds ``|ideal|`` and ``max_error`` bounds ``|hardware - ideal|``
    (complex moduli), both in LSBs of the word they describe."""

    peak_magnitude: float
    max_error: float


def rounding_error_lsb(mode: RoundingMode) -> float:
    """Largest error of one rounded real value, in output LSBs."""
    return 1.0 if mode is RoundingMode.TRUNCATE else 0.5


def _stage_bound(stage: StagePlan, radix: int, mode: RoundingMode, bound: ErrorBound) -> ErrorBound:
    gain = radix / 2.0**stage.shift_bits
    rounds = stage.uses_multiplier or stage.shift_bits > 0
    delta = rounding_error_lsb(mode) * math.sqrt(2.0) if rounds else 0.0
    actual_peak = bound.peak_magnitude + bound.max_error
    return ErrorBound(
        peak_magnitude=gain * bound.peak_magnitude,
        max_error=gain * bound.max_error + gain * actual_peak * stage.max_twiddle_error + delta,
    )


def fft_error_bound(plan: FftPlan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the output of ``fft(x, plan)`` given a bound on its input."""
    bound = bound_in
    for stage in plan.stages:
        bound = _stage_bound(
            stage, int(plan.arithmetic.radix), plan.arithmetic.stage_rounding, bound
        )
    return bound


def rfft_error_bound(plan: FftPlan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the half spectra of ``rfft(x, plan)`` given a bound on the real frames."""
    packed = ErrorBound(
        bound_in.peak_magnitude * math.sqrt(2.0), bound_in.max_error * math.sqrt(2.0)
    )
    spectrum = fft_error_bound(plan, packed)
    delta = rounding_error_lsb(plan.arithmetic.stage_rounding) * math.sqrt(2.0)
    return ErrorBound(spectrum.peak_magnitude, spectrum.max_error + delta)


def irfft_error_bound(plan: FftPlan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the frames of ``irfft(half, plan)`` given a bound on the half spectra."""
    merged = ErrorBound(2.0 * bound_in.peak_magnitude, 2.0 * bound_in.max_error)
    return fft_error_bound(plan, merged)


def _between_passes(plan: Fft2Plan, bound: ErrorBound) -> ErrorBound:
    shift = plan.narrowing_shift_bits
    if not shift:
        return bound
    delta = rounding_error_lsb(plan.second.arithmetic.stage_rounding) * math.sqrt(2.0)
    return ErrorBound(bound.peak_magnitude / 2**shift, bound.max_error / 2**shift + delta)


def fft2_error_bound(plan: Fft2Plan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the output of ``fft2(x, plan)``."""
    bound = _between_passes(plan, fft_error_bound(plan.first, bound_in))
    return fft_error_bound(plan.second, bound)


def rfft2_error_bound(plan: Fft2Plan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the half spectra of ``rfft2(x, plan)`` given a bound on the real maps."""
    bound = _between_passes(plan, rfft_error_bound(plan.first, bound_in))
    return fft_error_bound(plan.second, bound)


def irfft2_error_bound(plan: Fft2Plan, bound_in: ErrorBound) -> ErrorBound:
    """Bound on the maps of ``irfft2(half, plan)`` given a bound on the half spectra."""
    bound = _between_passes(plan, fft_error_bound(plan.first, bound_in))
    return irfft_error_bound(plan.second, bound)
