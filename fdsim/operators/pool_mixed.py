"""Spatial mixed pooling (Yu et al. 2014) at its equal-weight point: ``½·max + ½·mean`` of each
window. A workload's ``method: mixed`` has no weight field, so α = ½ (a shift on the hardware);
the pooling library's ``mixed_pool2d`` takes any α. The backward sends ½ of each window's
gradient to the window's first maximum (through the argmax the forward stashes) and
``1/(2·area)`` of it to every input.

Cost on the crop unit, per window of w elements: the max's w − 1 compares and the sum's w − 1
adds, one multiply by ``1/(2·area)`` and one add of the two halves; backward, the average's
spreading plus one add per input to join the routed half."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fdsim.counts import Arith, ArithKey
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import mixed_pool_backward_fixed, mixed_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StashNeed, Widths
from fdsim.operators.pool_average import AvgPool
from fdsim.operators.pool_max import MaxPool
from fdsim.operators.spatial_pool import SpatialPool
from fdsim.vocabulary import Phase

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class MixedPool(SpatialPool):
    """Spatial mixed pooling, α = ½."""

    @property
    def affine(self) -> bool:
        return False

    def stash(self, activation_bits: int) -> StashNeed:
        return MaxPool(self.windows).stash(activation_bits)

    def reductions(self) -> int:
        return 2 * super().reductions()  # the compares of the max and the adds of the sum

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        counts = super().arith(op, widths)
        if op.kind is self.forward_kind:
            counts[(Arith.ADD, widths.spatial_bits)] += op.out_elements
            counts[(Arith.MULT, widths.spatial_bits)] += op.out_elements
        return counts

    def backward_arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        counts = AvgPool(self.windows).backward_arith(op, widths)
        counts[(Arith.ADD, widths.spatial_bits)] += op.out_elements
        return counts

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        high = MaxPool(self.windows).forward_float(name, params, x)
        mean = AvgPool(self.windows).forward_float(name, params, x)
        return 0.5 * high + 0.5 * mean

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        routed, _ = MaxPool(self.windows).backward_float(name, params, x, g, True)
        spread, _ = AvgPool(self.windows).backward_float(name, params, x, g, True)
        assert routed is not None and spread is not None
        return 0.5 * routed + 0.5 * spread, {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("activations", name, Phase.FORWARD, "mixed_pool")
        select = MaxPool(self.windows).picks
        return mixed_pool_fixed(x, self.windows, select, path.numerics.weights, path.counter, site)

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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "mixed_pool")
        select = MaxPool(self.windows).picks
        dx = mixed_pool_backward_fixed(
            g, x, self.windows, select, path.numerics.weights, path.counter, site
        )
        return dx, {}
