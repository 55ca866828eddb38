"""The forward phase, step by step: a spectral convolution, an FC layer, or a map-tiled chain
(a head transform, then its fused tails) per lowered step."""

from __future__ import annotations

from fdsim.geometry import OverlapAddTiles
from fdsim.schedule.emit import Emitter
from fdsim.schedule.emit_conv import emit_spectral_conv
from fdsim.schedule.emit_gemm import emit_gemm
from fdsim.schedule.links import FORWARD_IO, Link
from fdsim.schedule.lower import StepKind, StepPlan, Tail, TailKind
from fdsim.schedule.ops import OpKind
from fdsim.schedule.spectral_bins import half_bins
from fdsim.vocabulary import Unit


def emit_forward_step(emitter: Emitter, plan: StepPlan) -> None:
    """Emit one forward step and close it (the next step's inputs wait for its stores)."""
    if plan.kind is StepKind.SPECTRAL_CONV:
        emit_spectral_conv(emitter, plan)
    elif plan.kind is StepKind.GEMM:
        emit_gemm(emitter, plan)
    else:
        _maps(emitter, plan)
    emitter.program.end_step()


def _maps(emitter: Emitter, plan: StepPlan) -> None:
    items, in_elems, in_eb, vectors = emitter.map_items(plan.rep_in)
    links = forward_links(emitter, plan, items)
    what = "image" if vectors else "map"
    tile = emitter.chain(plan.head_layer, items, in_elems, in_eb, links, FORWARD_IO, what)
    emitter.note(plan.head_layer, f"{plan.head or links[0].kind.value}: {tile} {what}s per tile")
    if plan.tiling is not None:
        _overlap_add_note(emitter, plan.head_layer, plan.tiling)


def _overlap_add_note(emitter: Emitter, layer: int, tiling: OverlapAddTiles) -> None:
    """Report an overlap-add tiled conv: in its mapping and as numbers (``tiles``)."""
    pin = emitter.pin(layer)
    emitter.note(
        layer,
        f"overlap-add: {tiling.tiles} tiles of {tiling.tile}×{tiling.tile} per map on "
        f"{tiling.points}-point transforms, (tile + k − 1)² = {tiling.window}² windows added "
        "on the crop unit",
    )
    emitter.record_tiles(
        layer,
        {
            "unit": Unit.FFT.value,
            "overlap_add": True,
            "tile_size": tiling.tile,
            "points": tiling.points,
            "tiles_per_map": tiling.tiles,
            "window": tiling.window,
            "pinned": ["tile_size"] if pin is not None and pin.tile_size is not None else [],
        },
    )


def forward_links(emitter: Emitter, plan: StepPlan, items: int) -> list[Link]:
    """The forward chain of a map-tiled step, per item: head transform, then tails."""
    rep_in = plan.rep_in
    _items, in_elems, in_eb, _vectors = emitter.map_items(rep_in)
    sizes = emitter.bytes
    links: list[Link] = []
    elems, eb, spectral = in_elems, in_eb, rep_in.spectral
    if plan.head == "fft":
        out = plan.transforms * half_bins(plan.points)
        links.append(
            Link(
                OpKind.FFT,
                plan.head_layer,
                elems,
                out,
                sizes.spectral,
                False,
                plan.points,
                transforms=plan.transforms,
            )
        )
        elems, eb, spectral = out, sizes.spectral, True
    elif plan.head == "ifft":
        out = emitter.elements(plan.rep_head)[0]
        links.append(
            Link(
                OpKind.IFFT,
                plan.head_layer,
                elems,
                out,
                sizes.spatial,
                False,
                plan.points,
                transforms=plan.transforms,
            )
        )
        elems, eb, spectral = out, sizes.spatial, False
    for tail in plan.tails:
        kind, out, products = _tail_per_item(emitter, tail, elems)
        link_spectral = spectral
        if tail.kind is TailKind.LOSS:
            eb, spectral = sizes.spatial, False
        slot = emitter.stash_slot(tail, elems, out, items)
        links.append(
            Link(
                kind,
                tail.layer,
                elems,
                out,
                eb,
                link_spectral,
                products=products,
                stash=slot,
                op=tail.op,
            )
        )
        elems = out
    return links


def _tail_per_item(emitter: Emitter, tail: Tail, elems: int) -> tuple[OpKind, int, int]:
    """(op kind, output elements per item, self-convolution products per bin) of a tail that
    reads ``elems`` elements per item."""
    if tail.kind is TailKind.SELF_CONV:
        # Each stored output bin sums grid² products of full-spectrum bins.
        return OpKind.SELF_CONV, elems, tail.rep_in.grid**2
    if tail.kind is TailKind.LOSS:
        out = 1
    elif tail.rep_out == tail.rep_in:
        out = elems
    else:
        out = emitter.elements(tail.rep_out)[0]
    return tail.stream.forward_kind, out, 0
