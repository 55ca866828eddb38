"""Signal helpers of the pooling metrics: argument checks, circular and band-limited shifts, and
the two fixed (method-independent) up-samplers as separable matrices.

Conventions (pooling.md §1): unnormalised DFT, frequency index taken mod L, Nyquist is k = L/2
for even L; a shift by t moves content to higher indices, ``(S_t x)[n] = x[n - t]`` (np.roll).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Pool = Callable[[Array], Array]
Shift = tuple[int, int]


def as_images(func: str, images: npt.ArrayLike) -> Array:
    """``images`` as a float64 (N, C, H, W) array; ValueError naming ``func`` otherwise."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(f"{func}: images must be a non-empty (N, C, H, W) array, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{func}: images must be finite")
    return x


def pooled(func: str, pool: Pool, x: Array) -> Array:
    """``pool(x)`` checked to be a finite (N, C, h, w) array no larger than ``x`` per axis."""
    y = np.asarray(pool(x), dtype=np.float64)
    n, c, height, width = x.shape
    if y.ndim != 4 or y.shape[:2] != (n, c) or 0 in y.shape:
        raise ValueError(
            f"{func}: pool must map (N, C, H, W)={x.shape} to (N, C, h, w), got {y.shape}"
        )
    if y.shape[2] > height or y.shape[3] > width:
        raise ValueError(f"{func}: pool must not enlarge the maps, got {x.shape} -> {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{func}: pool returned non-finite values")
    return y


def as_shifts(func: str, shifts: Sequence[int | Sequence[int]]) -> list[Shift]:
    """Integer input shifts as (rows, cols) pairs; a bare int t means the diagonal shift (t, t)."""
    out: list[Shift] = []
    for s in shifts:
        pair = (s, s) if isinstance(s, int | np.integer) else s
        if not (
            isinstance(pair, Sequence)
            and len(pair) == 2
            and all(isinstance(v, int | np.integer) for v in pair)
        ):
            raise ValueError(f"{func}: shifts must be ints or (int, int) pairs, got {s!r}")
        out.append((int(pair[0]), int(pair[1])))
    if not out:
        raise ValueError(f"{func}: shifts must not be empty")
    return out


def roll(x: Array, shift: Shift) -> Array:
    """Circular shift of the last two axes by ``shift`` pixels."""
    return np.roll(x, shift, axis=(-2, -1))


def _shift_phase(length: int, t: float) -> npt.NDArray[np.complex128]:
    """Per-bin factor of a band-limited shift by ``t`` along an axis of ``length``.

    The Nyquist bin of an even length stands for the pair ±L/2, so it gets the mean of their
    phases, cos(πt): the result stays real, and integer t gives exactly np.roll's (-1)^t.
    """
    k = np.fft.fftfreq(length) * length
    phase = np.asarray(np.exp(-2j * np.pi * k * t / length), dtype=np.complex128)
    if length % 2 == 0:
        phase[length // 2] = np.cos(np.pi * t)
    return phase


def fourier_shift(x: Array, shift: tuple[float, float]) -> Array:
    """Band-limited (trigonometric-interpolation) circular shift of the last two axes."""
    rows, cols = x.shape[-2:]
    factor = np.outer(_shift_phase(rows, shift[0]), _shift_phase(cols, shift[1]))
    return np.fft.ifft2(np.fft.fft2(x) * factor).real


def shift_output(y: Array, shift: tuple[float, float]) -> Array:
    """Shift pooled maps by a possibly fractional amount: np.roll when both parts are integers
    (exact), the band-limited Fourier shift otherwise (pooling.md §6.2 (b))."""
    if all(float(s).is_integer() for s in shift):
        return roll(y, (int(shift[0]), int(shift[1])))
    return fourier_shift(y, shift)


def spectral_upsample_matrix(small: int, large: int) -> Array:
    """(large, small) real matrix of amplitude-preserving band-limited up-sampling.

    Zero-pads the length-``small`` spectrum to ``large`` (an even ``small`` splits its Nyquist bin
    ½/½ onto ±small/2, which keeps the result real) and scales by large/small so constants stay
    constants; ``small == large`` is the identity.
    """
    if small == large:
        return np.eye(small)  # exactly, not up to FFT round-off
    spectrum = np.fft.fft(np.eye(small), axis=0)
    padded = np.zeros((large, small), dtype=np.complex128)
    low = np.arange(-((small - 1) // 2), (small - 1) // 2 + 1)
    padded[low % large] = spectrum[low % small]
    if small % 2 == 0:
        half = small // 2
        padded[half] = spectrum[half] / 2
        padded[large - half] = spectrum[half] / 2
    return np.fft.ifft(padded, axis=0).real * (large / small)


def bilinear_matrix(small: int, large: int) -> Array:
    """(large, small) matrix of circular bilinear up-sampling with half-pixel centres.

    Output pixel j samples input position (j + ½)·small/large − ½, as torch's
    ``interpolate(mode='bilinear', align_corners=False)``; unlike torch the border wraps around
    (the accelerator's FFT boundary is circular) instead of clamping.
    """
    src = (np.arange(large) + 0.5) * (small / large) - 0.5
    left = np.floor(src)
    frac = src - left
    rows = np.arange(large)
    matrix = np.zeros((large, small))
    np.add.at(matrix, (rows, left.astype(np.int64) % small), 1.0 - frac)
    np.add.at(matrix, (rows, (left.astype(np.int64) + 1) % small), frac)
    return matrix


def separable(rows: Array, cols: Array, y: npt.NDArray[Any]) -> Array:
    """Apply ``rows`` (H, h) and ``cols`` (W, w) to the last two axes of ``y`` (..., h, w)."""
    return np.asarray(np.einsum("Hh,...hw,Ww->...HW", rows, y, cols), dtype=np.float64)
