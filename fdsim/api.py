"""The pipeline, top to bottom: load → compile → (compute) → simulate → count → price → collect.

The public API works on specs: ``load_hardware``/``load_workload``/``load_energy_table`` read
them (keeping each field's file and line), ``fdsim.spec.override.override`` changes fields,
``simulate`` runs them. The CLI parses arguments, calls these and writes what ``simulate``
returns; ``run`` is the same from two paths. ``fdsim train`` (:mod:`fdsim.training`) reuses
the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any

from fdsim import __version__
from fdsim.errors import ConfigError, LayerSupportError, SpecFieldError
from fdsim.fixedpoint import Int64WidthError
from fdsim.fixedpoint.spectral_maps import TransformSizeError
from fdsim.gc_pause import cyclic_gc_paused
from fdsim.network.graph import Network, has_transforms
from fdsim.network.linearity import linearity_summary
from fdsim.nn.datasets import DatasetSource
from fdsim.results import RunResult, canonical_run_id, collect, with_numerics
from fdsim.schedule.bounds import layer_bounds
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import TRAINING_STEP, Phase, Schedule
from fdsim.sim.analytic import estimate
from fdsim.sim.bandwidth import measure
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate as simulate_schedule
from fdsim.sim.functional import (
    dataset_batch,
    first_images,
    functional_numerics,
    reduction_tiles_of,
    seeded_batch,
)
from fdsim.spec import load
from fdsim.spec.energy import EnergyTable
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.load import canonical_hash, energy_table_file, energy_table_path
from fdsim.spec.origin import Located, origin_or_placeholder
from fdsim.spec.workload import Workload
from fdsim.vocabulary import TimingModel


class Stage(StrEnum):
    """The steps of :func:`simulate` a progress display names, in order."""

    COMPILE = "compile"
    FUNCTIONAL = "functional"  # only with functional=True
    SIMULATE = "simulate"
    PRICE = "price"


def load_hardware(path: str | Path) -> HardwareSpec:
    """The hardware config at ``path``, validated; it keeps its file and field lines, so a
    later error on one of its fields names ``file:line: field``. Raises ``ConfigError``."""
    return load.load_hardware(path).spec


def load_workload(path: str | Path) -> Workload:
    """The workload at ``path``, validated, keeping its origin (as :func:`load_hardware`)."""
    return load.load_workload(path).spec


def load_energy_table(path_or_name: str | Path) -> EnergyTable:
    """An energy table: a shipped one by name (``"28nm"``, ``"45nm"``: a ``str`` of letters,
    digits, ``_`` and ``-``) or the file at a path. Raises ``ConfigError``."""
    return load.load_energy_table(energy_table_file(path_or_name)).spec


def hardware_energy_table(hardware: HardwareSpec) -> EnergyTable:
    """The table ``hardware.energy_table`` names: a shipped table, or a file relative to the
    hardware file's folder (to the current folder for a spec built in Python)."""
    path = energy_table_path(load.Loaded(hardware, origin_or_placeholder(hardware, "hardware")))
    return load.load_energy_table(path).spec


def run(
    hardware_path: str | Path,
    workload_path: str | Path,
    phases: Iterable[Phase] = TRAINING_STEP,
    *,
    functional: bool = False,
    seed: int = 0,
    dataset: DatasetSource | None = None,
    model: TimingModel = TimingModel.EVENT,
    functional_images: int | None = None,
    on_stage: Callable[[Stage], None] | None = None,
) -> RunResult:
    """:func:`simulate` of the specs at two paths, with the hardware's own energy table."""
    hardware, workload = load_hardware(hardware_path), load_workload(workload_path)
    return simulate(
        hardware,
        workload,
        phases=phases,
        functional=functional,
        seed=seed,
        dataset=dataset,
        model=model,
        functional_images=functional_images,
        on_stage=on_stage,
    )


