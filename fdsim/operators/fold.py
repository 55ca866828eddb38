"""Strided convolution by spectral folding: the aliased blocks of a spectrum summed (on the
crop unit, inside the convolution's step); its backward replicates each bin to its aliases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import Arith, ArithKey
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.fold import spectral_fold_backward_fixed, spectral_fold_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StreamPrimitive, Widths
from fdsim.vocabulary import OpKind, Phase, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


def dropped_bin_adds(op: StreamOp, widths: Widths, forward: bool) -> Counter[ArithKey]:
    """A reduction of spectra (fold, crop): each bin it drops is added into a kept one
    (2 real adds); its adjoint (unfold, pad) only moves data."""
    if not forward:
        return Counter()
    return Counter({(Arith.ADD, widths.spectral_bits): 2 * (op.in_elements - op.out_elements)})


@dataclass(frozen=True)
class Fold(StreamPrimitive):
    """Stride ``stride`` by folding the spectrum ``(…, G, G//2+1)`` → ``(…, G/s, G/s//2+1)``."""

    stride: int

    units: ClassVar[tuple[Unit, ...]] = (Unit.CROP,)
    forward_kind: ClassVar[OpKind] = OpKind.FOLD
    backward_kind: ClassVar[OpKind] = OpKind.UNFOLD

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        return dropped_bin_adds(op, widths, op.kind is self.forward_kind)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return spectral_fold(x, self.stride)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (spectral_fold_backward(g, self.stride) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("spectra", name, Phase.FORWARD, "fold")
        return spectral_fold_fixed(x, self.stride, path.counter, site)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        if not input_grad:
            return None, {}
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "fold")
        return spectral_fold_backward_fixed(g, self.stride, path.counter, site), {}
