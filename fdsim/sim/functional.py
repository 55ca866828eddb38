"""The functional side of a run: real tensors through the bit-true datapath, beside the float64
reference, reporting per layer and phase how far the hardware's numbers are from the exact ones.

The pass computes the compiled training step layer by layer (forward, then the backward in
reverse layer order, then the update) with the schedule's reduction tiles as the rounding
points of every multiply-accumulate (:mod:`fdsim.model.fixed_backend`): wherever the compiled ops
spill partial sums, the bit-true model rounds them to the stored width, so the integers follow
the schedule's tiling as the hardware's would. Timing never reads data, so the cycles of a run
are the same with or without this pass (tested).

Inputs: a :class:`FunctionalBatch` (seeded uniform images and labels, or a dataset's first
mini-batch); parameters from :func:`fdsim.model.passes.initial_param_values` (``seed``). SQNR =
10·log10(Σ|ref|² / Σ|fixed − ref|²) per tensor: each layer's forward output, each layer's
input gradient (``bwd_data``), each parameter gradient (``bwd_weight``) and each updated
parameter (``update``).

That figure is dominated by whatever all images share: LeNet-5's logits keep 33.5 dB while
their image-to-image differences, what a classifier reads, keep 0.3 dB (seed 0). So each tensor with
a batch axis (axis 0: forward outputs and input gradients) also gets the SQNR of its
*varying part* (:func:`sqnr_varying_db`): with ``m(x)`` the mean over the batch per element,
signal ``ref − m(ref)`` against error ``e − m(e)``, ``e = fixed − ref``, i.e.
10·log10(Σ|ref − m(ref)|² / Σ|e − m(e)|²). Parameter gradients and updated parameters are
sums over the batch (no batch axis), and a batch of one image has no variation: their
``sqnr_varying_db`` is NaN. A varying part below :data:`INFORMATION_LOST_DB` is flagged
(:meth:`FunctionalNumerics.information_lost`): the datapath has lost what tells the images
apart, however good the plain SQNR looks.

Overflow and underflow events are listed per datapath site (:mod:`fdsim.fixedpoint.overflow`):
an underflow is a value nonzero before a rounding step (quantisation, a shift dropping
fraction bits, a product aligned to an accumulator's LSB) and zero after it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fdsim.errors import ConfigError
from fdsim.fixedpoint import OverflowCounter
from fdsim.model.backend import Backend, T, TensorClass
from fdsim.model.fixed_backend import FixedBackend
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import INPUT_NAME, backward_trace, forward, initial_param_values, update
from fdsim.network.graph import Network
from fdsim.nn.datasets import DatasetSource, load_dataset
from fdsim.nn.fixed.datapath import ReductionTiles, layer_of
from fdsim.numerics import FunctionalNumerics
from fdsim.schedule.ops import Schedule
from fdsim.schedule.tiling import split
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Workload
from fdsim.vocabulary import Phase

INPUT_GRADIENT = "input_gradient"

SQNR_COLUMNS = ["layer", "phase", "tensor", "sqnr_db", "sqnr_varying_db", "reference_max_abs"]
OVERFLOW_COLUMNS = [
    "layer",
    "phase",
    "site",
    "tensor_class",
    "overflow_mode",
    "overflow_events",
    "values_checked",
    "underflow_events",
]

BATCHED_PHASES = (Phase.FORWARD, Phase.BACKWARD_DATA)
"""Phases whose compared tensors have the batch on axis 0."""


@dataclass(frozen=True)
class FunctionalBatch:
    """One mini-batch: images ``(B, C, H, W)`` in [0, 1] and integer labels, and where they
    came from (``"seeded uniform (seed 0)"``, a dataset name)."""

    images: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]
    source: str


def seeded_batch(workload: Workload, seed: int) -> FunctionalBatch:
    """Images uniform in [0, 1) and uniform labels, drawn from one generator seeded ``seed``."""
    rng = np.random.default_rng(seed)
    shape = workload.network_input
    images = rng.uniform(0.0, 1.0, (workload.batch_size, shape.channels, shape.height, shape.width))
    labels = rng.integers(0, shape.classes, workload.batch_size).astype(np.int64)
    return FunctionalBatch(images, labels, f"seeded uniform images and labels, seed {seed}")


def dataset_batch(source: DatasetSource, workload: Workload, seed: int) -> FunctionalBatch:
    """The first ``batch_size`` hold-out images of ``source`` (split with ``seed``);
    ``ConfigError`` when the hold-out set has fewer (the static loss scale and the
    schedule's tiles are those of a whole mini-batch)."""
    data = load_dataset(source, workload.network_input, seed)
    if len(data.holdout) < workload.batch_size:
        raise ConfigError(
            data.source,
            f"the hold-out set has {len(data.holdout)} images, fewer than a mini-batch "
            f"(batch_size {workload.batch_size})",
        )
    images = data.holdout.images[: workload.batch_size]
    labels = data.holdout.labels[: workload.batch_size]
    return FunctionalBatch(
        images,
        labels,
        f"{data.source}, the first {workload.batch_size} hold-out images of split seed {seed}",
    )


def first_images(batch: FunctionalBatch, images: int) -> FunctionalBatch:
    """The first ``images`` of ``batch`` (a reduced batch for a large network), saying so."""
    if images >= len(batch.images):
        return batch
    return FunctionalBatch(
        batch.images[:images],
        batch.labels[:images],
        f"{batch.source}; reduced to its first {images} of {len(batch.images)} images",
    )


def reduction_tiles_of(schedule: Schedule) -> ReductionTiles:
    """The compiled tiles of every reduction, by (layer, phase); a reduction of another
    length (a smaller last mini-batch) is split by the compiler's rule with the same largest
    tile."""
    tiles = {
        (plan.name, plan.phase): plan.reduction_tiles
        for plan in schedule.layers
        if plan.reduction_tiles
    }

    def lookup(layer: str, phase: Phase, length: int) -> tuple[int, ...] | None:
        compiled = tiles.get((layer, phase))
        if compiled is None:
            return None
        if sum(compiled) == length:
            return compiled
        return tuple(count for _, count in split(length, max(compiled)))

    return lookup


def sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Signal-to-quantisation-noise ratio in dB; ``inf`` when ``test`` equals ``reference``."""
    noise = float(np.sum(np.abs(np.asarray(test) - reference) ** 2))
    signal = float(np.sum(np.abs(reference) ** 2))
    if noise == 0.0:
        return math.inf
    return 10.0 * math.log10(signal / noise) if signal > 0.0 else -math.inf


def sqnr_varying_db(reference: np.ndarray, test: np.ndarray) -> float:
    """SQNR in dB of the part that varies between images, the batch on axis 0:
    ``sqnr_db(ref − m(ref), test − m(test))`` with ``m`` the batch mean per element, so the
    noise is ``e − m(e)`` for ``e = test − ref``. NaN for fewer than two images."""
    reference, test = np.asarray(reference), np.asarray(test)
    if reference.ndim == 0 or reference.shape[0] < 2:
        return math.nan
    return sqnr_db(reference - reference.mean(axis=0), test - test.mean(axis=0))


def functional_numerics(
    model: Network,
    hardware: HardwareSpec,
    tiles: ReductionTiles,
    phases: Collection[str],
    batch: FunctionalBatch,
    seed: int,
) -> FunctionalNumerics:
    """``batch`` through ``model`` on the bit-true datapath of ``hardware`` and on the float64
    reference for the ``phases`` simulated (:class:`~fdsim.vocabulary.Phase` members or their
    values), parameters drawn with ``seed``."""
    selected = frozenset(Phase(phase) for phase in phases)
    workload = model.workload
    values = initial_param_values(model, seed)
    fixed = FixedBackend(hardware, workload.batch_size, tiles)
    exact = FloatBackend()
    fixed_run = _run(model, fixed, values, batch, selected)
    exact_run = _run(model, exact, values, batch, selected)
    rows = []
    for (layer, phase, tensor), reference in exact_run.items():
        expected = exact.to_float(reference)
        got = fixed.to_float(fixed_run[(layer, phase, tensor)])
        peak = float(np.max(np.abs(expected))) if expected.size else 0.0
        varying = sqnr_varying_db(expected, got) if phase in BATCHED_PHASES else math.nan
        rows.append((layer, phase.value, tensor, sqnr_db(expected, got), varying, peak))
    overflows = _overflows(fixed.counter)
    # The model computes bwd_data and bwd_weight together; report only the phases simulated.
    kept = [phase.value for phase in selected]
    overflows = overflows[overflows["phase"].isin(kept)].reset_index(drop=True)
    return FunctionalNumerics(
        pd.DataFrame(rows, columns=SQNR_COLUMNS), overflows, batch.source, seed
    )


def _overflows(counter: OverflowCounter) -> pd.DataFrame:
    rows = [
        (
            tally.site.layer,
            tally.site.phase,
            tally.site.label,
            tally.site.tensor_class,
            tally.mode.value,
            tally.events,
            tally.values_checked,
            tally.underflow_events,
        )
        for tally in counter.tallies()
    ]
    return pd.DataFrame(rows, columns=OVERFLOW_COLUMNS)


def _run(
    model: Network,
    backend: Backend[T],
    values: dict[str, np.ndarray],
    batch: FunctionalBatch,
    phases: Collection[Phase],
) -> dict[tuple[str, Phase, str], T]:
    """The tensors compared, keyed (layer, phase, tensor name), in program order."""
    params = {name: backend.from_float(name, v, TensorClass.WEIGHTS) for name, v in values.items()}
    x = backend.from_float(INPUT_NAME, batch.images, TensorClass.ACTIVATIONS)
    _, cache = forward(model, backend, params, x)
    out: dict[tuple[str, Phase, str], Any] = {
        (layer, Phase.FORWARD, "output"): tensor for layer, tensor in cache.outputs.items()
    }
    if Phase.BACKWARD_DATA not in phases:
        return out
    _, grads, input_grads = backward_trace(model, backend, params, cache, batch.labels)
    out |= {(layer, Phase.BACKWARD_DATA, INPUT_GRADIENT): g for layer, g in input_grads.items()}
    if Phase.BACKWARD_WEIGHT not in phases:
        return out
    out |= {(layer_of(name), Phase.BACKWARD_WEIGHT, name): g for name, g in grads.items()}
    if Phase.UPDATE in phases:
        new_params, _ = update(model, backend, params, grads, {}, model.workload.training)
        out |= {(layer_of(name), Phase.UPDATE, name): p for name, p in new_params.items()}
    return out
