"""Spectral pooling (Rippel et al. 2015): a centred crop of the spectrum on the crop unit,
Nyquist row/column averaged at even sizes; its backward is the adjoint, zero-padding."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import ArithKey
from fdsim.errors import LayerSupportError
from fdsim.nn.crop import spectral_crop, spectral_crop_backward
from fdsim.nn.fixed.crop import spectral_crop_backward_fixed, spectral_crop_fixed
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.fixed.transforms import NYQUIST
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StreamPrimitive, Widths
from fdsim.operators.fold import dropped_bin_adds
from fdsim.vocabulary import OpKind, Phase, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class Crop(StreamPrimitive):
    """Spectral pooling from ``grid`` to ``size`` (centred crop ×size²/G²)."""

    grid: int
    size: int

    units: ClassVar[tuple[Unit, ...]] = (Unit.CROP,)
    forward_kind: ClassVar[OpKind] = OpKind.CROP
    backward_kind: ClassVar[OpKind] = OpKind.PAD

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        return dropped_bin_adds(op, widths, op.kind is self.forward_kind)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return spectral_crop(x, self.size, NYQUIST)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (spectral_crop_backward(g, self.grid, NYQUIST) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        grid = x.shape[-2]
        if grid & (grid - 1):
            # H²/N² moves into the exponent only for a power-of-two N (fdsim.nn.fixed.crop).
            raise LayerSupportError(
                name,
                "output_size",
                f"the bit-true spectral crop needs a power-of-two input grid, got {grid} "
                "(left by an earlier crop); only the timing model runs this layer",
            )
        site = path.site("spectra", name, Phase.FORWARD, "crop")
        return spectral_crop_fixed(x, self.size, NYQUIST, path.counter, site)

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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "crop")
        return spectral_crop_backward_fixed(g, self.grid, NYQUIST, path.counter, site), {}
