"""The compiled program: tile-granular operations with dependencies, grouped into steps.

An op describes *what* work a tile is (geometry, element sizes, buffers); the simulator's unit
models decide how long it takes and which primitive actions it performs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fdsim.spec.hardware import BufferSpec, HardwareSpec


class Phase(StrEnum):
    """A training phase. Forward is the only phase compiled so far."""

    FORWARD = "fwd"
    BACKWARD_DATA = "bwd_data"
    BACKWARD_WEIGHT = "bwd_weight"
    UPDATE = "update"


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
    CMAC = "cmac"  # Σ_i X_i · conj(W_oi) over bins, complex
    SELF_CONV = "self_conv"  # spectral self-convolution (x² term of an activation)
    GEMM = "gemm"  # real matrix product (FC)
    FOLD = "fold"  # strided convolution: sum aliased spectral blocks
    CROP = "crop"  # spectral pooling: select the kept bins
    POOL = "pool"  # spatial max/average pooling window reduction
    ACTIVATE = "activate"  # elementwise activation (spectral affine or spatial)
    LOSS = "loss"  # softmax cross-entropy on logits


UNIT_OF_KIND: dict[OpKind, Unit] = {
    OpKind.LOAD: Unit.DMA,
    OpKind.STORE: Unit.DMA,
    OpKind.FFT: Unit.FFT,
    OpKind.IFFT: Unit.FFT,
    OpKind.CMAC: Unit.CMAC,
    OpKind.SELF_CONV: Unit.CMAC,
    OpKind.GEMM: Unit.CMAC,
    OpKind.FOLD: Unit.CROP,
    OpKind.CROP: Unit.CROP,
    OpKind.POOL: Unit.CROP,
    OpKind.ACTIVATE: Unit.ACTIVATION,
    OpKind.LOSS: Unit.ACTIVATION,
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


class MemoryLevel(StrEnum):
    SRAM = "sram"
    DRAM = "dram"


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
    # real GEMM (FC): real multiply-accumulates
    real_macs: int = 0
    # streaming units and SRAM traffic of every compute op
    in_elements: int = 0
    out_elements: int = 0
    in_element_bytes: int = 0
    out_element_bytes: int = 0
    weight_element_bytes: int = 0
    spectral: bool = False  # elements are complex spectral bins (else real spatial values)
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
    input_shape: tuple[int, ...]  # per image: (channels, map side) or (features,)
    output_shape: tuple[int, ...]
    mapping: str  # the tiling decision in words, printed in reports


@dataclass(frozen=True)
class Schedule:
    layers: tuple[LayerPlan, ...]
    ops: tuple[Op, ...] = field(repr=False)
