"""Order-statistic window pools (fdsim extensions; torch has no such operators): the median and
the mean of the k largest values of each window, with their backwards (pooling.md §5.6).

Windows lie fully inside the input (no padding argument): an order statistic over padded cells
would depend on the fill value."""

from __future__ import annotations

from typing import Literal, overload

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
    windows,
)


def _sorted_taps(x: Array, g: Geometry) -> IntArray:
    """Row-major tap numbers of each window sorted by value, largest first; a stable sort of
    the negated values keeps equal values in window order, so ties go to the first."""
    view = windows(x, g)
    flat = view.reshape(*view.shape[:4], -1)
    return np.argsort(-flat, axis=-1, kind="stable")


def _median_tap(x: Array, g: Geometry) -> IntArray:
    """Tap of each window's lower median (ascending rank ``(K−1)//2``); when that value occurs
    several times, its first occurrence in row-major window order."""
    view = windows(x, g)
    flat = view.reshape(*view.shape[:4], -1)
    value = np.sort(flat, axis=-1)[..., (flat.shape[-1] - 1) // 2]
    tap: IntArray = np.argmax(flat == value[..., None], axis=-1)
    return tap


@overload
def median_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    dilation: Size = ...,
    return_indices: Literal[False] = ...,
) -> Array: ...


@overload
def median_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    dilation: Size = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Array, IntArray]: ...


@overload
def median_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    dilation: Size = ...,
    return_indices: bool = ...,
) -> Array | tuple[Array, IntArray]: ...


def median_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    dilation: Size = 1,
    return_indices: bool = False,
) -> Array | tuple[Array, IntArray]:
    """Median of each window (fdsim extension). For an even window size it is the *lower* of
    the two middle values, as ``torch.median`` (not their mean); among equal values the first
    in row-major window order is selected. ``return_indices`` adds flat plane indices."""
    x = check_input(input, "median_pool2d")
    g = geometry("median_pool2d", x.shape, kernel_size, stride, 0, dilation)
    idx = flat_indices(g, _median_tap(x, g))
    out = np.take_along_axis(x.reshape(*x.shape[:2], -1), idx.reshape(*idx.shape[:2], -1), -1)
    out = out.reshape(idx.shape)
    return (out, idx) if return_indices else out


def median_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    dilation: Size = 1,
) -> Array:
    """Gradient of :func:`median_pool2d` wrt its input: routed to the selected element."""
    op = "median_pool2d_backward"
    x = check_input(input, op)
    g = geometry(op, x.shape, kernel_size, stride, 0, dilation)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    return scatter_indices(grad, flat_indices(g, _median_tap(x, g)), x.shape, op)


def _kmax_weights(x: Array, k: int, g: Geometry, op: str) -> Array:
    """(N, C, OH, OW, kH, kW) weights 1/k on each window's k largest taps (ties: first)."""
    size = g.kernel[0] * g.kernel[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise ValueError(f"{op}: k must be an int in [1, {size}], got {k!r}")
    chosen = _sorted_taps(x, g)[..., :k]
    weights = np.zeros((*chosen.shape[:4], size))
    np.put_along_axis(weights, chosen, 1.0 / k, axis=-1)
    return weights.reshape(*chosen.shape[:4], *g.kernel)


def kmax_pool2d(
    input: npt.ArrayLike,
    k: int,
    kernel_size: Size,
    stride: Size | None = None,
    dilation: Size = 1,
) -> Array:
    """Mean of the ``k`` largest values of each window (fdsim extension, the 2-D "k-max
    average"): k = 1 is max pooling, k = window size is average pooling."""
    x = check_input(input, "kmax_pool2d")
    g = geometry("kmax_pool2d", x.shape, kernel_size, stride, 0, dilation)
    out: Array = (windows(x, g) * _kmax_weights(x, k, g, "kmax_pool2d")).sum(axis=(-2, -1))
    return out


def kmax_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    k: int,
    kernel_size: Size,
    stride: Size | None = None,
    dilation: Size = 1,
) -> Array:
    """Gradient of :func:`kmax_pool2d` wrt its input: ``g/k`` to each selected element."""
    op = "kmax_pool2d_backward"
    x = check_input(input, op)
    g = geometry(op, x.shape, kernel_size, stride, 0, dilation)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    return scatter(grad[..., None, None] * _kmax_weights(x, k, g, op), g)
