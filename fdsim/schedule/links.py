"""What a compiled op chain is made of: element sizes per tensor class, chain links, and
where a chain's data comes from and goes."""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.operators.base import Primitive
from fdsim.schedule.ops import Buffer, OpKind, Tensor
from fdsim.schedule.stash import StashSlot
from fdsim.spec.hardware import HardwareSpec


@dataclass(frozen=True)
class ElementBytes:
    spatial: int  # one real activation
    spectral: int  # one complex activation bin
    weight_spectral: int  # one complex weight bin
    weight: int  # one real weight
    gradient: int  # one real gradient
    gradient_spectral: int  # one complex gradient bin
    partial: int  # one real partial sum spilled from the accumulators
    partial_spectral: int  # one complex partial sum
    master: int  # one real weight as the update unit keeps it

    @staticmethod
    def of(hardware: HardwareSpec) -> ElementBytes:
        numerics = hardware.numerics
        partial = (numerics.partial_sums or numerics.accumulators).storage_bytes
        return ElementBytes(
            spatial=numerics.activations.storage_bytes,
            spectral=2 * numerics.spectra.storage_bytes,
            weight_spectral=2 * numerics.weights.storage_bytes,
            weight=numerics.weights.storage_bytes,
            gradient=numerics.gradients.storage_bytes,
            gradient_spectral=2 * numerics.gradients.storage_bytes,
            partial=partial,
            partial_spectral=2 * partial,
            master=(numerics.master_weights or numerics.weights).storage_bytes,
        )


@dataclass(frozen=True)
class Link:
    """One op of a map-tiled chain, per item (map or image vector): ``n_in`` elements in,
    ``n_out`` out at ``out_eb`` bytes each. ``stash`` is written by a forward link and read by
    a backward one; ``operand_eb`` > 0 makes a backward self-convolution load the step's
    stashed input X (that many bytes per element) as its second operand."""

    kind: OpKind
    layer: int  # plan index
    n_in: int
    n_out: int
    out_eb: int
    spectral: bool
    points: int = 0
    products: int = 0  # self-convolution: products summed per output bin
    stash: StashSlot | None = None
    operand_eb: int = 0
    op: Primitive | None = None  # the graph primitive a stream link computes
    transforms: int = 1  # fft/ifft: transforms per item (a map's overlap-add tiles)


@dataclass(frozen=True)
class ChainIo:
    """Where a chain's input comes from and its output goes (DRAM tensor classes)."""

    in_tensor: Tensor
    in_buffer: Buffer
    out_tensor: Tensor

    @property
    def backward(self) -> bool:
        return self.out_tensor is Tensor.GRADIENTS


FORWARD_IO = ChainIo(Tensor.ACTIVATIONS, Buffer.ACTIVATIONS, Tensor.ACTIVATIONS)
GRADIENT_IO = ChainIo(Tensor.GRADIENTS, Buffer.GRADIENTS, Tensor.GRADIENTS)
