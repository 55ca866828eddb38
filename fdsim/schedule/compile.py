"""The compiler's entry point: (Workload, HardwareSpec, phases) -> Schedule."""

from __future__ import annotations

from collections.abc import Iterable

from fdsim.geometry import Rep
from fdsim.network.lowering import lower_network
from fdsim.schedule.backward import emit_backward
from fdsim.schedule.emit import Emitter
from fdsim.schedule.emit_update import emit_update
from fdsim.schedule.forward import emit_forward_step
from fdsim.schedule.lower import lower, transform_limit
from fdsim.schedule.ops import TRAINING_STEP, Buffer, LayerPlan, Phase, Schedule
from fdsim.schedule.stash import StashPlan
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Domain, Workload


class PhaseSelectionError(ValueError):
    """A set of phases that leaves out a phase another one needs."""


def check_phases(phases: Iterable[Phase]) -> frozenset[Phase]:
    """The selection as a set; each phase's ``needs`` must be selected too."""
    chosen = frozenset(phases)
    if not chosen:
        raise PhaseSelectionError("select at least one phase")
    for phase in Phase:
        missing = [need.value for need in phase.needs if need not in chosen]
        if phase in chosen and missing:
            raise PhaseSelectionError(f"{phase.value} needs {', '.join(missing)} too")
    return chosen


def compile_schedule(
    workload: Workload, hardware: HardwareSpec, phases: Iterable[Phase] = TRAINING_STEP
) -> Schedule:
    """Lower the selected phases of one training step into tiled ops: the forward in layer
    order, then the backward (bwd_data, bwd_weight) in reverse layer order, then the update.

    Raises ``PhaseSelectionError`` for a selection missing a needed phase, and
    ``SpecFieldError`` naming the spec field at fault when the workload cannot run on the
    hardware (a missing unit, an FFT too short, a buffer too small for one tile, ...).
    """
    chosen = check_phases(phases)
    backward = Phase.BACKWARD_DATA in chosen
    network = lower_network(workload, transform_limit(hardware))
    lowered = lower(workload, hardware, network)
    stash = StashPlan(hardware, enabled=backward)
    emitter = Emitter(hardware, workload.batch_size, workload.layers, stash)
    for index in range(len(workload.layers)):
        emitter.plan(index, Phase.FORWARD)
    if backward:
        # in-step stash kept in the gradients buffer is reserved for the whole forward
        emitter.reserve(Buffer.GRADIENTS, stash.budget_bytes)
    for step in lowered.steps:
        emit_forward_step(emitter, step)
        for tail in step.tails:
            if tail.layer != step.head_layer:
                emitter.note(tail.layer, f"fused into {emitter.names[step.head_layer]}'s tiles")
    if backward:
        emitter.reserve(Buffer.GRADIENTS, stash.kept_bytes)
        stores = emit_backward(emitter, lowered, weights=Phase.BACKWARD_WEIGHT in chosen)
        if Phase.UPDATE in chosen:
            emitter.reserve(Buffer.GRADIENTS, 0)
            emit_update(emitter, lowered, stores, workload.training)
    plans = tuple(
        LayerPlan(
            name=workload.layers[index].name,
            kind=workload.layers[index].kind,
            phase=phase,
            domain=_reported_domain(lowered.layer_domains[index], lowered.layer_reps[index][1]),
            input_shape=lowered.layer_reps[index][0].shape,
            output_shape=lowered.layer_reps[index][1].shape,
            mapping="; ".join(emitter.mappings.get(plan, [])),
            reduction_tiles=emitter.reductions.get(plan, ()),
            tiles=emitter.tiles.get(plan, {}),
        )
        for plan, (index, phase) in enumerate(emitter.plan_keys)
    )
    return Schedule(network, plans, emitter.program.ops, chosen)


def _reported_domain(declared: Domain, output: Rep) -> str:
    """The domain a layer actually ran in: a layer declared spectral whose output is spatial
    (an FC layer, the loss, anything after the last iFFT) ran in the spatial domain."""
    if declared is Domain.SPECTRAL and not output.spectral:
        return Domain.SPATIAL.value
    return declared.value
