"""ReLU, elementwise ``max(x, 0)`` on maps or vectors: a compare per element; its backward
selects the gradient by the sign mask the forward stashes (1 bit per element). It has no
spectral form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.dense import relu_backward_fixed, relu_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StashNeed
from fdsim.operators.spatial_activation import OpsPerElement, SpatialActivation


@dataclass(frozen=True)
class Relu(SpatialActivation):
    """Elementwise ``max(x, 0)``."""

    @property
    def affine(self) -> bool:
        return False

    def stash(self, activation_bits: int) -> StashNeed:
        return StashNeed(1)

    def ops_per_element(self, backward: bool) -> OpsPerElement:
        # compare with 0 / select by the stashed mask
        return (0, 0) if backward else (0, 1)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return np.maximum(x, 0.0)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (np.where(x > 0.0, g, 0.0) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return relu_fixed(x)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        return (relu_backward_fixed(g, x) if input_grad else None), {}
