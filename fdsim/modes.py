"""``fdsim modes``: one network in the three domains — ``spectral`` (the DAC 2017 scheme: the
network stays in the frequency domain), ``hybrid`` (FFT convolution, spatial activations and
pooling) and ``spatial`` (im2col GEMMs) — on the FFT accelerator, and in the spatial domain on
a baseline (the systolic array): the same layers, each case compiled, simulated and priced
by the one pipeline (``api.simulate``).

The workload is rewritten per mode, and only so: its ``domain`` is the mode, per-layer
``domain`` overrides are dropped, and outside the spectral domain a ``spectral`` pool (a crop
of the spectra) becomes ``spatial_pool`` (default ``average``, the spatial low-pass nearest to
it) with the same output size. Map sizes follow each mode's convolution semantics: spectral
convolutions are circular on the FFT grid (padding ignored), hybrid and spatial ones linear
(zero-padded), so their layers' shapes may differ (the table says so). A case the compiler
refuses (a relu on spectral maps, a missing unit) is kept with its reason instead of numbers.
With ``epochs``, every case that compiles is also trained (``training.train_workload``: bit-true
on its hardware and in float64, from the same seeded parameters) for its hold-out accuracy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fdsim.errors import ConfigError
from fdsim.nn.datasets import DatasetSource, load_dataset
from fdsim.operators.registry import SPECTRAL_POOL_METHOD
from fdsim.results import RunResult
from fdsim.schedule.ops import TRAINING_STEP, Phase
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.origin import origin_or_placeholder
from fdsim.spec.override import override
from fdsim.spec.workload import Domain, PoolLayer, Workload

MODES = (Domain.SPECTRAL, Domain.HYBRID, Domain.SPATIAL)
DEFAULT_SPATIAL_POOL = "average"


@dataclass(frozen=True)
class ModeCase:
    """One (mode, hardware) case: its result, or why the compiler refused it."""

    mode: Domain
    role: str  # "accelerator" or "baseline"
    hardware: str
    result: RunResult | None
    refused: str = ""
    accuracy_bit_true: float | None = None  # hold-out accuracy after training (None: untrained)
    accuracy_float64: float | None = None


@dataclass(frozen=True)
class ModesStudy:
    workload: Workload
    cases: tuple[ModeCase, ...]
    settings: dict[str, Any]


def in_mode(workload: Workload, mode: Domain, spatial_pool: str) -> Workload:
    """``workload`` in ``mode`` (the rewrite the module docstring states)."""
    changes: dict[str, Any] = {"domain": mode.value}
    for index, layer in enumerate(workload.layers):
        if layer.domain is not None:
            changes[f"layers[{index}].domain"] = None
        if (
            mode is not Domain.SPECTRAL
            and isinstance(layer, PoolLayer)
            and layer.method == SPECTRAL_POOL_METHOD
        ):
            changes[f"layers[{index}].method"] = spatial_pool
    return override(workload, changes)


def study_modes(
    accelerator: HardwareSpec,
    workload: Workload,
    baseline: HardwareSpec | None,
    *,
    phases: frozenset[Phase] = TRAINING_STEP,
    spatial_pool: str = DEFAULT_SPATIAL_POOL,
    epochs: int = 0,
    source: DatasetSource | None = None,
    seed: int = 0,
    on_progress: Callable[[str], None] | None = None,
) -> ModesStudy:
    """Every mode on ``accelerator``, and the spatial mode on ``baseline`` when given; with
    ``epochs`` each case is trained on ``source`` (default: digits) from ``seed``. Raises
    ``ConfigError`` for a topology (its rows have no domain to change), for a data set the
    workload cannot take, and when no case compiles."""
    from fdsim.api import simulate
    from fdsim.training import train_workload

    if workload.topology:
        raise ConfigError(
            origin_or_placeholder(workload, "workload").path,
            "is a topology (conv_row rows): it has no domains to compare; give a network",
        )
    say = on_progress or (lambda _message: None)
    data = source or DatasetSource()
    if epochs:  # refuse a data set the network cannot take before simulating anything
        load_dataset(data, workload.network_input, seed)
    plan = [(mode, "accelerator", accelerator) for mode in MODES]
    if baseline is not None:
        plan.append((Domain.SPATIAL, "baseline", baseline))
    cases = []
    for mode, role, hardware in plan:
        say(f"{mode.value} on {hardware.name}")
        rewritten = in_mode(workload, mode, spatial_pool)
        try:
            result = simulate(hardware, rewritten, phases=phases)
        except ConfigError as refusal:
            cases.append(ModeCase(mode, role, hardware.name, None, str(refusal)))
            continue
        case = ModeCase(mode, role, hardware.name, result)
        if epochs:
            say(f"  training {epochs} epochs")
            final = train_workload(hardware, rewritten, data, epochs=epochs, seed=seed).summary[
                "final"
            ]
            case = replace(
                case,
                accuracy_bit_true=final["fixed"]["holdout_accuracy"],
                accuracy_float64=final["float"]["holdout_accuracy"],
            )
        cases.append(case)
    if all(case.result is None for case in cases):
        raise ConfigError(
            origin_or_placeholder(workload, "workload").path,
            "no mode compiles: " + "; ".join(f"{c.mode.value}: {c.refused}" for c in cases),
        )
    settings = {
        "workload": workload.name,
        "accelerator": accelerator.name,
        "baseline": baseline.name if baseline is not None else None,
        "phases": [phase.value for phase in Phase if phase in phases],
        "spatial_pool": spatial_pool,
        "epochs": epochs,
        "dataset": data.name.value if epochs else None,
        "seed": seed,
    }
    return ModesStudy(workload, tuple(cases), settings)
