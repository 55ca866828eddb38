"""One-axis interpolation matrices for :func:`fdsim.pooling.upsample.interpolate`.

Every mode of ``interpolate`` is separable and linear: along each spatial axis the output is
``M @ x`` for an (out, in) matrix ``M`` built here, so the forward is ``M_h · x · M_wᵀ`` and the
backward (the exact adjoint) is ``M_hᵀ · g · M_w``. The matrices are dense (out·in entries per
axis), which is simple and fast for feature-map sizes.

Source coordinates follow PyTorch 2.13 ``ATen/native/UpSample.h`` (reference pooling.md §5.15):
``scale = 1/scale_factor`` when a scale factor is given (torch's ``recompute_scale_factor=None``),
else ``in/out``; ``align_corners=True`` uses ``(in−1)/(out−1)``. Where torch rounds through
``float`` (``floorf`` on a double, the float32 scale of the nearest modes) the float32 casts below
reproduce it, so indices agree with torch even at exact-integer coordinates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.int64]

# Keys cubic-convolution parameter of torch's bicubic mode (UpSample.h, pooling.md §5.15).
CUBIC_A = -0.75
# Lobes of the Lanczos window (fdsim extension; Lanczos-3 as TF's ``lanczos3``).
LANCZOS_A = 3


def _floorf(values: npt.NDArray[Any]) -> Index:
    """``floorf`` of a double as torch's C++ does it: round to float32 first, then floor."""
    return np.floor(values.astype(np.float32)).astype(np.int64)


def _linear_scale(in_size: int, out_size: int, scale_factor: float | None, corners: bool) -> float:
    """torch's ``area_pixel_compute_scale`` in double precision."""
    if corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def _source(in_size: int, out_size: int, scale_factor: float | None, corners: bool) -> Array:
    """Real source coordinate of each output index (negative half-pixel values kept)."""
    scale = _linear_scale(in_size, out_size, scale_factor, corners)
    dst = np.arange(out_size, dtype=np.float64)
    return scale * dst if corners else scale * (dst + 0.5) - 0.5


def _nearest_index(in_size: int, out_size: int, scale_factor: float | None, exact: bool) -> Index:
    """torch's ``nearest_idx`` / ``nearest_exact_idx`` (a float32 scale, as in UpSample.h)."""
    dst = np.arange(out_size, dtype=np.int64)
    if not exact and out_size == in_size:
        return dst
    if not exact and out_size == 2 * in_size:
        return dst >> 1
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(in_size) / np.float32(out_size)
    if exact:
        src = _floorf((dst + 0.5) * np.float64(scale))
    else:
        src = np.floor(dst.astype(np.float32) * scale).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _cubic_taps(t: Array) -> list[Array]:
    """Keys weights for the taps at offsets −1, 0, 1, 2 from the floor, torch's formulas."""
    a = CUBIC_A

    def near(x: Array) -> Array:  # |x| ≤ 1
        out: Array = ((a + 2) * x - (a + 3)) * x * x + 1
        return out

    def far(x: Array) -> Array:  # 1 < |x| < 2
        out: Array = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return out

    return [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]


def _lanczos(x: Array) -> Array:
    """Lanczos-a window ``sinc(x)·sinc(x/a)`` on |x| < a (np.sinc is the normalised sinc)."""
    out: Array = np.where(np.abs(x) < LANCZOS_A, np.sinc(x) * np.sinc(x / LANCZOS_A), 0.0)
    return out


def axis_matrix(
    mode: str, in_size: int, out_size: int, scale_factor: float | None, corners: bool
) -> Array:
    """The (out_size, in_size) matrix of ``mode`` along one axis.

    ``scale_factor`` is the user's factor for this axis (None when a size was given) and
    ``corners`` is ``align_corners`` (False for the modes without it). ``bed_of_nails`` requires
    ``out_size`` to be an integer multiple of ``in_size`` (checked by the caller).
    """
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        cols = _nearest_index(in_size, out_size, scale_factor, mode == "nearest-exact")
        matrix[rows, cols] = 1.0
    elif mode == "bed_of_nails":
        step = out_size // in_size
        matrix[np.arange(in_size) * step, np.arange(in_size)] = 1.0
    elif mode == "bilinear":
        if out_size == in_size:  # torch copies here whatever the scale factor says
            return np.eye(in_size)
        src = np.maximum(_source(in_size, out_size, scale_factor, corners), 0.0)
        low = np.minimum(_floorf(src), in_size - 1)
        frac = np.clip(src - low, 0.0, 1.0)
        np.add.at(matrix, (rows, low), 1.0 - frac)
        np.add.at(matrix, (rows, np.minimum(low + 1, in_size - 1)), frac)
    elif mode == "bicubic":
        src = _source(in_size, out_size, scale_factor, corners)
        low = np.minimum(_floorf(src), in_size - 1)
        frac = np.clip(src - low, 0.0, 1.0)
        for offset, weight in zip(range(-1, 3), _cubic_taps(frac), strict=True):
            np.add.at(matrix, (rows, np.clip(low + offset, 0, in_size - 1)), weight)
    elif mode == "lanczos":
        src = _source(in_size, out_size, scale_factor, corners)
        low = np.floor(src).astype(np.int64)
        offsets = np.arange(1 - LANCZOS_A, LANCZOS_A + 1)
        taps = low[:, None] + offsets[None, :]
        weights = _lanczos(src[:, None] - taps)
        # The raw Lanczos taps do not sum to one (pooling.md §5.15): normalise so that a
        # constant stays constant.
        weights /= weights.sum(axis=1, keepdims=True)
        np.add.at(matrix, (rows[:, None], np.clip(taps, 0, in_size - 1)), weights)
    else:
        raise ValueError(f"interpolate: unknown mode {mode!r}")
    return matrix
