"""The functional side of a run: real tensors through the bit-true datapath, beside the float64
reference, reporting per layer and phase how far the hardware's numbers are from the exact ones.

The pass executes the compiled training step's layers in the schedule's program order (forward,
then the backward phases in reverse layer order, then the update), with the schedule's reduction
tiles as the rounding points of every multiply-accumulate (:mod:`fdsim.nn.model_fixed`). Timing
never reads data, so the cycles of a run are the same with or without this pass (tested).

Inputs are seeded: images uniform in [0, 1) and uniform labels (``seed``), parameters from
:func:`fdsim.nn.model.initial_param_values` (``seed``). SQNR = 10·log10(Σ|ref|² / Σ|fixed −
ref|²) per tensor: each layer's forward output, each parameter gradient (``bwd_weight``) and
each updated parameter (``update``); ``bwd_data`` rows carry overflow counts only.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from fdsim.nn.model import INPUT_NAME, backward, build_model, forward, initial_param_values, update
from fdsim.nn.model_backend import Backend, T, TensorClass
from fdsim.nn.model_fixed import FixedBackend, ReductionTiles, site_layer_phase
from fdsim.nn.model_float import FloatBackend
from fdsim.schedule.ops import Schedule
from fdsim.schedule.tiling import split
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Workload

NUMERICS_COLUMNS = ["layer", "phase", "tensor", "sqnr_db", "overflow_events", "values_checked"]


def reduction_tiles_of(schedule: Schedule) -> ReductionTiles:
    """The compiled tiles of every reduction, by (layer, phase); a reduction of another
    length (a smaller last mini-batch) is split by the compiler's rule with the same largest
    tile."""
    tiles = {
        (plan.name, plan.phase.value): plan.reduction_tiles
        for plan in schedule.layers
        if plan.reduction_tiles
    }

    def lookup(layer: str, phase: str, length: int) -> tuple[int, ...] | None:
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


def functional_numerics(
    workload: Workload,
    hardware: HardwareSpec,
    tiles: ReductionTiles,
    phases: Collection[str],
    seed: int,
) -> pd.DataFrame:
    """One mini-batch of ``workload`` through the bit-true datapath and the float64 reference
    for the ``phases`` simulated (values of :class:`fdsim.schedule.ops.Phase`); one row per
    (layer, phase, tensor) with ``NUMERICS_COLUMNS``."""
    model = build_model(workload)
    rng = np.random.default_rng(seed)
    source = workload.input
    images = rng.uniform(
        0.0, 1.0, (workload.batch_size, source.channels, source.height, source.width)
    )
    labels = rng.integers(0, source.classes, workload.batch_size).astype(np.int64)
    values = initial_param_values(model, seed)
    fixed = FixedBackend(hardware, workload.batch_size, tiles)
    exact = FloatBackend()
    fixed_run = _run(model, fixed, values, images, labels, workload, phases)
    exact_run = _run(model, exact, values, images, labels, workload, phases)
    sqnr: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for (layer, phase, tensor), reference in exact_run.items():
        test = fixed.to_float(fixed_run[(layer, phase, tensor)])
        sqnr.setdefault((layer, phase), []).append(
            (tensor, sqnr_db(exact.to_float(reference), test))
        )
    events: dict[tuple[str, str], tuple[int, int]] = {}
    for tally in fixed.counter.tallies():
        key = site_layer_phase(tally.site)
        old = events.get(key, (0, 0))
        events[key] = (old[0] + tally.events, old[1] + tally.values_checked)
    rows: list[dict[str, Any]] = []
    for key in dict.fromkeys([*sqnr, *events]):
        count, checked = events.get(key, (0, 0))
        for tensor, value in sqnr.get(key, [("", math.nan)]):
            rows.append(
                dict(zip(NUMERICS_COLUMNS, (*key, tensor, value, count, checked), strict=True))
            )
    return pd.DataFrame(rows, columns=NUMERICS_COLUMNS)


def _run(
    model: Any,
    backend: Backend[T],
    values: dict[str, np.ndarray],
    images: np.ndarray,
    labels: np.ndarray,
    workload: Workload,
    phases: Collection[str],
) -> dict[tuple[str, str, str], T]:
    """The tensors compared, keyed (layer, phase, tensor name)."""
    params = {name: backend.from_float(name, v, TensorClass.WEIGHTS) for name, v in values.items()}
    x = backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    _, cache = forward(model, backend, params, x)
    out: dict[tuple[str, str, str], T] = {
        (layer, "fwd", "output"): tensor for layer, tensor in cache.outputs.items()
    }
    if "bwd_weight" not in phases:
        return out
    _, grads = backward(model, backend, params, cache, labels)
    out |= {(_layer(name), "bwd_weight", name): g for name, g in grads.items()}
    if "update" in phases:
        new_params, _ = update(model, backend, params, grads, {}, workload.training)
        out |= {(_layer(name), "update", name): p for name, p in new_params.items()}
    return out


def _layer(param: str) -> str:
    return param.split(".", 1)[0]
