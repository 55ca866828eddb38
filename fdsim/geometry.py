"""Geometry shared by the graph, its operators and their kernels: how a tensor is held between
primitives (spatial maps, or spectra on an FFT grid) and the windows of a spatial pool."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    """A tensor between layers, per image: ``channels`` maps of ``size``×``size`` values, held
    as spectra on a ``grid``×``grid`` FFT grid (``grid`` > 0) or as spatial values (``grid`` 0).
    A flat vector (after FC) is ``channels`` features of size 1. Maps are square, but for a
    topology row's (``conv_row``) own maps of ``size`` × ``width`` (``width`` 0: square)."""

    channels: int
    size: int
    grid: int = 0
    width: int = 0

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
