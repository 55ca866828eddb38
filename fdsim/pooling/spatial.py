"""The classic window pools with PyTorch's exact semantics: max (with indices), min and average
pooling, each with its backward (pooling.md §5.1-5.3). Lp pooling is in spatial_lp.py."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from fdsim.pooling.windows import (
    Array,
    Geometry,
    IntArray,
    Size,
    avg_divisor,
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


def _argmax_backward(
    op: str,
    grad_output: npt.ArrayLike,
    x: Array,
    kernel_size: Size,
    stride: Size | None,
    padding: Size,
    dilation: Size,
    ceil_mode: bool,
) -> Array:
    """Route each output gradient to its window's first maximum of ``x``."""
    g = geometry(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    _, tap = _argmax_windows(x, g)
    return scatter_indices(grad, flat_indices(g, tap), x.shape, op)


@overload
def max_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
) -> Array: ...


@overload
def max_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Array, IntArray]: ...


@overload
def max_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    return_indices: bool = ...,
) -> Array | tuple[Array, IntArray]: ...


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
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    return _argmax_backward("max_pool2d_backward", grad_output, x, *args)


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
    return scatter_indices(grad, idx, tuple(input_shape), "max_pool2d_backward_from_indices")


@overload
def min_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
) -> Array: ...


@overload
def min_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Array, IntArray]: ...


@overload
def min_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    padding: Size = ...,
    dilation: Size = ...,
    ceil_mode: bool = ...,
    return_indices: bool = ...,
) -> Array | tuple[Array, IntArray]: ...


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
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    return _argmax_backward("min_pool2d_backward", grad_output, -x, *args)


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
    divisor = avg_divisor(g, count_include_pad, divisor_override, "avg_pool2d")
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
    share = grad / avg_divisor(g, count_include_pad, divisor_override, op)
    spread = np.broadcast_to(share[..., None, None], (*share.shape, *g.kernel))
    return scatter(spread * valid_mask(g), g)
