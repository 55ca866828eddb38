"""Power-average (Lp) pooling with PyTorch's exact semantics — sum-based, sign-keeping,
ceil-mode over-scaling, ±inf as the max/min of ``|x|`` — and its backward (pooling.md §5.4)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.pooling.spatial import max_pool2d, max_pool2d_backward
from fdsim.pooling.windows import (
    Array,
    Geometry,
    Size,
    avg_divisor,
    check_grad,
    check_input,
    geometry,
    scatter,
    valid_mask,
    windows,
)


def _lp_parts(
    x: Array, norm_type: float, kernel_size: Size, stride: Size | None, ceil_mode: bool, op: str
) -> tuple[Geometry, Array, Array]:
    """Geometry, per-window scale ``kH·kW / n_valid`` and the scaled power sum ``S`` of
    PyTorch's lp_pool2d: avg_pool of x^p (no padding) times kH·kW (§5.4)."""
    if np.isnan(norm_type) or norm_type == 0:
        raise ValueError(f"{op}: norm_type must be non-zero, got {norm_type}")
    g = geometry(op, x.shape, kernel_size, stride, 0, 1, ceil_mode)
    scale = g.kernel[0] * g.kernel[1] / avg_divisor(g, True, None, op)
    with np.errstate(invalid="ignore"):
        power = np.power(x, norm_type)
    return g, scale, windows(power, g, 0.0).sum(axis=(-2, -1)) * scale


def lp_pool2d(
    input: npt.ArrayLike,
    norm_type: float,
    kernel_size: Size,
    stride: Size | None = None,
    ceil_mode: bool = False,
) -> Array:
    """Power-average pooling as ``torch.nn.functional.lp_pool2d``: ``(Σ x^p)^(1/p)`` per window
    — a sum, not a mean, with no abs (a negative sum gives NaN for odd or fractional p). In
    ceil mode partial windows are scaled by ``kH·kW / n_valid`` as torch does. As in torch,
    ``norm_type = ±inf`` is ``±max_pool2d(±|x|)`` (the max, resp. min, of ``|x|``)."""
    x = check_input(input, "lp_pool2d")
    if np.isinf(norm_type):
        sign = 1.0 if norm_type > 0 else -1.0
        peak = max_pool2d(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode)
        return sign * peak
    _, _, total = _lp_parts(x, norm_type, kernel_size, stride, ceil_mode, "lp_pool2d")
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Array = np.power(total, 1.0 / norm_type)
    return out


def lp_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    norm_type: float,
    kernel_size: Size,
    stride: Size | None = None,
    ceil_mode: bool = False,
) -> Array:
    """Gradient of :func:`lp_pool2d` wrt its input: ``g · S^(1/p−1) · scale · x^(p−1)`` per tap,
    with ``S`` the scaled power sum; windows with ``S = 0`` get zero gradient as in torch."""
    op = "lp_pool2d_backward"
    x = check_input(input, op)
    if np.isinf(norm_type):
        # y = σ·max(σ|x|) with σ = ±1, so dy/dx = max-route(σ|x|) · sign(x) (σ² = 1).
        magnitude = (1.0 if norm_type > 0 else -1.0) * np.abs(x)
        route = max_pool2d_backward(grad_output, magnitude, kernel_size, stride, 0, 1, ceil_mode)
        return route * np.sign(x)
    g, scale, total = _lp_parts(x, norm_type, kernel_size, stride, ceil_mode, op)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    with np.errstate(invalid="ignore", divide="ignore"):
        outer = np.where(total == 0, 0.0, np.power(total, 1.0 / norm_type - 1.0))
        inner = np.power(x, norm_type - 1.0)
    per_window = grad * outer * scale
    taps = np.broadcast_to(per_window[..., None, None], (*per_window.shape, *g.kernel))
    return scatter(taps * valid_mask(g), g) * inner
