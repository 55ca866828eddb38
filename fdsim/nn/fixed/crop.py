"""Bit-true spectral pooling (crop N→H) and its adjoint, as :mod:`fdsim.nn.crop`.

Scale: ``H²/N²`` with N a power of two (the accelerator's FFT grids) is ``h²·2**(2·log2(H/h) −
2·log2 N)`` for the odd part ``h`` of H: the power of two goes into the exponent and ``h²`` is
an exact integer multiply (1 for power-of-two H).  Non-power-of-two N raises ``ValueError``.

Nyquist rule (even H), per axis: the output bin ``H/2`` is ``w·(X[H/2] + X[−H/2])``.  The crop
unit forms the whole output exactly — kept bins unchanged, Nyquist bins summed exactly, the
factor ``w = ½`` (``average``) kept as one extra LSB per axis — and rounds **once** per output
value to ``out`` (the output format's rounding mode; so an average is a single rounding right
shift, the corner bin a single rounding of a four-term sum), then fits it
(``site.child("output")``).  With the default ``out`` (input format, exponent moved by the
scale) only averaged Nyquist bins round.  The backward zero-pads and splits the Nyquist
gradient as ``w·G`` to both ``±H/2`` with the same single rounding; it has no scale factor.
"""

from __future__ import annotations

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite, require_int64_width
from fdsim.nn.arrays import half_width
from fdsim.nn.crop import NyquistMode
from fdsim.nn.fixed.mirror import half_spectrum_size_fixed
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, log2_exact, rescale_parts

# Per-axis Nyquist weight as (integer multiplier of the summed pair, extra LSBs it needs).
_NYQUIST_TAPS = {NyquistMode.AVERAGE: (1, 1), NyquistMode.SUM: (1, 0), NyquistMode.DROP: (0, 0)}


def crop_scale(in_size: int, out_size: int) -> tuple[int, int]:
    """``H²/N²`` as ``(odd integer factor, power-of-two exponent)``; N must be a power of two."""
    log2_n = log2_exact(in_size, "the crop's input size N")
    twos = (out_size & -out_size).bit_length() - 1
    odd = out_size >> twos
    return odd * odd, 2 * twos - 2 * log2_n


def _check_sizes(in_size: int, out_size: int) -> None:
    if not 1 <= out_size <= in_size:
        raise ValueError(f"spectral crop needs 1 <= out_size <= in_size, got {out_size}, {in_size}")


def _nyquist_taps(size: int, mode: NyquistMode) -> tuple[int, int]:
    """Per-axis ``(multiplier, extra LSBs)`` of the Nyquist pair: ``w = multiplier/2**extra``;
    odd sizes have no Nyquist bin and need no extra LSB."""
    return _NYQUIST_TAPS[mode] if size % 2 == 0 else (0, 0)


def spectral_crop_fixed(
    x: FixedTensor,
    out_size: int,
    nyquist: NyquistMode,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Spectral pooling N→H of complex half-spectra ``(..., N, N//2+1)`` → ``(..., H, H//2+1)``.

    ``out`` defaults to ``x.fmt`` at exponent ``x.exponent + log2`` of the power-of-two part of
    ``H²/N²``.  One rounding per output value (see the module docstring).
    """
    n = half_spectrum_size_fixed(x, "x")
    _check_sizes(n, out_size)
    odd_square, scale_exponent = crop_scale(n, out_size)
    if out is None:
        out = TensorFormat(x.fmt, x.exponent + scale_exponent)
    h, keep = out_size, (out_size - 1) // 2
    if h == n:  # the identity, for every Nyquist mode (as the float op)
        return rescale_parts(x.parts, x.lsb_exponent, x.fmt.total_bits, out, counter, site)
    multiplier, extra = _nyquist_taps(h, nyquist)
    width = x.fmt.total_bits + 2 + odd_square.bit_length()
    require_int64_width(width, "spectral crop")
    kept = 1 << extra  # kept bins carry the Nyquist weight's extra LSBs too

    def crop_rows(p: np.ndarray) -> np.ndarray:
        pieces = [p[..., : keep + 1, :] * kept]
        if h % 2 == 0:
            pair = p[..., keep + 1 : keep + 2, :] + p[..., n - keep - 1 : n - keep, :]
            pieces.append(multiplier * pair)
        if keep:
            pieces.append(p[..., n - keep :, :] * kept)
        return np.concatenate(pieces, axis=-2)

    rows_re, rows_im = (crop_rows(p) for p in x.parts)
    cols_re, cols_im = rows_re[..., : keep + 1] * kept, rows_im[..., : keep + 1] * kept
    if h % 2 == 0:
        # Column -H/2 is not stored: it is the conjugate mirror of column +H/2 at row -u of the
        # (still Hermitian) row-cropped array.
        mirror = (-np.arange(h)) % h
        nyq_re, nyq_im = rows_re[..., keep + 1], rows_im[..., keep + 1]
        col_re = multiplier * (nyq_re + nyq_re[..., mirror])
        col_im = multiplier * (nyq_im - nyq_im[..., mirror])
        cols_re = np.concatenate([cols_re, col_re[..., None]], axis=-1)
        cols_im = np.concatenate([cols_im, col_im[..., None]], axis=-1)
    lsb = x.lsb_exponent + scale_exponent - 2 * extra
    parts = (cols_re * odd_square, cols_im * odd_square)
    return rescale_parts(parts, lsb, width, out, counter, site.child("output"))


def spectral_crop_backward_fixed(
    g: FixedTensor,
    in_size: int,
    nyquist: NyquistMode,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Adjoint of :func:`spectral_crop_fixed`: ``(..., H, H//2+1)`` → ``(..., N, N//2+1)``;
    zero-padding, Nyquist gradient ``w·G`` to both ``±H/2`` (one rounding per value); ``out``
    defaults to ``g``'s layout (no scale factor)."""
    h = half_spectrum_size_fixed(g, "g")
    _check_sizes(in_size, h)
    if out is None:
        out = g.layout
    n, keep = in_size, (h - 1) // 2
    if h == n:
        return rescale_parts(g.parts, g.lsb_exponent, g.fmt.total_bits, out, counter, site)
    multiplier, extra = _nyquist_taps(h, nyquist)
    kept = 1 << extra
    half_n = half_width(n)

    def pad(p: np.ndarray) -> np.ndarray:
        cols = np.zeros((*p.shape[:-1], half_n), dtype=np.int64)
        cols[..., : keep + 1] = p[..., : keep + 1] * kept
        if h % 2 == 0:
            cols[..., keep + 1] = multiplier * p[..., keep + 1]
        rows = np.zeros((*p.shape[:-2], n, half_n), dtype=np.int64)
        rows[..., : keep + 1, :] = cols[..., : keep + 1, :] * kept
        if keep:
            rows[..., n - keep :, :] = cols[..., h - keep :, :] * kept
        if h % 2 == 0:
            rows[..., keep + 1, :] = multiplier * cols[..., keep + 1, :]
            rows[..., n - keep - 1, :] = multiplier * cols[..., keep + 1, :]
        return rows

    parts = tuple(pad(p) for p in g.parts)
    width = g.fmt.total_bits + 2 * extra
    lsb = g.lsb_exponent - 2 * extra
    return rescale_parts(parts, lsb, width, out, counter, site.child("output"))
