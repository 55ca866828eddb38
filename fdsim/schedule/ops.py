"""The compiled program: tile-granular operations with dependencies, grouped into steps.

An op describes *what* work a tile is (geometry, element sizes, buffers); the simulator's unit
models decide how long it takes and which primitive actions it performs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fdsim.spec.hardware import BufferSpec, HardwareSpec
from fdsim.spec.workload import ActivationFunction


class Phase(StrEnum):
    """A training phase, in the order a training step runs them. Each phase needs the results
    of every phase before it (``needs``): a selection of phases must be such a prefix."""

    FORWARD = "fwd"
    BACKWARD_DATA = "bwd_data"
    BACKWARD_WEIGHT = "bwd_weight"
    UPDATE = "update"

    @property
    def needs(self) -> tuple[Phase, ...]:
        """The phases whose results this one consumes (directly or not)."""
        order = list(Phase)
        return tuple(order[: order.index(self)])


TRAINING_STEP: frozenset[Phase] = frozenset(Phase)


class Unit(StrEnum):
    """A hardware unit that executes ops, one at a time, in program order."""

    DMA = "dma"
    FFT = "fft"
    CMAC = "cmac"
    CROP = "crop"
    ACTIVATION = "activation"
    UPDATE = "update"


class OpKind(StrEnum):
    LOAD = "load"  # DRAM -> SRAM
    STORE = "store"  # SRAM -> DRAM
    FFT = "fft"  # real 2-D maps -> Hermitian half-spectra
    IFFT = "ifft"  # Hermitian half-spectra -> real 2-D maps
    # complex MACs over bins: fwd Σ_i X·conj(W), bwd_data Σ_o G·W, bwd_weight Σ_b X·conj(G)
    CMAC = "cmac"
    SELF_CONV = "self_conv"  # spectral self-convolution (x² term of an activation, or its backward)
    GEMM = "gemm"  # real matrix product (FC, and both of its backward products)
    PROJECT = "project"  # sinc projection of a weight gradient onto the k×k kernel support
    FOLD = "fold"  # strided convolution: sum aliased spectral blocks
    UNFOLD = "unfold"  # fold backward: replicate each bin to its aliases
    CROP = "crop"  # spectral pooling: select the kept bins
    PAD = "pad"  # crop backward: scatter kept bins back (the rest are zero)
    POOL = "pool"  # spatial max/average pooling window reduction
    UNPOOL_MAX = "unpool_max"  # max-pool backward: route each gradient to its argmax
    UNPOOL_AVERAGE = "unpool_average"  # average-pool backward: spread gradient/window
    ACTIVATE = "activate"  # elementwise activation (spectral affine or spatial)
    ACTIVATE_BWD = "activate_bwd"  # activation backward: G·f'(x) (affine: a·G)
    LOSS = "loss"  # softmax cross-entropy on logits
    LOSS_GRAD = "loss_grad"  # dL/dlogits = softmax(logits) − one-hot(label)
    UPDATE = "update"  # SGD step on a stream of parameters


UNIT_OF_KIND: dict[OpKind, Unit] = {
    OpKind.LOAD: Unit.DMA,
    OpKind.STORE: Unit.DMA,
    OpKind.FFT: Unit.FFT,
    OpKind.IFFT: Unit.FFT,
    OpKind.CMAC: Unit.CMAC,
    OpKind.SELF_CONV: Unit.CMAC,
    OpKind.GEMM: Unit.CMAC,
    OpKind.PROJECT: Unit.CMAC,
    OpKind.FOLD: Unit.CROP,
    OpKind.UNFOLD: Unit.CROP,
    OpKind.CROP: Unit.CROP,
    OpKind.PAD: Unit.CROP,
    OpKind.POOL: Unit.CROP,
    OpKind.UNPOOL_MAX: Unit.CROP,
    OpKind.UNPOOL_AVERAGE: Unit.CROP,
    OpKind.ACTIVATE: Unit.ACTIVATION,
    OpKind.ACTIVATE_BWD: Unit.ACTIVATION,
    OpKind.LOSS: Unit.ACTIVATION,
    OpKind.LOSS_GRAD: Unit.ACTIVATION,
    OpKind.UPDATE: Unit.UPDATE,
}


class Buffer(StrEnum):
    """An on-chip SRAM (see ``BuffersSpec``)."""

    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    GRADIENTS = "gradients"
    OUTPUTS = "outputs"


def buffer_spec(hardware: HardwareSpec, buffer: Buffer) -> BufferSpec:
    """The spec of ``buffer``; only ``outputs`` may be absent, and asking for it then is a bug."""
    spec = getattr(hardware.buffers, buffer.value)
    assert isinstance(spec, BufferSpec), f"the hardware has no {buffer.value} buffer"
    return spec


def buffer_capacities(hardware: HardwareSpec) -> dict[Buffer, int]:
    """Bytes of every buffer the hardware has."""
    return {
        buffer: spec.size_bytes
        for buffer in Buffer
        if isinstance(spec := getattr(hardware.buffers, buffer.value), BufferSpec)
    }


class Tensor(StrEnum):
    """What moves, for traffic accounting."""

    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    GRADIENTS = "gradients"
    STASH = "stash"  # forward values the backward needs (inputs re-read, masks, argmax)
    VELOCITY = "velocity"  # SGD momentum state


Allocation = tuple[Buffer, int]


@dataclass(frozen=True, slots=True)
class Op:
    """One tile of work on one unit.

    Geometry fields are zero where they do not apply. ``allocate`` is acquired (bytes of SRAM)
    before the op starts and ``release`` returned when it ends, which is how double buffering
    and buffer-full stalls arise in the engine.
    """

    index: int
    layer: int  # index into Schedule.layers
    kind: OpKind
    deps: tuple[int, ...] = ()
    # DMA
    bytes: int = 0
    tensor: Tensor | None = None
    # transforms: `maps` 2-D transforms of points × points
    maps: int = 0
    points: int = 0
    # complex MAC tile: images × out_channels outputs per bin, reduced over in_channels
    images: int = 0
    in_channels: int = 0
    out_channels: int = 0
    bins: int = 0
    # real GEMM (FC): real multiply-accumulates, and the outputs that add their bias
    real_macs: int = 0
    bias_elements: int = 0
    # streaming units and SRAM traffic of every compute op
    in_elements: int = 0
    out_elements: int = 0
    # spatial pool and unpool: input elements summed over all windows (overlaps count twice),
    # and the map elements inside at least one window
    window_elements: int = 0
    covered_elements: int = 0
    in_element_bytes: int = 0
    out_element_bytes: int = 0
    weight_element_bytes: int = 0
    # the buffer of the per-lane operand of a CMAC/GEMM (None: the weights buffer)
    operand: Buffer | None = None
    # reduction split into tiles: partial sums read back from ``dst`` before accumulating
    partial_in_bytes: int = 0
    # stash bytes written (forward) or read (backward) in the gradients buffer
    stash_write_bytes: int = 0
    stash_read_bytes: int = 0
    # sinc projection: kernel side k (``points`` is the grid N, ``maps`` the kernels)
    kernel: int = 0
    # SGD: bytes of one velocity value (0: no momentum) and whether weight decay is applied
    state_element_bytes: int = 0
    weight_decay: bool = False
    spectral: bool = False  # elements are complex spectral bins (else real spatial values)
    # activation ops (and their backwards): the function, which decides their arithmetic
    activation: ActivationFunction | None = None
    src: Buffer | None = None
    dst: Buffer | None = None
    allocate: tuple[Allocation, ...] = ()
    release: tuple[Allocation, ...] = ()

    @property
    def unit(self) -> Unit:
        return UNIT_OF_KIND[self.kind]


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


@dataclass(frozen=True)
class Schedule:
    """``layers`` has one plan per (layer, phase) with work: the forward's in layer order (plan
    index = workload layer index), then the backward's in reverse layer order, then the
    update's. ``Op.layer`` indexes it."""

    layers: tuple[LayerPlan, ...]
    ops: tuple[Op, ...] = field(repr=False)
    phases: frozenset[Phase] = TRAINING_STEP
