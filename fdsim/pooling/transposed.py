"""Transposed convolution: ``conv_transpose2d`` as ``torch.nn.functional.conv_transpose2d`` and its
backward.

``weight`` is laid out (C_in, C_out/groups, kH, kW), as torch. Each input pixel (i, j) adds
``x[i, j]·w[:, :, a, b]`` at output ``(i·s + a·d − p, j·s + b·d − p)``; the output size is
``(L − 1)·s − 2p + d(k − 1) + output_padding + 1`` (pooling.md §5.16). It is the adjoint of the
strided convolution with the same parameters. Computed as one einsum per kernel offset scattered
into a strided view of an uncropped buffer, which is then cropped by the padding.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from fdsim.pooling.args import Array, IntPair, as_nchw, as_pair

_OP = "conv_transpose2d"


class _Geometry(NamedTuple):
    groups: int
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    full: tuple[int, int]  # the uncropped buffer: output + 2·padding
    out: tuple[int, int]


def _geometry(
    x: Array,
    w: Array,
    stride: IntPair,
    padding: IntPair,
    output_padding: IntPair,
    groups: int,
    dilation: IntPair,
) -> _Geometry:
    s = as_pair(_OP, "stride", stride, minimum=1)
    p = as_pair(_OP, "padding", padding, minimum=0)
    op = as_pair(_OP, "output_padding", output_padding, minimum=0)
    d = as_pair(_OP, "dilation", dilation, minimum=1)
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"{_OP}: groups must be a positive int, got {groups!r}")
    if w.shape[0] != x.shape[1] or x.shape[1] % groups:
        raise ValueError(
            f"{_OP}: weight must have C_in = {x.shape[1]} rows divisible by groups = {groups}, "
            f"got weight shape {w.shape}"
        )
    if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
        raise ValueError(
            f"{_OP}: output_padding must be smaller than either stride or dilation, got "
            f"output_padding={op}, stride={s}, dilation={d}"
        )
    full = tuple(
        (length - 1) * si + di * (k - 1) + 1 + o
        for length, si, di, k, o in zip(x.shape[2:], s, d, w.shape[2:], op, strict=True)
    )
    out = (full[0] - 2 * p[0], full[1] - 2 * p[1])
    if min(out) <= 0:
        raise ValueError(f"{_OP}: output size must be positive, got {out}")
    return _Geometry(int(groups), s, p, d, (full[0], full[1]), out)


def _operands(op: str, input: npt.ArrayLike, weight: npt.ArrayLike) -> tuple[Array, Array]:
    x = as_nchw(op, "input", input)
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (C_in, C_out/groups, kH, kW), got {w.shape}")
    return x, w


def _tap(buffer: Array, geo: _Geometry, a: int, b: int, in_hw: tuple[int, int]) -> Array:
    """The strided view of ``buffer`` (N, C, *full) that kernel offset (a, b) touches."""
    top, left = a * geo.dilation[0], b * geo.dilation[1]
    rows = slice(top, top + (in_hw[0] - 1) * geo.stride[0] + 1, geo.stride[0])
    cols = slice(left, left + (in_hw[1] - 1) * geo.stride[1] + 1, geo.stride[1])
    return buffer[:, :, rows, cols]


def _grouped(x: Array, groups: int) -> Array:
    """(N, C, H, W) → (N, G, C/G, H, W)."""
    return x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:])


def conv_transpose2d(
    input: npt.ArrayLike,
    weight: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Array:
    """Transposed convolution of ``input`` (N, C_in, H, W) with ``weight``
    (C_in, C_out/groups, kH, kW) plus ``bias`` (C_out,); returns (N, C_out, H_out, W_out)."""
    x, w = _operands(_OP, input, weight)
    geo = _geometry(x, w, stride, padding, output_padding, groups, dilation)
    n, g = x.shape[0], geo.groups
    c_out = w.shape[1] * g
    b_arr = None if bias is None else np.asarray(bias, dtype=np.float64)
    if b_arr is not None and b_arr.shape != (c_out,):
        raise ValueError(f"{_OP}: bias must have shape ({c_out},), got {b_arr.shape}")
    buffer = np.zeros((n, c_out, *geo.full))
    xg = _grouped(x, g)
    wg = w.reshape(g, w.shape[0] // g, *w.shape[1:])
    for a in range(w.shape[2]):
        for b in range(w.shape[3]):
            contrib = np.einsum("ngihw,gio->ngohw", xg, wg[:, :, :, a, b])
            view = _tap(buffer, geo, a, b, x.shape[2:])  # a view: += writes into buffer
            view += contrib.reshape(n, c_out, *x.shape[2:])
    (p_h, p_w), (o_h, o_w) = geo.padding, geo.out
    out: Array = buffer[:, :, p_h : p_h + o_h, p_w : p_w + o_w]
    if b_arr is not None:
        out = out + b_arr[None, :, None, None]
    return np.ascontiguousarray(out)


def conv_transpose2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    weight: npt.ArrayLike,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> tuple[Array, Array, Array]:
    """Gradients of :func:`conv_transpose2d`: ``(grad_input, grad_weight, grad_bias)``.

    Takes the forward's ``input``, ``weight`` and parameters; ``grad_bias`` (C_out,) is returned
    whether or not the forward had a bias (ignore it if not).
    """
    x, w = _operands(f"{_OP}_backward", input, weight)
    geo = _geometry(x, w, stride, padding, output_padding, groups, dilation)
    gy = as_nchw(f"{_OP}_backward", "grad_output", grad_output)
    n, g = x.shape[0], geo.groups
    expected = (n, w.shape[1] * g, *geo.out)
    if gy.shape != expected:
        raise ValueError(f"{_OP}_backward: grad_output must have shape {expected}, got {gy.shape}")
    # The cropped padding rows/cols received nothing from the output, so their gradient is zero.
    buffer = np.zeros((*expected[:2], *geo.full))
    (p_h, p_w), (o_h, o_w) = geo.padding, geo.out
    buffer[:, :, p_h : p_h + o_h, p_w : p_w + o_w] = gy
    xg = _grouped(x, g)
    wg = w.reshape(g, w.shape[0] // g, *w.shape[1:])
    grad_x = np.zeros_like(xg)
    grad_w = np.zeros_like(wg)
    for a in range(w.shape[2]):
        for b in range(w.shape[3]):
            tap = _grouped(_tap(buffer, geo, a, b, x.shape[2:]), g)
            grad_x += np.einsum("ngohw,gio->ngihw", tap, wg[:, :, :, a, b])
            grad_w[:, :, :, a, b] = np.einsum("ngihw,ngohw->gio", xg, tap)
    return grad_x.reshape(x.shape), grad_w.reshape(w.shape), gy.sum(axis=(0, 2, 3))
