"""A GEMM step (FC or spatial conv, ``StepPlan.gemm``) backwards: its fused activations'
backward as a map step of its own, then two GEMMs on the matrix unit. Per image, ``rows``
output positions; the reduction runs over input units (FC features; conv channels × k² taps).

* bwd_data   ``∂x[b, i] = Σ_o g[b, o]·W[o, i]`` (a conv's im2col columns, summed back onto
  the maps by col2im): tiled like the forward with the roles of the feature axes swapped
  (input-unit tiles of the weights, all outputs reduced at once).
* bwd_weight ``∂W[o, i] = Σ_b g[b, o]·x[b, i]`` (summed over positions too) and the FC bias
  gradient ``∂β[o] = Σ_b g[b, o]`` (one more input column of ones): output × input-unit tiles
  of the gradient stay in the gradients buffer while the image tiles stream through; x is
  re-read from DRAM (stash). Between image tiles the partial sums are spilled at the
  partial-sum width and read back. On the systolic array the product is oriented output
  features × reduction × columns (a GEMM of one row would leave the array's rows idle).
"""

from __future__ import annotations

from math import isqrt

from fdsim.schedule.emit import Emitter
from fdsim.schedule.gemm_tiles import RowTile, row_tiles
from fdsim.schedule.links import GRADIENT_IO, Link
from fdsim.schedule.lower import GemmGeometry, StepPlan
from fdsim.schedule.ops import Allocation, Buffer, OpKind, Phase, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.tiling import largest_fitting, split


def emit_gemm_backward(emitter: Emitter, plan: StepPlan, *, data: bool, weight: bool) -> list[int]:
    """Emit the step's backward; returns the ops that store the weight gradient."""
    geometry = plan.gemm
    assert geometry is not None
    if plan.tails:
        _tails(emitter, plan, geometry)
    data_stores = _data(emitter, plan, geometry) if data else []
    weight_stores = _weight(emitter, plan, geometry) if weight else []
    emitter.program.end_step_on(data_stores)
    return weight_stores


def _tails(emitter: Emitter, plan: StepPlan, geometry: GemmGeometry) -> None:
    """The fused activations backwards (ReLU through its stashed mask), last first: tiled by
    images for an FC layer's vectors, by maps for a conv's outputs (an image of a large map
    need not fit at once)."""
    maps = geometry.rows > 1
    items = emitter.batch * (geometry.outputs if maps else 1)
    per_item = geometry.rows if maps else geometry.outputs
    links = [
        Link(
            tail.stream.backward_kind,
            emitter.plan(tail.layer, Phase.BACKWARD_DATA),
            per_item,
            per_item,
            emitter.bytes.gradient,
            False,
            stash=emitter.stash.slots.get(tail.layer),
            op=tail.op,
        )
        for tail in reversed(plan.tails)
    ]
    gb = emitter.bytes.gradient
    what = "map" if maps else "image"
    tile = emitter.chain(links[0].layer, items, per_item, gb, links, GRADIENT_IO, what)
    emitter.note(links[0].layer, f"{links[0].kind.value}: {tile} {what}s per tile")
    emitter.program.end_step()


