"""The primitive arithmetic actions the unit models count (priced in ``cost/``)."""

from __future__ import annotations

from enum import StrEnum


class Arith(StrEnum):
    MULT = "mult"
    ADD = "add"


ArithKey = tuple[Arith, int]  # (operation, operand bits)
