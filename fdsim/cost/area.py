"""Area and leakage of the hardware's units, derived from the energy table's primitive areas.

Each unit is counted as the arithmetic it instantiates (a documented structural estimate, not a
synthesis result): an FFT engine is a radix-2 (R2SDF) or radix-2² (R2²SDF) single-path
delay-feedback pipeline with its delay memory, a CMAC lane a complex multiplier plus a complex
accumulator, a streaming lane the adders/multipliers of its operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.cost.energy import arithmetic_area_um2
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec


@dataclass(frozen=True)
class UnitArea:
    """Area of one unit kind (all instances), in mm², and its static power in mW."""

    unit: str
    area_mm2: float
    leakage_mw: float


def _logic(unit: str, area_um2: float, table: EnergyTable) -> UnitArea:
    area_mm2 = area_um2 / 1e6
    return UnitArea(unit, area_mm2, area_mm2 * table.logic.leakage_mw_per_mm2)


def unit_areas(hardware: HardwareSpec, table: EnergyTable) -> list[UnitArea]:
    """Area and leakage of every unit the hardware has, plus its SRAM (unit ``sram``)."""
    numerics = hardware.numerics
    mult = table.int_mult
    add = table.int_add
    spectral_bits = numerics.spectra.total_bits
    mult_bits = max(spectral_bits, numerics.twiddles.total_bits, numerics.weights.total_bits)
    out: list[UnitArea] = []
    if hardware.fft is not None:
        fft = hardware.fft
        stages = fft.max_points.bit_length() - 1
        multipliers = stages // 2 - 1 if fft.radix == 4 else stages - 1
        mults, adds = fft.complex_multiplier.real_ops
        per_path = (
            max(multipliers, 0)
            * (
                mults * arithmetic_area_um2(mult, mult_bits)
                + adds * arithmetic_area_um2(add, spectral_bits)
            )
            + stages * 4 * arithmetic_area_um2(add, spectral_bits)
            + (fft.max_points - 1)
            * 2
            * numerics.spectra.storage_bytes
            * table.sram.area_um2_per_byte
        )
        out.append(_logic("fft", fft.count * fft.samples_per_cycle * per_path, table))
    if hardware.cmac is not None:
        mults, adds = hardware.cmac.multiplier.real_ops
        lane = (
            mults * arithmetic_area_um2(mult, mult_bits)
            + adds * arithmetic_area_um2(add, spectral_bits)
            + 2 * arithmetic_area_um2(add, numerics.accumulators.total_bits)
        )
        out.append(_logic("cmac", hardware.cmac.lanes * lane, table))
    if hardware.crop is not None:
        lane = 2 * arithmetic_area_um2(add, spectral_bits)
        out.append(_logic("crop", hardware.crop.elements_per_cycle * lane, table))
    if hardware.activation is not None:
        lane = 2 * arithmetic_area_um2(mult, spectral_bits) + arithmetic_area_um2(
            add, spectral_bits
        )
        out.append(_logic("activation", hardware.activation.elements_per_cycle * lane, table))
    if hardware.update is not None:
        lane = arithmetic_area_um2(mult, numerics.weights.total_bits) + arithmetic_area_um2(
            add, numerics.weights.total_bits
        )
        out.append(_logic("update", hardware.update.elements_per_cycle * lane, table))
    if hardware.systolic_array is not None:
        array = hardware.systolic_array
        pe = arithmetic_area_um2(mult, numerics.weights.total_bits) + arithmetic_area_um2(
            add, numerics.accumulators.total_bits
        )
        out.append(_logic("systolic_array", array.rows * array.cols * pe, table))
    sram_bytes = sum_sram_bytes(hardware)
    out.append(
        UnitArea(
            "sram",
            sram_bytes * table.sram.area_um2_per_byte / 1e6,
            sram_bytes / 1024 * table.sram.leakage_mw_per_kib,
        )
    )
    return out


def sum_sram_bytes(hardware: HardwareSpec) -> int:
    buffers = hardware.buffers
    total = buffers.activations.size_bytes + buffers.weights.size_bytes
    total += buffers.gradients.size_bytes
    return total + (buffers.outputs.size_bytes if buffers.outputs else 0)
