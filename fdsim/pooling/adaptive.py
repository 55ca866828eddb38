"""Adaptive average and max pooling with PyTorch's bins, and spatial pyramid pooling built on
them, each with its backward (pooling.md §5.12, 5.13).

Bin i of an axis of length L pooled to n covers ``[⌊i·L/n⌋, ⌈(i+1)·L/n⌉)``; bins may overlap
and differ in length, so they are gathered into a (n, K) index table padded to the longest
bin, with a mask of the real cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from fdsim.pooling.windows import (
    Array,
    IntArray,
    Pair,
    check_grad,
    check_input,
    scatter_indices,
)

OutputSize = int | None | tuple[int | None, int | None]


def _output_pair(output_size: OutputSize, shape: tuple[int, ...], op: str) -> Pair:
    """``output_size`` as a pair; ``None`` entries keep the input size, as torch does."""
    pair = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(pair) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    out = []
    for value, length in zip(pair, shape[-2:], strict=True):
        size = length if value is None else value
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"{op}: output_size must be positive ints or None, got {output_size!r}"
            )
        out.append(int(size))
    return out[0], out[1]


def _bins(length: int, n: int) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """(n, K) cell indices of each bin (clipped into range) and the mask of real cells."""
    i = np.arange(n)
    start = (i * length) // n
    end = ((i + 1) * length + n - 1) // n
    width = int((end - start).max())
    cells = start[:, None] + np.arange(width)[None, :]
    return np.minimum(cells, length - 1), cells < end[:, None]


def _gather(x: Array, out: Pair) -> tuple[Array, npt.NDArray[np.bool_], IntArray, IntArray]:
    """Bins as (N, C, OH, OW, KH, KW), their mask and the row / column index tables."""
    rows, row_ok = _bins(x.shape[-2], out[0])
    cols, col_ok = _bins(x.shape[-1], out[1])
    view = x[..., rows[:, None, :, None], cols[None, :, None, :]]
    mask = row_ok[:, None, :, None] & col_ok[None, :, None, :]
    return view, mask, rows, cols


def adaptive_avg_pool2d(input: npt.ArrayLike, output_size: OutputSize) -> Array:
    """Mean over each adaptive bin, as ``torch.nn.functional.adaptive_avg_pool2d``."""
    x = check_input(input, "adaptive_avg_pool2d")
    view, mask, _, _ = _gather(x, _output_pair(output_size, x.shape, "adaptive_avg_pool2d"))
    out: Array = np.where(mask, view, 0.0).sum(axis=(-2, -1)) / mask.sum(axis=(-2, -1))
    return out


def adaptive_avg_pool2d_backward(
    grad_output: npt.ArrayLike, input: npt.ArrayLike, output_size: OutputSize
) -> Array:
    """Gradient of :func:`adaptive_avg_pool2d` wrt its input (only its shape is used): each
    output gradient divided by its bin size, accumulated over overlapping bins."""
    op = "adaptive_avg_pool2d_backward"
    x = check_input(input, op)
    out = _output_pair(output_size, x.shape, op)
    grad = check_grad(grad_output, (*x.shape[:2], *out), op)
    _, mask, rows, cols = _gather(x, out)
    share = grad[..., None, None] * mask / mask.sum(axis=(-2, -1))[..., None, None]
    n, c, _, width = x.shape
    flat = (rows[:, None, :, None] * width + cols[None, :, None, :]).reshape(1, -1)
    result = np.zeros((n * c, x.shape[-2] * width))
    # np.add.at accumulates overlapping bins; masked cells carry a zero share.
    np.add.at(result, (np.arange(n * c)[:, None], flat), share.reshape(n * c, -1))
    return result.reshape(x.shape)


def _argmax_index(x: Array, out: Pair) -> tuple[Array, IntArray]:
    """Bin maxima and the flat plane index of each bin's first maximum (row-major)."""
    view, mask, rows, cols = _gather(x, out)
    flat = np.where(mask, view, -np.inf).reshape(*view.shape[:4], -1)
    tap = np.argmax(flat, axis=-1)
    value = np.take_along_axis(flat, tap[..., None], axis=-1)[..., 0]
    a, b = np.divmod(tap, cols.shape[1])
    row = rows[np.arange(out[0])[:, None], a]
    col = cols[np.arange(out[1])[None, :], b]
    return value, (row * x.shape[-1] + col).astype(np.int64)


