"""Pricing a run's counts: every picojoule of ``layers.csv`` and of the summary comes from here.

Fresh runs (``results.collect``) and re-priced ones (``results.reprice``) call the same
functions on the same counts in the same order, so a stored run re-priced under a table has
exactly — to the last bit — the energies of a fresh run with that table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from fdsim.cost.area import UnitArea
from fdsim.cost.energy import arithmetic_energy_pj, dram_energy_pj, sram_energy_pj_per_byte
from fdsim.counts import Arith, Direction, UnitCounts, total
from fdsim.schedule.ops import buffer_spec
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec

PJ_PER_MW_SECOND = 1e9
DYNAMIC_COLUMNS = ("compute_energy_pj", "sram_energy_pj", "dram_energy_pj")


def unit_energy(
    counts: UnitCounts,
    leakage_mw: float,
    cycles: int,
    hardware: HardwareSpec,
    table: EnergyTable,
) -> dict[str, float]:
    """The energy columns of one ``layers.csv`` row (pJ): a unit's counts in one layer priced
    by ``table`` (compute, SRAM, DRAM), and its leakage of ``leakage_mw`` over the layer's
    ``cycles``."""
    compute = sum(
        n * arithmetic_energy_pj(table.int_mult if op is Arith.MULT else table.int_add, bits)
        for (op, bits), n in counts.arith.items()
    )
    sram = 0.0
    for (buffer, direction), nbytes in counts.sram_bytes.items():
        spec = buffer_spec(hardware, buffer)
        per_byte = sram_energy_pj_per_byte(
            table.sram, spec.size_bytes // spec.banks, write=direction is Direction.WRITE
        )
        sram += nbytes * per_byte
    reads = total(counts.dram_bytes, Direction.READ)
    writes = total(counts.dram_bytes, Direction.WRITE)
    dram = dram_energy_pj(table, reads, writes)
    leakage = leakage_mw * (cycles * (1 / hardware.clock_hz)) * PJ_PER_MW_SECOND
    return {
        "compute_energy_pj": compute,
        "sram_energy_pj": sram,
        "dram_energy_pj": dram,
        "leakage_energy_pj": leakage,
        "energy_pj": compute + sram + dram + leakage,
    }


def priced_summary(
    summary: dict[str, Any],
    layers: pd.DataFrame,
    areas: Iterable[UnitArea],
    hardware: HardwareSpec,
) -> dict[str, Any]:
    """``summary`` with its energy, area and leakage entries computed from ``layers``' energy
    columns and ``areas``: the step's and each phase's dynamic energy, leakage over the step's
    ``total_cycles`` and each phase's ``cycles``, per-image energy and GOPS/W. Reads the
    summary's ``total_cycles``, ``time_s``, ``batch_size``, ``performed_ops``,
    ``spatial_equivalent_ops`` and ``phases[p].cycles``."""
    areas = list(areas)
    leakage_mw = sum(area.leakage_mw for area in areas)
    seconds = summary["total_cycles"] / hardware.clock_hz
    leakage_pj = leakage_mw * seconds * PJ_PER_MW_SECOND
    dynamic = {column: float(layers[column].sum()) for column in DYNAMIC_COLUMNS}
    energy_pj = sum(dynamic.values()) + leakage_pj
    joules = energy_pj * 1e-12
    phases = {}
    for phase, totals in summary["phases"].items():
        rows = layers[layers["phase"] == phase]
        phase_dynamic = float(rows[list(DYNAMIC_COLUMNS)].sum().sum())
        phase_leakage = leakage_mw * totals["cycles"] / hardware.clock_hz * PJ_PER_MW_SECOND
        phases[phase] = {
            **totals,
            "dynamic_energy_pj": phase_dynamic,
            "leakage_energy_pj": phase_leakage,
            "energy_pj": phase_dynamic + phase_leakage,
        }
    return {
        **summary,
        "energy_pj": energy_pj,
        **dynamic,
        "leakage_energy_pj": leakage_pj,
        "area_mm2": {area.unit: area.area_mm2 for area in areas},
        "total_area_mm2": sum(area.area_mm2 for area in areas),
        "leakage_mw": {area.unit: area.leakage_mw for area in areas},
        "energy_per_image_pj": energy_pj / summary["batch_size"],
        **{
            f"{name}_gops_per_w": summary[f"{name}_ops"] / joules / 1e9 if joules else 0.0
            for name in ("performed", "spatial_equivalent")
        },
        "phases": phases,
    }
