"""Bit-true overlap-add tiling (:mod:`fdsim.nn.overlap_add` on the integers).

Cutting maps into tiles, reassembling tile gradients and giving each window its slice of the
output gradient only move integers: exact, same layout. The overlap-add itself runs on the
crop unit over the tile maps the iFFT stored in the output buffer: the up to ``c``² windows
reaching an output (``c`` = the largest :meth:`~fdsim.geometry.OverlapAddTiles.cover_counts`)
are added exactly in an adder ⌈log₂ c²⌉ bits wider than the stored activation word, and the
sum is fitted back to the tiles' layout (same format and exponent, so nothing is rounded;
an overflow saturates or wraps by the format's mode and is counted at ``site.child("output")``).
Each window was rounded once by the iFFT's store, so an output carries up to ``c``² of those
roundings.
"""

from __future__ import annotations

import math

from fdsim.fixedpoint import OverflowCounter, OverflowSite, require_int64_width
from fdsim.geometry import OverlapAddTiles
from fdsim.nn.fixed.tensor import FixedTensor, rescale_parts
from fdsim.nn.overlap_add import cut, cut_backward, overlap_add, overlap_add_backward


def _real(x: FixedTensor, what: str) -> None:
    if x.is_complex:
        raise ValueError(f"{what} takes real maps")


def cut_fixed(x: FixedTensor, tiles: OverlapAddTiles) -> FixedTensor:
    """Maps → tiles (exact, ``x``'s layout)."""
    _real(x, "the overlap-add cut")
    return FixedTensor(cut(x.parts[0], tiles), x.fmt, x.exponent)


def cut_backward_fixed(g: FixedTensor, tiles: OverlapAddTiles) -> FixedTensor:
    """Tile gradients → map gradients (exact, ``g``'s layout)."""
    _real(g, "the overlap-add cut's adjoint")
    return FixedTensor(cut_backward(g.parts[0], tiles), g.fmt, g.exponent)


def overlap_add_fixed(
    y: FixedTensor, tiles: OverlapAddTiles, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    """Tile windows → outputs: exact sums fitted to ``y``'s layout (counted)."""
    _real(y, "the overlap-add")
    reach = max(tiles.cover_counts())
    width = y.fmt.total_bits + math.ceil(math.log2(reach * reach))
    require_int64_width(width, "overlap-add sum")
    summed = overlap_add(y.parts[0], tiles)
    return rescale_parts((summed,), y.lsb_exponent, width, y.layout, counter, site.child("output"))


def overlap_add_backward_fixed(g: FixedTensor, tiles: OverlapAddTiles) -> FixedTensor:
    """Output gradients → each window's slice (exact, ``g``'s layout)."""
    _real(g, "the overlap-add's adjoint")
    return FixedTensor(overlap_add_backward(g.parts[0], tiles), g.fmt, g.exponent)
