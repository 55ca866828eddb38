"""The typed summary of a run: one training step's totals, per phase, and what produced them.

``summary.json`` is :meth:`Summary.to_json`, read back by :meth:`Summary.from_json`. Energies
are in pJ, times in s, areas in mm², static power in mW; totals are over the phases simulated.
``Summary`` is also a read-only mapping by the JSON keys (``summary["total_cycles"]``), for
readers written against the JSON; new code reads the attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class PhaseTotals:
    """One phase's span (first op start to last result usable), energy over it and DRAM
    bytes, and how its layers' spans add up to it:
    ``layer_cycles_sum − overlap_cycles + gap_cycles = cycles``."""

    start_cycle: int
    end_cycle: int
    cycles: int
    dynamic_energy_pj: float
    leakage_energy_pj: float
    energy_pj: float
    dram_read_bytes: int
    dram_write_bytes: int
    layer_cycles_sum: int
    overlap_cycles: int
    gap_cycles: int


@dataclass(frozen=True)
class Summary(Mapping[str, Any]):
    """The step's totals (``energy_pj`` = dynamic components + ``leakage_energy_pj``), per-unit
    area and leakage, throughput (``performed`` ops the units counted, ``spatial_equivalent``
    those of direct convolutions), the phases' spans (``phase_cycles_sum −
    phase_overlap_cycles + phase_gap_cycles = total_cycles``), the mapping and reduction tiles
    by phase and layer, the manifest, and the sections ``linearity`` and (functional runs)
    ``numerics`` (None: absent from the JSON)."""

    schema_version: int
    total_cycles: int
    time_s: float
    energy_pj: float
    compute_energy_pj: float
    sram_energy_pj: float
    dram_energy_pj: float
    leakage_energy_pj: float
    dram_read_bytes: int
    dram_write_bytes: int
    area_mm2: dict[str, float]
    total_area_mm2: float
    leakage_mw: dict[str, float]
    batch_size: int
    energy_per_image_pj: float
    images_per_s: float
    performed_ops: int
    performed_gops: float
    performed_gops_per_w: float
    spatial_equivalent_ops: int
    spatial_equivalent_gops: float
    spatial_equivalent_gops_per_w: float
    phase_cycles_sum: int
    phase_overlap_cycles: int
    phase_gap_cycles: int
    phases: dict[str, PhaseTotals]
    mapping: dict[str, dict[str, str]]
    reduction_tiles: dict[str, dict[str, list[int]]]
    manifest: dict[str, Any]
    linearity: dict[str, Any] | None = None
    numerics: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``summary.json`` (JSON values only; absent sections left out)."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["phases"] = {phase: asdict(totals) for phase, totals in self.phases.items()}
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        """The summary of a ``to_json`` object; ``TypeError`` naming a missing or unknown key."""
        phases = {phase: PhaseTotals(**totals) for phase, totals in data["phases"].items()}
        return cls(**{**data, "phases": phases})

    @cached_property
    def _json(self) -> dict[str, Any]:
        # the read-only mapping view converts once (the summary is frozen), not per lookup
        return self.to_json()

    def __getitem__(self, key: str) -> Any:
        return self._json[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)
