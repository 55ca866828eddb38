"""The pipeline, top to bottom: load → compile → (compute) → simulate → count → price → collect.

Every public entry point of fdsim goes through ``run``; the CLI only parses arguments and
writes what this returns. ``fdsim train`` (:mod:`fdsim.training`) reuses its steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any

from fdsim import __version__
from fdsim.errors import ConfigError, LayerSupportError, SpecFieldError
from fdsim.fixedpoint import Int64WidthError
from fdsim.fixedpoint.spectral_maps import TransformSizeError
from fdsim.nn.datasets import DatasetSource
from fdsim.nn.linearity import affine_spans, is_linear_classifier
from fdsim.nn.model import Model, build_model
from fdsim.results import RunResult, canonical_run_id, collect, with_numerics
from fdsim.schedule.bounds import layer_bounds
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import TRAINING_STEP, Phase, Schedule
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate
from fdsim.sim.functional import (
    dataset_batch,
    functional_numerics,
    reduction_tiles_of,
    seeded_batch,
)
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.load import (
    Loaded,
    canonical_hash,
    energy_table_path,
    load_energy_table,
    load_hardware,
    load_workload,
)
from fdsim.spec.workload import Workload


class Stage(StrEnum):
    """The steps of :func:`run` a progress display names, in order."""

    COMPILE = "compile"
    FUNCTIONAL = "functional"  # only with functional=True
    SIMULATE = "simulate"
    PRICE = "price"


def run(
    hardware_path: Path,
    workload_path: Path,
    phases: Iterable[Phase] = TRAINING_STEP,
    *,
    functional: bool = False,
    seed: int = 0,
    dataset: DatasetSource | None = None,
    on_stage: Callable[[Stage], None] | None = None,
) -> RunResult:
    """Simulate one training step of a workload on a hardware configuration: the selected
    ``phases`` (default all: fwd, bwd_data, bwd_weight, update; ``{Phase.FORWARD}`` is
    inference). With ``functional``, a mini-batch also runs through the bit-true datapath
    with the schedule's tiling — seeded uniform data (``seed``), or the first hold-out
    mini-batch of ``dataset`` — and the result carries per-layer SQNR against the float64
    reference and overflow counts per datapath site (``RunResult.numerics``); the cycles do
    not change. ``on_stage`` is called as each :class:`Stage` begins. Raises
    ``PhaseSelectionError`` for a selection missing a needed phase and ``ConfigError`` for
    bad input files (or, when ``functional``, a hardware whose datapath the bit-true model
    cannot compute)."""
    hardware = load_hardware(hardware_path)
    workload = load_workload(workload_path)
    table = load_energy_table(energy_table_path(hardware))
    _begin(on_stage, Stage.COMPILE)
    schedule = compile_loaded(hardware, workload, phases)
    with bit_true_limits(hardware, workload):
        model = build_model(workload.spec)
    numerics = None
    if functional:
        require_bit_true(hardware, "--functional")
        _begin(on_stage, Stage.FUNCTIONAL)
        batch = (
            seeded_batch(workload.spec, seed)
            if dataset is None
            else dataset_batch(dataset, workload.spec, seed)
        )
        tiles = reduction_tiles_of(schedule)
        selected = {phase.value for phase in schedule.phases}
        with bit_true_limits(hardware, workload):
            numerics = functional_numerics(model, hardware.spec, tiles, selected, batch, seed)
    options = run_options(phases, functional=functional, seed=seed, dataset=dataset)
    result = simulate_compiled(hardware, workload, table, schedule, model, options, on_stage)
    return result if numerics is None else with_numerics(result, numerics)


def simulate_compiled(
    hardware: Loaded[HardwareSpec],
    workload: Loaded[Workload],
    table: Loaded[EnergyTable],
    schedule: Schedule,
    model: Model,
    options: Mapping[str, Any],
    on_stage: Callable[[Stage], None] | None = None,
) -> RunResult:
    """Simulate, count, bound and price a compiled ``schedule``; the summary also says which
    layers of ``model`` compose to one affine map (:mod:`fdsim.nn.linearity`). ``options``
    (JSON values) are the choices beside the specs that change the run's outcome: they go
    into the manifest and its run id. ``on_stage``: as :func:`run`."""
    _begin(on_stage, Stage.SIMULATE)
    trace = simulate(schedule, hardware.spec)
    counts = count(schedule, trace)
    bounds = layer_bounds(schedule, hardware.spec)
    _begin(on_stage, Stage.PRICE)
    manifest = _manifest(options, hardware, workload, table)
    result = collect(
        schedule,
        counts,
        bounds,
        trace.total_cycles,
        hardware.spec,
        table.spec,
        manifest,
        workload.spec,
    )
    spans = [asdict(span) for span in affine_spans(model)]
    linearity = {"linear_classifier": is_linear_classifier(model), "affine_spans": spans}
    return replace(result, summary=replace(result.summary, linearity=linearity))


def _begin(on_stage: Callable[[Stage], None] | None, stage: Stage) -> None:
    if on_stage is not None:
        on_stage(stage)


def compile_loaded(
    hardware: Loaded[HardwareSpec],
    workload: Loaded[Workload],
    phases: Iterable[Phase] = TRAINING_STEP,
) -> Schedule:
    """:func:`compile_schedule` with a compile-time problem mapped to the ``ConfigError``
    naming the file, line and field it comes from."""
    try:
        return compile_schedule(workload.spec, hardware.spec, phases)
    except SpecFieldError as problem:
        raise _located(problem, hardware, workload) from None


def _located(
    problem: SpecFieldError, hardware: Loaded[HardwareSpec], workload: Loaded[Workload]
) -> ConfigError:
    """``problem`` as the ``ConfigError`` naming the file and line of its spec's field."""
    origins = {"hardware": hardware.origin, "workload": workload.origin}
    return origins[problem.spec].error(problem)


