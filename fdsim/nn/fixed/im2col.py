"""Bit-true spatial convolution as the matrix unit runs it (:mod:`fdsim.operators.spatial_conv`):
an im2col GEMM with the real-GEMM accumulator semantics of :mod:`fdsim.nn.fixed.dense`.

* forward ``y = im2col(x) · Wᵀ``: rows (image, output position), columns (channel, kernel row,
  kernel column) in that order, the reduction split at ``reduce_tiles`` (the schedule's);
* backward data ``col2im(g · W)``: each column's product rounded to the gradient layout as the
  GEMM writes it, then the overlapping columns of a position summed exactly and fitted once
  (the col2im adder after the array);
* backward weight ``gᵀ · im2col(x)``, reduced over images × positions at ``reduce_tiles``.

Zero padding is exact zeros; the stride keeps every ``stride``-th window.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.cmac import CmacPattern, cmac_reduce
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, rescale_parts


def _real(x: FixedTensor, name: str) -> np.ndarray:
    values = np.asarray(x.values)
    if x.is_complex or values.ndim != 4:
        raise ValueError(f"{name} must be real maps (batch, channels, n, n)")
    return values


def im2col(values: np.ndarray, kernel: int, stride: int, padding: int) -> np.ndarray:
    """``(B, C, n, n)`` → ``(B·P, C·k²)``: each row one output position's window."""
    padded = np.pad(values, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel, kernel), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]  # (B, C, H', W', k, k)
    batch, height, width = windows.shape[0], windows.shape[2], windows.shape[3]
    rows = windows.transpose(0, 2, 3, 1, 4, 5).reshape(batch * height * width, -1)
    return np.ascontiguousarray(rows)


def spatial_conv_forward_fixed(
    x: FixedTensor,
    weight: FixedTensor,
    stride: int,
    padding: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """``(B, C, n, n)`` maps ⋆ ``(O, C, k, k)`` kernels → ``(B, O, n', n')`` in ``out``."""
    values = _real(x, "x")
    w = np.asarray(weight.values)
    kernel = w.shape[-1]
    cols = im2col(values, kernel, stride, padding)
    side = (values.shape[-1] + 2 * padding - kernel) // stride + 1
    flat_w = FixedTensor(w.reshape(w.shape[0], -1), weight.fmt, weight.exponent)
    y = cmac_reduce(
        FixedTensor(cols, x.fmt, x.exponent),
        flat_w,
        CmacPattern.FORWARD,
        numerics,
        out,
        counter,
        site,
        reduce_tiles,
    )
    rows = np.asarray(y.values).reshape(values.shape[0], side, side, -1).transpose(0, 3, 1, 2)
    return FixedTensor(np.ascontiguousarray(rows), y.fmt, y.exponent)


def _rows(g: FixedTensor) -> FixedTensor:
    """``(B, O, n', n')`` gradients as GEMM rows ``(B·n'², O)``."""
    values = np.asarray(g.values)
    flat = values.transpose(0, 2, 3, 1).reshape(-1, values.shape[1])
    return FixedTensor(np.ascontiguousarray(flat), g.fmt, g.exponent)


def spatial_conv_backward_data_fixed(
    g: FixedTensor,
    weight: FixedTensor,
    in_size: int,
    stride: int,
    padding: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """The input gradient ``(B, C, n, n)`` in ``out``: the GEMM's columns at ``site``, their
    col2im sum fitted at ``site.child("col2im")``."""
    w = np.asarray(weight.values)
    outputs, channels, kernel = w.shape[0], w.shape[1], w.shape[-1]
    flat_w = FixedTensor(w.reshape(outputs, -1), weight.fmt, weight.exponent)
    cols = cmac_reduce(
        _rows(g), flat_w, CmacPattern.BACKWARD_DATA, numerics, out, counter, site, reduce_tiles
    )
    batch, side = np.asarray(g.values).shape[0], np.asarray(g.values).shape[-1]
    windows = np.asarray(cols.values).reshape(batch, side, side, channels, kernel, kernel)
    size = in_size + 2 * padding
    summed = np.zeros((batch, channels, size, size), dtype=np.int64)
    for row in range(kernel):
        for column in range(kernel):
            tap = windows[:, :, :, :, row, column].transpose(0, 3, 1, 2)
            summed[
                :,
                :,
                row : row + stride * side : stride,
                column : column + stride * side : stride,
            ] += tap
    inner = summed[:, :, padding : padding + in_size, padding : padding + in_size]
    growth = int(np.ceil(np.log2(kernel * kernel))) if kernel > 1 else 0
    return rescale_parts(
        (np.ascontiguousarray(inner),),
        cols.lsb_exponent,
        cols.fmt.total_bits + growth,
        out,
        counter,
        site.child("col2im"),
    )


def spatial_conv_backward_weight_fixed(
    g: FixedTensor,
    x: FixedTensor,
    kernel: int,
    stride: int,
    padding: int,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """``∂W (O, C, k, k)`` = ``gᵀ · im2col(x)`` in ``out``, reduced over images × positions."""
    values = _real(x, "x")
    cols = FixedTensor(im2col(values, kernel, stride, padding), x.fmt, x.exponent)
    dw = cmac_reduce(
        cols, _rows(g), CmacPattern.BACKWARD_WEIGHT, numerics, out, counter, site, reduce_tiles
    )
    shaped = np.asarray(dw.values).reshape(-1, values.shape[1], kernel, kernel)
    return FixedTensor(np.ascontiguousarray(shaped), dw.fmt, dw.exponent)