def simulate(
    hardware: HardwareSpec,
    workload: Workload,
    *,
    energy: EnergyTable | None = None,
    phases: Iterable[Phase] = TRAINING_STEP,
    functional: bool = False,
    seed: int = 0,
    dataset: DatasetSource | None = None,
    model: TimingModel = TimingModel.EVENT,
    functional_images: int | None = None,
    on_stage: Callable[[Stage], None] | None = None,
) -> RunResult:
    """Simulate one training step of ``workload`` on ``hardware``: the selected ``phases``
    (default all: fwd, bwd_data, bwd_weight, update; ``{Phase.FORWARD}`` is inference),
    priced with ``energy`` (default: the table ``hardware.energy_table`` names). With
    ``functional``, a mini-batch also runs through the bit-true datapath with the schedule's
    tiling — seeded uniform data (``seed``), or the first hold-out mini-batch of ``dataset``
    — and the result carries per-layer SQNR against the float64 reference and overflow
    counts per datapath site (``RunResult.numerics``); the cycles do not change. A
    timing-only run builds no numerical model. ``on_stage`` is called as each
    :class:`Stage` begins. ``model`` times the schedule by the event loop (the reference) or
    the analytic recurrence (``fdsim.sim.analytic``: no buffer-full waits, never more
    cycles). ``functional_images`` reduces the functional mini-batch to its first images (a
    large network's bit-true run; the numerics' ``source`` says so, the cycles are the whole
    batch's). Raises ``PhaseSelectionError`` for a selection missing a needed
    phase and ``ConfigError`` naming ``file:line: field`` for a spec the compiler refuses
    (or, when ``functional``, a hardware whose datapath the bit-true model cannot compute)."""
    # one pause for the whole pipeline, ended once the schedule and trace are freed (the
    # inner function has returned): a pause ending while they live would have the collector's
    # next pass traverse all of them
    with cyclic_gc_paused():
        return _simulate(
            hardware,
            workload,
            energy,
            phases,
            functional=functional,
            seed=seed,
            dataset=dataset,
            model=model,
            functional_images=functional_images,
            on_stage=on_stage,
        )


def _simulate(
    hardware: HardwareSpec,
    workload: Workload,
    energy: EnergyTable | None,
    phases: Iterable[Phase],
    *,
    functional: bool,
    seed: int,
    dataset: DatasetSource | None,
    model: TimingModel,
    functional_images: int | None,
    on_stage: Callable[[Stage], None] | None,
) -> RunResult:
    """:func:`simulate`'s pipeline."""
    table = hardware_energy_table(hardware) if energy is None else energy
    _begin(on_stage, Stage.COMPILE)
    schedule = compile_specs(hardware, workload, phases)
    numerics = None
    if functional:
        require_values(workload, "--functional")
        require_bit_true(hardware, "--functional", schedule.network)
        _begin(on_stage, Stage.FUNCTIONAL)
        batch = (
            seeded_batch(workload, seed)
            if dataset is None
            else dataset_batch(dataset, workload, seed)
        )
        if functional_images is not None:
            batch = first_images(batch, functional_images)
        tiles = reduction_tiles_of(schedule)
        selected = {phase.value for phase in schedule.phases}
        with bit_true_limits(hardware, workload):
            numerics = functional_numerics(schedule.network, hardware, tiles, selected, batch, seed)
    options = run_options(phases, functional=functional, seed=seed, dataset=dataset, model=model)
    if functional and functional_images is not None:
        options["functional_images"] = functional_images
    result = simulate_compiled(hardware, workload, table, schedule, options, on_stage, model)
    return result if numerics is None else with_numerics(result, numerics)


def simulate_compiled(
    hardware: HardwareSpec,
    workload: Workload,
    table: EnergyTable,
    schedule: Schedule,
    options: Mapping[str, Any],
    on_stage: Callable[[Stage], None] | None = None,
    model: TimingModel = TimingModel.EVENT,
) -> RunResult:
    """Simulate, count, bound and price a compiled ``schedule``; the summary also says which
    layers of the network compose to one affine map (:mod:`fdsim.network.linearity`).
    ``options`` (JSON values) are the choices beside the specs that change the run's
    outcome: they go into the manifest and its run id. ``on_stage``: as :func:`simulate`."""
    _begin(on_stage, Stage.SIMULATE)
    timed = estimate if model is TimingModel.ANALYTIC else simulate_schedule
    with cyclic_gc_paused():
        trace = timed(schedule, hardware)
        counts = count(schedule, trace)
        bandwidth = measure(schedule, trace)
    bounds = layer_bounds(schedule, hardware)
    _begin(on_stage, Stage.PRICE)
    manifest = _manifest(options, hardware, workload, table)
    result = collect(
        schedule,
        counts,
        bounds,
        trace.total_cycles,
        hardware,
        table,
        manifest,
        workload,
        bandwidth,
    )
    linearity = linearity_summary(schedule.network)
    return replace(result, summary=replace(result.summary, linearity=linearity))


