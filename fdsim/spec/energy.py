"""The per-action energy table: what one primitive action costs, with a source for every number.

The simulator counts primitive actions (a real multiply of so many bits, a real add, SRAM and
DRAM bytes); ``fdsim.cost`` prices them with this table. Bit-widths between the table's rows are
priced by the stated scaling rule from the nearest row, so the rule is data, not code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fdsim.spec.origin import Located

MAX_OPERAND_BITS = 128
MAX_WIDTH_EXPONENT = 4.0
MAX_TABLE_BANK_BYTES = 1 << 40
MAX_ENERGY_PJ = 1e6
"""Largest energy of one action or byte (1 µJ, some 10^4 times a DRAM byte), so that totals of
int64 counts stay finite."""
MAX_AREA_UM2 = 1e12
MAX_LEAKAGE_MW = 1e6


class _Spec(BaseModel):
    # Every number finite: an infinite energy or area would price every run at inf.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ArithmeticEntry(_Spec):
    """One row of an arithmetic table: an operation at ``bits`` operand width."""

    bits: int = Field(ge=1, le=MAX_OPERAND_BITS)
    energy_pj: float = Field(gt=0, le=MAX_ENERGY_PJ)
    area_um2: float = Field(gt=0, le=MAX_AREA_UM2)
    source: str = Field(min_length=1)


class ArithmeticTable(_Spec):
    """Energy and area of one operation for several widths. Another width is priced from the
    nearest row as ``value × (bits / row_bits) ** exponent`` (2 for multipliers, whose partial
    products grow with the square of the width; 1 for adders)."""

    exponent: float = Field(gt=0, le=MAX_WIDTH_EXPONENT)
    exponent_source: str = Field(min_length=1)
    entries: tuple[ArithmeticEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_widths(self) -> ArithmeticTable:
        widths = [entry.bits for entry in self.entries]
        if len(set(widths)) != len(widths):
            raise ValueError(f"each bits value may appear once, got {widths}")
        return self


class SramEntry(_Spec):
    """Access energy of an SRAM array (one bank) of ``bank_size_bytes``."""

    bank_size_bytes: int = Field(gt=0, le=MAX_TABLE_BANK_BYTES)
    read_energy_pj_per_byte: float = Field(gt=0, le=MAX_ENERGY_PJ)
    write_energy_pj_per_byte: float = Field(gt=0, le=MAX_ENERGY_PJ)
    source: str = Field(min_length=1)


class SramTable(_Spec):
    """SRAM costs. Access energy between rows is interpolated linearly in log(size) (and held
    constant beyond the first and last rows); area and leakage scale with capacity."""

    entries: tuple[SramEntry, ...] = Field(min_length=1)
    area_um2_per_byte: float = Field(gt=0, le=MAX_AREA_UM2)
    leakage_mw_per_kib: float = Field(ge=0, le=MAX_LEAKAGE_MW)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_sizes(self) -> SramTable:
        sizes = [entry.bank_size_bytes for entry in self.entries]
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"each bank_size_bytes may appear once, got {sizes}")
        return self


class DramTable(_Spec):
    read_energy_pj_per_byte: float = Field(gt=0, le=MAX_ENERGY_PJ)
    write_energy_pj_per_byte: float = Field(gt=0, le=MAX_ENERGY_PJ)
    source: str = Field(min_length=1)


class LogicLeakage(_Spec):
    """Static power of logic, per area of the units it is charged to."""

    leakage_mw_per_mm2: float = Field(ge=0, le=MAX_LEAKAGE_MW)
    source: str = Field(min_length=1)


class EnergyTable(_Spec, Located):
    name: str
    technology_node_nm: int = Field(gt=0, le=10_000)
    source: str = Field(min_length=1, description="where the table as a whole comes from")
    int_mult: ArithmeticTable
    int_add: ArithmeticTable
    sram: SramTable
    dram: DramTable
    logic: LogicLeakage
