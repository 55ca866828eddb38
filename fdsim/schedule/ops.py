"""The compiled program: tile-granular operations with dependencies, grouped into steps.

An op describes *what* work a tile is (geometry, element sizes, buffers); the simulator's unit
models decide how long it takes and which primitive actions it performs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fdsim.operators.base import StreamPrimitive
from fdsim.spec.hardware import BufferSpec, Dataflow, HardwareSpec

# re-exported: the compiler's names for the shared vocabulary
from fdsim.vocabulary import Buffer as Buffer
from fdsim.vocabulary import OpKind as OpKind
from fdsim.vocabulary import Phase as Phase
from fdsim.vocabulary import Tensor as Tensor
from fdsim.vocabulary import Unit as Unit

if TYPE_CHECKING:
    from fdsim.network.graph import Network

TRAINING_STEP: frozenset[Phase] = frozenset(Phase)


UNIT_OF_KIND: dict[OpKind, Unit] = {
    OpKind.LOAD: Unit.DMA,
    OpKind.STORE: Unit.DMA,
    OpKind.FFT: Unit.FFT,
    OpKind.IFFT: Unit.FFT,
    OpKind.CMAC: Unit.CMAC,
    OpKind.SELF_CONV: Unit.CMAC,
    OpKind.GEMM: Unit.CMAC,
    OpKind.SYSTOLIC: Unit.SYSTOLIC_ARRAY,
    OpKind.PROJECT: Unit.CMAC,
    OpKind.FOLD: Unit.CROP,
    OpKind.UNFOLD: Unit.CROP,
    OpKind.OVERLAP_ADD: Unit.CROP,
    OpKind.OVERLAP_SPLIT: Unit.CROP,
    OpKind.CROP: Unit.CROP,
    OpKind.PAD: Unit.CROP,
    OpKind.POOL: Unit.CROP,
    OpKind.UNPOOL: Unit.CROP,
    OpKind.ACTIVATE: Unit.ACTIVATION,
    OpKind.ACTIVATE_BWD: Unit.ACTIVATION,
    OpKind.LOSS: Unit.ACTIVATION,
    OpKind.LOSS_GRAD: Unit.ACTIVATION,
    OpKind.UPDATE: Unit.UPDATE,
}


TILE_BUFFERS = (Buffer.ACTIVATIONS, Buffer.WEIGHTS, Buffer.GRADIENTS, Buffer.OUTPUTS)
"""The buffers tiles are allocated in (``hardware.buffers``)."""


def transpose_spec(hardware: HardwareSpec) -> BufferSpec:
    """The FFT unit's corner-turn memory: per engine two frames (one filled by the row pass
    while the column pass reads the other) of P × (P/2 + 1) complex words at the spectra
    width, P = ``max_points``, one bank per frame; its port keeps pace with the engines (each
    writes and reads ``samples_per_cycle`` words per cycle), so it never stalls them."""
    fft = hardware.fft
    assert fft is not None, "only an FFT unit has a transpose memory"
    word = 2 * hardware.numerics.spectra.storage_bytes
    frame = fft.max_points * (fft.max_points // 2 + 1) * word
    return BufferSpec(
        size_bytes=2 * fft.count * frame,
        banks=2 * fft.count,
        bytes_per_cycle=4 * fft.count * fft.samples_per_cycle * word,
        word_bytes=word,
    )


def buffer_spec(hardware: HardwareSpec, buffer: Buffer) -> BufferSpec:
    """The spec of ``buffer``; only ``outputs`` may be absent, and asking for it then is a bug
    (as for ``transpose`` without an FFT unit)."""
    if buffer is Buffer.TRANSPOSE:
        return transpose_spec(hardware)
    spec = getattr(hardware.buffers, buffer.value)
    assert isinstance(spec, BufferSpec), f"the hardware has no {buffer.value} buffer"
    return spec


def buffer_capacities(hardware: HardwareSpec) -> dict[Buffer, int]:
    """Bytes of every tile buffer the hardware has."""
    return {
        buffer: spec.size_bytes
        for buffer in TILE_BUFFERS
        if isinstance(spec := getattr(hardware.buffers, buffer.value), BufferSpec)
    }


def buffering_factors(hardware: HardwareSpec) -> dict[Buffer, int]:
    """Tiles every tile buffer the hardware has holds at once (``BufferSpec.buffering``)."""
    return {
        buffer: spec.buffering
        for buffer in TILE_BUFFERS
        if isinstance(spec := getattr(hardware.buffers, buffer.value), BufferSpec)
    }


Allocation = tuple[Buffer, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpBase:
    """What every op has: its place in the program, its dependencies and the SRAM it holds.

    ``allocate`` is acquired (bytes of SRAM) before the op starts and ``release`` returned when
    it ends, which is how double buffering and buffer-full stalls arise in the engine. Ops are
    built only by ``ProgramBuilder`` (``schedule/program.py``), which numbers them.
    """

    index: int
    layer: int  # index into Schedule.layers
    kind: OpKind
    deps: tuple[int, ...] = ()
    src: Buffer | None = None
    dst: Buffer | None = None
    allocate: tuple[Allocation, ...] = ()
    release: tuple[Allocation, ...] = ()

    @property
    def unit(self) -> Unit:
        return UNIT_OF_KIND[self.kind]


@dataclass(frozen=True, slots=True, kw_only=True)
class DmaOp(OpBase):
    """A load (DRAM -> ``dst``) or store (``src`` -> DRAM) of ``bytes`` of ``tensor``."""

    bytes: int
    tensor: Tensor


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeOp(OpBase):
    """An op on a compute unit: ``in_elements`` read from ``src``, ``out_elements`` written to
    ``dst`` (the SRAM traffic of every compute op), and the stash bytes it writes (forward) or
    reads (backward) in the gradients buffer."""

    in_elements: int = 0
    out_elements: int = 0
    in_element_bytes: int = 0
    out_element_bytes: int = 0
    stash_write_bytes: int = 0
    stash_read_bytes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FftOp(ComputeOp):
    """``maps`` 2-D transforms of ``points`` × ``points`` (kind FFT or IFFT)."""

    maps: int
    points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LanesOp(ComputeOp):
    """Multiply-accumulates on the CMAC lanes: ``images`` × ``out_channels`` outputs, each
    reduced over ``in_channels``. The per-lane operand is read from ``operand`` (None: the
    weights buffer) at ``weight_element_bytes``; a split reduction reads ``partial_in_bytes``
    of partial sums back from ``dst`` before accumulating."""

    images: int
    in_channels: int
    out_channels: int
    weight_element_bytes: int = 0
    operand: Buffer | None = None
    partial_in_bytes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CmacOp(LanesOp):
    """Complex MACs (kind CMAC or SELF_CONV) over ``bins`` bins per output. A
    self-convolution without ``operand`` reads its second operand from ``src``;
    ``weight_element_bytes`` 0 means the input's element size."""

    bins: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GemmOp(LanesOp):
    """A real matrix product (FC and both of its backward products): ``real_macs``
    multiply-accumulates, ``bias_elements`` outputs that add their bias."""

    real_macs: int
    bias_elements: int = 0
    dataflow: Dataflow | None = None  # a systolic product's dataflow (None: the array's)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectOp(ComputeOp):
    """Sinc projection of ``maps`` kernels' weight gradients on a ``points`` grid onto their
    ``kernel`` × ``kernel`` support."""

    maps: int
    points: int
    kernel: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOp(ComputeOp):
    """An elementwise or data-movement op on the crop or activation unit (fold, unfold, crop,
    pad, pool, unpool, activate and its backward, loss and its gradient) of the graph primitive
    ``operator``, whose cost descriptor (``StreamPrimitive.arith``) says what it computes.
    ``spectral``: the elements are complex bins."""

    operator: StreamPrimitive
    spectral: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateOp(ComputeOp):
    """SGD on ``in_elements`` parameter values: weights of ``weight_element_bytes`` (and a
    velocity of ``state_element_bytes``, 0: no momentum) read and written in ``dst``."""

    weight_element_bytes: int
    state_element_bytes: int = 0
    weight_decay: bool = False