def _begin(on_stage: Callable[[Stage], None] | None, stage: Stage) -> None:
    if on_stage is not None:
        on_stage(stage)


def compile_specs(
    hardware: HardwareSpec, workload: Workload, phases: Iterable[Phase] = TRAINING_STEP
) -> Schedule:
    """:func:`compile_schedule` with a compile-time problem mapped to the ``ConfigError``
    naming the file, line and field it comes from."""
    try:
        with cyclic_gc_paused():
            return compile_schedule(workload, hardware, phases)
    except SpecFieldError as problem:
        raise _located(problem, hardware, workload) from None


def _located(problem: SpecFieldError, hardware: HardwareSpec, workload: Workload) -> ConfigError:
    """``problem`` as the ``ConfigError`` naming the file and line of its spec's field."""
    specs: dict[str, Located] = {"hardware": hardware, "workload": workload}
    return origin_or_placeholder(specs[problem.spec], problem.spec).error(problem)


def require_values(workload: Workload, purpose: str) -> None:
    """``ConfigError`` on a topology: its rows have no input values or loss to compute with."""
    if workload.topology:
        problem = SpecFieldError(
            "workload",
            ("layers",),
            f"a topology (conv_row layers) has no input values or loss, so it is timed and "
            f"priced only: {purpose} needs a network",
        )
        raise origin_or_placeholder(workload, "workload").error(problem)


def require_bit_true(hardware: HardwareSpec, purpose: str, network: Network | None = None) -> None:
    """``ConfigError`` on ``fft.arithmetic`` unless the hardware describes its FFT bit-true,
    or (given ``network``) the network has no transform to compute."""
    fft = hardware.fft
    if network is not None and not has_transforms(network):
        return
    if fft is None or fft.arithmetic is None:
        missing = SpecFieldError(
            "hardware", ("fft", "arithmetic"), f"required for {purpose}, missing"
        )
        raise origin_or_placeholder(hardware, "hardware").error(missing)


@contextmanager
def bit_true_limits(hardware: HardwareSpec, workload: Workload) -> Iterator[None]:
    """Turn what the bit-true model cannot compute — a layer it has no kernel for (a crop of
    a grid an earlier crop left at a size that is not a power of two), a grid the FFT core's
    radix cannot transform, formats whose intermediates exceed int64 — and a spec problem
    found while building the network into a ``ConfigError`` on the field responsible."""
    try:
        yield
    except SpecFieldError as problem:
        raise _located(problem, hardware, workload) from None
    except LayerSupportError as problem:
        index = next(i for i, layer in enumerate(workload.layers) if layer.name == problem.layer)
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


def _manifest(options: Mapping[str, Any], *specs: Located) -> dict[str, Any]:
    kinds = ("hardware", "workload", "energy_table")
    hashes = {kind: canonical_hash(spec) for kind, spec in zip(kinds, specs, strict=True)}
    return {
        "fdsim_version": __version__,
        "inputs": {
            kind: origin_or_placeholder(spec, kind.replace("_", " ")).path
            for kind, spec in zip(kinds, specs, strict=True)
        },
        "spec_sha256": hashes,
        "options": dict(options),
        "run_id": canonical_run_id(hashes, options),
    }


def run_options(
    phases: Iterable[Phase],
    *,
    functional: bool,
    seed: int,
    dataset: DatasetSource | None,
    model: TimingModel = TimingModel.EVENT,
) -> dict[str, Any]:
    """The options of :func:`run` that change its result: the phases (in pipeline order),
    ``functional``, the timing model when it is the analytic one, and, for a functional run
    only (they change nothing else), the seed and the dataset (:func:`dataset_identity`; None
    for seeded uniform data)."""
    selected = set(phases)
    options: dict[str, Any] = {
        "phases": [phase.value for phase in Phase if phase in selected],
        "functional": functional,
    }
    if model is not TimingModel.EVENT:
        options["model"] = model.value
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
