"""Spatial average pooling: the mean of each window; its backward spreads each window's
gradient evenly over its inputs (×1/window, and an add where overlapping windows share an
input). It is affine and needs nothing stashed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fdsim.counts import Arith, ArithKey
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import avg_pool_backward_fixed, avg_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Widths
from fdsim.operators.spatial_pool import SpatialPool, pool_float
from fdsim.vocabulary import Phase

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class AvgPool(SpatialPool):
    """Spatial average pooling."""

    def backward_arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        shared = self.maps(op) * (self.windows.window_elements - self.windows.covered_elements)
        return Counter(
            {
                (Arith.MULT, widths.spatial_bits): op.in_elements,
                (Arith.ADD, widths.spatial_bits): shared,
            }
        )

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return pool_float(x, self.windows, lambda block: block.mean(axis=(-2, -1)))

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        windows = self.windows
        dx = np.zeros((*g.shape[:-2], windows.in_size, windows.in_size))
        for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
                area = (r1 - r0) * (c1 - c0)
                dx[..., r0:r1, c0:c1] += g[..., r, c, None, None] / area
        return dx, {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("activations", name, Phase.FORWARD, "avg_pool")
        return avg_pool_fixed(x, self.windows, path.numerics.weights, path.counter, site)

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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "avg_pool")
        return avg_pool_backward_fixed(
            g, self.windows, path.numerics.weights, path.counter, site
        ), {}
