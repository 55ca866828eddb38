"""Max-unpooling: ``max_unpool2d`` as ``torch.nn.functional.max_unpool2d`` and its backward.

Each input value is written to its flat index in its (H_out·W_out) output plane, zeros
elsewhere; the default output size is ``(H_in − 1)·s − 2p + k`` per axis (pooling.md §5.14).
With another ``output_size`` the flat indices are read in the new plane, as torch does, so
values move to other (row, col) positions: pass the pooled map's original size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.pooling.args import Array, IntPair, as_nchw, as_pair


def _output_hw(
    in_hw: tuple[int, int],
    kernel_size: IntPair,
    stride: IntPair | None,
    padding: IntPair,
    output_size: Sequence[int] | None,
) -> tuple[int, int]:
    kernel = as_pair("max_unpool2d", "kernel_size", kernel_size, minimum=1)
    step = kernel if stride is None else as_pair("max_unpool2d", "stride", stride, minimum=1)
    pad = as_pair("max_unpool2d", "padding", padding, minimum=0)
    default = tuple(
        (i - 1) * s - 2 * p + k for i, s, p, k in zip(in_hw, step, pad, kernel, strict=True)
    )
    if output_size is None:
        if min(default) <= 0:
            raise ValueError(f"max_unpool2d: output size must be positive, got {default}")
        return default[0], default[1]
    size = tuple(int(v) for v in output_size)
    if len(size) == 4:  # torch also accepts the full (N, C, H, W) size
        size = size[2:]
    if len(size) != 2:
        raise ValueError(f"max_unpool2d: output_size must have 2 or 4 entries, got {size}")
    for axis, (want, base, s) in enumerate(zip(size, default, step, strict=True)):
        # torch's _unpool_output_size accepts default − stride < size < default + stride.
        if not base - s < want < base + s:
            raise ValueError(
                f"max_unpool2d: output_size[{axis}] must be between {base - s} and {base + s} "
                f"(exclusive), got {want}"
            )
    return size[0], size[1]


def _flat_indices(
    op: str, indices: npt.ArrayLike, shape: tuple[int, ...], plane: int
) -> npt.NDArray[np.integer[Any]]:
    idx = np.asarray(indices)
    if idx.shape != shape or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{op}: indices must be integers of shape {shape}, got {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise ValueError(f"{op}: indices must lie in [0, {plane}), got {idx.min()}..{idx.max()}")
    flat: npt.NDArray[np.integer[Any]] = idx.reshape(shape[0] * shape[1], -1)
    return flat


def max_unpool2d(
    input: npt.ArrayLike,
    indices: npt.ArrayLike,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    output_size: Sequence[int] | None = None,
) -> Array:
    """Scatter ``input`` (N, C, H, W) to the flat per-plane ``indices`` of a zero map.

    ``indices`` are what ``max_pool2d(..., return_indices=True)`` returns. Returns
    (N, C, H_out, W_out). Duplicate indices keep one of their values (torch: likewise).
    """
    x = as_nchw("max_unpool2d", "input", input)
    n, c, h, w = x.shape
    out_h, out_w = _output_hw((h, w), kernel_size, stride, padding, output_size)
    idx = _flat_indices("max_unpool2d", indices, x.shape, out_h * out_w)
    out = np.zeros((n * c, out_h * out_w))
    out[np.arange(n * c)[:, None], idx] = x.reshape(n * c, -1)
    return out.reshape(n, c, out_h, out_w)


def max_unpool2d_backward(grad_output: npt.ArrayLike, indices: npt.ArrayLike) -> Array:
    """Gradient of :func:`max_unpool2d` w.r.t. its input: ``grad_output`` gathered at ``indices``.

    ``grad_output`` is (N, C, H_out, W_out); ``indices`` the forward's (N, C, H, W) indices.
    Duplicate indices each receive the gradient (torch's gather, too).
    """
    g = as_nchw("max_unpool2d_backward", "grad_output", grad_output)
    n, c, out_h, out_w = g.shape
    shape = np.shape(indices)
    if len(shape) != 4 or shape[:2] != (n, c):
        raise ValueError(f"max_unpool2d_backward: indices must be ({n}, {c}, H, W), got {shape}")
    idx = _flat_indices("max_unpool2d_backward", indices, shape, out_h * out_w)
    out: Array = g.reshape(n * c, -1)[np.arange(n * c)[:, None], idx]
    return out.reshape(shape)
