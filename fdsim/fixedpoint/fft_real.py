"""Real-input and 2-D bit-true transforms built on the complex engine.

The RTL cores are complex; real frames reach them two at a time (two-for-one packing), as the
cost model in ``fdsim.sim.units.fft`` assumes.  Frames are paired in the flattened batch order
(frames ``2i`` and ``2i+1``; rows ``2r`` and ``2r+1`` of a map with an even row count); an odd
frame count is completed with a zero frame that is dropped again.

* ``rfft``: ``z = x_a + j·x_b`` goes through the core, then the half spectra (bins
  ``0 .. N/2``) are separated, with ``W = Z[(N - k) mod N]``::

      X_a[k] = (Z[k] + conj W) / 2 = ((Zr + Wr) / 2, (Zi - Wi) / 2)
      X_b[k] = (Z[k] - conj W) / 2j = ((Zi + Wi) / 2, (Wr - Zr) / 2)

  Each of the four real sums is exact (one bit wider than the core output), divided by 2 with
  the plan's ``stage_rounding`` and fitted back to the core output width with its ``overflow``
  mode, events at ``site.child("split")``.  The halving is the split's normalisation, so the
  half spectra keep the core's gain; only ``(2**(w-1) - 1) - (-2**(w-1))`` over 2, rounded
  up, can overflow.
* ``irfft``: two half spectra, each extended by Hermitian symmetry (``X[N-k] = conj X[k]``;
  imaginary parts of bins 0 and N/2 dropped, as ``numpy.fft.irfft`` does), are merged into
  ``Z = X_a + j·X_b`` with additions only (``Zr = Ar - Bi``, ``Zi = Ai + Br`` on the extended
  spectra), fitted to the core input width (events at ``site.child("merge")``), and
  transformed; the real part is frame ``a``, the imaginary part frame ``b``.
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


def _paired(frames: IntArray, length: int) -> IntArray:
    """``frames`` as ``(pairs, 2, length)``, with a zero frame appended to an odd count."""
    flat = frames.reshape(-1, length)
    if flat.shape[0] % 2:
        flat = np.concatenate([flat, np.zeros((1, length), dtype=np.int64)])
    return flat.reshape(-1, 2, length)


def rfft(x: IntArray, plan: FftPlan, counter: OverflowCounter, site: OverflowSite) -> ComplexInt:
    """Half spectra (``points // 2 + 1`` bins) of real integer frames ``x`` (last axis
    ``plan.points``, values in the plan's input width), two frames per core pass."""
    _require_natural(plan)
    points, half = plan.points, plan.points // 2 + 1
    if x.shape[-1] != points:
        raise ValueError(f"frames have {x.shape[-1]} points, the plan expects {points}")
    pairs = _paired(x, points)
    spectrum = fft(ComplexInt(pairs[:, 0], pairs[:, 1]), plan, counter, site)
    separated = _split(spectrum, plan, counter, site.child("split"))
    count = int(np.prod(x.shape[:-1], dtype=np.int64))
    shape = (*x.shape[:-1], half)
    return ComplexInt(
        separated.re.reshape(-1, half)[:count].reshape(shape),
        separated.im.reshape(-1, half)[:count].reshape(shape),
    )


def _split(
    spectrum: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> ComplexInt:
    """Packed spectra ``(pairs, N)`` → half spectra ``(pairs, 2, N/2 + 1)`` (a, then b)."""
    points, half = plan.points, plan.points // 2 + 1
    mirror = (-np.arange(half)) % points
    zr, zi = spectrum.re[:, :half], spectrum.im[:, :half]
    wr, wi = spectrum.re[:, mirror], spectrum.im[:, mirror]
    width, mode = plan.output_width_bits, plan.arithmetic.overflow
    rounding = plan.arithmetic.stage_rounding

    def halved(total: IntArray) -> IntArray:
        return fit(shift_right(total, 1, rounding, out=total), width, True, mode, counter, site)

    re = np.stack([halved(zr + wr), halved(zi + wi)], axis=1)
    im = np.stack([halved(zi - wi), halved(wr - zr)], axis=1)
    return ComplexInt(re, im)


def irfft(
    half: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    """Real frames of ``plan.points`` samples from their half spectra (last axis
    ``points // 2 + 1`` bins, in the plan's input width), two frames per core pass."""
    _require_natural(plan)
    points, bins = plan.points, plan.points // 2 + 1
    if half.shape[-1] != bins:
        raise ValueError(
            f"spectra have {half.shape[-1]} bins, a {points}-point half spectrum has {bins}"
        )
    re, im = _paired(half.re, bins), _paired(half.im, bins)
    merged = _merge(re, im, plan, counter, site.child("merge"))
    frames = fft(merged, plan, counter, site)
    count = int(np.prod(half.shape[:-1], dtype=np.int64))
    out = np.stack([frames.re, frames.im], axis=1).reshape(-1, points)[:count]
    return out.reshape(*half.shape[:-1], points)


def _merge(
    re: IntArray, im: IntArray, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> ComplexInt:
    """Half spectra ``(pairs, 2, N/2 + 1)`` → packed full spectra ``(pairs, N)``."""
    points, bins = plan.points, plan.points // 2 + 1
    ar, br = re[:, 0], re[:, 1]
    ai, bi = im[:, 0].copy(), im[:, 1].copy()
    for parts in (ai, bi):
        parts[:, [0, bins - 1]] = 0
    mirrored = slice(points // 2 - 1, 0, -1)  # bins N/2-1 .. 1 become N/2+1 .. N-1
    z_re = np.concatenate([ar - bi, ar[:, mirrored] + bi[:, mirrored]], axis=1)
    z_im = np.concatenate([ai + br, br[:, mirrored] - ai[:, mirrored]], axis=1)
    width, mode = plan.input_width_bits, plan.arithmetic.overflow
    return ComplexInt(
        fit(z_re, width, True, mode, counter, site), fit(z_im, width, True, mode, counter, site)
    )


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
    """Half spectra (``N1 × (N2 // 2 + 1)``) of real maps ``x`` (last two axes ``N1 × N2``):
    packed row pairs (``N1 / 2`` row transforms per map when ``N1`` is even), then the
    ``N2 / 2 + 1`` columns."""
    rows = rfft(x, plan.first, counter, site.child("rows"))
    rows = _between_passes(rows, plan, counter, site)
    return fft(rows, plan.second, counter, site.child("columns"), axis=-2)


def irfft2(
    half: ComplexInt, plan: Fft2Plan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    """Real maps ``N1 × N2`` from half spectra ``N1 × (N2 // 2 + 1)``: columns (``first``),
    then merged row pairs (``second``)."""
    columns = fft(half, plan.first, counter, site.child("columns"), axis=-2)
    columns = _between_passes(columns, plan, counter, site)
    return irfft(columns, plan.second, counter, site.child("rows"))
