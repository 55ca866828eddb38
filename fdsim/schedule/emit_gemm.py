"""Emitting an FC step: a real GEMM on the CMAC lanes with its fused activations."""

from __future__ import annotations

from functools import partial

from fdsim.schedule.emit import Emitter
from fdsim.schedule.lower import StepPlan
from fdsim.schedule.ops import Allocation, Buffer, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.tiling import largest_fitting, split


def emit_gemm(emitter: Emitter, plan: StepPlan) -> None:
    """Tile an FC layer by output features (its weights and bias) × images; fused activations
    run in place, a ReLU also writing its mask to the stash when a backward follows. Each
    output feature's bias is loaded with its weights and added once per output."""
    rep_in, rep_out = plan.rep_in, plan.rep_head
    f_in = rep_in.channels * rep_in.size * rep_in.size
    f_out = rep_out.channels
    name = emitter.names[plan.head_layer]
    ab, wb = emitter.bytes.spatial, emitter.bytes.weight
    slots = [emitter.stash_slot(tail, f_out, f_out, emitter.batch) for tail in plan.tails]
    per_feature = (f_in + 1) * wb  # its weights and its bias
    fo_tile = largest_fitting(
        f_out,
        {Buffer.WEIGHTS: per_feature},
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="output feature's weights and bias",
    )
    per_image = emitter.per_item(f_in * ab, fo_tile * ab)
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
            f"gemm: {len(image_tiles)} image tiles of ≤{images} × {len(fo_tiles)} "
            f"output-feature tiles of ≤{fo_tile}; weights "
            f"{'loaded once' if resident else 'streamed per image tile'}"
        ),
    )
    program = emitter.program
    out = emitter.out_buffer
    w_load = -1
    w_bytes = f_out * per_feature
    if resident:
        w_load = program.load(plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
    for i_pos, (_i0, nim) in enumerate(image_tiles):
        x_bytes = nim * f_in * ab
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
            out_alloc: Allocation = (out, nim * nfo * ab)
            prev = program.gemm(
                plan.head_layer,
                (x_load, w_load),
                Traffic(Buffer.ACTIVATIONS, out, (nim * f_in, nim * nfo), (ab, ab)),
                images=nim,
                in_channels=f_in,
                out_channels=nfo,
                weight_element_bytes=wb,
                bias=True,
                holds=Holds((out_alloc,), release),
            )
            activations = Traffic(out, out, (nim * nfo, nim * nfo), (ab, ab))
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
                prev = emitter.with_stash_write(tail.layer, slot, nim * nfo, Holds(), emit)
            program.store(emitter.last_layer(plan), prev, nim * nfo * ab, (out_alloc,))
