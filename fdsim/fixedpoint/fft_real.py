"""Real-input and 2-D bit-true transforms built on the complex engine.

* ``rfft``: a real frame enters the complex core with zero imaginary parts; bins
  ``0 .. N/2`` (the Hermitian half, N/2+1 bins) are kept.
* ``irfft``: the half spectrum is extended by Hermitian symmetry (``X[N-k] = conj X[k]``,
  imaginary parts of bins 0 and N/2 dropped, as ``numpy.fft.irfft`` does), run through the
  complex core, and the real part kept.
* 2-D: rows (last axis) then columns for the forward transforms, columns then rows for the
  inverse.  Between passes the data sit in a transpose buffer at the second core's input
  width: wider first-pass words are narrowed by the second plan's stage rounding and overflow
  mode (events at ``site.child("between_passes")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdsim.fixedpoint.complex_int import ComplexInt
from fdsim.fixedpoint.fft import fft
from fdsim.fixedpoint.fft_plan import FftPlan
from fdsim.fixedpoint.formats import IntArray
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite, fit
from fdsim.fixedpoint.rounding import shift_right
from fdsim.spec.fft_arithmetic import OutputOrder


@dataclass(frozen=True, eq=False)
class Fft2Plan:
    """Two 1-D plans applied one after the other.  Forward 2-D functions run ``first`` along
    the last axis (rows) and ``second`` along axis -2; ``irfft2`` runs ``first`` along axis -2
    and ``second`` along the rows.  Output ``≈ DFT2 · 2**gain_log2``."""

    first: FftPlan
    second: FftPlan

    @property
    def narrowing_shift_bits(self) -> int:
        """Low bits dropped between the passes (0 when the second core is wide enough)."""
        return max(0, self.first.output_width_bits - self.second.input_width_bits)

    @property
    def output_width_bits(self) -> int:
        return self.second.output_width_bits

    @property
    def gain_log2(self) -> int:
        return self.first.gain_log2 - self.narrowing_shift_bits + self.second.gain_log2


def _require_natural(plan: FftPlan) -> None:
    if plan.arithmetic.output_order is not OutputOrder.NATURAL:
        raise ValueError("real-input transforms need a plan with natural output order")


def rfft(
    x: IntArray, plan: FftPlan, counter: OverflowCounter, site: OverflowSite, axis: int = -1
) -> ComplexInt:
    """Half spectrum (``points // 2 + 1`` bins along ``axis``) of real integer frames ``x``."""
    _require_natural(plan)
    spectrum = fft(ComplexInt(x, np.zeros_like(x)), plan, counter, site, axis)
    keep = [slice(None)] * x.ndim
    keep[axis] = slice(0, plan.points // 2 + 1)
    index = tuple(keep)
    return ComplexInt(spectrum.re[index], spectrum.im[index])


def irfft(
    half: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite, axis: int = -1
) -> IntArray:
    """Real frames of ``plan.points`` samples from their half spectra (``points // 2 + 1``
    bins along ``axis``, in the plan's input width)."""
    _require_natural(plan)
    full = _hermitian_extension(half, plan, counter, site.child("hermitian"), axis)
    return fft(full, plan, counter, site, axis).re


def _hermitian_extension(
    half: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite, axis: int
) -> ComplexInt:
    points = plan.points
    if half.shape[axis] != points // 2 + 1:
        raise ValueError(
            f"axis {axis} has {half.shape[axis]} bins, a {points}-point half spectrum has "
            f"{points // 2 + 1}"
        )
    re = np.moveaxis(half.re, axis, -1)
    im = np.moveaxis(half.im, axis, -1).copy()
    im[..., 0] = 0
    im[..., -1] = 0
    mirrored = slice(points // 2 - 1, 0, -1)  # bins N/2-1 .. 1 become N/2+1 .. N-1
    # Conjugation negates: -(-2**(w-1)) does not fit the word and is fitted like any value.
    negated = fit(
        -im[..., mirrored], plan.input_width_bits, True, plan.arithmetic.overflow, counter, site
    )
    full_re = np.concatenate([re, re[..., mirrored]], axis=-1)
    full_im = np.concatenate([im, negated], axis=-1)
    return ComplexInt(np.moveaxis(full_re, -1, axis), np.moveaxis(full_im, -1, axis))


def _between_passes(
    z: ComplexInt, plan: Fft2Plan, counter: OverflowCounter, site: OverflowSite
) -> ComplexInt:
    shift = plan.narrowing_shift_bits
    if shift == 0:
        return z
    arithmetic = plan.second.arithmetic
    width, mode = plan.second.input_width_bits, arithmetic.overflow
    site = site.child("between_passes")
    re = fit(shift_right(z.re, shift, arithmetic.stage_rounding), width, True, mode, counter, site)
    im = fit(shift_right(z.im, shift, arithmetic.stage_rounding), width, True, mode, counter, site)
    return ComplexInt(re, im)


def fft2(x: ComplexInt, plan: Fft2Plan, counter: OverflowCounter, site: OverflowSite) -> ComplexInt:
    """2-D transform of complex maps (last two axes): rows, then columns."""
    rows = fft(x, plan.first, counter, site.child("rows"), axis=-1)
    rows = _between_passes(rows, plan, counter, site)
    return fft(rows, plan.second, counter, site.child("columns"), axis=-2)


def rfft2(x: IntArray, plan: Fft2Plan, counter: OverflowCounter, site: OverflowSite) -> ComplexInt:
    """Half spectra (``N1 × (N2 // 2 + 1)``) of real maps ``x`` (last two axes ``N1 × N2``)."""
    rows = rfft(x, plan.first, counter, site.child("rows"), axis=-1)
    rows = _between_passes(rows, plan, counter, site)
    return fft(rows, plan.second, counter, site.child("columns"), axis=-2)


def irfft2(
    half: ComplexInt, plan: Fft2Plan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    """Real maps ``N1 × N2`` from half spectra ``N1 × (N2 // 2 + 1)``: columns (``first``),
    then rows with Hermitian extension (``second``)."""
    columns = fft(half, plan.first, counter, site.child("columns"), axis=-2)
    columns = _between_passes(columns, plan, counter, site)
    return irfft(columns, plan.second, counter, site.child("rows"), axis=-1)
