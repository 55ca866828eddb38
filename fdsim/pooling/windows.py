"""Window geometry shared by the spatial pooling operators: argument checking, PyTorch's
output-size and average-divisor rules, strided window views of a padded input, and the scatter
of per-window gradients back onto the input plane.

A window view has shape ``(N, C, OH, OW, kH, kW)``; window ``(i, j)`` tap ``(a, b)`` reads
input cell ``(i·sH − pH + a·dH, j·sW − pW + b·dW)`` (pooling.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.pooling import args

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Pair = tuple[int, int]
Size = int | tuple[int, int]


def as_pair(value: Size, name: str, op: str) -> Pair:
    """``value`` (int or pair of ints) as a pair; ValueError naming ``name`` otherwise."""
    return args.as_pair(op, name, value)


def check_input(x: npt.ArrayLike, op: str) -> Array:
    """The input as a float64 (N, C, H, W) array."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {arr.shape}")
    return arr


def output_length(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooled length (``Pool.h: pooling_output_shape_pad_lr``, pooling.md §5.1)."""
    span = length + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # In ceil mode the last window must start inside the input or the left padding.
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


@dataclass(frozen=True)
class Geometry:
    """Checked window parameters of one pooling call and the shapes they imply."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    in_size: Pair
    out_size: Pair

    def starts(self, axis: int) -> IntArray:
        """First input index of each window along ``axis`` (0 = rows, 1 = columns)."""
        return np.arange(self.out_size[axis]) * self.stride[axis] - self.padding[axis]

    def coords(self, axis: int) -> IntArray:
        """Input index of every tap, shape (out, k) along ``axis`` (may fall in the padding)."""
        taps = np.arange(self.kernel[axis]) * self.dilation[axis]
        return self.starts(axis)[:, None] + taps[None, :]


def geometry(
    op: str,
    shape: tuple[int, ...],
    kernel_size: Size,
    stride: Size | None = None,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
) -> Geometry:
    """Check the window arguments as PyTorch does and compute the output size."""
    k = as_pair(kernel_size, "kernel_size", op)
    s = k if stride is None else as_pair(stride, "stride", op)
    p = as_pair(padding, "padding", op)
    d = as_pair(dilation, "dilation", op)
    if min(k) <= 0:
        raise ValueError(f"{op}: kernel_size must be positive, got {kernel_size}")
    if min(s) <= 0:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding}")
    if min(d) <= 0:
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    # PyTorch compares the padding with the plain kernel size, not the dilated one (§5.1).
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError(f"{op}: padding must be at most half of kernel_size, got {padding}")
    in_size = (int(shape[-2]), int(shape[-1]))
    out = tuple(output_length(in_size[a], k[a], s[a], p[a], d[a], ceil_mode) for a in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{op}: output size would be {out} for input {in_size}; input too small")
    return Geometry(k, s, p, d, in_size, (out[0], out[1]))


def _padded(x: Array, g: Geometry, fill: float) -> Array:
    """``x`` padded with ``fill`` on the left by the padding and on the right as far as the last
    window reaches (ceil mode can reach past the right padding)."""
    pads: list[tuple[int, int]] = [(0, 0)] * (x.ndim - 2)
    for a in (0, 1):
        reach = (g.out_size[a] - 1) * g.stride[a] + g.dilation[a] * (g.kernel[a] - 1) + 1
        right = max(reach - g.padding[a] - g.in_size[a], 0)
        pads.append((g.padding[a], right))
    return np.pad(x, pads, constant_values=fill)


def windows(x: npt.NDArray[Any], g: Geometry, fill: float = 0.0) -> npt.NDArray[Any]:
    """Read-only view (N, C, OH, OW, kH, kW) of the windows; out-of-input taps read ``fill``."""
    padded = _padded(x, g, fill)
    span = tuple(g.dilation[a] * (g.kernel[a] - 1) + 1 for a in (0, 1))
    view = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(-2, -1))
    view = view[..., :: g.stride[0], :: g.stride[1], :: g.dilation[0], :: g.dilation[1]]
    return view[..., : g.out_size[0], : g.out_size[1], :, :]


def avg_divisor(
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


def valid_mask(g: Geometry) -> npt.NDArray[np.bool_]:
    """(OH, OW, kH, kW) mask of the taps that fall inside the unpadded input."""
    rows = [(c >= 0) & (c < g.in_size[a]) for a, c in ((0, g.coords(0)), (1, g.coords(1)))]
    return rows[0][:, None, :, None] & rows[1][None, :, None, :]


def scatter(grad_windows: Array, g: Geometry) -> Array:
    """Sum per-tap gradients (N, C, OH, OW, kH, kW) back onto the (N, C, H, W) input, adding
    where windows overlap; taps in the padding are dropped."""
    lead = grad_windows.shape[:-4]
    buffer = _padded(np.zeros((*lead, *g.in_size)), g, 0.0)
    (kh, kw), (sh, sw), (dh, dw) = g.kernel, g.stride, g.dilation
    oh, ow = g.out_size
    # One kernel offset at a time: within an offset the windows hit distinct cells.
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)
            cols = slice(b * dw, b * dw + (ow - 1) * sw + 1, sw)
            buffer[..., rows, cols] += grad_windows[..., a, b]
    ph, pw = g.padding
    return buffer[..., ph : ph + g.in_size[0], pw : pw + g.in_size[1]]


def flat_indices(g: Geometry, tap: IntArray) -> IntArray:
    """Flat plane index ``h·W + w`` of the chosen tap (N, C, OH, OW; row-major in the window)."""
    a, b = np.divmod(tap, g.kernel[1])
    rows = g.starts(0)[:, None] + a * g.dilation[0]
    cols = g.starts(1)[None, :] + b * g.dilation[1]
    index: IntArray = (rows * g.in_size[1] + cols).astype(np.int64)
    return index


def scatter_indices(
    grad_output: Array, indices: IntArray, input_shape: tuple[int, ...], op: str
) -> Array:
    """Add each output gradient to the flat plane index it came from (np.add.at accumulates
    repeated indices)."""
    n, c, h, w = input_shape
    if grad_output.shape != indices.shape or grad_output.shape[:2] != (n, c):
        raise ValueError(
            f"{op}: grad_output shape {grad_output.shape} does not match indices {indices.shape}"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= h * w):
        raise ValueError(f"{op}: indices must lie in [0, {h * w}), the input plane")
    out = np.zeros((n * c, h * w))
    rows = np.broadcast_to(np.arange(n * c)[:, None], (n * c, indices[0, 0].size))
    np.add.at(out, (rows, indices.reshape(n * c, -1)), grad_output.reshape(n * c, -1))
    return out.reshape(n, c, h, w)


def check_grad(grad_output: npt.ArrayLike, expected: tuple[int, ...], op: str) -> Array:
    """``grad_output`` as float64, required to have the forward's output shape."""
    grad = np.asarray(grad_output, dtype=np.float64)
    if grad.shape != expected:
        raise ValueError(f"{op}: grad_output must have shape {expected}, got {grad.shape}")
    return grad
