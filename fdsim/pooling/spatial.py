"""The classic window pools with PyTorch's exact semantics: max (with indices), min, average and
power-average (Lp) pooling, each with its backward (pooling.md §5.1-5.4)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.pooling.windows import (
    Array,
    Geometry,
    IntArray,
    Size,
    check_grad,
    check_input,
    flat_indices,
    geometry,
    scatter,
    scatter_indices,
    valid_mask,
    windows,
)


def _argmax_windows(x: Array, g: Geometry) -> tuple[Array, IntArray]:
    """Window maxima and the row-major tap of the first maximum (padding reads -inf, so it
    never wins)."""
    view = windows(x, g, -np.inf)
    flat = view.reshape(*view.shape[:4], -1)
    tap = np.argmax(flat, axis=-1)
    return np.take_along_axis(flat, tap[..., None], axis=-1)[..., 0], tap


def max_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Array | tuple[Array, IntArray]:
    """Max over each window, as ``torch.nn.functional.max_pool2d``. Padding reads -inf; ties go
    to the first maximum in row-major window order. With ``return_indices`` also returns the
    int64 flat index ``h·W + w`` of each maximum in the unpadded input plane."""
    x = check_input(input, "max_pool2d")
    g = geometry("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    out, tap = _argmax_windows(x, g)
    return (out, flat_indices(g, tap)) if return_indices else out


def max_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
) -> Array:
    """Gradient of :func:`max_pool2d` wrt its input: each output gradient goes to its window's
    (first) maximum, accumulating where windows overlap."""
    x = check_input(input, "max_pool2d_backward")
    g = geometry("max_pool2d_backward", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), "max_pool2d_backward")
    _, tap = _argmax_windows(x, g)
    return scatter_indices(grad, flat_indices(g, tap), x.shape)


def max_pool2d_backward_from_indices(
    grad_output: npt.ArrayLike, indices: npt.ArrayLike, input_shape: tuple[int, ...]
) -> Array:
    """Gradient of :func:`max_pool2d` (or any selecting pool) from the flat plane ``indices`` its
    forward returned; ``input_shape`` is (N, C, H, W)."""
    grad = np.asarray(grad_output, dtype=np.float64)
    idx = np.asarray(indices, dtype=np.int64)
    if len(input_shape) != 4:
        raise ValueError(
            f"max_pool2d_backward_from_indices: input_shape must be 4-D, got {input_shape}"
        )
    return scatter_indices(grad, idx, tuple(input_shape))


def min_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Array | tuple[Array, IntArray]:
    """Min over each window (fdsim extension; torch has no min pool): ``-max_pool2d(-x)``, with
    +inf padding and ties to the first minimum in row-major window order."""
    x = check_input(input, "min_pool2d")
    g = geometry("min_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    neg, tap = _argmax_windows(-x, g)
    return (-neg, flat_indices(g, tap)) if return_indices else -neg


def min_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
) -> Array:
    """Gradient of :func:`min_pool2d` wrt its input: routed to each window's first minimum."""
    x = check_input(input, "min_pool2d_backward")
    return max_pool2d_backward(grad_output, -x, kernel_size, stride, padding, dilation, ceil_mode)


def _avg_divisor(
    g: Geometry, count_include_pad: bool, divisor_override: int | None, op: str
) -> Array:
    """(OH, OW) divisors by PyTorch's rule (§5.3): pad cells count when ``count_include_pad``
    but cells past ``L + p`` (the ceil-mode overhang) never do."""
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or int(divisor_override) != divisor_override:
            raise ValueError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override must be non-zero, got 0")
        return np.full(g.out_size, float(divisor_override))
    counts = []
    for a in (0, 1):
        start = g.starts(a)
        end_pad = np.minimum(start + g.kernel[a], g.in_size[a] + g.padding[a])
        if count_include_pad:
            counts.append(end_pad - start)
        else:
            counts.append(np.minimum(end_pad, g.in_size[a]) - np.maximum(start, 0))
    return (counts[0][:, None] * counts[1][None, :]).astype(np.float64)


def avg_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Array:
    """Mean over each window, as ``torch.nn.functional.avg_pool2d``: the sum of the valid cells
    divided by ``divisor_override`` if given, else by the window size clipped at ``L + padding``
    (``count_include_pad``) or by the number of valid cells."""
    x = check_input(input, "avg_pool2d")
    g = geometry("avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisor(g, count_include_pad, divisor_override, "avg_pool2d")
    total: Array = windows(x, g, 0.0).sum(axis=(-2, -1))
    return total / divisor


def avg_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Array:
    """Gradient of :func:`avg_pool2d` wrt its input (only its shape is used): each output
    gradient divided by the forward's divisor, spread over the window's valid cells."""
    op = "avg_pool2d_backward"
    x = check_input(input, op)
    g = geometry(op, x.shape, kernel_size, stride, padding, 1, ceil_mode)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    share = grad / _avg_divisor(g, count_include_pad, divisor_override, op)
    spread = np.broadcast_to(share[..., None, None], (*share.shape, *g.kernel))
    return scatter(spread * valid_mask(g), g)


def _lp_parts(
    x: Array, norm_type: float, kernel_size: Size, stride: Size | None, ceil_mode: bool, op: str
) -> tuple[Geometry, Array, Array]:
    """Geometry, per-window scale ``kH·kW / n_valid`` and the scaled power sum ``S`` of
    PyTorch's lp_pool2d: avg_pool of x^p (no padding) times kH·kW (§5.4)."""
    if np.isnan(norm_type) or norm_type == 0:
        raise ValueError(f"{op}: norm_type must be non-zero, got {norm_type}")
    g = geometry(op, x.shape, kernel_size, stride, 0, 1, ceil_mode)
    scale = g.kernel[0] * g.kernel[1] / _avg_divisor(g, True, None, op)
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
        peak: Array = np.asarray(max_pool2d(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode))
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
