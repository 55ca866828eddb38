"""Emitting tiled ops for planned steps, with SRAM allocations and dependencies.

Program order is the order ops are appended; each unit executes its own ops in that order.
A step's first input load waits for the previous step's stores (layers meet in DRAM); weight
loads need no barrier, so they may prefetch while the previous layer finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from fdsim.schedule.emit_conv import emit_spectral_conv
from fdsim.schedule.lower import Rep, StepKind, StepPlan, Tail, TailKind
from fdsim.schedule.ops import Allocation, Buffer, Op, OpKind, Tensor, buffer_capacities
from fdsim.schedule.spectral_bins import half_bins
from fdsim.schedule.tiling import largest_fitting, split
from fdsim.spec.hardware import HardwareSpec


@dataclass(frozen=True)
class ElementBytes:
    spatial: int  # one real activation
    spectral: int  # one complex activation bin
    weight_spectral: int  # one complex weight bin
    weight: int  # one real weight

    @staticmethod
    def of(hardware: HardwareSpec) -> ElementBytes:
        numerics = hardware.numerics
        return ElementBytes(
            spatial=numerics.activations.storage_bytes,
            spectral=2 * numerics.spectra.storage_bytes,
            weight_spectral=2 * numerics.weights.storage_bytes,
            weight=numerics.weights.storage_bytes,
        )


class Emitter:
    """Accumulates ops; one instance per compiled schedule."""

    def __init__(self, hardware: HardwareSpec, batch: int, layer_names: Sequence[str]) -> None:
        self.hardware = hardware
        self.batch = batch
        self.names = layer_names
        self.bytes = ElementBytes.of(hardware)
        self.capacity = buffer_capacities(hardware)
        self.out_buffer = Buffer.OUTPUTS if Buffer.OUTPUTS in self.capacity else Buffer.ACTIVATIONS
        self.ops: list[Op] = []
        self.barrier: tuple[int, ...] = ()
        self.pending: list[Op] = []
        self.sinks: list[int] = []
        self.mappings: dict[int, list[str]] = {}

    # --- helpers -----------------------------------------------------------------------
    def add(self, op: Op) -> int:
        index = len(self.ops)
        self.ops.append(replace(op, index=index))
        return index

    def note(self, layer: int, text: str) -> None:
        self.mappings.setdefault(layer, []).append(text)

    def per_item(self, act_bytes: int, out_bytes: int) -> dict[Buffer, int]:
        """Bytes per tiled item in each buffer, merging when outputs share the activations."""
        if self.out_buffer is Buffer.ACTIVATIONS:
            return {Buffer.ACTIVATIONS: act_bytes + out_bytes}
        return {Buffer.ACTIVATIONS: act_bytes, Buffer.OUTPUTS: out_bytes}

    def load(self, layer: int, nbytes: int, tensor: Tensor, buffer: Buffer, barrier: bool) -> int:
        deps = self.barrier if barrier else ()
        return self.add(
            Op(
                0,
                layer,
                OpKind.LOAD,
                deps,
                bytes=nbytes,
                tensor=tensor,
                dst=buffer,
                allocate=((buffer, nbytes),),
            )
        )

    def store(self, layer: int, dep: int, nbytes: int, release: tuple[Allocation, ...]) -> None:
        """Queue a tile's store; it is emitted after the next tile's loads (``flush``), so the
        DMA unit fetches tile t+1 before writing tile t back: double buffering."""
        self.pending.append(
            Op(
                0,
                layer,
                OpKind.STORE,
                (dep,),
                bytes=nbytes,
                tensor=Tensor.ACTIVATIONS,
                src=self.out_buffer,
                release=release,
            )
        )

    def in_place(
        self,
        layer: int,
        kind: OpKind,
        dep: int,
        elements: tuple[int, int],
        element_bytes: int,
        *,
        spectral: bool,
    ) -> int:
        """A streaming op on a tile already in the output buffer; ``elements`` is (in, out)."""
        return self.add(
            Op(
                0,
                layer,
                kind,
                (dep,),
                in_elements=elements[0],
                out_elements=elements[1],
                in_element_bytes=element_bytes,
                out_element_bytes=element_bytes,
                spectral=spectral,
                src=self.out_buffer,
                dst=self.out_buffer,
            )
        )

    @staticmethod
    def last_layer(plan: StepPlan) -> int:
        """The layer whose output a step stores: its last fused layer, else its head."""
        return plan.tails[-1].layer if plan.tails else plan.head_layer

    def flush(self) -> None:
        for op in self.pending:
            self.sinks.append(self.add(op))
        self.pending = []

    # --- steps -------------------------------------------------------------------------
    def step(self, plan: StepPlan) -> None:
        self.sinks = []
        if plan.kind is StepKind.SPECTRAL_CONV:
            emit_spectral_conv(self, plan)
        elif plan.kind is StepKind.GEMM:
            self.gemm(plan)
        else:
            self.maps(plan)
        self.flush()
        self.barrier = tuple(self.sinks)

    def _elements(self, rep: Rep) -> tuple[int, int]:
        """(elements per item, bytes per element) of a representation, items being maps."""
        if rep.spectral:
            return half_bins(rep.grid), self.bytes.spectral
        return rep.size * rep.size, self.bytes.spatial

    def maps(self, plan: StepPlan) -> None:
        rep_in = plan.rep_in
        vectors = rep_in.size == 1 and not rep_in.spectral
        items = self.batch if vectors else self.batch * rep_in.channels
        in_elems, in_eb = (
            (rep_in.channels, self.bytes.spatial) if vectors else self._elements(rep_in)
        )
        # Each op of the chain: (kind, layer, in elements, out elements, out element bytes, extra)
        chain: list[tuple[OpKind, int, int, int, int, dict[str, int]]] = []
        elems, eb, spectral = in_elems, in_eb, rep_in.spectral
        if plan.head == "fft":
            out = half_bins(plan.points)
            chain.append(
                (
                    OpKind.FFT,
                    plan.head_layer,
                    elems,
                    out,
                    self.bytes.spectral,
                    {"points": plan.points},
                )
            )
            elems, eb, spectral = out, self.bytes.spectral, True
        elif plan.head == "ifft":
            out = plan.rep_head.size * plan.rep_head.size
            chain.append(
                (
                    OpKind.IFFT,
                    plan.head_layer,
                    elems,
                    out,
                    self.bytes.spatial,
                    {"points": plan.points},
                )
            )
            elems, eb, spectral = out, self.bytes.spatial, False
        for tail in plan.tails:
            kind, out, extra = self._tail_per_item(tail, elems)
            extra["spectral"] = int(spectral)
            if tail.kind is TailKind.LOSS:
                eb, spectral = self.bytes.spatial, False
            chain.append((kind, tail.layer, elems, out, eb, extra))
            elems = out
        peak_out = max(c[3] * c[4] for c in chain)
        per = self.per_item(in_elems * in_eb, peak_out)
        head_name = self.names[plan.head_layer]
        tile = largest_fitting(items, per, self.capacity, layer=head_name, what="map")
        what = "image" if vectors else "map"
        self.note(plan.head_layer, f"{plan.head or chain[0][0].value}: {tile} {what}s per tile")
        for _start, count in split(items, tile):
            in_bytes = count * in_elems * in_eb
            prev = self.load(
                plan.head_layer, in_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
            )
            self.flush()
            out_alloc: Allocation = (self.out_buffer, count * peak_out)
            for position, (kind, layer, n_in, n_out, out_eb, extra) in enumerate(chain):
                first = position == 0
                op_in_eb = in_eb if first else chain[position - 1][4]
                prev = self.add(
                    Op(
                        0,
                        layer,
                        kind,
                        (prev,),
                        maps=count if kind in (OpKind.FFT, OpKind.IFFT, OpKind.SELF_CONV) else 0,
                        points=extra.get("points", 0),
                        images=count if kind is OpKind.SELF_CONV else 0,
                        in_channels=extra.get("products", 0),
                        out_channels=1 if extra.get("products") else 0,
                        bins=extra.get("bins", 0),
                        spectral=bool(extra.get("spectral", 0)),
                        in_elements=count * n_in,
                        out_elements=count * n_out,
                        in_element_bytes=op_in_eb,
                        out_element_bytes=out_eb,
                        src=Buffer.ACTIVATIONS if first else self.out_buffer,
                        dst=self.out_buffer,
                        allocate=(out_alloc,) if first else (),
                        release=((Buffer.ACTIVATIONS, in_bytes),) if first else (),
                    )
                )
            final = chain[-1]
            self.store(final[1], prev, count * final[3] * final[4], (out_alloc,))

    def _tail_per_item(self, tail: Tail, elems: int) -> tuple[OpKind, int, dict[str, int]]:
        if tail.kind is TailKind.CROP:
            return OpKind.CROP, half_bins(tail.grid_out), {}
        if tail.kind is TailKind.POOL:
            return OpKind.POOL, tail.spatial_out * tail.spatial_out, {}
        if tail.kind is TailKind.SELF_CONV:
            # Each stored output bin sums grid² products of full-spectrum bins.
            return OpKind.SELF_CONV, elems, {"products": tail.grid_in**2, "bins": elems}
        if tail.kind is TailKind.LOSS:
            return OpKind.LOSS, 1, {}
        return OpKind.ACTIVATE, elems, {}

    def gemm(self, plan: StepPlan) -> None:
        rep_in, rep_out = plan.rep_in, plan.rep_head
        f_in = rep_in.channels * rep_in.size * rep_in.size
        f_out = rep_out.channels
        name = self.names[plan.head_layer]
        ab, wb = self.bytes.spatial, self.bytes.weight
        fo_tile = largest_fitting(
            f_out,
            {Buffer.WEIGHTS: f_in * wb},
            self.capacity,
            layer=name,
            what="output feature's weights",
        )
        images = largest_fitting(
            self.batch,
            self.per_item(f_in * ab, fo_tile * ab),
            self.capacity,
            layer=name,
            what="image",
        )
        fo_tiles, image_tiles = split(f_out, fo_tile), split(self.batch, images)
        resident = len(fo_tiles) == 1
        self.note(
            plan.head_layer,
            (
                f"gemm: {len(image_tiles)} image tiles of ≤{images} × {len(fo_tiles)} "
                f"output-feature tiles of ≤{fo_tile}; weights "
                f"{'loaded once' if resident else 'streamed per image tile'}"
            ),
        )
        w_load = -1
        w_bytes = f_out * f_in * wb
        if resident:
            w_load = self.load(plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False)
        for i_pos, (_i0, nim) in enumerate(image_tiles):
            x_bytes = nim * f_in * ab
            x_load = self.load(
                plan.head_layer, x_bytes, Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, True
            )
            self.flush()
            for f_pos, (_f0, nfo) in enumerate(fo_tiles):
                release: tuple[Allocation, ...] = ()
                if not resident:
                    w_bytes = nfo * f_in * wb
                    w_load = self.load(
                        plan.head_layer, w_bytes, Tensor.WEIGHTS, Buffer.WEIGHTS, False
                    )
                    release += ((Buffer.WEIGHTS, w_bytes),)
                    self.flush()
                elif i_pos == len(image_tiles) - 1:
                    release += ((Buffer.WEIGHTS, w_bytes),)
                if f_pos == len(fo_tiles) - 1:
                    release += ((Buffer.ACTIVATIONS, x_bytes),)
                out_alloc: Allocation = (self.out_buffer, nim * nfo * ab)
                prev = self.add(
                    Op(
                        0,
                        plan.head_layer,
                        OpKind.GEMM,
                        (x_load, w_load),
                        images=nim,
                        in_channels=f_in,
                        out_channels=nfo,
                        real_macs=nim * f_in * nfo,
                        in_elements=nim * f_in,
                        out_elements=nim * nfo,
                        in_element_bytes=ab,
                        out_element_bytes=ab,
                        weight_element_bytes=wb,
                        src=Buffer.ACTIVATIONS,
                        dst=self.out_buffer,
                        allocate=(out_alloc,),
                        release=release,
                    )
                )
                for tail in plan.tails:
                    prev = self.in_place(
                        tail.layer, OpKind.ACTIVATE, prev, (nim * nfo,) * 2, ab, spectral=False
                    )
                self.store(self.last_layer(plan), prev, nim * nfo * ab, (out_alloc,))
