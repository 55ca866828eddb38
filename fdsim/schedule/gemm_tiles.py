"""The tiles of a GEMM step's rows: whole images when one fits the buffers, else bands of output
rows of one image (capacity-driven tiling of a large map: each band loads the input rows under
its windows, so the rows two bands share are read twice)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fdsim.schedule.lower import GemmGeometry
from fdsim.schedule.ops import Buffer
from fdsim.schedule.tiling import largest_fitting, split


@dataclass(frozen=True)
class RowTile:
    """``images`` whole images, or a band of ``out_rows`` output rows of one image."""

    images: int
    out_rows: int
    in_rows: int

    def positions(self, geometry: GemmGeometry) -> int:
        """GEMM rows (output positions) of the tile."""
        return self.images * self.out_rows * geometry.out_width

    def in_elements(self, geometry: GemmGeometry, units: int) -> int:
        """Input elements of ``units`` input units the tile reads."""
        return self.images * self.in_rows * geometry.in_width * units


@dataclass(frozen=True)
class RowTiling:
    tiles: tuple[RowTile, ...]
    described: str  # in words, for the layer's mapping


BytesOf = Callable[[RowTile], Mapping[Buffer, int]]
"""Bytes per buffer of one image's tile (a whole image or a band)."""


class PinError(ValueError):
    """A pinned tile (``MappingPin``) that does not fit: ``field`` names the pin."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def overflow(
    need: Mapping[Buffer, int], capacity: Mapping[Buffer, int], buffering: Mapping[Buffer, int]
) -> str:
    """Why ``need`` does not fit, in words ("" when it does)."""
    for buffer, n in need.items():
        if n > 0 and buffering[buffer] * n > capacity[buffer]:
            return (
                f"a tile needs {buffering[buffer]} × {n} bytes of buffers.{buffer.value}, "
                f"which holds {capacity[buffer]}"
            )
    return ""


def row_tiles(
    geometry: GemmGeometry,
    batch: int,
    bytes_of: BytesOf,
    capacity: Mapping[Buffer, int],
    buffering: Mapping[Buffer, int],
    *,
    layer: str,
    what: str,
    pin_images: int | None = None,
    pin_rows: int | None = None,
) -> RowTiling:
    """Image tiles as large as fit when one image fits, else bands of output rows as tall as
    fit (``SpecFieldError`` on the buffer when not even one output row does). A pinned tile
    size (``pin_images``, or ``pin_rows`` for bands) is taken as given, ``PinError`` if it
    does not fit."""
    whole = geometry.out_height
    image = bytes_of(RowTile(1, whole, geometry.in_height))

    def band(rows: int) -> Mapping[Buffer, int]:
        return bytes_of(RowTile(1, rows, geometry.band_input_rows(rows)))

    if pin_rows is not None:
        rows = min(pin_rows, whole)
        if problem := overflow(band(rows), capacity, buffering):
            raise PinError("out_rows", f"{rows} output rows do not fit: {problem}")
        return _bands(geometry, batch, rows, "pinned")
    if pin_images is not None:
        images = min(pin_images, batch)
        need = {b: images * n for b, n in image.items()}
        if problem := overflow(need, capacity, buffering):
            raise PinError("images", f"{images} images do not fit: {problem}")
        return _images(geometry, batch, images)
    if whole == 1 or not overflow(image, capacity, buffering):
        images = largest_fitting(batch, image, capacity, buffering, layer=layer, what=what)
        return _images(geometry, batch, images)
    rows = whole
    while rows > 1 and overflow(band(rows), capacity, buffering):
        rows -= 1
    # not even one output row: the error of the buffer that overflows
    largest_fitting(1, band(rows), capacity, buffering, layer=layer, what="output row")
    return _bands(geometry, batch, rows, "one image does not fit")


def _images(geometry: GemmGeometry, batch: int, images: int) -> RowTiling:
    spans = split(batch, images)
    tiles = tuple(RowTile(n, geometry.out_height, geometry.in_height) for _start, n in spans)
    return RowTiling(tiles, f"{len(spans)} image tiles of ≤{images}")


def _bands(geometry: GemmGeometry, batch: int, rows: int, why: str) -> RowTiling:
    bands = split(geometry.out_height, rows)
    tiles = tuple(
        RowTile(1, n, geometry.band_input_rows(n)) for _image in range(batch) for _s, n in bands
    )
    return RowTiling(
        tiles,
        f"{batch} image{'s' if batch > 1 else ''} × {len(bands)} bands of ≤{rows} output rows "
        f"({why}; input rows under two bands are read twice)",
    )
