"""Weighted-mean window pools from the literature (fdsim extensions; torch has none of them):
GeM, mixed max/average, SoftPool and LIP, each with its backward (pooling.md §5.5, 5.7, 5.9,
5.10). Parameter gradients are summed over the whole batch, as for a shared parameter."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.pooling.spatial import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from fdsim.pooling.windows import (
    Array,
    Geometry,
    Size,
    check_grad,
    check_input,
    geometry,
    scatter,
    windows,
)


def _gem_parts(
    x: Array, p: float, kernel_size: Size | None, stride: Size | None, eps: float, op: str
) -> tuple[Geometry, Array, Array]:
    """Geometry, the clamped input and the window means ``m`` of ``clamp(x, eps)^p``."""
    if not np.isfinite(p) or p == 0:
        raise ValueError(f"{op}: p must be finite and non-zero, got {p}")
    if not eps > 0:
        raise ValueError(f"{op}: eps must be positive, got {eps}")
    kernel = (x.shape[-2], x.shape[-1]) if kernel_size is None else kernel_size
    g = geometry(op, x.shape, kernel, stride)
    clamped = np.maximum(x, eps)
    return g, clamped, windows(clamped**p, g).mean(axis=(-2, -1))


def gem_pool2d(
    input: npt.ArrayLike,
    p: float = 3.0,
    kernel_size: Size | None = None,
    stride: Size | None = None,
    eps: float = 1e-6,
) -> Array:
    """Generalised mean (GeM, Radenović et al.): ``mean(clamp(x, eps)^p)^(1/p)`` per window;
    p = 1 is average pooling, large p approaches max pooling. ``kernel_size=None`` pools the
    whole plane (global GeM, the form of the paper), giving (N, C, 1, 1)."""
    x = check_input(input, "gem_pool2d")
    _, _, mean = _gem_parts(x, p, kernel_size, stride, eps, "gem_pool2d")
    out: Array = mean ** (1.0 / p)
    return out


def gem_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    p: float = 3.0,
    kernel_size: Size | None = None,
    stride: Size | None = None,
    eps: float = 1e-6,
) -> tuple[Array, float]:
    """Gradients of :func:`gem_pool2d`: ``(grad_input, grad_p)``. Per tap
    ``∂f/∂x = c^(p−1)·m^(1/p−1)/K`` (zero where x < eps is clamped) and
    ``∂f/∂p = f·(Σc^p·ln c/(p·Σc^p) − ln m/p²)`` (pooling.md §5.5)."""
    op = "gem_pool2d_backward"
    x = check_input(input, op)
    g, clamped, mean = _gem_parts(x, p, kernel_size, stride, eps, op)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    out = mean ** (1.0 / p)
    size = g.kernel[0] * g.kernel[1]
    per_window = grad * mean ** (1.0 / p - 1.0) / size
    taps = np.broadcast_to(per_window[..., None, None], (*per_window.shape, *g.kernel))
    grad_input = scatter(taps, g) * clamped ** (p - 1.0) * (x >= eps)
    view = windows(clamped, g)
    weighted = (view**p * np.log(view)).mean(axis=(-2, -1))
    dfdp = out * (weighted / (p * mean) - np.log(mean) / p**2)
    return grad_input, float((grad * dfdp).sum())


def _check_alpha(alpha: float, op: str) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"{op}: alpha must lie in [0, 1], got {alpha}")


def mixed_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    alpha: float = 0.5,
) -> Array:
    """Mixed pooling with a fixed or learned scalar (Lee et al. 2016): ``alpha·max_pool2d +
    (1−alpha)·avg_pool2d`` (torch defaults: -inf padding for max, count_include_pad for avg)."""
    _check_alpha(alpha, "mixed_pool2d")
    x = check_input(input, "mixed_pool2d")
    peak = max_pool2d(x, kernel_size, stride, padding, 1, ceil_mode)
    mean = avg_pool2d(x, kernel_size, stride, padding, ceil_mode)
    out: Array = alpha * peak + (1.0 - alpha) * mean
    return out


def mixed_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    alpha: float = 0.5,
) -> tuple[Array, float]:
    """Gradients of :func:`mixed_pool2d`: ``(grad_input, grad_alpha)`` with
    ``grad_alpha = Σ g·(max − avg)``."""
    op = "mixed_pool2d_backward"
    _check_alpha(alpha, op)
    x = check_input(input, op)
    grad = np.asarray(grad_output, dtype=np.float64)
    args = (kernel_size, stride, padding)
    peak = max_pool2d(x, *args, 1, ceil_mode)
    mean = avg_pool2d(x, *args, ceil_mode)
    grad_input = alpha * max_pool2d_backward(grad, x, *args, 1, ceil_mode) + (
        1.0 - alpha
    ) * avg_pool2d_backward(grad, x, *args, ceil_mode)
    return grad_input, float((grad * (peak - mean)).sum())


def _soft_weights(x: Array, g: Geometry) -> tuple[Array, Array]:
    """Window views and softmax weights, exp shifted by each window's max to avoid overflow."""
    view = windows(x, g)
    e = np.exp(view - view.max(axis=(-2, -1), keepdims=True))
    return view, e / e.sum(axis=(-2, -1), keepdims=True)


