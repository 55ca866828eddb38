"""The emitter: the state one schedule's emitters share (element sizes, buffer capacities,
plans, the stash) and the map-tiled op chains that forward and backward steps are made of.

Ops are appended through ``self.program`` (``schedule/program.py``), which owns their
numbering, the step barrier and the order of loads and stores. Ops name the ``LayerPlan``
they belong to (``Op.layer``): forward plans are registered first, in layer order, so a
forward plan's index is its workload layer's index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Protocol

from fdsim.errors import SpecFieldError
from fdsim.geometry import Rep
from fdsim.operators.base import StreamPrimitive
from fdsim.schedule.gemm_tiles import PinError
from fdsim.schedule.links import ChainIo, ElementBytes, Link
from fdsim.schedule.lower import StepPlan, Tail
from fdsim.schedule.ops import (
    Allocation,
    Buffer,
    OpKind,
    Phase,
    Tensor,
    buffer_capacities,
    buffering_factors,
)
from fdsim.schedule.program import Holds, ProgramBuilder, Traffic
from fdsim.schedule.spectral_bins import half_bins
from fdsim.schedule.stash import StashPlan, StashSlot
from fdsim.schedule.tiling import largest_fitting, split
from fdsim.spec.hardware import Dataflow, HardwareSpec
from fdsim.spec.workload import ConvLayer, ConvRowLayer, FcLayer, Layer, MappingPin


class EmitWithHolds(Protocol):
    """Emits one op holding ``holds``; returns its index."""

    def __call__(self, *, holds: Holds) -> int: ...


class Emitter:
    """What the emitters of one compiled schedule share; one instance per schedule."""

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
            (
                i
                for i, layer in enumerate(layers)
                if isinstance(layer, ConvLayer | FcLayer | ConvRowLayer)
            ),
            default=len(layers),
        )
        self.bytes = ElementBytes.of(hardware)
        self.stash = stash
        self.capacity = buffer_capacities(hardware)
        self.buffering = buffering_factors(hardware)
        self.out_buffer = Buffer.OUTPUTS if Buffer.OUTPUTS in self.capacity else Buffer.ACTIVATIONS
        single = frozenset(b for b, factor in self.buffering.items() if factor == 1)
        self.program = ProgramBuilder(self.out_buffer, single)
        # real matrix products (FC, spatial conv) run on the systolic array if there is one
        self.matrix_kind = OpKind.SYSTOLIC if hardware.systolic_array else OpKind.GEMM
        self.plan_keys: list[tuple[int, Phase]] = []
        self._plan_ids: dict[tuple[int, Phase], int] = {}
        self.mappings: dict[int, list[str]] = {}
        self.reductions: dict[int, tuple[int, ...]] = {}
        self.tiles: dict[int, dict[str, Any]] = {}

    # --- helpers -----------------------------------------------------------------------
    def plan(self, layer: int, phase: Phase) -> int:
        """The plan index of workload ``layer`` in ``phase`` (registered on first use)."""
        key = (layer, phase)
        if key not in self._plan_ids:
            self._plan_ids[key] = len(self.plan_keys)
            self.plan_keys.append(key)
        return self._plan_ids[key]

    def pin(self, layer: int) -> MappingPin | None:
        """The tiling workload ``layer`` pins (``mapping``), if any."""
        spec = self.layers[layer]
        return getattr(spec, "mapping", None)

    def pin_error(self, layer: int, problem: PinError) -> SpecFieldError:
        """A pinned tile that does not fit, on the workload field that pins it."""
        name = self.names[layer]
        path = ("layers", layer, "mapping", problem.field)
        return SpecFieldError("workload", path, f"layer {name}: {problem}")

    def dataflow(self, layer: int) -> Dataflow | None:
        """The systolic dataflow workload ``layer`` pins (None: the array's)."""
        pin = self.pin(layer)
        return pin.dataflow if pin is not None else None

    def reserve(self, buffer: Buffer, nbytes: int) -> None:
        """Take ``nbytes`` of ``buffer`` out of what tiles may use from now on."""
        self.capacity[buffer] = buffer_capacities(self.hardware)[buffer] - nbytes

    def note(self, plan: int, text: str) -> None:
        """Add ``text`` to the mapping a plan reports (``LayerPlan.mapping``)."""
        self.mappings.setdefault(plan, []).append(text)

    def record_tiles(self, plan: int, tiles: dict[str, Any]) -> None:
        """The tiling decision of a plan as numbers (``LayerPlan.tiles``)."""
        self.tiles[plan] = tiles

    def record_reductions(self, plan: int, tiles: tuple[int, ...]) -> None:
        """The reduction-axis tile sizes of a plan (``LayerPlan.reduction_tiles``)."""
        self.reductions[plan] = tiles

    def per_item(
        self, in_bytes: int, out_bytes: int, in_buffer: Buffer = Buffer.ACTIVATIONS
    ) -> dict[Buffer, int]:
        """Bytes per tiled item in each buffer, merging buffers that are the same."""
        per: dict[Buffer, int] = {in_buffer: in_bytes}
        per[self.out_buffer] = per.get(self.out_buffer, 0) + out_bytes
        return per

    def in_place(
        self,
        layer: int,
        kind: OpKind,
        dep: int,
        elements: tuple[int, int],
        element_bytes: int,
        *,
        operator: StreamPrimitive,
        spectral: bool,
        buffer: Buffer | None = None,
    ) -> int:
        """A streaming op of ``operator`` on a tile already in ``buffer`` (default: the output
        buffer); ``elements`` is (in, out)."""
        where = buffer or self.out_buffer
        traffic = Traffic(where, where, elements, (element_bytes, element_bytes))
        return self.program.stream(
            layer, kind, (dep,), traffic, spectral=spectral, operator=operator
        )

    @staticmethod
    def last_layer(plan: StepPlan) -> int:
        """The layer whose output a step stores: its last fused layer, else its head."""
        return plan.tails[-1].layer if plan.tails else plan.head_layer

    def elements(self, rep: Rep) -> tuple[int, int]:
        """(elements per item, bytes per element) of a representation, items being maps (all
        of a map's overlap-add tiles)."""
        if rep.spectral:
            return rep.tiles * half_bins(rep.grid), self.bytes.spectral
        return rep.tiles * rep.size * rep.size, self.bytes.spatial

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
        need = tail.op.stash(self.hardware.numerics.activations.total_bits)
        if not need.bits:
            return None
        per_item = n_out if need.on_output else n_in
        return self.stash.slot(tail.layer, need.bits, per_item, items)

    def with_stash_write(
        self,
        layer: int,
        slot: StashSlot | None,
        elements: int,
        holds: Holds,
        emit: EmitWithHolds,
    ) -> int:
        """Emit a forward op (``emit`` with its holds); if it makes a stash (``elements``
        values of ``slot``), it also writes it to the gradients buffer, where it stays (kept)
        or from where it is stored to DRAM (spilled)."""
        if slot is None:
            return emit(holds=holds)
        nbytes = slot.write(elements)
        stashed: Allocation = (Buffer.GRADIENTS, nbytes)
        index = emit(
            holds=replace(holds, allocate=(*holds.allocate, stashed), stash_write_bytes=nbytes)
        )
        if slot.kept:
            slot.producers.append(index)
        else:
            self.program.store(layer, index, nbytes, (stashed,), Tensor.STASH, Buffer.GRADIENTS)
        return index

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
        program = self.program
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
        tile = largest_fitting(items, per, self.capacity, self.buffering, layer=name, what=what)
        for _start, count in split(items, tile):
            in_bytes = count * in_elems * in_eb
            prev = program.load(head_layer, in_bytes, io.in_tensor, io.in_buffer, True)
            extra = [self._stash_in(link, count) for link in links] if io.backward else []
            program.flush()
            out_alloc: Allocation = (self.out_buffer, count * peak_out)
            op_in_eb = in_eb
            for position, link in enumerate(links):
                first = position == 0
                traffic = Traffic(
                    io.in_buffer if first else self.out_buffer,
                    self.out_buffer,
                    (count * link.n_in, count * link.n_out),
                    (op_in_eb, link.out_eb),
                )
                holds = Holds(
                    (out_alloc,) if first else (), ((io.in_buffer, in_bytes),) if first else ()
                )
                if io.backward:
                    deps, stash_bytes, operand_bytes = extra[position]
                    release = holds.release
                    if stash_bytes:
                        release += ((Buffer.GRADIENTS, stash_bytes),)
                    if operand_bytes:
                        release += ((Buffer.ACTIVATIONS, operand_bytes),)
                    holds = Holds(holds.allocate, release, stash_read_bytes=stash_bytes)
                    operand = Buffer.ACTIVATIONS if operand_bytes else None
                    prev = self._link_op(link, count, (prev, *deps), traffic, holds, operand)
                else:
                    elements = count * link.stash.elements_per_item if link.stash else 0
                    emit = partial(self._link_op, link, count, (prev,), traffic)
                    prev = self.with_stash_write(link.layer, link.stash, elements, holds, emit)
                op_in_eb = link.out_eb
            final = links[-1]
            nbytes = count * final.n_out * final.out_eb
            program.store(final.layer, prev, nbytes, (out_alloc,), io.out_tensor)
        return tile

    def _link_op(
        self,
        link: Link,
        count: int,
        deps: tuple[int, ...],
        traffic: Traffic,
        holds: Holds,
        operand: Buffer | None = None,
    ) -> int:
        """The op of one chain link over ``count`` items."""
        program = self.program
        if link.kind in (OpKind.FFT, OpKind.IFFT):
            maps = count * link.transforms
            return program.transform(
                link.layer, link.kind, deps, traffic, maps=maps, points=link.points, holds=holds
            )
        if link.kind is OpKind.SELF_CONV:
            return program.cmac(
                link.layer,
                deps,
                traffic,
                images=count,
                in_channels=link.products,
                out_channels=1,
                bins=link.n_out,
                weight_element_bytes=link.operand_eb,
                operand=operand,
                self_conv=True,
                holds=holds,
            )
        assert isinstance(link.op, StreamPrimitive), link
        return program.stream(
            link.layer,
            link.kind,
            deps,
            traffic,
            spectral=link.spectral,
            operator=link.op,
            holds=holds,
        )

    def _stash_in(self, link: Link, count: int) -> tuple[tuple[int, ...], int, int]:
        """Before a backward tile: (deps, stash bytes, operand bytes) of ``link``, loading a
        spilled stash slot and a self-convolution's stashed operand."""
        deps: tuple[int, ...] = ()
        stash_bytes = operand_bytes = 0
        program = self.program
        if link.stash is not None:
            slot = link.stash
            stash_bytes = slot.take(count * slot.elements_per_item)
            if slot.kept:
                deps += tuple(slot.producers[-1:])
            else:
                deps += (
                    program.load(link.layer, stash_bytes, Tensor.STASH, Buffer.GRADIENTS, False),
                )
        if link.operand_eb:
            operand_bytes = count * link.n_in * link.operand_eb
            deps += (
                program.load(link.layer, operand_bytes, Tensor.STASH, Buffer.ACTIVATIONS, False),
            )
        return deps, stash_bytes, operand_bytes
