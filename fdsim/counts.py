"""What a run counts, and the keys it counts by: the vocabulary shared by the simulator (which
counts), ``cost/`` (which prices) and ``results`` (which keeps and reloads the counts).

A layer's counts are per unit: ops, busy cycles, stalls by cause, arithmetic operations by
(operation, operand bits), SRAM bytes by (buffer, direction) and DRAM bytes by (tensor,
direction). ``counts.csv`` keeps the priced part of them — the arithmetic and the bytes — as
one row per layer × phase × unit × key (:data:`COUNT_COLUMNS`), in the order they were
counted, so that pricing a reloaded run adds the same numbers in the same order as pricing a
fresh one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fdsim.vocabulary import Buffer, Tensor, Unit
from fdsim.vocabulary import Direction as Direction  # re-exported


class Arith(StrEnum):
    """The primitive arithmetic operations the unit models count (priced in ``cost/``)."""

    MULT = "mult"
    ADD = "add"


class StallCause(StrEnum):
    """Why an op of a unit waited (per-unit stalls)."""

    DRAM_BANDWIDTH = "dram_bandwidth"  # waiting while a DMA transfer it needs streams
    DRAM_LATENCY = "dram_latency"  # waiting out that transfer's DRAM latency (channel free)
    DEPENDENCY = "dependency"  # waiting for another compute unit's result, not yet started
    UNIT_BUSY = "unit_busy"  # ... while that unit computes it
    BUFFER_FULL = "buffer_full"  # waiting for SRAM space to be freed
    SRAM_BANK = "sram_bank"  # waiting for SRAM bank ports other units' ops hold
    SRAM_BANDWIDTH = "sram_bandwidth"  # running slower than compute because of SRAM ports


class CriticalCause(StrEnum):
    """Why a layer's span exceeds its busiest unit's busy time (see ``sim/counters.py``)."""

    DRAM_BANDWIDTH = "dram_bandwidth"
    DRAM_LATENCY = "dram_latency"
    DEPENDENCY = "dependency"
    UNIT_BUSY = "unit_busy"
    BUFFER_FULL = "buffer_full"
    SRAM_BANK = "sram_bank"
    OTHER_LAYERS = "other_layers"
    DRAIN = "drain"


class AreaPart(StrEnum):
    """Hardware with area and leakage that executes no ops of its own: the SRAM buffers (all of
    them: the ``sram`` rows of ``layers.csv``)."""

    SRAM = "sram"


Part = Unit | AreaPart
"""What ``layers.csv`` has rows for and area is priced for: a unit, or an :class:`AreaPart`."""

_PARTS: dict[str, Part] = {part.value: part for part in (*Unit, *AreaPart)}


def part_named(name: str) -> Part:
    """The part a ``layers.csv`` or ``counts.csv`` ``unit`` value names."""
    return _PARTS[name]


class CountKind(StrEnum):
    """What a ``counts.csv`` row counts: arithmetic operations, SRAM bytes or DRAM bytes."""

    ARITH = "arith"
    SRAM = "sram"
    DRAM = "dram"


ArithKey = tuple[Arith, int]  # (operation, operand bits)
SramKey = tuple[Buffer, Direction]
DramKey = tuple[Tensor, Direction]

COUNT_COLUMNS = ["layer", "phase", "unit", "kind", "action", "bits", "memory", "count"]
"""``counts.csv``: ``kind`` a :class:`CountKind`; ``action`` the operation (mult, add) or the
direction (read, write); ``bits`` the operand width of an operation (0 for bytes); ``memory``
the buffer (SRAM) or tensor (DRAM) of bytes ("" for operations); ``count`` operations or
bytes."""


@dataclass
class UnitCounts:
    """What one unit did in one layer (layer × phase)."""

    ops: int = 0
    busy_cycles: int = 0
    last_end_cycle: int = 0  # when the unit finished its last op of the layer
    stall_cycles: Counter[StallCause] = field(default_factory=Counter)
    arith: Counter[ArithKey] = field(default_factory=Counter)
    sram_bytes: Counter[SramKey] = field(default_factory=Counter)
    dram_bytes: Counter[DramKey] = field(default_factory=Counter)


@dataclass(frozen=True)
class LayerCounts:
    """A layer's span (first op start to last result usable), what each unit did in it, its
    busiest unit (None without ops) and its critical-path stalls (sum: ``cycles`` minus the
    busiest unit's busy cycles)."""

    start_cycle: int
    end_cycle: int
    units: dict[Unit, UnitCounts]
    busiest: Unit | None = None
    critical_stalls: Counter[CriticalCause] = field(default_factory=Counter)

    @property
    def cycles(self) -> int:
        return self.end_cycle - self.start_cycle


def count_rows(counts: UnitCounts) -> Iterator[tuple[CountKind, str, int, str, int]]:
    """``counts``' priced part as (kind, action, bits, memory, count), in counting order."""
    for (operation, bits), n in counts.arith.items():
        yield CountKind.ARITH, operation.value, bits, "", n
    for (buffer, direction), nbytes in counts.sram_bytes.items():
        yield CountKind.SRAM, direction.value, 0, buffer.value, nbytes
    for (tensor, direction), nbytes in counts.dram_bytes.items():
        yield CountKind.DRAM, direction.value, 0, tensor.value, nbytes


def priced_counts(rows: Iterable[Mapping[Any, Any]]) -> UnitCounts:
    """The priced part of a unit's counts back from its ``counts.csv`` rows (in file order):
    the inverse of :func:`count_rows` (the other fields stay zero)."""
    counts = UnitCounts()
    for row in rows:
        kind, action, n = CountKind(row["kind"]), row["action"], int(row["count"])
        if kind is CountKind.ARITH:
            counts.arith[(Arith(action), int(row["bits"]))] += n
        elif kind is CountKind.SRAM:
            counts.sram_bytes[(Buffer(row["memory"]), Direction(action))] += n
        else:
            counts.dram_bytes[(Tensor(row["memory"]), Direction(action))] += n
    return counts


def total(counts: Counter[Any], which: Arith | Direction) -> int:
    """Sum of a two-part-keyed counter over the keys one part of which is ``which``."""
    return sum(n for key, n in counts.items() if which in key)
