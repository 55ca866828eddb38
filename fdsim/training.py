"""Training a workload on real data through the simulated fixed-point datapath, with the float64
model trained beside it from the same initial parameters and batches, and the simulated cost of
one training step.

Pipeline: load specs → compile the training step (its reduction tiles are the bit-true model's
rounding points) → simulate and price one step → load the dataset → train bit-true (and float)
→ curves and a summary. The CLI's ``fdsim train`` writes what this returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fdsim.api import run
from fdsim.errors import ConfigError, SpecFieldError
from fdsim.nn.datasets import LabelledImages, Split, check_input, load_digits_split, load_mnist
from fdsim.nn.model import Model, build_model, init_params
from fdsim.nn.model_backend import Backend, T
from fdsim.nn.model_fixed import FixedBackend
from fdsim.nn.model_float import FloatBackend
from fdsim.nn.train import BatchRecord, EpochRecord, train
from fdsim.schedule.compile import compile_schedule
from fdsim.sim.functional import reduction_tiles_of
from fdsim.spec.load import Loaded, load_hardware, load_workload
from fdsim.spec.workload import Workload

HOLDOUT_FRACTION = 0.2


class Arithmetic(StrEnum):
    FIXED = "fixed"  # bit-true on the hardware config's formats
    FLOAT = "float"  # the float64 reference model


@dataclass(frozen=True)
class DatasetSource:
    """``digits`` (scikit-learn's bundled 8×8 digits), or local MNIST IDX files."""

    name: str = "digits"
    images_path: Path | None = None
    labels_path: Path | None = None


@dataclass(frozen=True)
class TrainingRun:
    """``curves``: one row per (arithmetic, epoch); ``summary``: final figures, the simulated
    cost of one training step, overflow events by tensor class, inputs and seeds."""

    curves: pd.DataFrame
    summary: dict[str, Any]


def load_dataset(source: DatasetSource, workload: Loaded[Workload], seed: int) -> Split:
    """The dataset split for ``workload``'s input; ``ConfigError`` when it does not fit."""
    spec = workload.spec.input
    if source.name == "digits":
        data = load_digits_split(seed=seed)
        check_input(data.train, spec, "sklearn digits")
        return data
    if source.images_path is None or source.labels_path is None:
        raise ConfigError("--dataset mnist", "needs --images and --labels (IDX files)")
    images = load_mnist(source.images_path, source.labels_path, pad_to=spec.height)
    check_input(images, spec, str(source.images_path))
    return _holdout_split(images, seed, str(source.images_path))


def _holdout_split(data: LabelledImages, seed: int, source: str) -> Split:
    order = np.random.default_rng(seed).permutation(len(data))
    held = round(HOLDOUT_FRACTION * len(data))
    hold, keep = order[:held], order[held:]
    return Split(
        source,
        LabelledImages(data.images[keep], data.labels[keep]),
        LabelledImages(data.images[hold], data.labels[hold]),
    )


def train_workload(
    hardware_path: Path,
    workload_path: Path,
    source: DatasetSource,
    *,
    epochs: int,
    seed: int,
    reference: bool = True,
    on_batch: Callable[[Arithmetic, BatchRecord], None] | None = None,
    on_epoch: Callable[[Arithmetic, EpochRecord], None] | None = None,
) -> TrainingRun:
    """Train ``workload`` for ``epochs`` on ``source`` bit-true (and in float64 when
    ``reference``), both from the parameters drawn with ``seed``."""
    step = run(hardware_path, workload_path)
    hardware, workload = load_hardware(hardware_path), load_workload(workload_path)
    try:
        model = build_model(workload.spec)
        schedule = compile_schedule(workload.spec, hardware.spec)
    except SpecFieldError as problem:
        origins = {"hardware": hardware.origin, "workload": workload.origin}
        raise origins[problem.spec].error(problem) from None
    fft = hardware.spec.fft
    if fft is None or fft.arithmetic is None:
        missing = SpecFieldError(
            "hardware", ("fft", "arithmetic"), "required for bit-true training, missing"
        )
        raise hardware.origin.error(missing)
    data = load_dataset(source, workload, seed)
    batch = workload.spec.batch_size
    fixed = FixedBackend(hardware.spec, batch, reduction_tiles_of(schedule))
    runs: list[tuple[Arithmetic, Backend[Any]]] = [(Arithmetic.FIXED, fixed)]
    if reference:
        runs.append((Arithmetic.FLOAT, FloatBackend()))
    rows: list[dict[str, Any]] = []
    for arithmetic, backend in runs:
        started_s = time.monotonic()
        epochs_done = _train_one(
            model, backend, data, workload.spec, arithmetic, epochs, seed, on_batch, on_epoch
        )
        wall_s = time.monotonic() - started_s
        rows.extend(
            {"arithmetic": arithmetic.value, **asdict(record), "wall_s": wall_s}
            for record in epochs_done
        )
    curves = pd.DataFrame(rows)
    summary = {
        "workload": workload.spec.name,
        "hardware": hardware.spec.name,
        "dataset": data.source,
        "train_images": len(data.train),
        "holdout_images": len(data.holdout),
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch,
        "training": workload.spec.training.model_dump(mode="json"),
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
            "cycles": step.summary["total_cycles"],
            "time_s": step.summary["time_s"],
            "energy_pj": step.summary["energy_pj"],
            "phases": step.summary["phases"],
        },
        "manifest": step.summary["manifest"],
    }
    return TrainingRun(curves, summary)


def _train_one(
    model: Model,
    backend: Backend[T],
    data: Split,
    workload: Workload,
    arithmetic: Arithmetic,
    epochs: int,
    seed: int,
    on_batch: Callable[[Arithmetic, BatchRecord], None] | None,
    on_epoch: Callable[[Arithmetic, EpochRecord], None] | None,
) -> tuple[EpochRecord, ...]:
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
        on_epoch=None if on_epoch is None else lambda record: on_epoch(arithmetic, record),
    )
    return history.epochs
