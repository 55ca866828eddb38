"""Emitting a GEMM step (FC or spatial conv, ``StepPlan.gemm``): a real matrix product on the
matrix unit (systolic array or CMAC lanes) with its fused activations."""

from __future__ import annotations

from functools import partial

from fdsim.schedule.emit import Emitter
from fdsim.schedule.gemm_tiles import PinError, RowTile, overflow, row_tiles
from fdsim.schedule.lower import GemmGeometry, StepPlan
from fdsim.schedule.ops import Allocation, Buffer, OpKind, Tensor, Unit
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.tiling import largest_fitting, split, split_aligned
from fdsim.spec.hardware import SystolicArraySpec
from fdsim.spec.workload import MappingPin
from fdsim.systolic.compute import compute_cycles
from fdsim.systolic.shapes import ArrayShape, GemmShape


def emit_gemm(emitter: Emitter, plan: StepPlan) -> None:
    """Tile the step by output features (their weights and bias) × row tiles (images, or
    bands of output rows of a large map); each tile is a GEMM of its output positions by the
    reduction (the im2col operand of a conv, streamed from the input maps). On the systolic
    array output features are tiled in whole array columns and, when a column's worth of
    weights does not fit, the reduction in input units with partial sums kept in the output
    buffer (``weight_tiles``). Fused activations run in place, a ReLU also writing its mask to
    the stash when a backward follows. An FC output feature's bias is loaded with its weights
    and added once per output."""
    geometry = plan.gemm
    assert geometry is not None
    rows, f_in, f_out = geometry.rows, geometry.reduction, geometry.outputs
    name = emitter.names[plan.head_layer]
    b = emitter.bytes
    ab, wb = b.spatial, b.weight
    # a stash slot's items are the backward's: images of an FC layer, maps of a conv
    maps = rows > 1
    slot_items, slot_elements = (emitter.batch * f_out, rows) if maps else (emitter.batch, f_out)
    slots = [
        emitter.stash_slot(tail, slot_elements, slot_elements, slot_items) for tail in plan.tails
    ]
    pin = emitter.pin(plan.head_layer)
    # systolic tiles start at multiples of the array's columns (a whole column fold each)
    systolic = emitter.matrix_kind is OpKind.SYSTOLIC
    try:
        fo_tile, k_units = weight_tiles(emitter, geometry, name, pin)
    except PinError as problem:
        raise emitter.pin_error(plan.head_layer, problem) from None
    aligned = split_aligned if systolic else split
    k_tiles = aligned(geometry.units, k_units)
    k_split = len(k_tiles) > 1
    out_b = b.partial if k_split else ab  # what the output buffer holds per output

    def tile_bytes(tile: RowTile) -> dict[Buffer, int]:
        per = emitter.per_item(
            tile.in_elements(geometry, k_units) * ab, tile.positions(geometry) * fo_tile * out_b
        )
        for slot in slots:
            if slot is not None and not slot.kept:
                per[Buffer.GRADIENTS] = per.get(Buffer.GRADIENTS, 0) + (
                    slot.tiling_bytes_per_item * (f_out if maps else 1)
                )
        return per

    try:
        tiling = row_tiles(
            geometry,
            emitter.batch,
            tile_bytes,
            emitter.capacity,
            emitter.buffering,
            layer=name,
            what="image",
            pin_images=pin.images if pin else None,
            pin_rows=pin.out_rows if pin else None,
        )
    except PinError as problem:
        raise emitter.pin_error(plan.head_layer, problem) from None
    fo_tiles = aligned(f_out, fo_tile)
    resident = len(fo_tiles) == 1 and not k_split
    emitter.record_reductions(
        plan.head_layer, tuple(n * geometry.taps for _u0, n in k_tiles) if k_split else (f_in,)
    )
    largest = max(tiling.tiles, key=lambda tile: tile.positions(geometry))
    held = dict(tile_bytes(largest))
    held[Buffer.WEIGHTS] = (
        held.get(Buffer.WEIGHTS, 0) + fo_tile * (k_units * geometry.taps + geometry.bias) * wb
    )
    array = emitter.hardware.systolic_array
    emitter.record_tiles(
        plan.head_layer,
        {
            "unit": (Unit.SYSTOLIC_ARRAY if systolic else Unit.CMAC).value,
            "dataflow": (emitter.dataflow(plan.head_layer) or array.dataflow).value
            if array is not None
            else None,
            "row_tiles": len(tiling.tiles),
            "images_per_tile": largest.images,
            "band_rows": largest.out_rows if largest.out_rows < geometry.out_height else None,
            "output_tiles": len(fo_tiles),
            "outputs_per_tile": fo_tile,
            "reduction_tiles": len(k_tiles),
            "reduction_units_per_tile": k_units,
            "pinned": sorted(k for k, v in (pin.model_dump() if pin else {}).items() if v),
            "buffers_held": {b.value: n * emitter.buffering[b] for b, n in held.items() if n > 0},
        },
    )
    emitter.note(
        plan.head_layer,
        (
            f"{emitter.matrix_kind.value}: {tiling.described} × "
            f"{len(fo_tiles)} output-feature tiles of ≤{fo_tile}"
            + (
                f" × {len(k_tiles)} reduction tiles of ≤{k_units} input units "
                "(partial sums in the output buffer)"
                if k_split
                else ""
            )
            + (f" (GEMM rows {rows} per image, reduction {f_in})" if rows > 1 else "")
            + f"; weights {'loaded once' if resident else 'streamed per image tile'}"
        ),
    )
    program = emitter.program
    out = emitter.out_buffer
    w_load = -1
    w_bytes = f_out * (f_in + geometry.bias) * wb
    if resident:
        w_load = program.load(plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
    for i_pos, tile in enumerate(tiling.tiles):
        positions = tile.positions(geometry)
        x_bytes = tile.in_elements(geometry, geometry.units) * ab
        x_load = -1
        if not k_split:
            x_load = program.load(
                plan.head_layer, x_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
            )
            program.flush()
        for f_pos, (_f0, nfo) in enumerate(fo_tiles):
            outputs = positions * nfo
            out_alloc: Allocation = (out, outputs * out_b)
            prev = -1
            for k_pos, (_u0, nu) in enumerate(k_tiles):
                first, last = k_pos == 0, k_pos == len(k_tiles) - 1
                release: tuple[Allocation, ...] = ()
                if k_split:
                    x_bytes = tile.in_elements(geometry, nu) * ab
                    x_load = program.load(
                        plan.head_layer, x_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
                    )
                    release += ((Buffer.ACTIVATIONS, x_bytes),)
                if not resident:
                    # the bias comes with the first reduction tile's weights
                    w_bytes = nfo * (nu * geometry.taps + (geometry.bias and first)) * wb
                    w_load = program.load(
                        plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False
                    )
                    release += ((Buffer.WEIGHTS, w_bytes),)
                if k_split or not resident:
                    program.flush()
                if resident and i_pos == len(tiling.tiles) - 1 and f_pos == len(fo_tiles) - 1:
                    release += ((Buffer.WEIGHTS, w_bytes),)
                if not k_split and f_pos == len(fo_tiles) - 1:
                    release += ((Buffer.ACTIVATIONS, x_bytes),)
                k = nu * geometry.taps
                prev = program.gemm(
                    plan.head_layer,
                    (x_load, w_load) if first else (x_load, w_load, prev),
                    Traffic(
                        Buffer.ACTIVATIONS,
                        out,
                        (positions * k, outputs),
                        (ab, ab if last else out_b),
                    ),
                    kind=emitter.matrix_kind,
                    dataflow=emitter.dataflow(plan.head_layer),
                    images=positions,
                    in_channels=k,
                    out_channels=nfo,
                    weight_element_bytes=wb,
                    bias=geometry.bias and first,
                    partial_in_bytes=0 if first else outputs * out_b,
                    holds=Holds((out_alloc,) if first else (), release),
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


def weight_tiles(
    emitter: Emitter, geometry: GemmGeometry, layer: str, pin: MappingPin | None = None
) -> tuple[int, int]:
    """(output features, input units) per weight tile. The CMAC lanes take the whole reduction
    and as many output features as fit. The systolic array takes whole array columns of
    output features (a partial column fold idles PEs in every fold), all of them if they fit,
    else as many columns as fit, else one column's worth with the reduction split into as
    many input units as fit. A pinned count (``pin``) is taken as given, ``PinError`` if its
    tile does not fit (or, for the reduction, on the CMAC lanes)."""
    wb = emitter.bytes.weight
    f_out, per_unit = geometry.outputs, geometry.taps * wb
    per_feature = geometry.units * per_unit + geometry.bias * wb
    array = emitter.hardware.systolic_array
    room = emitter.capacity[Buffer.WEIGHTS] // emitter.buffering[Buffer.WEIGHTS]
    pinned_fo = None if pin is None or pin.outputs is None else min(pin.outputs, f_out)
    pinned_units = None if pin is None else pin.reduction_units
    if pinned_units is not None:
        if array is None:
            raise PinError("reduction_units", "reduction tiles need a systolic array")
        units = min(pinned_units, geometry.units)
        fo = pinned_fo or min(f_out, array.cols)
        need = fo * (units * per_unit + geometry.bias * wb)
        if need > room:
            raise PinError(
                "reduction_units",
                f"{fo} outputs × {units} input units do not fit: "
                + overflow({Buffer.WEIGHTS: need}, emitter.capacity, emitter.buffering),
            )
        return fo, units
    if pinned_fo is not None:
        if pinned_fo * per_feature <= room:
            return pinned_fo, geometry.units
        if array is None:
            weights = {Buffer.WEIGHTS: pinned_fo * per_feature}
            raise PinError(
                "outputs",
                f"{pinned_fo} outputs do not fit: "
                + overflow(weights, emitter.capacity, emitter.buffering),
            )
        units = (room - geometry.bias * pinned_fo * wb) // (pinned_fo * per_unit)
        if units < 1:
            raise PinError("outputs", f"{pinned_fo} outputs do not fit even one input unit")
        return pinned_fo, _fewest_cycles_units(geometry, pinned_fo, units, array)
    if array is None:
        fo = largest_fitting(
            f_out,
            {Buffer.WEIGHTS: per_feature},
            emitter.capacity,
            emitter.buffering,
            layer=layer,
            what="output feature's weights and bias",
        )
        return fo, geometry.units
    fitting = room // per_feature
    if fitting >= min(f_out, array.cols):
        return (f_out if fitting >= f_out else fitting // array.cols * array.cols), geometry.units
    fo = min(f_out, array.cols)
    units = (room - geometry.bias * fo * wb) // (fo * per_unit)
    if units > 1:
        units = _fewest_cycles_units(geometry, fo, units, array)
    if units < 1:
        fo = largest_fitting(
            fo,
            {Buffer.WEIGHTS: per_unit + geometry.bias * wb},
            emitter.capacity,
            emitter.buffering,
            layer=layer,
            what="output feature's weights for one input unit",
        )
        units = 1
    return fo, min(units, geometry.units)


def _fewest_cycles_units(
    geometry: GemmGeometry, outputs: int, most: int, array: SystolicArraySpec
) -> int:
    """The reduction tile (input units, at most ``most``) whose tiles take the fewest array
    cycles for one image: a tile whose reduction ends mid-fold idles rows in its last fold, so
    a smaller tile that ends on fold boundaries can be faster."""
    shape = ArrayShape(array.rows, array.cols, array.dataflow)

    def cycles(units: int) -> int:
        return sum(
            compute_cycles(GemmShape(geometry.rows, n * geometry.taps, outputs), shape)
            for _start, n in split_aligned(geometry.units, units)
        )

    return min(range(most, max(1, most // 2) - 1, -1), key=lambda units: (cycles(units), -units))
