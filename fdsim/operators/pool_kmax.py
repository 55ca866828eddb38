"""Spatial k-max pooling with k = 2: the mean of each window's two largest values (among equal
values the earlier in row-major order ranks first; a window of one element is itself). A
workload's ``method: kmax`` has no k field, so k = 2, the k-max of a 2×2 window between max
(k = 1) and average (k = 4) pooling; the pooling library's ``kmax_pool2d`` takes any k. The
backward sends half of each window's gradient to each of the two, named by a 1-bit mask per
input that the forward stashes.

Cost on the crop unit, per window of w elements: w − 1 compares for the largest and w − 2 for
the second, one add and a shift (×½); backward, routing only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fdsim.counts import Arith, ArithKey
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import top_pool_backward_fixed, top_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StashNeed, Widths
from fdsim.operators.spatial_pool import SpatialPool, pool_float
from fdsim.vocabulary import Phase

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp

K = 2


@dataclass(frozen=True)
class KmaxPool(SpatialPool):
    """Spatial k-max pooling, k = 2."""

    @property
    def affine(self) -> bool:
        return False

    @property
    def k(self) -> int:
        sides = np.subtract(self.windows.stops, self.windows.starts)
        return min(K, int(sides.min()) ** 2)

    def picks(self, flat: Array) -> npt.NDArray[np.int64]:
        """For windows flattened row-major on the last axis, the indices of the k largest."""
        order = np.argsort(-flat, axis=-1, kind="stable")  # equal values keep window order
        return np.asarray(order[..., : self.k], dtype=np.int64)

    def stash(self, activation_bits: int) -> StashNeed:
        return StashNeed(1) if self.windows.largest_window > 1 else StashNeed()

    def reductions(self) -> int:
        # the largest takes w − 1 compares, the second w − 2 more, then one add per window
        compares = super().reductions()
        windows = self.windows.out_size**2
        return 2 * compares - windows + windows * (self.k - 1)

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        if op.kind is self.forward_kind:
            return Counter({(Arith.ADD, widths.spatial_bits): self.maps(op) * self.reductions()})
        return Counter()  # the backward routes halves: shifts, no arithmetic

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        def mean_of_picks(block: Array) -> Array:
            flat = block.reshape(*block.shape[:-2], -1)
            picked = np.take_along_axis(flat, self.picks(flat), axis=-1)
            return np.asarray(picked.mean(axis=-1), dtype=np.float64)

        return pool_float(x, self.windows, mean_of_picks)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        dx = np.zeros(x.shape)
        lead = tuple(np.indices(x.shape[:-2])[..., None])
        windows = self.windows
        for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
                block = x[..., r0:r1, c0:c1]
                rows, cols = np.divmod(self.picks(block.reshape(*block.shape[:-2], -1)), c1 - c0)
                np.add.at(dx, (*lead, r0 + rows, c0 + cols), g[..., r, c, None] / self.k)
        return dx, {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("activations", name, Phase.FORWARD, "kmax_pool")
        return top_pool_fixed(
            x, self.windows, self.picks, path.numerics.weights, path.counter, site
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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "kmax_pool")
        dx = top_pool_backward_fixed(
            g, x, self.windows, self.picks, path.numerics.weights, path.counter, site
        )
        return dx, {}
