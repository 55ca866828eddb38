"""Bytes and bandwidth per layer × phase × memory × direction: the rows ``sim/bandwidth.py``
measures from a trace, as the tidy table ``bandwidth.csv`` and the summary's per-memory
figures.

A row covers one *scope* — a layer × phase, or the whole step (``layer`` and ``phase`` "") —
and one selection of traffic: a ``level`` (``sram``, ``dram``), a ``memory`` (an SRAM buffer,
or a DRAM tensor: SRAM traffic is known per buffer only, since compute ops do not say which
tensor they move) or :data:`ALL` of the level's memories, and a ``direction`` (read, write)
or :data:`ALL`. Its ``bytes`` are exact; over its ``span_cycles`` (the layer's span, first
op start to last result usable, as ``layers.csv``'s ``layer_cycles``; the step's total
cycles) they give the **average** bandwidth. The **peak** is the largest rate the selection
ever reaches: each op's bytes of the selection are spread uniformly over its busy interval
[start, end), and the peak is the maximum over time of the sum of the rates of the ops busy at
that instant (exact: the rate is piecewise constant and rises only where an op starts). Both
are exact rationals in bytes per cycle; GB/s (10⁹ bytes per second at the hardware's clock)
and the floats of the table are rounded from them only when the table is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from fdsim.counts import CountKind
from fdsim.summary import MemoryBandwidth

ALL = "all"
"""``memory`` or ``direction`` of a row that sums every memory of its level or both
directions."""

STEP = ""
"""``layer`` and ``phase`` of a row over the whole step."""

BANDWIDTH_COLUMNS = [
    "layer",
    "phase",
    "level",
    "memory",
    "direction",
    "bytes",
    "span_cycles",
    "average_bytes_per_cycle",
    "average_gb_per_s",
    "peak_bytes_per_cycle",
    "peak_gb_per_s",
]


@dataclass(frozen=True)
class BandwidthRow:
    """One row of ``bandwidth.csv``, exact: ``bytes`` moved over ``span_cycles``, and the
    peak rate ``peak_bytes_per_cycle`` (module docstring)."""

    layer: str
    phase: str
    level: CountKind
    memory: str
    direction: str
    bytes: int
    span_cycles: int
    peak_bytes_per_cycle: Fraction

    @property
    def average_bytes_per_cycle(self) -> Fraction:
        return Fraction(self.bytes, self.span_cycles)


def gb_per_s(bytes_per_cycle: Fraction, clock_hz: float) -> Fraction:
    """A rate in bytes per cycle as 10⁹ bytes per second at ``clock_hz`` (exact)."""
    return bytes_per_cycle * Fraction(clock_hz) / 10**9


def bandwidth_frame(rows: list[BandwidthRow], clock_hz: float) -> pd.DataFrame:
    """``rows`` as the table ``bandwidth.csv`` (:data:`BANDWIDTH_COLUMNS`), each rate the
    float nearest its exact value."""
    records = [
        (
            row.layer,
            row.phase,
            row.level.value,
            row.memory,
            row.direction,
            row.bytes,
            row.span_cycles,
            float(row.average_bytes_per_cycle),
            float(gb_per_s(row.average_bytes_per_cycle, clock_hz)),
            float(row.peak_bytes_per_cycle),
            float(gb_per_s(row.peak_bytes_per_cycle, clock_hz)),
        )
        for row in rows
    ]
    return pd.DataFrame(records, columns=BANDWIDTH_COLUMNS)


def memory_bandwidths(rows: list[BandwidthRow], clock_hz: float) -> list[MemoryBandwidth]:
    """The summary's ``bandwidth``: per memory of the step — DRAM as a whole, each SRAM buffer,
    and all SRAM together — its average and peak over the step (both directions), and the
    layer × phase with the highest average bandwidth on it (the first of equals)."""
    step = [
        row
        for row in rows
        if row.layer == STEP
        and row.direction == ALL
        and (row.level is CountKind.SRAM or row.memory == ALL)
    ]
    result = []
    for total in step:
        layers = [
            row
            for row in rows
            if row.layer != STEP
            and (row.level, row.memory, row.direction) == (total.level, total.memory, ALL)
        ]
        busiest = max(layers, key=lambda row: row.average_bytes_per_cycle)
        result.append(
            MemoryBandwidth(
                level=total.level.value,
                memory=total.memory,
                average_gb_per_s=float(gb_per_s(total.average_bytes_per_cycle, clock_hz)),
                peak_gb_per_s=float(gb_per_s(total.peak_bytes_per_cycle, clock_hz)),
                busiest_layer=busiest.layer,
                busiest_phase=busiest.phase,
                busiest_average_gb_per_s=float(gb_per_s(busiest.average_bytes_per_cycle, clock_hz)),
            )
        )
    return result
