"""How a tensor is held between primitives: spatial maps, or spectra on an FFT grid."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    """A tensor between layers, per image: ``channels`` maps of ``size``×``size`` values, held
    as spectra on a ``grid``×``grid`` FFT grid (``grid`` > 0) or as spatial values (``grid`` 0).
    A flat vector (after FC) is ``channels`` features of size 1."""

    channels: int
    size: int
    grid: int = 0

    @property
    def spectral(self) -> bool:
        return self.grid > 0

    @property
    def vector(self) -> bool:
        """A feature vector (``channels`` values per image), not maps."""
        return self.size == 1 and not self.spectral

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels,) if self.vector else (self.channels, self.size)


def next_power_of_two(n: int) -> int:
    """Smallest power of two ≥ ``n`` (≥ 1): the FFT size that holds ``n`` points."""
    return 1 << max(n - 1, 0).bit_length()
