"""Layer-level transforms for the functional simulation: real activation maps ↔ stored half
spectra, through the hardware FFT's arithmetic (``FftSpec.arithmetic``).

Forward (``maps_to_spectra``): integer maps ``(…, n, n)`` in the activations format are
zero-padded into the top-left of a ``P × P`` grid and transformed by ``rfft2`` (packed row
pairs, then the ``P/2 + 1`` columns); the core word is then stored in the spectra format.
Inverse (``spectra_to_maps``): columns, then merged row pairs (``irfft2``); the maps are
cropped to ``n × n`` and stored in the activations format.

Widths.  A complex frame enters a core ``guard_bits`` (default 1) wider than the stored word
it comes from: a packed row pair ``x_a + j·x_b`` or a spectrum bin whose parts are both near
full scale has modulus up to ``√2`` times the word's range, and a twiddle rotation turns
modulus into one part, so without the guard bit the first multiplying stage can overflow.
The second pass takes the first pass's output word (forward), or that word plus one bit for
the exact merge sum ``X_a + j·X_b`` (inverse).  Output words follow the growth schedule.

Storing.  By default the core's output word is stored by keeping its top bits: ``drop =
max(0, output width - stored width)`` low bits are dropped with the stored format's rounding
and the result fitted with its overflow mode (events at ``site.child("store")``), so the
store loses no range and overflows only when rounding carries out of the top.  The inverse
can instead store at a requested exponent (``maps_exponent=0``: plain activations): the
inverse of arbitrary spectra can grow by ``P²``, so the top bits of its word are usually
empty for real maps, and keeping them would waste the word's low bits.

Exponents.  Every scale factor is a power of two and is carried exactly:
``dequantize(spectra, fmt) · 2**e ≈ numpy.fft.rfft2(maps, s=(P, P))`` (unnormalised DFT),
``dequantize(maps, fmt) · 2**e_out ≈ numpy.fft.irfft2(spectra · 2**e, s=(P, P))[…, :n, :n]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fdsim.errors import FdsimError
from fdsim.fixedpoint.complex_int import ComplexInt
from fdsim.fixedpoint.fft_error import (
    ErrorBound,
    irfft2_error_bound,
    rfft2_error_bound,
    rounding_error_lsb,
)
from fdsim.fixedpoint.fft_plan import plan_fft
from fdsim.fixedpoint.fft_real import Fft2Plan, irfft2, rfft2
from fdsim.fixedpoint.formats import IntArray
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite
from fdsim.fixedpoint.quantize import fit_shifted
from fdsim.spec.fft_arithmetic import FftArithmeticSpec, FftDirection
from fdsim.spec.numerics import QFormat


@dataclass(frozen=True, eq=False)
class SpectralMapsPlan:
    """Both directions of the ``points × points`` layer transform.  ``forward``/``inverse``
    are the 2-D core plans; ``*_drop_bits`` are the low bits dropped when storing."""

    points: int
    activations: QFormat
    spectra: QFormat
    guard_bits: int
    forward: Fft2Plan
    inverse: Fft2Plan

    @property
    def forward_drop_bits(self) -> int:
        return max(0, self.forward.output_width_bits - self.spectra.total_bits)

    @property
    def inverse_drop_bits(self) -> int:
        return max(0, self.inverse.output_width_bits - self.activations.total_bits)

    @property
    def spectra_exponent(self) -> int:
        """``e`` of every forward result: ``spectra value · 2**e ≈`` unnormalised DFT."""
        return (
            self.forward_drop_bits
            - self.forward.gain_log2
            - self.activations.fraction_bits
            + self.spectra.fraction_bits
        )

    def maps_exponent(self, spectra_exponent: int) -> int:
        """``e_out`` of the inverse of spectra with exponent ``spectra_exponent`` when the
        top bits of the core word are kept."""
        return self.inverse_word_exponent(spectra_exponent) + self.inverse_drop_bits

    def inverse_word_exponent(self, spectra_exponent: int) -> int:
        """Exponent of the inverse core's output word read in the activations format."""
        return (
            spectra_exponent
            - self.spectra.fraction_bits
            - 2 * int(math.log2(self.points))
            - self.inverse.gain_log2
            + self.activations.fraction_bits
        )


class TransformSizeError(FdsimError, ValueError):
    """A grid the configured FFT core cannot transform (a property of the hardware's
    ``fft.arithmetic`` and the workload's grids, so a user error, not a bug)."""


@lru_cache(maxsize=64)
def plan_spectral_maps(
    arithmetic: FftArithmeticSpec,
    points: int,
    activations: QFormat,
    spectra: QFormat,
    guard_bits: int = 1,
) -> SpectralMapsPlan:
    """Plan (and cache) the layer transforms of a ``points``-point grid.  Raises
    ``TransformSizeError`` unless ``points`` is a power of two of at least 4 that the radix
    divides into whole stages; the caller checks ``points <= FftSpec.max_points``."""
    if points < 4 or points & (points - 1):
        raise TransformSizeError(
            f"transform size must be a power of two of at least 4, got {points}"
        )
    stages = points.bit_length() - 1
    if stages % arithmetic.radix.log2:
        raise TransformSizeError(
            f"a radix-{int(arithmetic.radix)} core cannot transform {points} points "
            f"(log2 {points} = {stages} is not a multiple of {arithmetic.radix.log2})"
        )
    if guard_bits < 0:
        raise ValueError(f"guard_bits must be non-negative, got {guard_bits}")
    forward, inverse = FftDirection.FORWARD, FftDirection.INVERSE
    rows = plan_fft(arithmetic, points, forward, activations.total_bits + guard_bits)
    columns = plan_fft(arithmetic, points, forward, rows.output_width_bits)
    inverse_columns = plan_fft(arithmetic, points, inverse, spectra.total_bits + guard_bits)
    inverse_rows = plan_fft(arithmetic, points, inverse, inverse_columns.output_width_bits + 1)
    return SpectralMapsPlan(
        points=points,
        activations=activations,
        spectra=spectra,
        guard_bits=guard_bits,
        forward=Fft2Plan(rows, columns),
        inverse=Fft2Plan(inverse_columns, inverse_rows),
    )


