"""Range events — overflow (wrap or saturate) and underflow — and the counter that makes
them visible.

Every function that can overflow takes an ``OverflowCounter`` and an ``OverflowSite``
explicitly; there is no global tally.  An *overflow event* is one real integer (a real part and
an imaginary part count separately) that did not fit its word before wrap or saturation.  An
*underflow event* is one real value that was nonzero before a rounding step (a float
quantised, low bits dropped by a shift) and is zero after it: every significant bit of it fell
below the LSB kept (:func:`lost_to_zero`).  Truncation toward −∞ turns a small negative value
into −1 LSB, not zero: that bias is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.formats import IntArray, integer_range, require_int64_width
from fdsim.spec.numerics import OverflowMode


@dataclass(frozen=True, order=True)
class OverflowSite:
    """Where values are fitted: the tensor class they belong to (``"spectra"``,
    ``"accumulators"`` …), a dotted site name inside the datapath (``"fft.stage2"``) and, in a
    network, the ``layer`` and training ``phase`` (``"fwd"`` …) the datapath ran for (empty
    outside one).  Layer and phase are fields, never parsed from ``name``: a layer may be
    named ``"conv.1"``."""

    tensor_class: str
    name: str
    layer: str = ""
    phase: str = ""

    @property
    def label(self) -> str:
        """The site as one dotted string for reports: ``"<layer>.<phase>.<name>"``."""
        return ".".join(part for part in (self.layer, self.phase, self.name) if part)

    def child(self, part: str) -> OverflowSite:
        """The same tensor class, layer and phase one level down: ``fft`` → ``fft.<part>``."""
        return replace(self, name=f"{self.name}.{part}")

    def sort_key(self) -> tuple[str, str, str, str]:
        """Tallies are listed by tensor class, layer, phase, then name."""
        return self.tensor_class, self.layer, self.phase, self.name


@dataclass(frozen=True)
class OverflowTally:
    """Totals for one (site, mode): values that overflowed, values checked and values that
    underflowed (nonzero before rounding, zero after) on their way into the site's word."""

    site: OverflowSite
    mode: OverflowMode
    events: int
    values_checked: int
    underflow_events: int = 0


class OverflowCounter:
    """Accumulates overflow and underflow events by site and mode.  Mutable on purpose: the
    simulator passes one counter through a run and reads the totals at the end."""

    def __init__(self) -> None:
        self._counts: dict[tuple[OverflowSite, OverflowMode], tuple[int, int, int]] = {}

    def record(
        self,
        site: OverflowSite,
        mode: OverflowMode,
        events: int,
        checked: int,
        underflows: int = 0,
    ) -> None:
        """Add ``events`` overflowed values out of ``checked`` at ``site``, and ``underflows``
        values rounded to zero on their way there."""
        key = (site, mode)
        old = self._counts.get(key, (0, 0, 0))
        self._counts[key] = (old[0] + events, old[1] + checked, old[2] + underflows)

    def merge(self, other: OverflowCounter) -> None:
        """Add every tally of ``other`` into this counter."""
        for tally in other.tallies():
            self.record(
                tally.site, tally.mode, tally.events, tally.values_checked, tally.underflow_events
            )

    def tallies(self) -> list[OverflowTally]:
        """One row per (site, mode), sorted by :meth:`OverflowSite.sort_key` then mode."""
        ordered = sorted(self._counts.items(), key=lambda kv: (kv[0][0].sort_key(), kv[0][1]))
        return [
            OverflowTally(site, mode, events, checked, underflows)
            for (site, mode), (events, checked, underflows) in ordered
        ]

    def events(self, mode: OverflowMode | None = None) -> int:
        """Total overflow events, optionally of one mode only."""
        return sum(e for (_, m), (e, _, _) in self._counts.items() if mode is None or m is mode)

    def underflow_events(self) -> int:
        """Total underflow events."""
        return sum(u for _, _, u in self._counts.values())

    def events_by_tensor_class(self) -> dict[str, int]:
        """Total overflow events per tensor class (classes with zero events included)."""
        totals: dict[str, int] = {}
        for tally in self.tallies():
            cls = tally.site.tensor_class
            totals[cls] = totals.get(cls, 0) + tally.events
        return totals


def lost_to_zero(exact: npt.NDArray[np.generic], rounded: npt.NDArray[np.generic]) -> int:
    """Underflow events of one rounding step: elements nonzero in ``exact`` (before it) and
    zero in ``rounded`` (after it, same shape)."""
    # Every rounding mode takes 0 to 0, so the zeros of ``exact`` are zeros of ``rounded``:
    # the difference of the two counts (cheaper than a third mask) is the values lost.
    return int(np.count_nonzero(rounded == 0)) - int(np.count_nonzero(exact == 0))


def fit(
    values: IntArray,
    total_bits: int,
    signed: bool,
    mode: OverflowMode,
    counter: OverflowCounter,
    site: OverflowSite,
    underflows: int = 0,
) -> IntArray:
    """``values`` brought into a ``total_bits`` word by ``mode``; events are recorded at
    ``site`` with ``underflows``, the values the rounding that produced ``values`` took to
    zero (:func:`lost_to_zero`).  Returns ``values`` itself (not a copy) when nothing
    overflowed."""
    require_int64_width(total_bits + (0 if signed else 1), "overflow target word")
    low, high = integer_range(total_bits, signed)
    if values.size == 0 or (int(values.min()) >= low and int(values.max()) <= high):
        counter.record(site, mode, 0, values.size, underflows)
        return values
    outside = (values < low) | (values > high)
    counter.record(site, mode, int(np.count_nonzero(outside)), values.size, underflows)
    if mode is OverflowMode.SATURATE:
        return np.clip(values, low, high)
    return wrap(values, total_bits, signed)


def wrap(values: IntArray, total_bits: int, signed: bool) -> IntArray:
    """Two's-complement wrap to ``total_bits`` (keep the low bits, reinterpret the sign)."""
    low_bits = values & ((1 << total_bits) - 1)
    if not signed:
        return low_bits
    return low_bits - ((low_bits >> (total_bits - 1)) << total_bits)
