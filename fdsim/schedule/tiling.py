"""Choosing tile sizes so that buffered tiles fit the SRAM buffers."""

from __future__ import annotations

from collections.abc import Mapping

from fdsim.errors import SpecFieldError
from fdsim.schedule.ops import Buffer

_BUFFERED = {1: "single", 2: "double", 3: "triple", 4: "quadruple"}


def largest_fitting(
    total: int,
    bytes_per_item: Mapping[Buffer, int],
    capacity_bytes: Mapping[Buffer, int],
    buffering: Mapping[Buffer, int],
    *,
    layer: str,
    what: str,
) -> int:
    """The largest number of items (≤ ``total``) whose buffered bytes fit every buffer: a
    buffer holds ``buffering[buffer]`` tiles at once (2: the tile being worked on and the next
    one being loaded, double buffering).

    ``bytes_per_item`` may name a buffer more than once through its sum. Raises a
    ``SpecFieldError`` on the buffer's ``size_bytes`` when not even one item fits.
    """
    best = total
    for buffer, per_item in bytes_per_item.items():
        if per_item <= 0:
            continue
        factor = buffering[buffer]
        fits = capacity_bytes[buffer] // (factor * per_item)
        if fits < 1:
            raise SpecFieldError(
                "hardware",
                ("buffers", buffer.value, "size_bytes"),
                f"too small for layer {layer}: one {what} needs {factor} × {per_item} bytes "
                f"({_BUFFERED[factor]}-buffered), the buffer holds {capacity_bytes[buffer]}",
            )
        best = min(best, fits)
    return max(1, best)


def split(total: int, per_tile: int) -> list[tuple[int, int]]:
    """``[(start, count), ...]`` covering ``range(total)`` in the fewest tiles of at most
    ``per_tile``, balanced so that tile sizes differ by at most one."""
    tiles = -(-total // per_tile)
    base, extra = divmod(total, tiles)
    spans, start = [], 0
    for index in range(tiles):
        count = base + (1 if index < extra else 0)
        spans.append((start, count))
        start += count
    return spans


def split_aligned(total: int, per_tile: int) -> list[tuple[int, int]]:
    """``[(start, count), ...]`` of tiles of exactly ``per_tile`` but the last (the rest):
    for tiles that must start at multiples of an array dimension (``split`` balances sizes,
    which would leave every tile a partial fold)."""
    return [(start, min(per_tile, total - start)) for start in range(0, total, per_tile)]
