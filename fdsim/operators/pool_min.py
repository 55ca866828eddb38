"""Spatial min pooling: the minimum of each window; its backward routes each window's gradient
to the window's first minimal input (row-major), through the argmin the forward stashes
(⌈log₂ window⌉ bits per output). Min is max on negated values, so this module reuses the max
pool's exact selection kernels on ``−x`` (the first maximum of −x is the first minimum of x)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import max_pool_backward_fixed, max_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads
from fdsim.operators.spatial_pool import SelectingPool, pool_float, route_to_first_max_float
from fdsim.vocabulary import Phase


def _negated(x: FixedTensor) -> FixedTensor:
    return FixedTensor(-x.parts[0], x.fmt, x.exponent)


@dataclass(frozen=True)
class MinPool(SelectingPool):
    """Spatial min pooling."""

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return pool_float(x, self.windows, lambda block: block.min(axis=(-2, -1)))

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (route_to_first_max_float(g, -x, self.windows) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        if x.is_complex:
            raise ValueError("min pooling needs real spatial values, got a complex tensor")
        return _negated(max_pool_fixed(_negated(x), self.windows))

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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "min_pool")
        return max_pool_backward_fixed(g, _negated(x), self.windows, path.counter, site), {}
