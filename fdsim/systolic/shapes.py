"""Placeholder shapes (replaced by the systolic model)."""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.spec.hardware import Dataflow


@dataclass(frozen=True, slots=True)
class GemmShape:
    m: int
    k: int
    n: int


@dataclass(frozen=True, slots=True)
class ArrayShape:
    rows: int
    cols: int
    dataflow: Dataflow
