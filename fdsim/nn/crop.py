"""Spectral pooling by cropping the half-spectrum (Rippel et al. 2015; pooling.md §2.2, §2.4).

The 2-D operator is separable, ``Y = (H²/N²)·C·X·Cᵀ`` on full spectra, with ``C`` (H×N) keeping
the frequencies ``|k| < H/2``. For even H the output Nyquist bin ``k = H/2`` (which is also
``−H/2``) receives ``w·X[H/2] + w·X[−H/2]``, with the weight ``w`` set by :class:`NyquistMode`:

* ``average`` (w = ½, default): the output is real and equals Re∘iFFT of a centred crop in 1-D;
* ``sum`` (w = 1): as ``scipy.signal.resample``; equals plain decimation for inputs band-limited
  to ≤ H/2;
* ``drop`` (w = 0): strictly band-limited; exactly shift-equivariant for fractional shifts.

Odd H needs no convention, and H = N is the identity. The factor ``H²/N²`` maps constants to
constants (the mean is preserved) under unnormalised DFTs. The backward is the adjoint ``Cᵀ``:
zero-padding, with the Nyquist gradient split as ``w`` to both ``±H/2`` input bins and **no**
scale factor — the adjoint for the spatial inner product
(:func:`fdsim.nn.hermitian.spectral_inner_product`) absorbs ``H²/N²``.

Crops act on the last two axes of half-spectra, ``(..., N, N//2+1) → (..., H, H//2+1)``; the
leading axes are kept.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from fdsim.nn.arrays import ComplexArray, half_spectrum_size, half_width, require_positive


class NyquistMode(StrEnum):
    """How an even-size crop forms its Nyquist row/column from the two input bins ``±H/2``."""

    AVERAGE = "average"
    SUM = "sum"
    DROP = "drop"


_NYQUIST_WEIGHTS = {NyquistMode.AVERAGE: 0.5, NyquistMode.SUM: 1.0, NyquistMode.DROP: 0.0}


def nyquist_weight(mode: NyquistMode) -> float:
    """Weight ``w`` given to each of the two input bins ``±H/2`` (½, 1 or 0)."""
    return _NYQUIST_WEIGHTS[mode]


def spectral_crop(
    x: ComplexArray, out_size: int, nyquist: NyquistMode = NyquistMode.AVERAGE
) -> ComplexArray:
    """Spectral pooling N→H: half-spectrum ``(..., N, N//2+1)`` → ``(..., H, H//2+1)``, ×H²/N²."""
    n = half_spectrum_size(x, "x")
    _check_sizes(n, out_size)
    if out_size == n:
        return np.array(x, dtype=np.complex128)
    weight = nyquist_weight(nyquist)
    keep = (out_size - 1) // 2  # frequencies 0..keep and -keep..-1 pass unchanged
    rows = np.zeros((*x.shape[:-2], out_size, x.shape[-1]), dtype=np.complex128)
    rows[..., : keep + 1, :] = x[..., : keep + 1, :]
    if keep > 0:
        rows[..., out_size - keep :, :] = x[..., n - keep :, :]
    if out_size % 2 == 0:
        rows[..., keep + 1, :] = weight * (x[..., keep + 1, :] + x[..., n - keep - 1, :])

    out = np.zeros((*x.shape[:-2], out_size, half_width(out_size)), dtype=np.complex128)
    out[..., : keep + 1] = rows[..., : keep + 1]
    if out_size % 2 == 0:
        # Input column -H/2 is not stored; it is the conjugate mirror of column +H/2 taken at
        # row -u of the (already row-cropped, still Hermitian) H-row array.
        mirror_rows = (-np.arange(out_size)) % out_size
        nyq = rows[..., keep + 1]
        out[..., keep + 1] = weight * (nyq + np.conj(nyq[..., mirror_rows]))
    out *= (out_size * out_size) / (n * n)
    return out


def spectral_crop_backward(
    g: ComplexArray, in_size: int, nyquist: NyquistMode = NyquistMode.AVERAGE
) -> ComplexArray:
    """Adjoint of :func:`spectral_crop`: ``(..., H, H//2+1)`` → ``(..., N, N//2+1)``.

    Zero-pads the gradient spectrum; for even H the Nyquist row/column is split as ``w·G[H/2]``
    to both input bins ``±H/2`` (only ``+H/2`` is stored for the column). No scale factor.
    """
    out_size = half_spectrum_size(g, "g")
    _check_sizes(in_size, out_size)
    if out_size == in_size:
        return np.array(g, dtype=np.complex128)
    weight = nyquist_weight(nyquist)
    keep = (out_size - 1) // 2
    cols = np.zeros((*g.shape[:-1], half_width(in_size)), dtype=np.complex128)
    cols[..., : keep + 1] = g[..., : keep + 1]
    if out_size % 2 == 0:
        # The -H/2 share lands on an unstored column; its stored mirror is this same value.
        cols[..., keep + 1] = weight * g[..., keep + 1]

    out = np.zeros((*g.shape[:-2], in_size, half_width(in_size)), dtype=np.complex128)
    out[..., : keep + 1, :] = cols[..., : keep + 1, :]
    if keep > 0:
        out[..., in_size - keep :, :] = cols[..., out_size - keep :, :]
    if out_size % 2 == 0:
        out[..., keep + 1, :] = weight * cols[..., keep + 1, :]
        out[..., in_size - keep - 1, :] = weight * cols[..., keep + 1, :]
    return out


def _check_sizes(in_size: int, out_size: int) -> None:
    require_positive(out_size, "out_size")
    if out_size > in_size:
        raise ValueError(f"spectral crop needs out_size <= in_size, got {out_size} > {in_size}")
