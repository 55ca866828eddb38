"""The typed summary of a run: one training step's totals, per phase, and what produced them.

``summary.json`` is :meth:`Summary.to_json`, read back by :meth:`Summary.from_json`. Energies
are in pJ, times in s, areas in mm², static power in mW; totals are over the phases simulated.
``Summary`` is also a read-only mapping by the JSON keys (``summary["total_cycles"]``), for
readers written against the JSON; new code reads the attributes (``numerics`` included:
:class:`NumericsTotals`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
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
class LowestSqnr:
    """A phase's least accurate tensor; ``sqnr_db`` None for an exact one (infinite SQNR, which
    JSON cannot hold)."""

    layer: str
    tensor: str
    sqnr_db: float | None


@dataclass(frozen=True)
class LostTensor:
    """A tensor whose varying part is below the threshold; ``sqnr_varying_db`` None when
    nothing of it survives (−∞ dB)."""

    layer: str
    phase: str
    tensor: str
    sqnr_varying_db: float | None


@dataclass(frozen=True)
class InformationLost:
    threshold_db: float
    tensors: list[LostTensor]


@dataclass(frozen=True)
class NumericsTotals:
    """A functional run's totals (``results.numerics_summary``): the data's ``source`` and the
    parameters' ``seed``, overflow and underflow events in all and by site (sites with events
    only), the lowest SQNR per phase, the tensors whose information is lost."""

    source: str
    seed: int
    overflow_events: int
    values_checked: int
    lowest_sqnr_by_phase: dict[str, LowestSqnr]
    overflow_events_by_site: dict[str, int]
    underflow_events: int
    underflow_events_by_site: dict[str, int]
    information_lost: InformationLost

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NumericsTotals:
        """The totals of an ``asdict`` object; ``TypeError`` naming a missing or unknown key."""
        lowest = {phase: LowestSqnr(**row) for phase, row in data["lowest_sqnr_by_phase"].items()}
        lost = data["information_lost"]
        tensors = [LostTensor(**row) for row in lost["tensors"]]
        return cls(
            **{
                **data,
                "lowest_sqnr_by_phase": lowest,
                "information_lost": InformationLost(**{**lost, "tensors": tensors}),
            }
        )


@dataclass(frozen=True)
class MemoryBandwidth:
    """One memory's bandwidth over the step, both directions (``fdsim.bandwidth``: the
    definitions; its bytes are ``bandwidth.csv``'s step row): the ``level`` (sram, dram) and
    ``memory`` (an SRAM buffer, or ``all``: the whole level), the average over the step and
    the peak, in GB/s (10⁹ bytes per second), and the layer × phase with the highest average
    on it, with that average."""

    level: str
    memory: str
    average_gb_per_s: float
    peak_gb_per_s: float
    busiest_layer: str
    busiest_phase: str
    busiest_average_gb_per_s: float


@dataclass(frozen=True)
class Summary(Mapping[str, Any]):
    """The step's totals (``energy_pj`` = dynamic components + ``leakage_energy_pj``), per-unit
    area and leakage, throughput (``performed`` ops the units counted, ``spatial_equivalent``
    those of direct convolutions), the phases' spans (``phase_cycles_sum −
    phase_overlap_cycles + phase_gap_cycles = total_cycles``), the mapping and reduction tiles
    by phase and layer, the manifest, the step's bandwidth per memory, and the sections
    ``linearity`` and (functional runs) ``numerics`` (None: absent from the JSON)."""

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
    numerics: NumericsTotals | None = None
    # per phase and layer, a GEMM step's tiling as numbers (absent from older summaries)
    tiles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # per memory, the step's average and peak bandwidth (absent from older summaries)
    bandwidth: list[MemoryBandwidth] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``summary.json`` (JSON values only; absent sections left out)."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["phases"] = {phase: asdict(totals) for phase, totals in self.phases.items()}
        data["numerics"] = None if self.numerics is None else asdict(self.numerics)
        data["bandwidth"] = [asdict(memory) for memory in self.bandwidth]
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        """The summary of a ``to_json`` object; ``TypeError`` naming a missing or unknown key."""
        phases = {phase: PhaseTotals(**totals) for phase, totals in data["phases"].items()}
        numerics = data.get("numerics")
        if numerics is not None:
            numerics = NumericsTotals.from_json(numerics)
        bandwidth = [MemoryBandwidth(**memory) for memory in data.get("bandwidth", [])]
        return cls(**{**data, "phases": phases, "numerics": numerics, "bandwidth": bandwidth})

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
