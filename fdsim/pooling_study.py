"""``fdsim pooling``: which pooling to build into the accelerator. Every method of the pooling
library (:mod:`fdsim.pooling.catalogue`) is measured on the same images for the information
it keeps and its shift invariance; every method a workload can name
(:mod:`fdsim.operators.registry`) is also run on the hardware — the workload with each of its
pool layers set to that method — for a training step's cycles and energy, and trained on the
data set bit-true and in float64 for its hold-out accuracy. Beside the table: seed 000's
approximate max-pooling experiment and seed 004's low-pass question
(:mod:`fdsim.pooling.experiments`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fdsim.api import require_bit_true, simulate
from fdsim.errors import ConfigError
from fdsim.nn.datasets import DatasetSource, load_dataset
from fdsim.operators.registry import SPECTRAL_POOL_METHOD, pool_method_names
from fdsim.pooling.catalogue import CATALOGUE, METRIC_IMAGES, CatalogueEntry
from fdsim.pooling.experiments import (
    AsmRmseTable,
    ChainTable,
    asm_rmse_experiment,
    spectral_chain_experiment,
)
from fdsim.pooling.metrics import (
    InformationKept,
    PoolingMetrics,
    information_kept,
    natural_like_images,
    pooling_metrics,
)
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.origin import origin_or_placeholder
from fdsim.spec.override import override
from fdsim.spec.workload import PoolLayer, Workload
from fdsim.training import Arithmetic, command_inputs, train_workload
from fdsim.vocabulary import Domain


@dataclass(frozen=True)
class HardwareCost:
    """One training step of the workload with every pool layer set to the method."""

    cycles: int
    time_s: float
    energy_pj: float
    pool_energy_pj: float  # the pool layers' share (with the iFFT of a round trip)


@dataclass(frozen=True)
class Accuracy:
    """Hold-out accuracy after training, bit-true on the hardware's formats and in float64."""

    bit_true: float
    float64: float


@dataclass(frozen=True)
class MethodComparison:
    """One pooling method: its measures, and on the accelerator (``cost``/``accuracy``; None
    with the reason in ``note`` when the method has no bit-true form or was not trained)."""

    entry: CatalogueEntry
    metrics: PoolingMetrics
    least_squares: InformationKept
    cost: HardwareCost | None
    accuracy: Accuracy | None
    note: str

    @property
    def on_accelerator(self) -> bool:
        return self.cost is not None


@dataclass(frozen=True)
class PoolingStudy:
    rows: tuple[MethodComparison, ...]
    asm: AsmRmseTable
    chain: ChainTable
    settings: dict[str, Any]


Progress = Callable[[str], None]


def study_pooling(
    hardware: HardwareSpec,
    workload: Workload,
    source: DatasetSource,
    *,
    epochs: int,
    seed: int,
    train: bool = True,
    asm_trials: int = 1000,
    methods: Sequence[str] | None = None,
    on_progress: Progress | None = None,
) -> PoolingStudy:
    """Compare the catalogued pooling methods (see the module docstring): all, or those named
    in ``methods`` (in catalogue order). ``epochs`` of training per method on ``source`` (none
    when ``train`` is False); ``seed`` draws the test images, the shifts, the experiments'
    trials and the training. Raises ``ConfigError`` for an unknown method name, a workload
    without a pool layer, or one the compiler refuses."""
    entries = select_methods(methods)
    pools = [i for i, layer in enumerate(workload.layers) if isinstance(layer, PoolLayer)]
    if not pools:
        raise ConfigError(
            origin_or_placeholder(workload, "workload").path,
            "has no pool layer: nothing to compare",
        )
    if train:  # refuse a data set or hardware training cannot use before measuring anything
        require_bit_true(hardware, "training")
        try:
            load_dataset(source, workload.network_input, seed)
        except ConfigError as error:
            raise ConfigError(
                error.file,
                f"{error.message} (--no-train compares without training)",
                line=error.line,
                field=error.field,
            ) from None
    say = on_progress or (lambda _message: None)
    images = natural_like_images(
        METRIC_IMAGES.count, METRIC_IMAGES.channels, METRIC_IMAGES.size, seed=seed
    )
    usable = set(pool_method_names())
    rows = []
    for entry in entries:
        say(f"{entry.name}: information kept and shift invariance")
        metrics = pooling_metrics(entry.pool, images, seed=seed)
        bound = information_kept(entry.pool, images, "least_squares")
        cost = accuracy = None
        note = "no bit-true form: not a workload method"
        if entry.name in usable:
            variant = _with_pools(workload, pools, entry.name)
            say(f"{entry.name}: one training step on {hardware.name}")
            cost = _cost(hardware, variant)
            note = ""
            if train:
                say(f"{entry.name}: training {epochs} epochs, bit-true and float64")
                accuracy = _accuracy(hardware, variant, source, epochs, seed)
            else:
                note = "not trained (--no-train)"
        rows.append(MethodComparison(entry, metrics, bound, cost, accuracy, note))
    say(f"seed 000's experiment: {asm_trials} trials")
    asm = asm_rmse_experiment(asm_trials, seed)
    say("seed 004's question: a chain of spectral pools against one low-pass")
    chain = spectral_chain_experiment(seed=seed)
    settings = {
        "hardware": hardware.name,
        "workload": workload.name,
        "pool_layers": [workload.layers[i].name for i in pools],
        "dataset": source.name.value,
        "epochs": epochs if train else 0,
        "seed": seed,
        "images": METRIC_IMAGES.describe(),
        "asm_trials": asm_trials,
        "methods": [entry.name for entry in entries],
        "command": _command(hardware, workload, source, epochs, seed, train, asm_trials, methods),
    }
    return PoolingStudy(tuple(rows), asm, chain, settings)