Op = DmaOp | FftOp | CmacOp | GemmOp | ProjectOp | StreamOp | UpdateOp
"""One tile of work on one unit: a tagged union, one type per kind of unit work (``kind``
tells the ops of one type apart)."""


@dataclass(frozen=True)
class LayerBound:
    """Analytic lower bounds of a step, in cycles: no unit can finish its work faster than its
    peak throughput allows, nor can DRAM move the bytes faster than its bandwidth."""

    unit_cycles: dict[Unit, int]
    dram_cycles: int

    @property
    def cycles(self) -> int:
        return max([self.dram_cycles, *self.unit_cycles.values()])


@dataclass(frozen=True)
class LayerPlan:
    """One layer in one phase: its shapes and the mapping chosen for it."""

    name: str
    kind: str
    phase: Phase
    domain: str
    input_shape: tuple[int, ...]  # per image: (channels, map side) or (features,), forward sense
    output_shape: tuple[int, ...]
    mapping: str  # the tiling decision in words, printed in reports
    # sizes of the reduction-axis tiles whose partial sums leave the accumulator, in order
    # (fwd conv: input channels; bwd_data: output channels; bwd_weight: images; empty: no
    # reduction). A bit-true model rounds partial sums at exactly these tile boundaries.
    reduction_tiles: tuple[int, ...] = ()
    # the tiling decision as numbers (GEMM steps' forward; empty elsewhere): JSON values
    tiles: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """``layers`` has one plan per (layer, phase) with work: the forward's in layer order (plan
    index = workload layer index), then the backward's in reverse layer order, then the
    update's. ``Op.layer`` indexes it. ``network`` is the graph it was compiled from, which the
    numerical model runs."""

    network: Network = field(repr=False)
    layers: tuple[LayerPlan, ...]
    ops: tuple[Op, ...] = field(repr=False)
    phases: frozenset[Phase] = TRAINING_STEP
