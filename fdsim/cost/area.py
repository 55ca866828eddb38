"""Area and leakage of the hardware's units, derived from the energy table's primitive areas.

Each unit is counted as the arithmetic it instantiates (a documented structural estimate, not a
synthesis result): an FFT engine is a radix-2 (R2SDF) or radix-2² (R2²SDF) single-path
delay-feedback pipeline with its delay memory, a CMAC lane a complex multiplier plus a complex
accumulator, a streaming lane the adders/multipliers of its operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.cost.energy import arithmetic_area_um2
from fdsim.counts import AreaPart, Part
from fdsim.schedule.ops import transpose_spec
from fdsim.spec.energy import EnergyTable
from fdsim.spec.fft_structure import fft_stages, pass_input_bits
from fdsim.spec.hardware import HardwareSpec
from fdsim.vocabulary import Unit


@dataclass(frozen=True)
class UnitArea:
    """Area of one unit kind (all instances), in mm², and its static power in mW."""

    unit: Part
    area_mm2: float
    leakage_mw: float


def _logic(unit: Part, area_um2: float, table: EnergyTable) -> UnitArea:
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
        per_path = _fft_path_area_um2(hardware, table)
        out.append(
            _logic(Unit.FFT, hardware.fft.count * hardware.fft.samples_per_cycle * per_path, table)
        )
    if hardware.cmac is not None:
        mults, adds = hardware.cmac.multiplier.real_ops
        # The adders at the width the energy model prices them (sim/units.py cmac): the
        # complex product's and the accumulator's, all at the accumulator width.
        lane = mults * arithmetic_area_um2(mult, mult_bits) + (adds + 2) * arithmetic_area_um2(
            add, numerics.accumulators.total_bits
        )
        out.append(_logic(Unit.CMAC, hardware.cmac.lanes * lane, table))
    if hardware.crop is not None:
        lane = 2 * arithmetic_area_um2(add, spectral_bits)
        out.append(_logic(Unit.CROP, hardware.crop.elements_per_cycle * lane, table))
    if hardware.activation is not None:
        lane = 2 * arithmetic_area_um2(mult, spectral_bits) + arithmetic_area_um2(
            add, spectral_bits
        )
        out.append(_logic(Unit.ACTIVATION, hardware.activation.elements_per_cycle * lane, table))
    if hardware.update is not None:
        lane = arithmetic_area_um2(mult, numerics.weights.total_bits) + arithmetic_area_um2(
            add, numerics.weights.total_bits
        )
        out.append(_logic(Unit.UPDATE, hardware.update.elements_per_cycle * lane, table))
    if hardware.systolic_array is not None:
        array = hardware.systolic_array
        pe = arithmetic_area_um2(mult, numerics.weights.total_bits) + arithmetic_area_um2(
            add, numerics.accumulators.total_bits
        )
        out.append(_logic(Unit.SYSTOLIC_ARRAY, array.rows * array.cols * pe, table))
    sram_bytes = sum_sram_bytes(hardware)
    out.append(
        UnitArea(
            AreaPart.SRAM,
            sram_bytes * table.sram.area_um2_per_byte / 1e6,
            sram_bytes / 1024 * table.sram.leakage_mw_per_kib,
        )
    )
    return out


def _fft_path_area_um2(hardware: HardwareSpec, table: EnergyTable) -> float:
    """One path of the engine at ``max_points``, stage by stage (``spec/fft_structure.py``),
    sized for the widest pass it runs: per stage log₂(radix) radix-2 butterflies of 4 real
    adders at the stage's sum width, one complex multiplier at its operand width on a
    multiplying stage (one sample per clock needs one), a negating adder on a ∓j stage, and the
    delay line of S − S/radix complex words at the stage input width."""
    fft, numerics = hardware.fft, hardware.numerics
    assert fft is not None
    points = fft.max_points
    widest = max(
        bits
        for inverse in (False, True)
        for bits in pass_input_bits(fft, numerics, points, inverse)
    )
    mults, adds = fft.complex_multiplier.real_ops
    mult, add = table.int_mult, table.int_add
    area = 0.0
    for stage in fft_stages(fft, numerics, points, widest):
        butterfly_adders = 4 * (stage.radix.bit_length() - 1)
        area += butterfly_adders * arithmetic_area_um2(add, stage.sum_bits)
        if stage.multiplies:
            area += mults * arithmetic_area_um2(mult, stage.multiply_bits)
            area += adds * arithmetic_area_um2(add, stage.multiply_bits)
        if stage.rotates:
            area += arithmetic_area_um2(add, stage.output_bits)
        delay_words = stage.block_points - stage.block_points // stage.radix
        area += delay_words * 2 * stage.input_bits / 8 * table.sram.area_um2_per_byte
    return area


def sum_sram_bytes(hardware: HardwareSpec) -> int:
    """The tile buffers and, with an FFT unit, its transpose memory."""
    buffers = hardware.buffers
    total = buffers.activations.size_bytes + buffers.weights.size_bytes
    total += buffers.gradients.size_bytes
    total += transpose_spec(hardware).size_bytes if hardware.fft is not None else 0
    return total + (buffers.outputs.size_bytes if buffers.outputs else 0)
