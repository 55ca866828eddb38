"""Shift invariance of a pooling operator under circular shifts (pooling.md §6).

Circular shifts, because the accelerator's FFT boundary is circular, so they are exact there
(§6.2). Four measures: (b) the layer equivariance error, (a) Zhang-style classification
consistency under two random shifts (Zhang, ICML 2019, arXiv:1904.11486, ``validate_shift`` in
adobe/antialiased-cnns), and (c) the relative change of the global average and of the energy of
the pooled maps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.pooling._metrics_signal import (
    Array,
    Pool,
    as_images,
    as_shifts,
    pooled,
    roll,
    shift_output,
)

Readout = Callable[[Array], npt.NDArray[Any]]

# Every 1- and 2-pixel shift: odd ones are fractional after a ×2 down-sampling, even ones not.
DEFAULT_SHIFTS: tuple[tuple[int, int], ...] = tuple(
    (a, b) for a in range(3) for b in range(3) if (a, b) != (0, 0)
)


@dataclass(frozen=True)
class ShiftInvariance:
    """Shift measures of one operator on one image set (each a mean over images and shifts,
    except ``consistency``, a fraction in [0, 1]); 0 error / 1 consistency is perfect."""

    equivariance_error: float
    consistency: float
    gap_change: float
    energy_change: float


def _ratio(func: str, what: str, num: Array, den: Array) -> Array:
    if np.any(den == 0.0):
        raise ValueError(
            f"{func}: {what} of a pooled image is zero, the relative change is undefined"
        )
    return np.asarray(num / den, dtype=np.float64)


@dataclass(frozen=True)
class _Shifted:
    """Pooled images ``y`` and, per input shift t, the pooled shifted images P(S_t x)."""

    x_size: tuple[int, int]
    y: Array
    shifted: list[tuple[tuple[int, int], Array]]


def _pool_shifts(
    func: str, pool: Pool, images: npt.ArrayLike, shifts: Sequence[int | Sequence[int]]
) -> _Shifted:
    x = as_images(func, images)
    pairs = as_shifts(func, shifts)
    shifted = [(t, pooled(func, pool, roll(x, t))) for t in pairs]
    return _Shifted((x.shape[2], x.shape[3]), pooled(func, pool, x), shifted)


def _equivariance(func: str, s: _Shifted) -> float:
    ratio = (s.y.shape[2] / s.x_size[0], s.y.shape[3] / s.x_size[1])
    errors = [
        _flat_norm(y_t - shift_output(s.y, (t[0] * ratio[0], t[1] * ratio[1])))
        for t, y_t in s.shifted
    ]
    return float(np.mean(_ratio(func, "the norm", np.stack(errors), _flat_norm(s.y))))


def _gap_change(func: str, s: _Shifted) -> float:
    gap = s.y.mean(axis=(2, 3))
    change = [_flat_norm(y_t.mean(axis=(2, 3)) - gap) for _, y_t in s.shifted]
    return float(np.mean(_ratio(func, "the global average", np.stack(change), _flat_norm(gap))))


def _energy_change(func: str, s: _Shifted) -> float:
    norm = _flat_norm(s.y)
    change = [np.abs(_flat_norm(y_t) - norm) for _, y_t in s.shifted]
    return float(np.mean(_ratio(func, "the norm", np.stack(change), norm)))


def shift_equivariance_error(
    pool: Pool, images: npt.ArrayLike, shifts: Sequence[int | Sequence[int]] = DEFAULT_SHIFTS
) -> float:
    """Mean over images and shifts of ‖P(S_t x) − S_{t·r}(P x)‖ / ‖P x‖ (norms over C, h, w).

    ``shifts`` are integer input shifts, (rows, cols) pairs or an int t for (t, t); r = out/in
    per axis. The output shift t·r is np.roll when integral and the band-limited Fourier shift
    otherwise, under which spectral pooling to odd sizes scores 0 (pooling.md §2.5, §6.2 (b)).
    """
    func = "shift_equivariance_error"
    return _equivariance(func, _pool_shifts(func, pool, images, shifts))


def gap_invariance(
    pool: Pool, images: npt.ArrayLike, shifts: Sequence[int | Sequence[int]] = DEFAULT_SHIFTS
) -> float:
    """Mean over images and shifts of ‖g(P(S_t x)) − g(P x)‖ / ‖g(P x)‖, g the global average
    per channel (a C-vector per image); 0 means the GAP read-out is shift invariant (§6.2 (c))."""
    func = "gap_invariance"
    return _gap_change(func, _pool_shifts(func, pool, images, shifts))


def energy_invariance(
    pool: Pool, images: npt.ArrayLike, shifts: Sequence[int | Sequence[int]] = DEFAULT_SHIFTS
) -> float:
    """Mean over images and shifts of |‖P(S_t x)‖ − ‖P x‖| / ‖P x‖, norms over (C, h, w); 0 means
    the pooled energy is shift invariant (§6.2 (c))."""
    func = "energy_invariance"
    return _energy_change(func, _pool_shifts(func, pool, images, shifts))


def _flat_norm(a: Array) -> Array:
    """Euclidean norm of each image (first axis) over all its other axes."""
    return np.asarray(np.sqrt(np.sum(a * a, axis=tuple(range(1, a.ndim)))), dtype=np.float64)


def gap_argmax(y: Array) -> npt.NDArray[np.intp]:
    """The default read-out: the channel with the largest global average (a stand-in classifier,
    informative only for C ≥ 2)."""
    return np.asarray(np.argmax(y.mean(axis=(2, 3)), axis=1))


def _roll_each(x: Array, offsets: npt.NDArray[np.int64]) -> Array:
    """Circularly shift image n of ``x`` by ``offsets[n]`` = (rows, cols), all at once."""
    n, c, height, width = x.shape
    rows = (np.arange(height)[None, :] - offsets[:, :1]) % height
    cols = (np.arange(width)[None, :] - offsets[:, 1:]) % width
    images = np.arange(n)[:, None, None, None]
    channels = np.arange(c)[None, :, None, None]
    return np.asarray(x[images, channels, rows[:, None, :, None], cols[:, None, None, :]])


def shift_consistency(
    pool: Pool,
    images: npt.ArrayLike,
    shifts: int | None = None,
    readout: Readout | None = None,
    *,
    seed: int | np.random.Generator,
    trials: int = 1,
) -> float:
    """Fraction of (image, trial) draws whose read-out is the same under two random shifts.

    Per image and trial, two offsets are drawn independently and uniformly from
    {0..shifts−1}² (None: the whole circular period {0..H−1}×{0..W−1}), as Zhang's
    ``validate_shift`` does with crops; ``readout`` maps pooled maps (N, C, h, w) to N labels
    (default :func:`gap_argmax`). ``seed`` (int or np.random.Generator) fixes the draws.
    """
    func = "shift_consistency"
    x = as_images(func, images)
    if shifts is not None and shifts < 1:
        raise ValueError(f"{func}: shifts must be positive, got {shifts}")
    if trials < 1:
        raise ValueError(f"{func}: trials must be positive, got {trials}")
    rng = np.random.default_rng(seed)
    n, _, height, width = x.shape
    high = np.array([height, width]) if shifts is None else np.array([shifts, shifts])
    offsets = rng.integers(0, high, size=(trials, 2, n, 2))
    read = gap_argmax if readout is None else readout
    same = []
    for first, second in offsets:
        labels = [np.asarray(read(pooled(func, pool, _roll_each(x, o)))) for o in (first, second)]
        if labels[0].shape != (n,):
            raise ValueError(
                f"{func}: readout must return one label per image, got {labels[0].shape}"
            )
        same.append(labels[0] == labels[1])
    return float(np.mean(same))


def shift_invariance(
    pool: Pool,
    images: npt.ArrayLike,
    *,
    seed: int | np.random.Generator,
    shifts: Sequence[int | Sequence[int]] = DEFAULT_SHIFTS,
    readout: Readout | None = None,
    trials: int = 1,
) -> ShiftInvariance:
    """All four shift measures of ``pool`` on ``images``: equivariance, GAP and energy change
    over ``shifts``, and consistency with ``readout`` over the whole circular period (``seed``,
    ``trials`` as in :func:`shift_consistency`)."""
    func = "shift_invariance"
    s = _pool_shifts(func, pool, images, shifts)
    return ShiftInvariance(
        equivariance_error=_equivariance(func, s),
        consistency=shift_consistency(pool, images, None, readout, seed=seed, trials=trials),
        gap_change=_gap_change(func, s),
        energy_change=_energy_change(func, s),
    )