def select_methods(names: Sequence[str] | None) -> tuple[CatalogueEntry, ...]:
    """The catalogue entries named (all for None), in catalogue order; ``ConfigError`` on
    ``--methods`` for an unknown or missing name."""
    if names is None:
        return CATALOGUE
    known = [entry.name for entry in CATALOGUE]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ConfigError(
            "--methods",
            f"unknown pooling method {unknown[0]!r}; expected some of: {', '.join(known)}"
            if unknown
            else "names no method",
        )
    return tuple(entry for entry in CATALOGUE if entry.name in names)


def _command(
    hardware: HardwareSpec,
    workload: Workload,
    source: DatasetSource,
    epochs: int,
    seed: int,
    train: bool,
    asm_trials: int,
    methods: Sequence[str] | None,
) -> str:
    """The ``fdsim pooling`` command line that repeats this study (specs by their files)."""
    parts = command_inputs("pooling", hardware, workload, source)
    parts += [f"--epochs {epochs}" if train else "--no-train", f"--trials {asm_trials}"]
    if methods is not None:
        parts.append(f"--methods {','.join(methods)}")
    return " ".join([*parts, f"--seed {seed}"])


def _with_pools(workload: Workload, pools: list[int], method: str) -> Workload:
    """``workload`` with each pool layer's method set to ``method``; ``spectral`` keeps a
    layer outside the spectral domain as it is (spectral pooling runs only there)."""
    changes: dict[str, object] = {}
    for index in pools:
        spectral = workload.domain_of(workload.layers[index]) is Domain.SPECTRAL
        if method != SPECTRAL_POOL_METHOD or spectral:
            changes[f"layers[{index}].method"] = method
    return override(workload, changes)


def _cost(hardware: HardwareSpec, workload: Workload) -> HardwareCost:
    result = simulate(hardware, workload)
    layers = result.layers
    return HardwareCost(
        cycles=result.summary.total_cycles,
        time_s=result.summary.time_s,
        energy_pj=result.summary.energy_pj,
        pool_energy_pj=float(layers.loc[layers["kind"] == "pool", "energy_pj"].sum()),
    )


def _accuracy(
    hardware: HardwareSpec, workload: Workload, source: DatasetSource, epochs: int, seed: int
) -> Accuracy:
    run = train_workload(hardware, workload, source, epochs=epochs, seed=seed)
    final = run.summary["final"]
    return Accuracy(
        bit_true=final[Arithmetic.FIXED.value]["holdout_accuracy"],
        float64=final[Arithmetic.FLOAT.value]["holdout_accuracy"],
    )


def comparison_table(study: PoolingStudy) -> pd.DataFrame:
    """One row per method: its family, the measures, and on the accelerator its step's cost
    and hold-out accuracies (empty where ``note`` says why)."""
    records = []
    for row in study.rows:
        info, shift = row.metrics.information, row.metrics.shift
        records.append(
            {
                "method": row.entry.name,
                "family": row.entry.family,
                "settings": row.entry.settings,
                "on_accelerator": row.on_accelerator,
                "relative_error": info.relative_error,
                "kept_fraction": info.kept_fraction,
                "psnr_db": info.psnr,
                "least_squares_relative_error": row.least_squares.relative_error,
                "equivariance_error": shift.equivariance_error,
                "consistency": shift.consistency,
                "gap_change": shift.gap_change,
                "energy_change": shift.energy_change,
                "cycles": row.cost.cycles if row.cost else None,
                "time_s": row.cost.time_s if row.cost else None,
                "energy_pj": row.cost.energy_pj if row.cost else None,
                "pool_energy_pj": row.cost.pool_energy_pj if row.cost else None,
                "holdout_accuracy_bit_true": row.accuracy.bit_true if row.accuracy else None,
                "holdout_accuracy_float64": row.accuracy.float64 if row.accuracy else None,
                "note": row.note,
            }
        )
    table = pd.DataFrame(records)
    return table.astype({"cycles": "Int64"})
