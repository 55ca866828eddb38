"""The compiler's entry point: (Workload, HardwareSpec) -> Schedule."""

from __future__ import annotations

from fdsim.schedule.emit import Emitter
from fdsim.schedule.lower import Rep, lower
from fdsim.schedule.ops import LayerPlan, Phase, Schedule
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Domain, Workload


def compile_schedule(workload: Workload, hardware: HardwareSpec) -> Schedule:
    """Lower the forward pass into tiled ops.

    Raises ``SpecFieldError`` naming the spec field at fault when the workload cannot run on
    the hardware (a missing unit, an FFT too short, a buffer too small for one tile, ...).
    """
    lowered = lower(workload, hardware)
    names = [layer.name for layer in workload.layers]
    emitter = Emitter(hardware, workload.batch_size, names)
    for step in lowered.steps:
        emitter.step(step)
        for tail in step.tails:
            if tail.layer != step.head_layer:
                emitter.note(tail.layer, f"fused into {names[step.head_layer]}'s tiles")
    plans = tuple(
        LayerPlan(
            name=layer.name,
            kind=layer.kind,
            phase=Phase.FORWARD,
            domain=_reported_domain(lowered.layer_domains[index], lowered.layer_reps[index][1]),
            input_shape=lowered.layer_reps[index][0].shape,
            output_shape=lowered.layer_reps[index][1].shape,
            mapping="; ".join(emitter.mappings.get(index, [])),
        )
        for index, layer in enumerate(workload.layers)
    )
    return Schedule(plans, tuple(emitter.ops))


def _reported_domain(declared: Domain, output: Rep) -> str:
    """The domain a layer actually ran in: a layer declared spectral whose output is spatial
    (an FC layer, the loss, anything after the last iFFT) ran in the spatial domain."""
    if declared is Domain.SPECTRAL and not output.spectral:
        return Domain.SPATIAL.value
    return declared.value
