"""A spectral convolution step backwards: both gradient products in one bin-tiled loop, then
the sinc projection of the weight gradient onto the kernel support.

Per bin tile × input-channel tile × image tile: load G (the gradient of the step's output,
only the bins the forward kept), run the fused tails backwards in place in the gradients
buffer (crop → zero-pad scatter, affine → a·G), replicate it to the fold's aliases (stride),
then on the CMAC array

* bwd_data   ``∂X[b,i] = Σ_o G[b,o]·W[o,i]`` (reduction over all output channels: one tile),
* bwd_weight ``∂W[o,i] = Σ_b X[b,i]·conj(G[b,o])`` with X re-read from DRAM (stash). The batch
  is reduced over image tiles: between them the partial sums wait in the gradients buffer at
  the partial-sum width and are read back; the last tile writes the gradient width.

Only the bins the forward computed carry gradient (the crop's adjoint zero-fills the rest), so
only those are computed, as in the forward.
"""

from __future__ import annotations

from fdsim.schedule.emit import Emitter
from fdsim.schedule.emit_conv import stage_tables, track_bins
from fdsim.schedule.lower import StepPlan
from fdsim.schedule.ops import Allocation, Buffer, OpKind, Phase, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.spectral_bins import half_bins
from fdsim.schedule.tiling import largest_fitting, split
from fdsim.spec.workload import ConvLayer


