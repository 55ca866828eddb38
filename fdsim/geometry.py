"""Geometry shared by the graph, its operators and their kernels: how a tensor is held between
primitives (spatial maps, or spectra on an FFT grid) and the windows of a spatial pool."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    """A tensor between layers, per image: ``channels`` maps of ``size``×``size`` values, held
    as spectra on a ``grid``×``grid`` FFT grid (``grid`` > 0) or as spatial values (``grid`` 0).
    A flat vector (after FC) is ``channels`` features of size 1. Maps are square, but for a
    topology row's (``conv_row``) own maps of ``size`` × ``width`` (``width`` 0: square).
    ``tiles`` > 1: each map is held as that many overlap-add tiles (:class:`OverlapAddTiles`),
    each a ``size``×``size`` map or a spectrum on ``grid``; the model's batch axis then runs
    over images × tiles."""

    channels: int
    size: int
    grid: int = 0
    width: int = 0
    tiles: int = 1

    @property
    def spectral(self) -> bool:
        return self.grid > 0

    @property
    def vector(self) -> bool:
        """A feature vector (``channels`` values per image), not maps."""
        return self.size == 1 and not self.spectral

    @property
    def shape(self) -> tuple[int, ...]:
        if self.width and self.width != self.size:
            return (self.channels, self.size, self.width)
        return (self.channels,) if self.vector else (self.channels, self.size)


@dataclass(frozen=True)
class OverlapAddTiles:
    """Overlap-add tiling of a linear cross-correlation (a ``hybrid`` conv larger than the
    FFT engine): the ``size``×``size`` input, padded by ``padding`` zeros per side, is cut into
    ``per_axis``² tiles of ``tile``×``tile`` samples (the last row and column of tiles
    zero-filled past the padded map); each tile is placed at offset k − 1 of a ``points``-point
    grid (``points`` ≥ ``tile`` + k − 1, so the circular correlation of a tile is its linear
    one), and its ``window``×``window`` result (``tile`` + k − 1) starts k − 1 samples before
    the tile in the padded map's output coordinates. Results are added where windows overlap
    and the output keeps every ``stride``-th of the ``padded − k + 1`` valid positions."""

    size: int
    padding: int
    kernel: int
    stride: int
    tile: int
    points: int

    @property
    def padded(self) -> int:
        return self.size + 2 * self.padding

    @property
    def per_axis(self) -> int:
        return -(-self.padded // self.tile)

    @property
    def tiles(self) -> int:
        """Tiles per map."""
        return self.per_axis * self.per_axis

    @property
    def window(self) -> int:
        """Side of one tile's result: ``tile + k − 1``."""
        return self.tile + self.kernel - 1

    @property
    def out_size(self) -> int:
        return (self.padded - self.kernel) // self.stride + 1

    def cover_counts(self) -> tuple[int, ...]:
        """Per kept output position along one axis, how many tile windows reach it."""
        lag = self.kernel - 1
        return tuple(
            sum(
                1
                for t in range(self.per_axis)
                if t * self.tile - lag <= m * self.stride < t * self.tile + self.tile
            )
            for m in range(self.out_size)
        )

    def overlap_adds(self) -> int:
        """Adds per output map: every contribution beyond the first of each kept position
        (samples of a window that no kept position reads are dropped, not added)."""
        reach = sum(self.cover_counts())
        return reach * reach - self.out_size * self.out_size


def next_power_of_two(n: int) -> int:
    """Smallest power of two ≥ ``n`` (≥ 1): the FFT size that holds ``n`` points."""
    return 1 << max(n - 1, 0).bit_length()


@dataclass(frozen=True)
class PoolWindows:
    """Windows of a spatial pool on square maps, the same on both axes: output index ``j``
    reduces input rows/columns ``starts[j] ≤ i < stops[j]`` of an ``in_size``×``in_size`` map."""

    in_size: int
    starts: tuple[int, ...]
    stops: tuple[int, ...]

    @property
    def out_size(self) -> int:
        return len(self.starts)

    @classmethod
    def sliding(cls, in_size: int, kernel: int, stride: int) -> PoolWindows:
        """``kernel``×``kernel`` windows every ``stride`` (floor rule, no padding)."""
        count = (in_size - kernel) // stride + 1
        starts = tuple(j * stride for j in range(count))
        return cls(in_size, starts, tuple(s + kernel for s in starts))

    @classmethod
    def adaptive(cls, in_size: int, out_size: int) -> PoolWindows:
        """``out_size`` windows tiling the map (``⌊j·n/m⌋ ≤ i < ⌈(j+1)·n/m⌉``), as adaptive
        pooling does; equal to :meth:`sliding` with kernel = stride = n/m when m divides n."""
        starts = tuple(j * in_size // out_size for j in range(out_size))
        stops = tuple(-(-(j + 1) * in_size // out_size) for j in range(out_size))
        return cls(in_size, starts, stops)

    @property
    def _sides(self) -> list[int]:
        return [stop - start for start, stop in zip(self.starts, self.stops, strict=True)]

    @property
    def largest_window(self) -> int:
        """Input elements in the largest window (a pool's argmax chooses among them)."""
        side = max(self._sides)
        return side * side

    @property
    def window_elements(self) -> int:
        """Input elements summed over all windows of one map (an element in two overlapping
        windows counts twice)."""
        total = sum(self._sides)
        return total * total

    @property
    def covered_elements(self) -> int:
        """Input elements of one map inside at least one window (windows may leave gaps when
        the stride exceeds the kernel)."""
        covered: set[int] = set()
        for start, stop in zip(self.starts, self.stops, strict=True):
            covered.update(range(start, stop))
        return len(covered) ** 2