def _store(
    values: IntArray,
    width_bits: int,
    drop_bits: int,
    fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> IntArray:
    """``width_bits``-bit ``values / 2**drop_bits`` rounded and fitted to ``fmt`` (a negative
    drop appends zero bits, exactly); values the drop takes to zero are underflow events."""
    return fit_shifted(
        values, width_bits, drop_bits, fmt, counter, site, "spectral store left shift"
    )


def maps_to_spectra(
    maps: IntArray, plan: SpectralMapsPlan, counter: OverflowCounter, site: OverflowSite
) -> tuple[ComplexInt, int]:
    """Half spectra ``(…, P, P//2 + 1)`` in the spectra format, and their exponent ``e``, of
    integer maps ``(…, n, n)`` (``n <= P``) in the activations format."""
    size, points = maps.shape[-1], plan.points
    if maps.ndim < 2 or maps.shape[-2] != size or size > points:
        raise ValueError(f"maps must be square (…, n, n) with n <= {points}, got {maps.shape}")
    grid = np.zeros((*maps.shape[:-2], points, points), dtype=np.int64)
    grid[..., :size, :size] = maps
    half = rfft2(grid, plan.forward, counter, site)
    store = site.child("store")
    width, drop = plan.forward.output_width_bits, plan.forward_drop_bits
    spectra = ComplexInt(
        _store(half.re, width, drop, plan.spectra, counter, store),
        _store(half.im, width, drop, plan.spectra, counter, store),
    )
    return spectra, plan.spectra_exponent


def spectra_to_maps(
    half: ComplexInt,
    exponent: int,
    size: int,
    plan: SpectralMapsPlan,
    counter: OverflowCounter,
    site: OverflowSite,
    maps_exponent: int | None = None,
) -> tuple[IntArray, int]:
    """Real maps ``(…, size, size)`` in the activations format, and their exponent, from half
    spectra ``(…, P, P//2 + 1)`` in the spectra format with exponent ``exponent``.  The maps
    are stored at ``maps_exponent`` when given, else with the top bits of the core word
    (``plan.maps_exponent(exponent)``)."""
    points = plan.points
    if half.shape[-2:] != (points, points // 2 + 1) or not 1 <= size <= points:
        raise ValueError(
            f"spectra must be (…, {points}, {points // 2 + 1}) and 1 <= size <= {points}, "
            f"got {half.shape} and size {size}"
        )
    if maps_exponent is None:
        maps_exponent = plan.maps_exponent(exponent)
    drop = maps_exponent - plan.inverse_word_exponent(exponent)
    maps = irfft2(half, plan.inverse, counter, site)[..., :size, :size]
    width = plan.inverse.output_width_bits
    stored = _store(maps, width, drop, plan.activations, counter, site.child("store"))
    return stored, maps_exponent


def _stored(bound: ErrorBound, drop_bits: int, fmt: QFormat) -> ErrorBound:
    scale = 2.0**-drop_bits
    delta = rounding_error_lsb(fmt.rounding) * math.sqrt(2.0) if drop_bits > 0 else 0.0
    return ErrorBound(bound.peak_magnitude * scale, bound.max_error * scale + delta)


def maps_to_spectra_error_bound(plan: SpectralMapsPlan, peak_lsb: float) -> ErrorBound:
    """Bound, in spectra LSBs (complex moduli), on ``|spectra - rfft2(maps)·2**(f_s - e)|``
    for maps whose largest magnitude is ``peak_lsb`` activations LSBs; holds when no overflow
    event was counted."""
    bound = rfft2_error_bound(plan.forward, ErrorBound(peak_lsb, 0.0))
    return _stored(bound, plan.forward_drop_bits, plan.spectra)


def spectra_to_maps_error_bound(
    plan: SpectralMapsPlan, bound_in: ErrorBound, drop_bits: int | None = None
) -> ErrorBound:
    """Bound, in activations LSBs at the returned exponent, on the inverse's error against
    ``irfft2`` of the ideal spectra, given ``bound_in`` (spectra LSBs: peak modulus of the
    ideal spectra and the error of the given ones against it).  ``drop_bits`` is
    ``maps_exponent - plan.inverse_word_exponent(e)`` when the maps were stored at a chosen
    exponent (default: the top-bits store).  Holds when no overflow event was counted."""
    bound = irfft2_error_bound(plan.inverse, bound_in)
    return _stored(
        bound, plan.inverse_drop_bits if drop_bits is None else drop_bits, plan.activations
    )
