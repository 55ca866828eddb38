"""The pipeline, top to bottom: load → compile → simulate → count → price → collect.

Every public entry point of fdsim goes through ``run``; the CLI only parses arguments and
writes what this returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256
from pathlib import Path
from typing import Any

from fdsim import __version__
from fdsim.errors import SpecFieldError
from fdsim.results import RunResult, collect, with_numerics
from fdsim.schedule.bounds import layer_bounds
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import TRAINING_STEP, Phase
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate
from fdsim.sim.functional import functional_numerics, reduction_tiles_of
from fdsim.spec.load import (
    Loaded,
    canonical_hash,
    energy_table_path,
    load_energy_table,
    load_hardware,
    load_workload,
)


def run(
    hardware_path: Path,
    workload_path: Path,
    phases: Iterable[Phase] = TRAINING_STEP,
    *,
    functional: bool = False,
    seed: int = 0,
) -> RunResult:
    """Simulate one training step of a workload on a hardware configuration: the selected
    ``phases`` (default all: fwd, bwd_data, bwd_weight, update; ``{Phase.FORWARD}`` is
    inference). With ``functional``, a mini-batch of seeded data (``seed``) also runs through
    the bit-true datapath with the schedule's tiling, and the result carries per-layer SQNR
    against the float64 reference and overflow counts (``RunResult.numerics``); the cycles do
    not change. Raises ``PhaseSelectionError`` for a selection missing a needed phase and
    ``ConfigError`` for bad input files (or a hardware without ``fft.arithmetic`` when
    ``functional``)."""
    hardware = load_hardware(hardware_path)
    workload = load_workload(workload_path)
    table = load_energy_table(energy_table_path(hardware))
    try:
        schedule = compile_schedule(workload.spec, hardware.spec, phases)
    except SpecFieldError as problem:
        origins = {"hardware": hardware.origin, "workload": workload.origin}
        raise origins[problem.spec].error(problem) from None
    numerics = None
    if functional:
        fft = hardware.spec.fft
        if fft is None or fft.arithmetic is None:
            missing = SpecFieldError(
                "hardware", ("fft", "arithmetic"), "required for --functional, missing"
            )
            raise hardware.origin.error(missing)
        tiles = reduction_tiles_of(schedule)
        selected = {phase.value for phase in schedule.phases}
        numerics = functional_numerics(workload.spec, hardware.spec, tiles, selected, seed)
    trace = simulate(schedule, hardware.spec)
    counts = count(schedule, trace)
    bounds = layer_bounds(schedule, hardware.spec)
    manifest = _manifest(hardware, workload, table)
    result = collect(
        schedule, counts, bounds, trace.total_cycles, hardware.spec, table.spec, manifest
    )
    return result if numerics is None else with_numerics(result, numerics, seed)


def _manifest(*specs: Loaded[Any]) -> dict[str, Any]:
    kinds = ("hardware", "workload", "energy_table")
    hashes = {kind: canonical_hash(loaded.spec) for kind, loaded in zip(kinds, specs, strict=True)}
    return {
        "fdsim_version": __version__,
        "inputs": {kind: loaded.origin.path for kind, loaded in zip(kinds, specs, strict=True)},
        "spec_sha256": hashes,
        "run_id": canonical_run_id(hashes),
    }


def canonical_run_id(hashes: dict[str, str]) -> str:
    """A short id of a run's inputs: equal specs (whatever their file names), equal ids."""
    joined = ",".join(f"{kind}={digest}" for kind, digest in sorted(hashes.items()))
    return sha256(joined.encode()).hexdigest()[:12]
