"""The program builder: the only writer of a schedule's op list.

It numbers ops in program order (each unit executes its own ops in that order), keeps the
step barrier (a step's first input load waits for the previous step's stores: layers meet in
DRAM) and queues each tile's stores behind the next tile's loads, so that the DMA unit fetches
tile t+1 before writing tile t back (double buffering). Emitters describe work through its
typed methods; no one else appends, numbers or mutates ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, TypeVar

from fdsim.operators.base import StreamPrimitive
from fdsim.schedule.ops import (
    Allocation,
    Buffer,
    CmacOp,
    DmaOp,
    FftOp,
    GemmOp,
    Op,
    OpKind,
    ProjectOp,
    StreamOp,
    Tensor,
    UpdateOp,
)
from fdsim.spec.hardware import Dataflow

_TRANSFORM_KINDS = frozenset({OpKind.FFT, OpKind.IFFT})
STREAM_KINDS = frozenset(
    {
        OpKind.FOLD,
        OpKind.UNFOLD,
        OpKind.OVERLAP_ADD,
        OpKind.OVERLAP_SPLIT,
        OpKind.CROP,
        OpKind.PAD,
        OpKind.POOL,
        OpKind.UNPOOL,
        OpKind.ACTIVATE,
        OpKind.ACTIVATE_BWD,
        OpKind.LOSS,
        OpKind.LOSS_GRAD,
    }
)


@dataclass(frozen=True)
class Traffic:
    """A compute op's SRAM traffic: ``elements`` (in, out) at ``element_bytes`` (in, out),
    read from ``src`` and written to ``dst``."""

    src: Buffer
    dst: Buffer
    elements: tuple[int, int]
    element_bytes: tuple[int, int]


@dataclass(frozen=True)
class Holds:
    """What a compute op holds in SRAM: acquired before it starts, returned when it ends, and
    the stash bytes it writes or reads in the gradients buffer."""

    allocate: tuple[Allocation, ...] = ()
    release: tuple[Allocation, ...] = ()
    stash_write_bytes: int = 0
    stash_read_bytes: int = 0


NO_HOLDS = Holds()

_Shared = TypeVar("_Shared")


class _ComputeFields(TypedDict):
    """The fields every ``ComputeOp`` shares."""

    index: int
    layer: int
    kind: OpKind
    deps: tuple[int, ...]
    src: Buffer | None
    dst: Buffer | None
    allocate: tuple[Allocation, ...]
    release: tuple[Allocation, ...]
    in_elements: int
    out_elements: int
    in_element_bytes: int
    out_element_bytes: int
    stash_write_bytes: int
    stash_read_bytes: int


@dataclass(frozen=True)
class _PendingStore:
    layer: int
    dep: int
    nbytes: int
    release: tuple[Allocation, ...]
    tensor: Tensor
    src: Buffer


class ProgramBuilder:
    """Builds one schedule's ops. Stores read from ``out_buffer`` unless told otherwise.
    ``single_buffered``: buffers that hold one tile at a time (``buffering: 1``), into which
    a load never overtakes a queued store that frees space there (the DMA unit runs in program
    order, so the load would wait forever for a store behind it)."""

    def __init__(
        self, out_buffer: Buffer, single_buffered: frozenset[Buffer] = frozenset()
    ) -> None:
        self._out_buffer = out_buffer
        self._single_buffered = single_buffered
        self._ops: list[Op] = []
        self._barrier: tuple[int, ...] = ()
        self._pending: list[_PendingStore] = []
        self._sinks: list[int] = []
        # equal values the ops hold, kept once: tiles repeat, and a network's 0.7 M ops would
        # otherwise each carry their own copies of the same allocation tuples and sizes
        self._shared: dict[object, object] = {}

    @property
    def ops(self) -> tuple[Op, ...]:
        """The program so far, in program order (``ops[i].index == i``)."""
        return tuple(self._ops)

    def mark(self) -> int:
        """A position in the program, for ``stores_since``."""
        return len(self._ops)

    def stores_since(self, mark: int, layer: int | None = None) -> list[int]:
        """The stores emitted since ``mark`` (of plan ``layer`` only, if given), after
        emitting the queued ones."""
        self.flush()
        return [
            op.index
            for op in self._ops[mark:]
            if op.kind is OpKind.STORE and (layer is None or op.layer == layer)
        ]

    @staticmethod
    def last_of(stores: Sequence[int]) -> tuple[int, ...]:
        """A dependency on all of ``stores``: the DMA unit runs them in program order with
        the same latency, so the last one is done only when all are."""
        return (max(stores),) if stores else ()

    # --- steps ---------------------------------------------------------------------------
    def end_step(self) -> None:
        """Close a step: its stores are what the next step's first load waits for."""
        self.flush()
        self.end_step_on(self._sinks)

    def end_step_on(self, stores: Sequence[int]) -> None:
        """Close a step whose next step waits only for ``stores`` (none: the barrier stays)."""
        self.flush()
        self._barrier = self.last_of(stores) or self._barrier
        self._sinks = []

    def flush(self) -> None:
        """Emit the queued stores (after the loads of the next tile)."""
        for store in self._pending:
            index = self._append(
                DmaOp(
                    index=len(self._ops),
                    layer=store.layer,
                    kind=OpKind.STORE,
                    deps=(store.dep,),
                    bytes=store.nbytes,
                    tensor=store.tensor,
                    src=store.src,
                    release=self._share(store.release),
                )
            )
            self._sinks.append(index)
        self._pending = []

    # --- DMA -----------------------------------------------------------------------------
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
        """Load ``nbytes`` into ``buffer`` (after the step barrier if ``barrier``), allocating
        ``room_bytes`` there (default: the loaded bytes; more when ops grow the tile in
        place)."""
        if buffer in self._single_buffered and any(
            held is buffer for store in self._pending for held, _n in store.release
        ):
            self.flush()
        return self._append(
            DmaOp(
                index=len(self._ops),
                layer=layer,
                kind=OpKind.LOAD,
                deps=(*self._barrier, *deps) if barrier else deps,
                bytes=nbytes,
                tensor=tensor,
                dst=buffer,
                allocate=self._share(((buffer, max(nbytes, room_bytes)),)),
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
        """Queue a store of ``nbytes`` from ``src`` (default: the output buffer) once ``dep``
        is done; it is emitted by the next ``flush``, after the next tile's loads."""
        self._pending.append(
            _PendingStore(layer, dep, nbytes, release, tensor, src or self._out_buffer)
        )

    # --- compute -------------------------------------------------------------------------
    def transform(
        self,
        layer: int,
        kind: OpKind,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        maps: int,
        points: int,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """``maps`` FFTs or iFFTs (``kind``) of ``points`` × ``points``."""
        assert kind in _TRANSFORM_KINDS, kind
        return self._append(
            FftOp(**self._compute(layer, kind, deps, traffic, holds), maps=maps, points=points)
        )

    def cmac(
        self,
        layer: int,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        images: int,
        in_channels: int,
        out_channels: int,
        bins: int,
        weight_element_bytes: int = 0,
        operand: Buffer | None = None,
        partial_in_bytes: int = 0,
        self_conv: bool = False,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """Complex MACs (a spectral self-convolution if ``self_conv``); see ``CmacOp``."""
        kind = OpKind.SELF_CONV if self_conv else OpKind.CMAC
        return self._append(
            CmacOp(
                **self._compute(layer, kind, deps, traffic, holds),
                images=images,
                in_channels=in_channels,
                out_channels=out_channels,
                bins=bins,
                weight_element_bytes=weight_element_bytes,
                operand=operand,
                partial_in_bytes=partial_in_bytes,
            )
        )

    def gemm(
        self,
        layer: int,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        kind: OpKind = OpKind.GEMM,
        dataflow: Dataflow | None = None,
        images: int,
        in_channels: int,
        out_channels: int,
        weight_element_bytes: int,
        bias: bool = False,
        operand: Buffer | None = None,
        partial_in_bytes: int = 0,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """A real matrix product of ``images`` × ``in_channels`` by ``in_channels`` ×
        ``out_channels`` (adding a bias to each output if ``bias``) on the CMAC lanes (kind
        GEMM) or the systolic array (kind SYSTOLIC); see ``GemmOp``."""
        assert kind in (OpKind.GEMM, OpKind.SYSTOLIC), kind
        outputs = images * out_channels
        return self._append(
            GemmOp(
                **self._compute(layer, kind, deps, traffic, holds),
                images=images,
                in_channels=in_channels,
                out_channels=out_channels,
                real_macs=outputs * in_channels,
                bias_elements=outputs if bias else 0,
                dataflow=dataflow,
                weight_element_bytes=weight_element_bytes,
                operand=operand,
                partial_in_bytes=partial_in_bytes,
            )
        )

    def project(
        self,
        layer: int,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        maps: int,
        points: int,
        kernel: int,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """The sinc projection of ``maps`` kernels; see ``ProjectOp``."""
        return self._append(
            ProjectOp(
                **self._compute(layer, OpKind.PROJECT, deps, traffic, holds),
                maps=maps,
                points=points,
                kernel=kernel,
            )
        )

    def stream(
        self,
        layer: int,
        kind: OpKind,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        spectral: bool,
        operator: StreamPrimitive,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """An op of ``operator`` on the crop or activation unit; see ``StreamOp``."""
        assert kind in STREAM_KINDS, kind
        assert kind in (operator.forward_kind, operator.backward_kind), (kind, operator)
        return self._append(
            StreamOp(
                **self._compute(layer, kind, deps, traffic, holds),
                spectral=spectral,
                operator=operator,
            )
        )

    def update(
        self,
        layer: int,
        deps: tuple[int, ...],
        traffic: Traffic,
        *,
        weight_element_bytes: int,
        state_element_bytes: int,
        weight_decay: bool,
        holds: Holds = NO_HOLDS,
    ) -> int:
        """An SGD step on ``traffic.elements[0]`` parameter values; see ``UpdateOp``."""
        return self._append(
            UpdateOp(
                **self._compute(layer, OpKind.UPDATE, deps, traffic, holds),
                weight_element_bytes=weight_element_bytes,
                state_element_bytes=state_element_bytes,
                weight_decay=weight_decay,
            )
        )

    # --- internals -----------------------------------------------------------------------
    def _share(self, value: _Shared) -> _Shared:
        """The one kept copy of ``value`` (``value`` itself the first time)."""
        return self._shared.setdefault(value, value)  # type: ignore[return-value]

    def _compute(
        self, layer: int, kind: OpKind, deps: tuple[int, ...], traffic: Traffic, holds: Holds
    ) -> _ComputeFields:
        traffic, holds = self._share(traffic), self._share(holds)
        return {
            "index": len(self._ops),
            "layer": layer,
            "kind": kind,
            "deps": deps,
            "src": traffic.src,
            "dst": traffic.dst,
            "allocate": holds.allocate,
            "release": holds.release,
            "in_elements": traffic.elements[0],
            "out_elements": traffic.elements[1],
            "in_element_bytes": traffic.element_bytes[0],
            "out_element_bytes": traffic.element_bytes[1],
            "stash_write_bytes": holds.stash_write_bytes,
            "stash_read_bytes": holds.stash_read_bytes,
        }

    def _append(self, op: Op) -> int:
        self._ops.append(op)
        return op.index
