"""Energy of counted actions, from an ``EnergyTable``."""

from __future__ import annotations

from math import log

from fdsim.spec.energy import ArithmeticEntry, ArithmeticTable, EnergyTable, SramTable


def _scaled(table: ArithmeticTable, bits: int) -> tuple[ArithmeticEntry, float]:
    """The nearest row (in log width; ties to the wider) and its factor (bits/row_bits)^exponent."""
    row = min(table.entries, key=lambda entry: (abs(log(bits / entry.bits)), -entry.bits))
    return row, float((bits / row.bits) ** table.exponent)


def arithmetic_energy_pj(table: ArithmeticTable, bits: int) -> float:
    """Energy of one operation at ``bits``, scaled from the nearest row."""
    row, factor = _scaled(table, bits)
    return row.energy_pj * factor


def arithmetic_area_um2(table: ArithmeticTable, bits: int) -> float:
    """Area of one operator at ``bits``, scaled from the nearest row like its energy."""
    row, factor = _scaled(table, bits)
    return row.area_um2 * factor


def sram_energy_pj_per_byte(table: SramTable, bank_size_bytes: int, *, write: bool) -> float:
    """Access energy per byte of a bank of ``bank_size_bytes``: linear in log(size) between
    rows, constant beyond the first and last rows."""
    rows = sorted(table.entries, key=lambda entry: entry.bank_size_bytes)

    def value(index: int) -> float:
        entry = rows[index]
        return entry.write_energy_pj_per_byte if write else entry.read_energy_pj_per_byte

    if bank_size_bytes <= rows[0].bank_size_bytes:
        return value(0)
    for index in range(1, len(rows)):
        upper = rows[index].bank_size_bytes
        if bank_size_bytes <= upper:
            lower = rows[index - 1].bank_size_bytes
            weight = log(bank_size_bytes / lower) / log(upper / lower)
            return value(index - 1) + weight * (value(index) - value(index - 1))
    return value(len(rows) - 1)


def dram_energy_pj(table: EnergyTable, read_bytes: int, write_bytes: int) -> float:
    return (
        read_bytes * table.dram.read_energy_pj_per_byte
        + write_bytes * table.dram.write_energy_pj_per_byte
    )
