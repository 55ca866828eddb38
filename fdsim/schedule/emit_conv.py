"""Emitting a spectral convolution step: bin-tiled complex MACs with fused tails."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdsim.schedule.emit import Emitter
from fdsim.schedule.lower import StepPlan, Tail, TailKind
from fdsim.schedule.ops import Allocation, Buffer, OpKind, Tensor
from fdsim.schedule.program import Holds, Traffic
from fdsim.schedule.spectral_bins import BoolArray, IntArray, crop_counts, half_bins
from fdsim.schedule.tiling import largest_fitting, split

Stage = tuple[Tail, IntArray, BoolArray]  # a fused tail, bins alive before it, bins it reads


def track_bins(plan: StepPlan) -> tuple[IntArray, list[Stage], int]:
    """(computed bins, fused stages, bins of the conv's output grid): each output bin of the
    conv is tracked through the fused crops, and only bins the first crop reads are computed
    (the rest would be discarded; in the backward their gradient is zero)."""
    alive: IntArray = np.arange(half_bins(plan.rep_head.grid), dtype=np.int64)
    needed = np.ones(alive.shape, dtype=bool)
    stages: list[Stage] = []
    for index, tail in enumerate(plan.tails):
        if tail.kind is TailKind.CROP:
            new_alive, read = crop_counts(alive, tail.rep_in.grid, tail.rep_out.grid)
            if not any(t.kind is TailKind.CROP for t in plan.tails[:index]):
                needed = read
            stages.append((tail, alive, read))
            alive = new_alive
        else:
            stages.append((tail, alive, alive >= 0))
    return np.flatnonzero(needed), stages, int(needed.size)


@dataclass(frozen=True)
class StageTable:
    """A fused stage over the computed bins: which it reads and which survive it."""

    tail: Tail
    kind: OpKind
    read: BoolArray
    kept: BoolArray

    def counts(self, start: int, count: int) -> tuple[int, int]:
        """(bins read, bins kept) among computed bins ``start`` .. ``start + count``."""
        end = start + count
        return int(self.read[start:end].sum()), int(self.kept[start:end].sum())


def stage_tables(stages: list[Stage], computed: IntArray) -> list[StageTable]:
    """Each stage's read and kept masks on the computed bins (once per step, not per tile)."""
    tables = []
    for tail, before, read in stages:
        kind = tail.stream.forward_kind
        after = (
            crop_counts(before, tail.rep_in.grid, tail.rep_out.grid)[0]
            if kind is OpKind.CROP
            else before
        )
        tables.append(StageTable(tail, kind, read[computed], after[computed] >= 0))
    return tables


def emit_spectral_conv(emitter: Emitter, plan: StepPlan) -> None:
    """Tile a spectral convolution (and its fused crops/activations) by computed bins ×
    output channels × images; weights stay for every image tile of a bin tile."""
    rep_in, rep_out = plan.rep_in, plan.rep_head
    # an overlap-add tiled conv's tiles ride the batch axis: its "images" are images × tiles
    batch = emitter.batch * rep_in.tiles
    of_tiles = " (images × overlap-add tiles)" if rep_in.tiles > 1 else ""
    ci, co, s2 = rep_in.channels, rep_out.channels, plan.stride**2
    name = emitter.names[plan.head_layer]
    sb, wsb = emitter.bytes.spectral, emitter.bytes.weight_spectral
    computed, stages, grid_bins = track_bins(plan)
    tables = stage_tables(stages, computed)
    bins = computed.size
    weight_per_bin = co * ci * s2 * wsb
    co_tile = co
    if emitter.buffering[Buffer.WEIGHTS] * weight_per_bin > emitter.capacity[Buffer.WEIGHTS]:
        co_tile = largest_fitting(
            co,
            {Buffer.WEIGHTS: ci * s2 * wsb},
            emitter.capacity,
            emitter.buffering,
            layer=name,
            what="bin of one output channel's weights",
        )
    w_bins = largest_fitting(
        bins,
        {Buffer.WEIGHTS: co_tile * ci * s2 * wsb},
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="bin of weights",
    )
    per_image_bin = emitter.per_item(ci * s2 * sb, co_tile * s2 * sb)
    images = largest_fitting(
        batch,
        per_image_bin,
        emitter.capacity,
        emitter.buffering,
        layer=name,
        what="bin of one image",
    )
    per_bin = {buffer: images * b for buffer, b in per_image_bin.items()}
    tile_bins = min(
        w_bins,
        largest_fitting(bins, per_bin, emitter.capacity, emitter.buffering, layer=name, what="bin"),
    )
    bin_tiles, co_tiles = split(bins, tile_bins), split(co, co_tile)
    image_tiles = split(batch, images)
    emitter.record_reductions(plan.head_layer, (ci,))
    emitter.note(
        plan.head_layer,
        (
            f"cmac: {len(bin_tiles)} bin tiles of ≤{tile_bins} of {bins} computed bins"
            f"{' (cropped bins skipped)' if bins < grid_bins else ''} × {len(co_tiles)} "
            f"out-channel tiles of ≤{co_tile} × {len(image_tiles)} image tiles of "
            f"≤{images}{of_tiles}; "
            f"weights stay for all image tiles"
        ),
    )
    program = emitter.program
    for b0, nb in bin_tiles:
        for _c0, nco in co_tiles:
            w_bytes = nco * ci * s2 * nb * wsb
            w_load = program.load(plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
            for position, (_i0, nim) in enumerate(image_tiles):
                last_images = position == len(image_tiles) - 1
                x_bytes = nim * ci * s2 * nb * sb
                x_load = program.load(
                    plan.head_layer, x_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
                )
                program.flush()
                out_alloc: Allocation = (emitter.out_buffer, nim * nco * s2 * nb * sb)
                release: tuple[Allocation, ...] = ((Buffer.ACTIVATIONS, x_bytes),)
                if last_images:
                    release += ((Buffer.WEIGHTS, w_bytes),)
                prev = program.cmac(
                    plan.head_layer,
                    (x_load, w_load),
                    Traffic(
                        Buffer.ACTIVATIONS,
                        emitter.out_buffer,
                        (nim * ci * s2 * nb, nim * nco * s2 * nb),
                        (sb, sb),
                    ),
                    images=nim,
                    in_channels=ci,
                    out_channels=nco,
                    bins=nb * s2,
                    weight_element_bytes=wsb,
                    holds=Holds((out_alloc,), release),
                )
                maps = nim * nco
                if plan.stride > 1:
                    assert plan.fold is not None
                    prev = emitter.in_place(
                        plan.head_layer,
                        OpKind.FOLD,
                        prev,
                        (maps * s2 * nb, maps * nb),
                        sb,
                        operator=plan.fold,
                        spectral=True,
                    )
                kept = nb
                for table in tables:
                    n_read, kept = table.counts(b0, nb)
                    prev = emitter.in_place(
                        table.tail.layer,
                        table.kind,
                        prev,
                        (maps * n_read, maps * kept),
                        sb,
                        operator=table.tail.stream,
                        spectral=True,
                    )
                program.store(emitter.last_layer(plan), prev, maps * kept * sb, (out_alloc,))