def _data(emitter: Emitter, plan: StepPlan, geometry: GemmGeometry) -> list[int]:
    layer = emitter.plan(plan.head_layer, Phase.BACKWARD_DATA)
    name = emitter.names[plan.head_layer]
    gb, wb = emitter.bytes.gradient, emitter.bytes.weight
    f_out, taps = geometry.outputs, geometry.taps
    fi_tile = largest_fitting(
        geometry.units,
        {Buffer.WEIGHTS: f_out * taps * wb},
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="input feature's weights (backward)",
    )

    def tile_bytes(tile: RowTile) -> dict[Buffer, int]:
        return emitter.per_item(
            tile.positions(geometry) * f_out * gb,
            tile.in_elements(geometry, fi_tile) * gb,
            Buffer.GRADIENTS,
        )

    tiling = row_tiles(
        geometry,
        emitter.batch,
        tile_bytes,
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="image's gradient",
    )
    fi_tiles = split(geometry.units, fi_tile)
    resident = len(fi_tiles) == 1
    emitter.record_reductions(layer, (f_out,))
    emitter.note(
        layer,
        f"{emitter.matrix_kind.value} g·W: {tiling.described} × "
        f"{len(fi_tiles)} input-{'channel' if taps > 1 else 'feature'} tiles of ≤{fi_tile}; "
        "weights "
        f"{'loaded once' if resident else 'streamed per image tile'}",
    )
    program = emitter.program
    out = emitter.out_buffer
    first_op = program.mark()
    w_load, w_bytes = -1, f_out * geometry.reduction * wb
    if resident:
        w_load = program.load(layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
    for i_pos, tile in enumerate(tiling.tiles):
        positions = tile.positions(geometry)
        g_bytes = positions * f_out * gb
        g_load = program.load(layer, g_bytes, Tensor.GRADIENTS, Buffer.GRADIENTS, True)
        program.flush()
        for f_pos, (_f0, nfi) in enumerate(fi_tiles):
            release: tuple[Allocation, ...] = ()
            if not resident:
                w_bytes = nfi * taps * f_out * wb
                w_load = program.load(layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
                release += ((Buffer.WEIGHTS, w_bytes),)
                program.flush()
            elif i_pos == len(tiling.tiles) - 1:
                release += ((Buffer.WEIGHTS, w_bytes),)
            if f_pos == len(fi_tiles) - 1:
                release += ((Buffer.GRADIENTS, g_bytes),)
            # a band's data gradient covers the input rows under its windows
            dx = tile.in_elements(geometry, nfi)
            out_alloc: Allocation = (out, dx * gb)
            gemm = program.gemm(
                layer,
                (g_load, w_load),
                Traffic(Buffer.GRADIENTS, out, (positions * f_out, dx), (gb, gb)),
                kind=emitter.matrix_kind,
                dataflow=emitter.dataflow(plan.head_layer),
                images=positions,
                in_channels=f_out,
                out_channels=nfi * taps,
                weight_element_bytes=wb,
                holds=Holds((out_alloc,), release),
            )
            program.store(layer, gemm, dx * gb, (out_alloc,), Tensor.GRADIENTS)
    return program.stores_since(first_op, layer)


def _weight(emitter: Emitter, plan: StepPlan, geometry: GemmGeometry) -> list[int]:
    """Weight-gradient tiles of output features × input units (+ the bias column) as square as
    a quarter of the gradients buffer allows: each tile re-reads x and g for its own features,
    so near-square tiles read the least."""
    layer = emitter.plan(plan.head_layer, Phase.BACKWARD_WEIGHT)
    name = emitter.names[plan.head_layer]
    b = emitter.bytes
    ab, gb, pb = b.spatial, b.gradient, b.partial
    f_in, f_out, taps = geometry.units, geometry.outputs, geometry.taps
    columns = f_in + geometry.bias  # input units (and the bias)
    budget = emitter.capacity[Buffer.GRADIENTS] // 4
    col_tile = min(columns, max(1, isqrt(budget // pb) // taps))
    if columns * taps * f_out * pb <= budget:
        col_tile = columns
    fo_tile = largest_fitting(
        min(f_out, max(1, budget // (col_tile * taps * pb))),
        {Buffer.GRADIENTS: col_tile * taps * pb},
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="output feature's weight gradient",
    )
    room = dict(emitter.capacity)
    room[Buffer.GRADIENTS] -= fo_tile * col_tile * taps * pb

    def tile_bytes(tile: RowTile) -> dict[Buffer, int]:
        return {
            Buffer.GRADIENTS: tile.positions(geometry) * fo_tile * gb,
            Buffer.ACTIVATIONS: tile.in_elements(geometry, col_tile) * ab,
        }

    tiling = row_tiles(
        geometry,
        emitter.batch,
        tile_bytes,
        room,
        emitter.buffering,
        layer=name,
        what="image's gradient and input (beside the weight gradient)",
    )
    fo_tiles, col_tiles = split(f_out, fo_tile), split(columns, col_tile)
    emitter.record_reductions(layer, tuple(tile.positions(geometry) for tile in tiling.tiles))
    emitter.note(
        layer,
        f"{emitter.matrix_kind.value} gᵀ·{'[x 1]' if geometry.bias else 'x'}: "
        f"{len(fo_tiles)} output-feature tiles of ≤{fo_tile} × {len(col_tiles)} "
        f"input-{'channel' if taps > 1 else 'feature'} tiles of ≤{col_tile} × "
        f"{tiling.described}; partial sums kept in the gradients buffer",
    )
    program = emitter.program
    systolic = emitter.matrix_kind is OpKind.SYSTOLIC
    first_op = program.mark()
    for _f0, nfo in fo_tiles:
        for c0, ncol in col_tiles:
            x_units = min(ncol, f_in - c0)  # the bias column needs no x
            width = x_units * taps + (ncol - x_units)
            outputs = nfo * width
            dw_alloc: Allocation = (Buffer.GRADIENTS, outputs * pb)
            gemm = -1
            for position, tile in enumerate(tiling.tiles):
                first, last = position == 0, position == len(tiling.tiles) - 1
                positions = tile.positions(geometry)
                x_bytes = tile.in_elements(geometry, x_units) * ab
                g_bytes = positions * nfo * gb
                x_load = program.load(layer, x_bytes, Tensor.STASH, Buffer.ACTIVATIONS, False)
                g_load = program.load(layer, g_bytes, Tensor.GRADIENTS, Buffer.GRADIENTS, True)
                program.flush()
                gemm = program.gemm(
                    layer,
                    (x_load, g_load) if first else (x_load, g_load, gemm),
                    Traffic(
                        Buffer.GRADIENTS,
                        Buffer.GRADIENTS,
                        (positions * nfo, outputs),
                        (gb, gb if last else pb),
                    ),
                    kind=emitter.matrix_kind,
                    dataflow=emitter.dataflow(plan.head_layer),
                    # the systolic array holds the gradient as nfo rows × width columns
                    images=nfo if systolic else 1,
                    in_channels=positions,
                    out_channels=width if systolic else outputs,
                    weight_element_bytes=ab,
                    operand=Buffer.ACTIVATIONS,
                    partial_in_bytes=0 if first else outputs * pb,
                    holds=Holds(
                        (dw_alloc,) if first else (),
                        ((Buffer.ACTIVATIONS, x_bytes), (Buffer.GRADIENTS, g_bytes)),
                    ),
                )
            program.store(
                layer, gemm, outputs * gb, (dw_alloc,), Tensor.GRADIENTS, Buffer.GRADIENTS
            )
    return program.stores_since(first_op, layer)
