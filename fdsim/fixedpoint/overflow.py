"""Overflow handling (wrap or saturate) and the event counter that makes it visible.

Every function that can overflow takes an ``OverflowCounter`` and an ``OverflowSite``
explicitly; there is no global tally.  An *event* is one real integer (a real part and an
imaginary part count separately) that did not fit its word before wrap or saturation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdsim.fixedpoint.formats import IntArray, integer_range, require_int64_width
from fdsim.spec.numerics import OverflowMode


@dataclass(frozen=True, order=True)
class OverflowSite:
    """Where values are fitted: the tensor class they belong to (``"spectra"``,
    ``"accumulators"`` …) and a dotted site name inside the datapath (``"fft.stage2"``)."""

    tensor_class: str
    name: str

    def child(self, part: str) -> OverflowSite:
        """The same tensor class one level down: ``fft`` → ``fft.<part>``."""
        return OverflowSite(self.tensor_class, f"{self.name}.{part}")


@dataclass(frozen=True)
class OverflowTally:
    """Totals for one (site, mode): values that overflowed and values checked."""

    site: OverflowSite
    mode: OverflowMode
    events: int
    values_checked: int


class OverflowCounter:
    """Accumulates overflow events by site and mode.  Mutable on purpose: the simulator passes
    one counter through a run and reads the totals at the end."""

    def __init__(self) -> None:
        self._counts: dict[tuple[OverflowSite, OverflowMode], tuple[int, int]] = {}

    def record(self, site: OverflowSite, mode: OverflowMode, events: int, checked: int) -> None:
        """Add ``events`` overflowed values out of ``checked`` at ``site``."""
        key = (site, mode)
        old_events, old_checked = self._counts.get(key, (0, 0))
        self._counts[key] = (old_events + events, old_checked + checked)

    def merge(self, other: OverflowCounter) -> None:
        """Add every tally of ``other`` into this counter."""
        for tally in other.tallies():
            self.record(tally.site, tally.mode, tally.events, tally.values_checked)

    def tallies(self) -> list[OverflowTally]:
        """One row per (site, mode), sorted by site then mode."""
        return [
            OverflowTally(site, mode, events, checked)
            for (site, mode), (events, checked) in sorted(self._counts.items())
        ]

    def events(self, mode: OverflowMode | None = None) -> int:
        """Total events, optionally of one mode only."""
        return sum(e for (_, m), (e, _) in self._counts.items() if mode is None or m is mode)

    def events_by_tensor_class(self) -> dict[str, int]:
        """Total events per tensor class (classes with zero events included)."""
        totals: dict[str, int] = {}
        for (site, _), (events, _) in sorted(self._counts.items()):
            totals[site.tensor_class] = totals.get(site.tensor_class, 0) + events
        return totals


def fit(
    values: IntArray,
    total_bits: int,
    signed: bool,
    mode: OverflowMode,
    counter: OverflowCounter,
    site: OverflowSite,
) -> IntArray:
    """``values`` brought into a ``total_bits`` word by ``mode``; events are recorded at
    ``site``.  Returns ``values`` itself (not a copy) when nothing overflowed."""
    require_int64_width(total_bits + (0 if signed else 1), "overflow target word")
    low, high = integer_range(total_bits, signed)
    if values.size == 0 or (int(values.min()) >= low and int(values.max()) <= high):
        counter.record(site, mode, 0, values.size)
        return values
    outside = (values < low) | (values > high)
    counter.record(site, mode, int(np.count_nonzero(outside)), values.size)
    if mode is OverflowMode.SATURATE:
        return np.clip(values, low, high)
    return wrap(values, total_bits, signed)


def wrap(values: IntArray, total_bits: int, signed: bool) -> IntArray:
    """Two's-complement wrap to ``total_bits`` (keep the low bits, reinterpret the sign)."""
    low_bits = values & ((1 << total_bits) - 1)
    if not signed:
        return low_bits
    return low_bits - ((low_bits >> (total_bits - 1)) << total_bits)
