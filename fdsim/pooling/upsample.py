"""Up-sampling / resizing of NCHW maps: ``interpolate`` as ``torch.nn.functional.interpolate`` for
4-D input, plus two fdsim modes, and its backward.

Modes: ``"nearest"`` (torch's legacy ``floor(dst·scale)`` rule), ``"nearest-exact"``,
``"bilinear"``, ``"bicubic"`` (Keys, A = −0.75, border taps clamped) — all as torch, with the
same output sizes, ``align_corners`` conventions and the ``scale = 1/scale_factor`` rule of
torch's default ``recompute_scale_factor=None`` (pooling.md §5.15). fdsim extensions:

* ``"lanczos"``: separable Lanczos-3 on the same source coordinates as ``"bicubic"`` (half-pixel
  or ``align_corners``), six taps per axis normalised to sum 1, border taps clamped, no
  anti-aliasing stretch when down-sampling. (torch's own ``"lanczos"`` exists only with
  ``antialias=True``; this one is fdsim's.)
* ``"bed_of_nails"``: zero insertion, input ``(i, j)`` lands at output ``(i·s_h, j·s_w)`` and
  every other output is zero; the factor must be an integer on each axis.

``recompute_scale_factor`` and ``antialias`` are not offered (torch's defaults, None/False, are
what this computes). Every mode is a linear map, so :func:`interpolate_backward` is its exact
adjoint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from fdsim.pooling.args import Array, as_nchw
from fdsim.pooling.upsample_weights import axis_matrix

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "lanczos", "bed_of_nails")
_CORNER_MODES = ("bilinear", "bicubic", "lanczos")

Size = int | Sequence[int]
Scale = float | Sequence[float]


def _pair_of(name: str, value: Size | Scale) -> tuple[float, float]:
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value), float(value)
    values = tuple(value)
    if len(values) != 2:
        raise ValueError(f"interpolate: {name} must have 2 entries for 4-D input, got {values}")
    return float(values[0]), float(values[1])


def _plan(
    input_hw: tuple[int, int],
    size: Size | None,
    scale_factor: Scale | None,
    mode: str,
    align_corners: bool | None,
) -> list[tuple[int, int, float | None, bool]]:
    """Checks the arguments; per axis (in, out, scale_factor or None, align_corners)."""
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode not in _CORNER_MODES and align_corners is not None:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            f"{' | '.join(_CORNER_MODES)}"
        )
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        outs = _pair_of("size", size)
        if not all(float(o).is_integer() for o in outs):
            raise ValueError(f"interpolate: size must be integers, got {size!r}")
        plan: list[tuple[int, int, float | None]] = [
            (i, int(o), None) for i, o in zip(input_hw, outs, strict=True)
        ]
    elif scale_factor is not None:
        scales = _pair_of("scale_factor", scale_factor)
        if min(scales) <= 0:
            raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor!r}")
        # torch's output size for a scale factor: floor(in · scale_factor) in double precision.
        plan = [(i, math.floor(i * s), s) for i, s in zip(input_hw, scales, strict=True)]
    else:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    outs_hw = tuple(out for _, out, _ in plan)
    if min(outs_hw) <= 0:
        raise ValueError(f"interpolate: output size must be positive, got {outs_hw}")
    if mode == "bed_of_nails" and any(out % i for i, out, _ in plan):
        raise ValueError(
            f"interpolate: bed_of_nails needs an integer factor, got input {input_hw} to {outs_hw}"
        )
    corners = bool(align_corners)
    return [(i, out, s, corners) for i, out, s in plan]


def _matrices(
    input_hw: tuple[int, int],
    size: Size | None,
    scale_factor: Scale | None,
    mode: str,
    align_corners: bool | None,
) -> tuple[Array, Array]:
    plan = _plan(input_hw, size, scale_factor, mode, align_corners)
    rows, cols = (axis_matrix(mode, *axis) for axis in plan)
    return rows, cols


def interpolate(
    input: npt.ArrayLike,
    size: Size | None = None,
    scale_factor: Scale | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Array:
    """Resize an (N, C, H, W) map to ``size`` or by ``scale_factor`` (exactly one of them).

    ``size``/``scale_factor`` are an int/float or an (h, w) pair; with ``scale_factor`` the output
    is ``floor(in · scale_factor)`` and the sampling uses ``1/scale_factor``, as torch.
    ``align_corners`` may only be given for bilinear, bicubic and lanczos (None means False).
    Returns (N, C, H_out, W_out).
    """
    x = as_nchw("interpolate", "input", input)
    rows, cols = _matrices((x.shape[2], x.shape[3]), size, scale_factor, mode, align_corners)
    out: Array = rows @ x @ cols.T
    return out


def interpolate_backward(
    grad_output: npt.ArrayLike,
    input_size: Sequence[int],
    size: Size | None = None,
    scale_factor: Scale | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Array:
    """Gradient of :func:`interpolate` w.r.t. its input (the adjoint of the linear map).

    ``input_size`` is the forward input's shape (N, C, H, W); the other arguments are the
    forward's. ``grad_output`` must have the forward output's shape. Differs from torch on
    purpose in one case: when a ``scale_factor`` ≠ 1 leaves the size unchanged, torch's bicubic
    backward copies ``grad_output`` although its forward resamples; this stays the adjoint.
    """
    g = as_nchw("interpolate_backward", "grad_output", grad_output)
    shape = tuple(int(v) for v in input_size)
    if len(shape) != 4:
        raise ValueError(f"interpolate_backward: input_size must be (N, C, H, W), got {shape}")
    rows, cols = _matrices((shape[2], shape[3]), size, scale_factor, mode, align_corners)
    expected = (*shape[:2], rows.shape[0], cols.shape[0])
    if g.shape != expected:
        raise ValueError(
            f"interpolate_backward: grad_output must have shape {expected}, got {g.shape}"
        )
    out: Array = rows.T @ g @ cols
    return out