def emit_spectral_conv_backward(
    emitter: Emitter, plan: StepPlan, *, data: bool, weight: bool
) -> list[int]:
    """Emit the step's backward; returns the ops that store the projected weight gradient."""
    rep_in, rep_out = plan.rep_in, plan.rep_head
    # an overlap-add tiled conv's tiles ride the batch axis: its "images" are images × tiles
    batch = emitter.batch * rep_in.tiles
    of_tiles = " (images × overlap-add tiles)" if rep_in.tiles > 1 else ""
    ci, co, s2 = rep_in.channels, rep_out.channels, plan.stride**2
    layer = plan.head_layer
    name = emitter.names[layer]
    b = emitter.bytes
    sb, gsb, wsb, psb = b.spectral, b.gradient_spectral, b.weight_spectral, b.partial_spectral
    computed, stages, _grid_bins = track_bins(plan)
    tables = stage_tables(stages, computed)
    bins = computed.size
    tail_plans = [emitter.plan(table.tail.layer, Phase.BACKWARD_DATA) for table in reversed(tables)]
    data_plan = emitter.plan(layer, Phase.BACKWARD_DATA) if data else -1
    weight_plan = emitter.plan(layer, Phase.BACKWARD_WEIGHT) if weight else -1
    conv_plan = data_plan if data else weight_plan
    cap = emitter.capacity
    # One bin's weight-gradient accumulators may take a quarter of the gradients buffer
    # (counted twice here, and again by the buffering factor), leaving room for G tiles.
    per_channel: dict[Buffer, int] = {}
    if data:
        per_channel[Buffer.WEIGHTS] = co * s2 * wsb
    if weight:
        per_channel[Buffer.GRADIENTS] = 2 * co * s2 * psb
    ci_tile = largest_fitting(
        ci,
        per_channel,
        cap,
        emitter.buffering,
        layer=name,
        what="bin of one input channel's weights (backward)",
    )
    dw_per_bin = co * ci_tile * s2 * psb if weight else 0
    w_bins = largest_fitting(
        bins,
        {Buffer.WEIGHTS: co * ci_tile * s2 * wsb if data else 0},
        cap,
        emitter.buffering,
        layer=name,
        what="bin of weights (backward)",
    )
    per_image: dict[Buffer, int] = {Buffer.GRADIENTS: co * s2 * gsb}
    if weight:
        per_image[Buffer.ACTIVATIONS] = ci_tile * s2 * sb
    if data:
        per_image[emitter.out_buffer] = per_image.get(emitter.out_buffer, 0) + ci_tile * s2 * gsb
    room = dict(cap)
    room[Buffer.GRADIENTS] -= emitter.buffering[Buffer.GRADIENTS] * dw_per_bin
    images = largest_fitting(
        batch,
        per_image,
        room,
        emitter.buffering,
        layer=name,
        what="bin of one image's gradient",
    )
    per_bin = {buffer: images * n for buffer, n in per_image.items()}
    per_bin[Buffer.GRADIENTS] += dw_per_bin
    tile_bins = min(
        w_bins,
        largest_fitting(bins, per_bin, cap, emitter.buffering, layer=name, what="gradient bin"),
    )
    bin_tiles, ci_tiles = split(bins, tile_bins), split(ci, ci_tile)
    image_tiles = split(batch, images)
    shape = (
        f"{len(bin_tiles)} bin tiles of ≤{tile_bins} × {len(ci_tiles)} in-channel tiles of "
        f"≤{ci_tile} × {len(image_tiles)} image tiles of ≤{images}{of_tiles}"
    )
    if data:
        emitter.record_reductions(data_plan, (co,))
        emitter.note(data_plan, f"cmac Σ_o G·W: {shape}")
    if weight:
        emitter.record_reductions(weight_plan, tuple(n for _start, n in image_tiles))
        emitter.note(
            weight_plan,
            f"cmac Σ_b X·conj(G): {shape}; partial sums kept in the gradients buffer between "
            "image tiles",
        )
    for tail_plan in tail_plans:
        emitter.note(tail_plan, f"fused into {name}'s backward tiles")
    program = emitter.program
    first_op = program.mark()
    for b0, nb in bin_tiles:
        counts = [(table.tail.stream, *table.counts(b0, nb)) for table in tables]
        kept = counts[-1][2] if counts else nb
        for _c0, nci in ci_tiles:
            w_bytes = co * nci * s2 * nb * wsb
            w_load = (
                program.load(data_plan, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
                if data
                else -1
            )
            dw_bytes = co * nci * s2 * nb * psb
            dw_alloc: Allocation = (Buffer.GRADIENTS, dw_bytes)
            dw = -1
            for position, (_i0, nim) in enumerate(image_tiles):
                first, last = position == 0, position == len(image_tiles) - 1
                maps = nim * co
                g_room = maps * s2 * nb * gsb
                head = tail_plans[0] if tail_plans else conv_plan
                g = program.load(
                    head,
                    maps * kept * gsb,
                    Tensor.GRADIENTS,
                    Buffer.GRADIENTS,
                    True,
                    room_bytes=g_room,
                )
                x_bytes = nim * nci * s2 * nb * sb
                x = (
                    program.load(weight_plan, x_bytes, Tensor.STASH, Buffer.ACTIVATIONS, False)
                    if weight
                    else -1
                )
                program.flush()
                prev, n = g, kept
                for tail_plan, (operator, n_read, n_kept) in zip(
                    tail_plans, reversed(counts), strict=True
                ):
                    prev = emitter.in_place(
                        tail_plan,
                        operator.backward_kind,
                        prev,
                        (maps * n_kept, maps * n_read),
                        gsb,
                        operator=operator,
                        spectral=True,
                        buffer=Buffer.GRADIENTS,
                    )
                    n = n_read
                if plan.stride > 1:
                    assert plan.fold is not None
                    prev = emitter.in_place(
                        conv_plan,
                        OpKind.UNFOLD,
                        prev,
                        (maps * n, maps * s2 * n),
                        gsb,
                        operator=plan.fold,
                        spectral=True,
                        buffer=Buffer.GRADIENTS,
                    )
                g_release: Allocation = (Buffer.GRADIENTS, g_room)
                if data:
                    out_bytes = nim * nci * s2 * nb * gsb
                    out_alloc: Allocation = (emitter.out_buffer, out_bytes)
                    release: tuple[Allocation, ...] = () if weight else (g_release,)
                    if last:
                        release += ((Buffer.WEIGHTS, w_bytes),)
                    dx = program.cmac(
                        data_plan,
                        (prev, w_load),
                        Traffic(
                            Buffer.GRADIENTS,
                            emitter.out_buffer,
                            (maps * s2 * nb, nim * nci * s2 * nb),
                            (gsb, gsb),
                        ),
                        images=nim,
                        in_channels=co,
                        out_channels=nci,
                        bins=s2 * nb,
                        weight_element_bytes=wsb,
                        holds=Holds((out_alloc,), release),
                    )
                    program.store(data_plan, dx, out_bytes, (out_alloc,), Tensor.GRADIENTS)
                if weight:
                    dw = program.cmac(
                        weight_plan,
                        (prev, x) if first else (prev, x, dw),
                        Traffic(
                            Buffer.ACTIVATIONS,
                            Buffer.GRADIENTS,
                            (nim * nci * s2 * nb, co * nci * s2 * nb),
                            (sb, gsb if last else psb),
                        ),
                        images=1,
                        in_channels=nim,
                        out_channels=co * nci,
                        bins=s2 * nb,
                        weight_element_bytes=gsb,
                        operand=Buffer.GRADIENTS,
                        partial_in_bytes=0 if first else dw_bytes,
                        holds=Holds(
                            (dw_alloc,) if first else (), ((Buffer.ACTIVATIONS, x_bytes), g_release)
                        ),
                    )
            if weight:
                final = co * nci * s2 * nb * gsb
                program.store(
                    weight_plan, dw, final, (dw_alloc,), Tensor.GRADIENTS, Buffer.GRADIENTS
                )
    data_stores = program.stores_since(first_op, data_plan)
    dw_stores = program.stores_since(first_op, weight_plan)
    stores = _project(emitter, plan, weight_plan, dw_stores, s2 * bins) if weight else []
    program.end_step_on(data_stores)
    return stores


def _project(
    emitter: Emitter, plan: StepPlan, weight_plan: int, deps: list[int], bins_in: int
) -> list[int]:
    """Sinc-project every kernel's gradient (``bins_in`` computed bins) onto its k×k support
    and interpolate it back to the weights' grid, kernel tiles at a time."""
    layer = emitter.layers[plan.head_layer]
    assert isinstance(layer, ConvLayer)
    grid = plan.rep_in.grid
    kernels = plan.rep_in.channels * plan.rep_head.channels
    gsb = emitter.bytes.gradient_spectral
    bins_out = half_bins(grid)
    per = emitter.per_item(bins_in * gsb, bins_out * gsb, Buffer.GRADIENTS)
    name = emitter.names[plan.head_layer]
    tile = largest_fitting(
        kernels,
        per,
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="kernel's weight gradient",
    )
    emitter.note(weight_plan, f"project: {tile} kernels per tile, k={min(layer.kernel, grid)}")
    program = emitter.program
    first_op = program.mark()
    after_gradients = program.last_of(deps)  # once: ``deps`` are thousands of stores
    for _start, count in split(kernels, tile):
        in_bytes = count * bins_in * gsb
        load = program.load(
            weight_plan, in_bytes, Tensor.GRADIENTS, Buffer.GRADIENTS, False, after_gradients
        )
        program.flush()
        out_alloc: Allocation = (emitter.out_buffer, count * bins_out * gsb)
        project = program.project(
            weight_plan,
            (load,),
            Traffic(
                Buffer.GRADIENTS,
                emitter.out_buffer,
                (count * bins_in, count * bins_out),
                (gsb, gsb),
            ),
            maps=count,
            points=grid,
            kernel=min(layer.kernel, grid),
            holds=Holds((out_alloc,), ((Buffer.GRADIENTS, in_bytes),)),
        )
        program.store(weight_plan, project, count * bins_out * gsb, (out_alloc,), Tensor.GRADIENTS)
    return program.stores_since(first_op)
