"""The update phase: SGD on the update unit, streaming every parameter once.

Per real parameter value: ``v ← momentum·v + (g + weight_decay·w)``; ``w ← w − lr·v``. The
unit loads w (at the master-weights width when the hardware keeps master weights, else the
weights width), g (gradients width) and, only when momentum > 0, v (kept at the master width);
it stores w, v and, with master weights, the copy rounded to the weights format that the
forward reads. Parameters: a convolution's spectral weights (co·ci kernels of N×(N/2+1)
complex bins on the layer's grid, two reals each), a spatial convolution's co·ci·k² kernel
taps, and an FC layer's weights and biases.
Layers are updated in the order their gradients become ready (last layer first); each waits
only for its own gradient's stores.
"""

from __future__ import annotations

from fdsim.schedule.emit import Emitter
from fdsim.schedule.lower import Lowered, StepKind
from fdsim.schedule.ops import Allocation, Buffer, Phase, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.spectral_bins import half_bins
from fdsim.schedule.tiling import largest_fitting, split
from fdsim.spec.workload import TrainingSpec


def parameter_values(lowered: Lowered) -> dict[int, int]:
    """Real parameter values per parametric workload layer."""
    values: dict[int, int] = {}
    for plan in lowered.steps:
        if plan.kind is StepKind.SPECTRAL_CONV:
            kernels = plan.rep_in.channels * plan.rep_head.channels
            values[plan.head_layer] = 2 * kernels * half_bins(plan.rep_in.grid)
        elif plan.kind is StepKind.GEMM:
            assert plan.gemm is not None
            g = plan.gemm
            values[plan.head_layer] = g.outputs * (g.reduction + g.bias)
    return values


def emit_update(
    emitter: Emitter,
    lowered: Lowered,
    gradient_stores: dict[int, list[int]],
    training: TrainingSpec,
) -> None:
    values = parameter_values(lowered)
    b = emitter.bytes
    numerics = emitter.hardware.numerics
    master_b = b.master
    velocity_b = master_b if training.momentum > 0 else 0
    copy_b = b.weight if numerics.master_weights is not None else 0
    gb = b.gradient
    per = {Buffer.WEIGHTS: master_b + velocity_b + copy_b, Buffer.GRADIENTS: gb}
    program = emitter.program
    for layer in sorted(values, reverse=True):
        plan = emitter.plan(layer, Phase.UPDATE)
        name = emitter.names[layer]
        total = values[layer]
        tile = largest_fitting(
            total, per, emitter.capacity, emitter.buffering, layer=name, what="parameter update"
        )
        tiles = split(total, tile)
        emitter.note(
            plan,
            f"sgd: {total:,} values in {len(tiles)} tiles of ≤{tile}"
            f"{'; momentum' if velocity_b else ''}"
            f"{'; weight decay' if training.weight_decay > 0 else ''}"
            f"{'; master weights + rounded copy' if copy_b else ''}",
        )
        deps = program.last_of(gradient_stores.get(layer, []))
        for _start, n in tiles:
            w = program.load(plan, n * master_b, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
            loads = [w]
            if velocity_b:
                loads.append(
                    program.load(plan, n * velocity_b, Tensor.VELOCITY, Buffer.WEIGHTS, False)
                )
            loads.append(
                program.load(plan, n * gb, Tensor.GRADIENTS, Buffer.GRADIENTS, False, deps)
            )
            program.flush()
            copy: tuple[Allocation, ...] = ((Buffer.WEIGHTS, n * copy_b),) if copy_b else ()
            update = program.update(
                plan,
                tuple(loads),
                Traffic(Buffer.GRADIENTS, Buffer.WEIGHTS, (n, n), (gb, copy_b)),
                weight_element_bytes=master_b,
                state_element_bytes=velocity_b,
                weight_decay=training.weight_decay > 0,
                holds=Holds(copy, ((Buffer.GRADIENTS, n * gb),)),
            )
            stores = [(n * master_b, Tensor.WEIGHTS), (n * velocity_b, Tensor.VELOCITY)]
            stores.append((n * copy_b, Tensor.WEIGHTS))
            for nbytes, tensor in stores:
                if nbytes:
                    released: Allocation = (Buffer.WEIGHTS, nbytes)
                    program.store(plan, update, nbytes, (released,), tensor, Buffer.WEIGHTS)
        program.end_step()