def require_bit_true(hardware: Loaded[HardwareSpec], purpose: str) -> None:
    """``ConfigError`` on ``fft.arithmetic`` unless the hardware describes its FFT bit-true."""
    fft = hardware.spec.fft
    if fft is None or fft.arithmetic is None:
        missing = SpecFieldError(
            "hardware", ("fft", "arithmetic"), f"required for {purpose}, missing"
        )
        raise hardware.origin.error(missing)


@contextmanager
def bit_true_limits(hardware: Loaded[HardwareSpec], workload: Loaded[Workload]) -> Iterator[None]:
    """Turn what the bit-true model cannot compute — a layer it has no kernel for (a crop of
    a grid an earlier crop left at a size that is not a power of two), a grid the FFT core's
    radix cannot transform, formats whose intermediates exceed int64 — and a spec problem
    found while building the network into a ``ConfigError`` on the field responsible."""
    try:
        yield
    except SpecFieldError as problem:
        raise _located(problem, hardware, workload) from None
    except LayerSupportError as problem:
        index = next(
            i for i, layer in enumerate(workload.spec.layers) if layer.name == problem.layer
        )
        field = SpecFieldError("workload", ("layers", index, problem.field), problem.message)
        raise _located(field, hardware, workload) from None
    except TransformSizeError as problem:
        field = SpecFieldError("hardware", ("fft", "arithmetic", "radix"), str(problem))
        raise _located(field, hardware, workload) from None
    except Int64WidthError as problem:
        field = SpecFieldError(
            "hardware", ("numerics",), f"the bit-true datapath cannot be simulated: {problem}"
        )
        raise _located(field, hardware, workload) from None


def _manifest(options: Mapping[str, Any], *specs: Loaded[Any]) -> dict[str, Any]:
    kinds = ("hardware", "workload", "energy_table")
    hashes = {kind: canonical_hash(loaded.spec) for kind, loaded in zip(kinds, specs, strict=True)}
    return {
        "fdsim_version": __version__,
        "inputs": {kind: loaded.origin.path for kind, loaded in zip(kinds, specs, strict=True)},
        "spec_sha256": hashes,
        "options": dict(options),
        "run_id": canonical_run_id(hashes, options),
    }


def run_options(
    phases: Iterable[Phase], *, functional: bool, seed: int, dataset: DatasetSource | None
) -> dict[str, Any]:
    """The options of :func:`run` that change its result: the phases (in pipeline order),
    ``functional``, and, for a functional run only (they change nothing else), the seed and
    the dataset (:func:`dataset_identity`; None for seeded uniform data)."""
    selected = set(phases)
    options: dict[str, Any] = {
        "phases": [phase.value for phase in Phase if phase in selected],
        "functional": functional,
    }
    if functional:
        options["seed"] = seed
        options["dataset"] = None if dataset is None else dataset_identity(dataset)
    return options


def dataset_identity(source: DatasetSource) -> dict[str, str]:
    """A dataset by name and, for IDX files, by the SHA-256 of their bytes (the same files
    anywhere, the same identity). The files must exist: call once they have been loaded."""
    identity = {"name": source.name.value}
    for key, path in (("images_sha256", source.images_path), ("labels_sha256", source.labels_path)):
        if path is not None:
            identity[key] = sha256(path.read_bytes()).hexdigest()
    return identity
