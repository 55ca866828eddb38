"""Emitting a GEMM step (FC or spatial conv, ``StepPlan.gemm``): a real matrix product on the
matrix unit (systolic array or CMAC lanes) with its fused activations."""

from __future__ import annotations

from functools import partial

from fdsim.schedule.emit import Emitter
from fdsim.schedule.lower import StepPlan
from fdsim.schedule.ops import Allocation, Buffer, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.tiling import largest_fitting, split


def emit_gemm(emitter: Emitter, plan: StepPlan) -> None:
    """Tile the step by output features (their weights and bias) × images; each tile is one
    GEMM of (images × positions) rows by the reduction (the im2col operand of a conv, streamed
    from the input maps). Fused activations run in place, a ReLU also writing its mask to the
    stash when a backward follows. An FC output feature's bias is loaded with its weights and
    added once per output."""
    geometry = plan.gemm
    assert geometry is not None
    rows, f_in, f_out = geometry.rows, geometry.reduction, geometry.outputs
    name = emitter.names[plan.head_layer]
    ab, wb = emitter.bytes.spatial, emitter.bytes.weight
    per_out = rows * f_out  # output elements per image
    slots = [emitter.stash_slot(tail, per_out, per_out, emitter.batch) for tail in plan.tails]
    per_feature = (f_in + geometry.bias) * wb  # its weights (and its bias)
    fo_tile = largest_fitting(
        f_out,
        {Buffer.WEIGHTS: per_feature},
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="output feature's weights and bias",
    )
    per_image = emitter.per_item(geometry.in_elements * ab, rows * fo_tile * ab)
    for slot in slots:
        if slot is not None and not slot.kept:
            per_image[Buffer.GRADIENTS] = (
                per_image.get(Buffer.GRADIENTS, 0) + slot.tiling_bytes_per_item
            )
    images = largest_fitting(
        emitter.batch, per_image, emitter.capacity, emitter.buffering, layer=name, what="image"
    )
    fo_tiles, image_tiles = split(f_out, fo_tile), split(emitter.batch, images)
    resident = len(fo_tiles) == 1
    emitter.record_reductions(plan.head_layer, (f_in,))
    emitter.note(
        plan.head_layer,
        (
            f"{emitter.matrix_kind.value}: {len(image_tiles)} image tiles of ≤{images} × "
            f"{len(fo_tiles)} output-feature tiles of ≤{fo_tile}"
            + (f" (GEMM rows {rows} per image, reduction {f_in})" if rows > 1 else "")
            + f"; weights {'loaded once' if resident else 'streamed per image tile'}"
        ),
    )
    program = emitter.program
    out = emitter.out_buffer
    w_load = -1
    w_bytes = f_out * per_feature
    if resident:
        w_load = program.load(plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
    for i_pos, (_i0, nim) in enumerate(image_tiles):
        x_bytes = nim * geometry.in_elements * ab
        x_load = program.load(
            plan.head_layer, x_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
        )
        program.flush()
        for f_pos, (_f0, nfo) in enumerate(fo_tiles):
            release: tuple[Allocation, ...] = ()
            if not resident:
                w_bytes = nfo * per_feature
                w_load = program.load(
                    plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False
                )
                release += ((Buffer.WEIGHTS, w_bytes),)
                program.flush()
            elif i_pos == len(image_tiles) - 1:
                release += ((Buffer.WEIGHTS, w_bytes),)
            if f_pos == len(fo_tiles) - 1:
                release += ((Buffer.ACTIVATIONS, x_bytes),)
            outputs = nim * rows * nfo
            out_alloc: Allocation = (out, outputs * ab)
            prev = program.gemm(
                plan.head_layer,
                (x_load, w_load),
                Traffic(Buffer.ACTIVATIONS, out, (nim * rows * f_in, outputs), (ab, ab)),
                kind=emitter.matrix_kind,
                images=nim * rows,
                in_channels=f_in,
                out_channels=nfo,
                weight_element_bytes=wb,
                bias=geometry.bias,
                holds=Holds((out_alloc,), release),
            )
            activations = Traffic(out, out, (outputs, outputs), (ab, ab))
            for tail, slot in zip(plan.tails, slots, strict=True):
                emit = partial(
                    program.stream,
                    tail.layer,
                    tail.stream.forward_kind,
                    (prev,),
                    activations,
                    spectral=False,
                    operator=tail.stream,
                )
                prev = emitter.with_stash_write(tail.layer, slot, outputs, Holds(), emit)
            program.store(emitter.last_layer(plan), prev, outputs * ab, (out_alloc,))
