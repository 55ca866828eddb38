"""An affine activation on spectra (the linear sigmoid, affine): ``scale·x + offset`` is every
bin ×scale and ``offset·G²`` added to DC, on the activation unit; its backward is ``scale·G``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import Arith, ArithKey
from fdsim.nn.activation import spectral_affine, spectral_affine_backward
from fdsim.nn.fixed.activation import spectral_affine_backward_fixed, spectral_affine_fixed
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StreamPrimitive, Widths
from fdsim.vocabulary import OpKind, Phase, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class SpectralAffine(StreamPrimitive):
    """``scale·x + offset`` on spectra."""

    scale: float
    offset: float

    units: ClassVar[tuple[Unit, ...]] = (Unit.ACTIVATION,)
    forward_kind: ClassVar[OpKind] = OpKind.ACTIVATE
    backward_kind: ClassVar[OpKind] = OpKind.ACTIVATE_BWD

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        # both parts of each bin scaled, forward and backward
        return Counter({(Arith.MULT, widths.spectral_bits): 2 * op.in_elements})

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return spectral_affine(x, self.scale, self.offset)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (spectral_affine_backward(g, self.scale) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return spectral_affine_fixed(
            x,
            path.coefficient(self.scale, name, Phase.FORWARD),
            path.coefficient(self.offset, name, Phase.FORWARD),
            path.counter,
            path.site("spectra", name, Phase.FORWARD, "affine"),
            x.layout,
        )

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
        scale = path.coefficient(self.scale, name, Phase.BACKWARD_DATA)
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "affine")
        return spectral_affine_backward_fixed(g, scale, path.counter, site, g.layout), {}
