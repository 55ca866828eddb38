"""The windows of a spatial pool: which inputs each output reduces, and the counts the cost
model needs from them."""

from __future__ import annotations

from dataclasses import dataclass


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
