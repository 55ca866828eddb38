"""Emitting tiled ops for planned steps, with SRAM allocations and dependencies.

Program order is the order ops are appended; each unit executes its own ops in that order.
A step's first input load waits for the previous step's stores (layers meet in DRAM); weight
loads need no barrier, so they may prefetch while the previous layer finishes. Ops name the
``LayerPlan`` they belong to (``Op.layer``): forward plans are registered first, in layer
order, so a forward plan's index is its workload layer's index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fdsim.schedule.emit_conv import emit_spectral_conv
from fdsim.schedule.emit_gemm import emit_gemm
from fdsim.schedule.links import FORWARD_IO, ChainIo, ElementBytes, Link
from fdsim.schedule.lower import Rep, StepKind, StepPlan, Tail, TailKind
from fdsim.schedule.ops import (
    Allocation,
    Buffer,
    Op,
    OpKind,
    Phase,
    Tensor,
    buffer_capacities,
)
from fdsim.schedule.spectral_bins import half_bins
from fdsim.schedule.stash import (
    StashPlan,
    StashSlot,
    pool_covered_elements,
    pool_window_elements,
    stash_bits_per_element,
)
from fdsim.schedule.tiling import largest_fitting, split
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import ActivationLayer, ConvLayer, FcLayer, Layer, PoolLayer


class Emitter:
    """Accumulates ops; one instance per compiled schedule."""

    def __init__(
        self,
        hardware: HardwareSpec,
        batch: int,
        layers: Sequence[Layer],
        stash: StashPlan,
    ) -> None:
        self.hardware = hardware
        self.batch = batch
        self.layers = layers
        self.names = [layer.name for layer in layers]
        # the first layer with parameters: no gradient is needed before (or at) its input
        self.first_param = min(
            (i for i, layer in enumerate(layers) if isinstance(layer, ConvLayer | FcLayer)),
            default=len(layers),
        )
        self.bytes = ElementBytes.of(hardware)
        self.stash = stash
        self.capacity = buffer_capacities(hardware)
        self.out_buffer = Buffer.OUTPUTS if Buffer.OUTPUTS in self.capacity else Buffer.ACTIVATIONS
        self.ops: list[Op] = []
        self.barrier: tuple[int, ...] = ()
        self.pending: list[Op] = []
        self.sinks: list[int] = []
        self.plan_keys: list[tuple[int, Phase]] = []
        self._plan_ids: dict[tuple[int, Phase], int] = {}
        self.mappings: dict[int, list[str]] = {}
        self.reductions: dict[int, tuple[int, ...]] = {}

    # --- helpers -----------------------------------------------------------------------
    def plan(self, layer: int, phase: Phase) -> int:
        """The plan index of workload ``layer`` in ``phase`` (registered on first use)."""
        key = (layer, phase)
        if key not in self._plan_ids:
            self._plan_ids[key] = len(self.plan_keys)
            self.plan_keys.append(key)
        return self._plan_ids[key]

    def reserve(self, buffer: Buffer, nbytes: int) -> None:
        """Take ``nbytes`` of ``buffer`` out of what tiles may use from now on."""
        self.capacity[buffer] = buffer_capacities(self.hardware)[buffer] - nbytes

    def add(self, op: Op) -> int:
        """Append ``op`` (built with index 0) as the next op of the program."""
        index = len(self.ops)
        # The op is not shared yet: numbering it in place saves a copy per op, which is most
        # of the compile time of a large network (dataclasses.replace re-validates every field).
        object.__setattr__(op, "index", index)
        if op.kind in (OpKind.ACTIVATE, OpKind.ACTIVATE_BWD):
            # Every emitter tags its activation ops here, from the plan's workload layer.
            layer = self.layers[self.plan_keys[op.layer][0]]
            if isinstance(layer, ActivationLayer):
                object.__setattr__(op, "activation", layer.function)
        self.ops.append(op)
        return index

    def note(self, plan: int, text: str) -> None:
        self.mappings.setdefault(plan, []).append(text)

    def per_item(
        self, in_bytes: int, out_bytes: int, in_buffer: Buffer = Buffer.ACTIVATIONS
    ) -> dict[Buffer, int]:
        """Bytes per tiled item in each buffer, merging buffers that are the same."""
        per: dict[Buffer, int] = {in_buffer: in_bytes}
        per[self.out_buffer] = per.get(self.out_buffer, 0) + out_bytes
        return per

    def load(
        self,
        layer: int,
        nbytes: int,
        tensor: Tensor,
        buffer: Buffer,
        barrier: bool,
        deps: tuple[int, ...] = (),
        room_bytes: int = 0,
    ) -> int:
        """Load ``nbytes`` into ``buffer``, allocating ``room_bytes`` there (default: the
        loaded bytes; more when ops grow the tile in place)."""
        deps = (*self.barrier, *deps) if barrier else deps
        return self.add(
            Op(
                0,
                layer,
                OpKind.LOAD,
                deps,
                bytes=nbytes,
                tensor=tensor,
                dst=buffer,
                allocate=((buffer, max(nbytes, room_bytes)),),
            )
        )

    def store(
        self,
        layer: int,
        dep: int,
        nbytes: int,
        release: tuple[Allocation, ...],
        tensor: Tensor = Tensor.ACTIVATIONS,
        src: Buffer | None = None,
    ) -> None:
        """Queue a tile's store; it is emitted after the next tile's loads (``flush``), so the
        DMA unit fetches tile t+1 before writing tile t back: double buffering."""
        self.pending.append(
            Op(
                0,
                layer,
                OpKind.STORE,
                (dep,),
                bytes=nbytes,
                tensor=tensor,
                src=src or self.out_buffer,
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
        buffer: Buffer | None = None,
    ) -> int:
        """A streaming op on a tile already in ``buffer`` (default: the output buffer);
        ``elements`` is (in, out)."""
        where = buffer or self.out_buffer
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
                src=where,
                dst=where,
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

    # --- forward steps -----------------------------------------------------------------
    def step(self, plan: StepPlan) -> None:
        self.sinks = []
        if plan.kind is StepKind.SPECTRAL_CONV:
            emit_spectral_conv(self, plan)
        elif plan.kind is StepKind.GEMM:
            emit_gemm(self, plan)
        else:
            self.maps(plan)
        self.end_step()

    def end_step(self) -> None:
        """Close a step: its stores are what the next step's first load waits for."""
        self.flush()
        self.barrier = self.last_of(self.sinks) or self.barrier
        self.sinks = []

    @staticmethod
    def last_of(stores: Sequence[int]) -> tuple[int, ...]:
        """A dependency on all of ``stores``: the DMA unit runs them in program order with
        the same latency, so the last one is done only when all are."""
        return (max(stores),) if stores else ()

    def elements(self, rep: Rep) -> tuple[int, int]:
        """(elements per item, bytes per element) of a representation, items being maps."""
        if rep.spectral:
            return half_bins(rep.grid), self.bytes.spectral
        return rep.size * rep.size, self.bytes.spatial

    def map_items(self, rep: Rep) -> tuple[int, int, int, bool]:
        """(items, elements per item, bytes per element, vectors?) of a map-tiled tensor."""
        vectors = rep.size == 1 and not rep.spectral
        if vectors:
            return self.batch, rep.channels, self.bytes.spatial, True
        elems, eb = self.elements(rep)
        return self.batch * rep.channels, elems, eb, False

    def stash_slot(self, tail: Tail, n_in: int, n_out: int, items: int) -> StashSlot | None:
        """The stash a forward tail writes, if its backward needs one and a backward runs."""
        if not self.stash.enabled or tail.layer <= self.first_param:
            return None
        bits, on_output = stash_bits_per_element(
            self.layers[tail.layer], tail, self.hardware.numerics.activations.total_bits
        )
        if not bits:
            return None
        return self.stash.slot(tail.layer, bits, n_out if on_output else n_in, items)

    def maps(self, plan: StepPlan) -> None:
        items, in_elems, in_eb, vectors = self.map_items(plan.rep_in)
        links = self.forward_links(plan, items)
        what = "image" if vectors else "map"
        tile = self.chain(plan.head_layer, items, in_elems, in_eb, links, FORWARD_IO, what)
        self.note(plan.head_layer, f"{plan.head or links[0].kind.value}: {tile} {what}s per tile")

    def forward_links(self, plan: StepPlan, items: int) -> list[Link]:
        """The forward chain of a map-tiled step, per item: head transform, then tails."""
        rep_in = plan.rep_in
        _items, in_elems, in_eb, _vectors = self.map_items(rep_in)
        links: list[Link] = []
        elems, eb, spectral = in_elems, in_eb, rep_in.spectral
        if plan.head == "fft":
            out = half_bins(plan.points)
            links.append(
                Link(
                    OpKind.FFT, plan.head_layer, elems, out, self.bytes.spectral, False, plan.points
                )
            )
            elems, eb, spectral = out, self.bytes.spectral, True
        elif plan.head == "ifft":
            out = plan.rep_head.size * plan.rep_head.size
            links.append(
                Link(
                    OpKind.IFFT, plan.head_layer, elems, out, self.bytes.spatial, False, plan.points
                )
            )
            elems, eb, spectral = out, self.bytes.spatial, False
        for tail in plan.tails:
            kind, out, products = self._tail_per_item(tail, elems)
            link_spectral = spectral
            if tail.kind is TailKind.LOSS:
                eb, spectral = self.bytes.spatial, False
            slot = self.stash_slot(tail, elems, out, items)
            window = covered = 0
            if tail.kind is TailKind.POOL:
                layer = self.layers[tail.layer]
                assert isinstance(layer, PoolLayer)
                window = pool_window_elements(layer, tail.spatial_in, tail.spatial_out)
                covered = pool_covered_elements(layer, tail.spatial_in, tail.spatial_out)
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
                    window_elements=window,
                    covered_elements=covered,
                )
            )
            elems = out
        return links

    def _tail_per_item(self, tail: Tail, elems: int) -> tuple[OpKind, int, int]:
        """(op kind, output elements per item, self-convolution products per bin)."""
        if tail.kind is TailKind.CROP:
            return OpKind.CROP, half_bins(tail.grid_out), 0
        if tail.kind is TailKind.POOL:
            return OpKind.POOL, tail.spatial_out * tail.spatial_out, 0
        if tail.kind is TailKind.SELF_CONV:
            # Each stored output bin sums grid² products of full-spectrum bins.
            return OpKind.SELF_CONV, elems, tail.grid_in**2
        if tail.kind is TailKind.LOSS:
            return OpKind.LOSS, 1, 0
        return OpKind.ACTIVATE, elems, 0

    # --- map-tiled chains (forward and backward) ---------------------------------------
    def chain(
        self,
        head_layer: int,
        items: int,
        in_elems: int,
        in_eb: int,
        links: Sequence[Link],
        io: ChainIo,
        what: str,
    ) -> int:
        """Tile ``items`` so that the input, the chain's largest output and its stash tiles
        fit; per tile: load, run ``links`` in order (the first moves the tile to the output
        buffer), store the last output as ``io.out_tensor``."""
        peak_out = max(link.n_out * link.out_eb for link in links)
        per = self.per_item(in_elems * in_eb, peak_out, io.in_buffer)
        for link in links:
            if link.stash is not None and not (link.stash.kept and not io.backward):
                # staged through the gradients buffer (spilled writes, backward reads)
                per[Buffer.GRADIENTS] = (
                    per.get(Buffer.GRADIENTS, 0) + link.stash.tiling_bytes_per_item
                )
            if link.operand_eb:
                per[Buffer.ACTIVATIONS] = (
                    per.get(Buffer.ACTIVATIONS, 0) + link.n_in * link.operand_eb
                )
        name = self.names[self.plan_keys[head_layer][0]]
        tile = largest_fitting(items, per, self.capacity, layer=name, what=what)
        for _start, count in split(items, tile):
            in_bytes = count * in_elems * in_eb
            prev = self.load(head_layer, in_bytes, io.in_tensor, io.in_buffer, True)
            extra = [self._stash_in(link, count) for link in links] if io.backward else []
            self.flush()
            out_alloc: Allocation = (self.out_buffer, count * peak_out)
            op_in_eb = in_eb
            for position, link in enumerate(links):
                first = position == 0
                op = Op(
                    0,
                    link.layer,
                    link.kind,
                    (prev,),
                    maps=count if link.kind in (OpKind.FFT, OpKind.IFFT, OpKind.SELF_CONV) else 0,
                    points=link.points,
                    images=count if link.kind is OpKind.SELF_CONV else 0,
                    in_channels=link.products,
                    out_channels=1 if link.products else 0,
                    bins=link.n_out if link.products else 0,
                    spectral=link.spectral,
                    in_elements=count * link.n_in,
                    out_elements=count * link.n_out,
                    window_elements=count * link.window_elements,
                    covered_elements=count * link.covered_elements,
                    in_element_bytes=op_in_eb,
                    out_element_bytes=link.out_eb,
                    src=io.in_buffer if first else self.out_buffer,
                    dst=self.out_buffer,
                    allocate=(out_alloc,) if first else (),
                    release=((io.in_buffer, in_bytes),) if first else (),
                )
                if io.backward:
                    op = self._with_stash_read(op, link, extra[position], count)
                    prev = self.add(op)
                else:
                    elements = count * link.stash.elements_per_item if link.stash else 0
                    prev = self.add_with_stash_write(op, link.stash, elements)
                op_in_eb = link.out_eb
            final = links[-1]
            nbytes = count * final.n_out * final.out_eb
            self.store(final.layer, prev, nbytes, (out_alloc,), io.out_tensor)
        return tile

    def add_with_stash_write(self, op: Op, slot: StashSlot | None, elements: int) -> int:
        """Add a forward op; if it makes a stash (``elements`` values of ``slot``), it also
        writes it to the gradients buffer, where it stays (kept) or from where it is stored
        to DRAM (spilled)."""
        if slot is None:
            return self.add(op)
        nbytes = slot.write(elements)
        stashed: Allocation = (Buffer.GRADIENTS, nbytes)
        index = self.add(replace(op, stash_write_bytes=nbytes, allocate=(*op.allocate, stashed)))
        if slot.kept:
            slot.producers.append(index)
        else:
            self.store(op.layer, index, nbytes, (stashed,), Tensor.STASH, Buffer.GRADIENTS)
        return index

    def _stash_in(self, link: Link, count: int) -> tuple[tuple[int, ...], int, int]:
        """Before a backward tile: (deps, stash bytes, operand bytes) of ``link``, loading a
        spilled stash slot and a self-convolution's stashed operand."""
        deps: tuple[int, ...] = ()
        stash_bytes = operand_bytes = 0
        if link.stash is not None:
            slot = link.stash
            stash_bytes = slot.take(count * slot.elements_per_item)
            if slot.kept:
                deps += tuple(slot.producers[-1:])
            else:
                deps += (self.load(link.layer, stash_bytes, Tensor.STASH, Buffer.GRADIENTS, False),)
        if link.operand_eb:
            operand_bytes = count * link.n_in * link.operand_eb
            deps += (self.load(link.layer, operand_bytes, Tensor.STASH, Buffer.ACTIVATIONS, False),)
        return deps, stash_bytes, operand_bytes

    def _with_stash_read(
        self, op: Op, link: Link, extra: tuple[tuple[int, ...], int, int], count: int
    ) -> Op:
        deps, stash_bytes, operand_bytes = extra
        release = op.release
        if stash_bytes:
            release += ((Buffer.GRADIENTS, stash_bytes),)
        if operand_bytes:
            release += ((Buffer.ACTIVATIONS, operand_bytes),)
        return replace(
            op,
            deps=(*op.deps, *deps),
            stash_read_bytes=stash_bytes,
            operand=Buffer.ACTIVATIONS if operand_bytes else None,
            weight_element_bytes=link.operand_eb,
            release=release,
        )
