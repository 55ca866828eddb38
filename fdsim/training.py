"""Training a workload on real data through the simulated fixed-point datapath, with the float64
model trained beside it from the same initial parameters and batches, and the simulated cost of
one training step.

Pipeline: specs → compile the training step (its reduction tiles are the bit-true model's
rounding points) → simulate and price one step → load the dataset → train bit-true (and float)
→ curves and a summary. The CLI's ``fdsim train`` loads the spec files, calls
:func:`train_workload` and writes what it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from fdsim.api import (
    bit_true_limits,
    compile_specs,
    dataset_identity,
    hardware_energy_table,
    require_bit_true,
    require_values,
    simulate_compiled,
)
from fdsim.model.backend import Backend, T
from fdsim.model.fixed_backend import FixedBackend
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import init_params
from fdsim.model.train import BatchRecord, EpochRecord, train
from fdsim.network.graph import Network
from fdsim.nn.datasets import DatasetSource, Split, load_dataset
from fdsim.schedule.ops import Phase
from fdsim.sim.functional import reduction_tiles_of
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.origin import origin_or_placeholder
from fdsim.spec.workload import Workload


class Arithmetic(StrEnum):
    FIXED = "fixed"  # bit-true on the hardware config's formats
    FLOAT = "float"  # the float64 reference model


@dataclass(frozen=True)
class TrainingRun:
    """``curves``: one row per (arithmetic, epoch); ``summary``: final figures, the simulated
    cost of one training step, overflow events by tensor class, inputs and seeds."""

    curves: pd.DataFrame
    summary: dict[str, Any]


def train_workload(
    hardware: HardwareSpec,
    workload: Workload,
    source: DatasetSource,
    *,
    epochs: int,
    seed: int,
    reference: bool = True,
    on_batch: Callable[[Arithmetic, BatchRecord], None] | None = None,
    on_epoch: Callable[[Arithmetic, EpochRecord], None] | None = None,
) -> TrainingRun:
    """Train ``workload`` for ``epochs`` on ``source`` bit-true on ``hardware`` (and in float64
    when ``reference``), both from the parameters drawn with ``seed``; one training step is
    simulated and priced with the table ``hardware.energy_table`` names. The summary's
    ``command`` names the files the specs were read from (``<hardware>``, ``<workload>`` for
    specs built in Python). Raises ``ConfigError`` as :func:`fdsim.simulate` does."""
    table = hardware_energy_table(hardware)
    require_values(workload, "training")
    schedule = compile_specs(hardware, workload)
    model = schedule.network
    require_bit_true(hardware, "bit-true training", model)
    data = load_dataset(source, workload.network_input, seed)
    options = {
        "phases": [phase.value for phase in Phase if phase in schedule.phases],
        "dataset": dataset_identity(source),
        "epochs": epochs,
        "seed": seed,
        "reference": reference,
    }
    step = simulate_compiled(hardware, workload, table, schedule, options)
    batch = workload.batch_size
    fixed = FixedBackend(hardware, batch, reduction_tiles_of(schedule))
    runs: list[tuple[Arithmetic, Backend[Any]]] = [(Arithmetic.FIXED, fixed)]
    if reference:
        runs.append((Arithmetic.FLOAT, FloatBackend()))
    rows: list[dict[str, Any]] = []
    with bit_true_limits(hardware, workload):
        for arithmetic, backend in runs:
            rows.extend(
                {"arithmetic": arithmetic.value, **record}
                for record in _train_one(
                    model,
                    backend,
                    data,
                    workload,
                    arithmetic,
                    epochs,
                    seed,
                    on_batch,
                    on_epoch,
                )
            )
    curves = pd.DataFrame(rows)
    summary = {
        "workload": workload.name,
        "hardware": hardware.name,
        "dataset": data.source,
        "train_images": len(data.train),
        "holdout_images": len(data.holdout),
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch,
        "training": workload.training.model_dump(mode="json"),
        "final": {
            arithmetic: {
                "holdout_accuracy": float(group["holdout_accuracy"].iloc[-1]),
                "train_accuracy": float(group["train_accuracy"].iloc[-1]),
                "holdout_loss": float(group["holdout_loss"].iloc[-1]),
                "wall_s": float(group["wall_s"].iloc[-1]),
            }
            for arithmetic, group in curves.groupby("arithmetic", sort=False)
        }
        if epochs
        else {},
        "overflow_events": fixed.counter.events_by_tensor_class(),
        "training_step": {
            "cycles": step.summary.total_cycles,
            "time_s": step.summary.time_s,
            "energy_pj": step.summary.energy_pj,
            "phases": step.summary.to_json()["phases"],  # as JSON, as in summary.json
        },
        "linearity": step.summary.linearity,
        "command": _command(hardware, workload, source, epochs, seed, reference),
        "manifest": step.summary.manifest,
    }
    return TrainingRun(curves, summary)


def _train_one(
    model: Network,
    backend: Backend[T],
    data: Split,
    workload: Workload,
    arithmetic: Arithmetic,
    epochs: int,
    seed: int,
    on_batch: Callable[[Arithmetic, BatchRecord], None] | None,
    on_epoch: Callable[[Arithmetic, EpochRecord], None] | None,
) -> list[dict[str, Any]]:
    """One row per epoch: the record and ``wall_s``, seconds from the start to that epoch's
    end (hold-out evaluation included)."""
    started_s = time.monotonic()
    ended_s: list[float] = []

    def epoch_done(record: EpochRecord) -> None:
        ended_s.append(time.monotonic() - started_s)
        if on_epoch is not None:
            on_epoch(arithmetic, record)

    params = init_params(model, backend, seed)
    history = train(
        model,
        backend,
        params,
        data,
        epochs=epochs,
        seed=seed,
        training=workload.training,
        batch_size=workload.batch_size,
        on_batch=None if on_batch is None else lambda record: on_batch(arithmetic, record),
        on_epoch=epoch_done,
    )
    return [
        {**asdict(record), "wall_s": wall_s}
        for record, wall_s in zip(history.epochs, ended_s, strict=True)
    ]


def _command(
    hardware: HardwareSpec,
    workload: Workload,
    source: DatasetSource,
    epochs: int,
    seed: int,
    reference: bool,
) -> str:
    """The ``fdsim train`` command line that repeats this run (its specs by their files)."""
    parts = command_inputs("train", hardware, workload, source)
    parts += [f"--epochs {epochs}", f"--seed {seed}"]
    if not reference:
        parts.append("--no-reference")
    return " ".join(parts)


def command_inputs(
    command: str, hardware: HardwareSpec, workload: Workload, source: DatasetSource
) -> list[str]:
    """``fdsim COMMAND HARDWARE WORKLOAD --dataset …`` as words: the start of a command line
    that repeats a run on data (specs named by their files, ``<hardware>``/``<workload>``
    for specs built in Python)."""
    parts = [
        f"fdsim {command}",
        origin_or_placeholder(hardware, "hardware").path,
        origin_or_placeholder(workload, "workload").path,
        f"--dataset {source.name.value}",
    ]
    if source.images_path is not None and source.labels_path is not None:
        parts += [f"--images {source.images_path}", f"--labels {source.labels_path}"]
    return parts
