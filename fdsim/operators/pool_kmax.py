"""Spatial k-max pooling with k = 2: the mean of each window's two largest values (among equal
values the earlier in row-major order ranks first; a window of one element is itself). A
workload's ``method: kmax`` has no k field, so k = 2, the k-max of a 2×2 window between max
(k = 1) and average (k = 4) pooling; the pooling library's ``kmax_pool2d`` takes any k. The
backward sends half of each window's gradient to each of the two, named by a 1-bit mask per
input that the forward stashes.

Cost on the crop unit, per window of w elements: w − 1 compares for the largest and w − 2 for
the second, one add and a shift (×½); backward, routing only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import top_pool_backward_fixed, top_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, StashNeed
from fdsim.operators.spatial_pool import PickingPool
from fdsim.vocabulary import Phase

K = 2


@dataclass(frozen=True)
class KmaxPool(PickingPool):
    """Spatial k-max pooling, k = 2."""

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
        # w − 1 compares find the largest; for k = 2, w − 2 more the second and one add joins
        # them: 2·(w − 1) per window, k times the max's
        return self.k * super().reductions()

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
