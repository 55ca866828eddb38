"""Overlap-add tiling of a linear cross-correlation (:class:`fdsim.geometry.OverlapAddTiles`),
the index maths shared by the float64 and the bit-true models.

``cut`` turns maps ``(B, C, n, n)`` into tiles ``(B·T², C, L, L)`` (image-major, then tile row,
then tile column): the padded map, zero-filled to ``per_axis·L``, cut into L×L blocks. Each
tile then goes through the FFT at offset k − 1 of the P grid, the CMAC and the iFFT's top-left
``window`` = L + k − 1 samples; ``overlap_add`` sums those windows ``(B·T², C, W, W)`` into the
outputs ``(B, C, out, out)``, window τ starting at padded-map output position τ·L − (k − 1),
and keeps every ``stride``-th valid position. Their adjoints: ``cut_backward`` reassembles the
tiles and drops the padding (each sample lies in one tile: no adds), ``overlap_add_backward``
gives every window its slice of the zero-upsampled output gradient (positions two windows
share are read by both: the adjoint of overlap-add is overlap-save).

The functions are generic over the array's dtype, so the bit-true model runs them on integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.geometry import OverlapAddTiles

Array = npt.NDArray[Any]


def cut(x: Array, tiles: OverlapAddTiles) -> Array:
    """Maps ``(B, C, n, n)`` → tiles ``(B·T², C, L, L)`` of the zero-padded maps."""
    batch, channels = x.shape[0], x.shape[1]
    a, side, p, n = tiles.per_axis, tiles.tile, tiles.padding, tiles.size
    full = np.zeros((batch, channels, a * side, a * side), dtype=x.dtype)
    full[..., p : p + n, p : p + n] = x
    blocks = full.reshape(batch, channels, a, side, a, side).transpose(0, 2, 4, 1, 3, 5)
    return np.ascontiguousarray(blocks.reshape(batch * a * a, channels, side, side))


def cut_backward(g: Array, tiles: OverlapAddTiles) -> Array:
    """Adjoint of :func:`cut`: tile gradients ``(B·T², C, L, L)`` → ``(B, C, n, n)``."""
    a, side, p, n = tiles.per_axis, tiles.tile, tiles.padding, tiles.size
    channels = g.shape[1]
    batch = g.shape[0] // (a * a)
    blocks = g.reshape(batch, a, a, channels, side, side).transpose(0, 3, 1, 4, 2, 5)
    full = blocks.reshape(batch, channels, a * side, a * side)
    return np.ascontiguousarray(full[..., p : p + n, p : p + n])


def _kept(tiles: OverlapAddTiles) -> slice:
    """The kept outputs in the accumulator's coordinates (padded-map output position + k − 1)."""
    lag = tiles.kernel - 1
    return slice(lag, lag + (tiles.out_size - 1) * tiles.stride + 1, tiles.stride)


def _accumulator_side(tiles: OverlapAddTiles) -> int:
    return (tiles.per_axis - 1) * tiles.tile + tiles.window


def overlap_add(y: Array, tiles: OverlapAddTiles) -> Array:
    """Tile results ``(B·T², C, W, W)`` summed into outputs ``(B, C, out, out)``, exactly in
    ``y``'s dtype (integers stay integers: the caller fits the sum)."""
    a, side, w = tiles.per_axis, tiles.tile, tiles.window
    channels = y.shape[1]
    batch = y.shape[0] // (a * a)
    windows = y.reshape(batch, a, a, channels, w, w)
    acc_side = _accumulator_side(tiles)
    acc = np.zeros((batch, channels, acc_side, acc_side), dtype=y.dtype)
    for row in range(a):
        for col in range(a):
            r, c = row * side, col * side
            acc[..., r : r + w, c : c + w] += windows[:, row, col]
    kept = _kept(tiles)
    return np.ascontiguousarray(acc[..., kept, kept])


def overlap_add_backward(g: Array, tiles: OverlapAddTiles) -> Array:
    """Adjoint of :func:`overlap_add`: output gradients ``(B, C, out, out)`` → each window's
    slice ``(B·T², C, W, W)`` of their zero-upsampled copy (no arithmetic)."""
    a, side, w = tiles.per_axis, tiles.tile, tiles.window
    batch, channels = g.shape[0], g.shape[1]
    acc_side = _accumulator_side(tiles)
    acc = np.zeros((batch, channels, acc_side, acc_side), dtype=g.dtype)
    kept = _kept(tiles)
    acc[..., kept, kept] = g
    windows = np.empty((batch, a, a, channels, w, w), dtype=g.dtype)
    for row in range(a):
        for col in range(a):
            r, c = row * side, col * side
            windows[:, row, col] = acc[..., r : r + w, c : c + w]
    return windows.reshape(batch * a * a, channels, w, w)