def soft_pool2d(input: npt.ArrayLike, kernel_size: Size, stride: Size | None = None) -> Array:
    """SoftPool (Stergiou et al. 2021): ``Σ softmax(x)_i·x_i`` per window. The output size is
    torch's pooling rule, not the official CUDA code's ``H // stride`` (pooling.md §5.9)."""
    x = check_input(input, "soft_pool2d")
    view, w = _soft_weights(x, geometry("soft_pool2d", x.shape, kernel_size, stride))
    out: Array = (w * view).sum(axis=(-2, -1))
    return out


def soft_pool2d_backward(
    grad_output: npt.ArrayLike, input: npt.ArrayLike, kernel_size: Size, stride: Size | None = None
) -> Array:
    """Gradient of :func:`soft_pool2d` wrt its input: ``g·w_i·(1 + x_i − y)`` per tap."""
    op = "soft_pool2d_backward"
    x = check_input(input, op)
    g = geometry(op, x.shape, kernel_size, stride)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    view, w = _soft_weights(x, g)
    out = (w * view).sum(axis=(-2, -1), keepdims=True)
    return scatter(grad[..., None, None] * w * (1.0 + view - out), g)


def _lip_parts(
    x: Array,
    importance: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None,
    padding: Size,
    op: str,
) -> tuple[Geometry, Array, Array, Array]:
    """Geometry, input windows (pad 0), normalised weights (pad cells weigh 0), outputs."""
    logit = np.asarray(importance, dtype=np.float64)
    if logit.shape != x.shape:
        raise ValueError(
            f"{op}: importance must have the input's shape {x.shape}, got {logit.shape}"
        )
    g = geometry(op, x.shape, kernel_size, stride, padding)
    view = windows(x, g, 0.0)
    logits = windows(logit, g, -np.inf)
    e = np.exp(logits - logits.max(axis=(-2, -1), keepdims=True))
    w = e / e.sum(axis=(-2, -1), keepdims=True)
    return g, view, w, (w * view).sum(axis=(-2, -1))


def lip_pool2d(
    input: npt.ArrayLike,
    importance: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
) -> Array:
    """Local importance pooling (LIP, Gao et al. 2019): ``Σ e^{importance}·x / Σ e^{importance}``
    per window, with ``importance`` (the logit map G(x)) of the input's shape; pad cells weigh
    0, so zero importance is ``avg_pool2d(..., count_include_pad=False)``."""
    x = check_input(input, "lip_pool2d")
    return _lip_parts(x, importance, kernel_size, stride, padding, "lip_pool2d")[3]


def lip_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    importance: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
) -> tuple[Array, Array]:
    """Gradients of :func:`lip_pool2d`: ``(grad_input, grad_importance)``, per tap ``g·w_i``
    and ``g·w_i·(x_i − y)`` with ``w`` the normalised weights."""
    op = "lip_pool2d_backward"
    x = check_input(input, op)
    g, view, w, out = _lip_parts(x, importance, kernel_size, stride, padding, op)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    gw = grad[..., None, None] * w
    return scatter(gw, g), scatter(gw * (view - out[..., None, None]), g)