@overload
def adaptive_max_pool2d(
    input: npt.ArrayLike, output_size: OutputSize, return_indices: Literal[False] = ...
) -> Array: ...


@overload
def adaptive_max_pool2d(
    input: npt.ArrayLike, output_size: OutputSize, *, return_indices: Literal[True]
) -> tuple[Array, IntArray]: ...


@overload
def adaptive_max_pool2d(
    input: npt.ArrayLike, output_size: OutputSize, return_indices: bool = ...
) -> Array | tuple[Array, IntArray]: ...


def adaptive_max_pool2d(
    input: npt.ArrayLike, output_size: OutputSize, return_indices: bool = False
) -> Array | tuple[Array, IntArray]:
    """Max over each adaptive bin, as ``torch.nn.functional.adaptive_max_pool2d``; ties go to
    the first maximum in row-major bin order, indices are flat ``h·W + w``."""
    x = check_input(input, "adaptive_max_pool2d")
    value, idx = _argmax_index(x, _output_pair(output_size, x.shape, "adaptive_max_pool2d"))
    return (value, idx) if return_indices else value


def adaptive_max_pool2d_backward(
    grad_output: npt.ArrayLike, input: npt.ArrayLike, output_size: OutputSize
) -> Array:
    """Gradient of :func:`adaptive_max_pool2d` wrt its input: routed to each bin's maximum."""
    op = "adaptive_max_pool2d_backward"
    x = check_input(input, op)
    out = _output_pair(output_size, x.shape, op)
    grad = check_grad(grad_output, (*x.shape[:2], *out), op)
    _, idx = _argmax_index(x, out)
    return scatter_indices(grad, idx, x.shape, op)


def _check_levels(levels: Sequence[int], mode: str, op: str) -> None:
    if mode not in ("max", "avg"):
        raise ValueError(f"{op}: mode must be 'max' or 'avg', got {mode!r}")
    if not levels or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in levels):
        raise ValueError(
            f"{op}: levels must be a non-empty sequence of positive ints, got {levels!r}"
        )


def spatial_pyramid_pool2d(
    input: npt.ArrayLike, levels: Sequence[int] = (1, 2, 4), mode: str = "max"
) -> Array:
    """Spatial pyramid pooling (He et al. 2014): for each level n in the given order, an
    adaptive ``mode`` pool to n×n flattened channel-major to (N, C·n²), concatenated into
    (N, C·Σn²) as SPP-net's implementations do. The bins are torch's adaptive bins, not the
    paper's ``⌈a/n⌉``-window/``⌊a/n⌋``-stride rule (they agree e.g. for a = 13, n ≤ 6 but
    not in general; torch's bins always cover the whole input). torch has no such operator."""
    op = "spatial_pyramid_pool2d"
    x = check_input(input, op)
    _check_levels(levels, mode, op)
    pool = adaptive_avg_pool2d if mode == "avg" else adaptive_max_pool2d
    parts = [pool(x, n).reshape(x.shape[0], -1) for n in levels]
    return np.concatenate(parts, axis=1)


def spatial_pyramid_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    levels: Sequence[int] = (1, 2, 4),
    mode: str = "max",
) -> Array:
    """Gradient of :func:`spatial_pyramid_pool2d` wrt its input: the sum of the levels'
    adaptive-pool backwards on their slices of ``grad_output``."""
    op = "spatial_pyramid_pool2d_backward"
    x = check_input(input, op)
    _check_levels(levels, mode, op)
    n, c = x.shape[:2]
    grad = check_grad(grad_output, (n, c * sum(level**2 for level in levels)), op)
    backward = adaptive_avg_pool2d_backward if mode == "avg" else adaptive_max_pool2d_backward
    result = np.zeros_like(x)
    offset = 0
    for level in levels:
        part = grad[:, offset : offset + c * level**2].reshape(n, c, level, level)
        result += backward(part, x, level)
        offset += c * level**2
    return result
