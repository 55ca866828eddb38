"""A polynomial activation ``c0 + c1·x + c2·x²`` elementwise on maps or vectors (the affine,
linear-sigmoid and quadratic functions off the spectral domain). A quadratic one computes the
square (3 multiplies, 2 adds per element; backward ``g·(c1 + 2·c2·x)``, 3 + 1) at the input its
forward stashes; an affine one 1 + 1 (backward 1 multiply)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.spatial import polynomial_backward_fixed, polynomial_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import NO_STASH, Array, Coefficients, FixedGrads, FloatGrads, StashNeed
from fdsim.operators.spatial_activation import OpsPerElement, SpatialActivation
from fdsim.vocabulary import Phase


@dataclass(frozen=True)
class Polynomial(SpatialActivation):
    """Elementwise ``c0 + c1·x + c2·x²``; ``quadratic``: the layer's function is quadratic (the
    hardware computes the square, whatever ``c2``)."""

    coefficients: Coefficients
    quadratic: bool = False

    @property
    def affine(self) -> bool:
        return self.coefficients[2] == 0.0

    def stash(self, activation_bits: int) -> StashNeed:
        return StashNeed(activation_bits) if self.quadratic else NO_STASH

    def ops_per_element(self, backward: bool) -> OpsPerElement:
        if self.quadratic:
            return (3, 1) if backward else (3, 2)
        return (1, 0) if backward else (1, 1)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        c0, c1, c2 = self.coefficients
        return np.asarray(c0 + x * (c1 + c2 * x), dtype=np.float64)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        _c0, c1, c2 = self.coefficients
        return np.asarray(g * (c1 + 2.0 * c2 * x), dtype=np.float64), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("activations", name, Phase.FORWARD, "polynomial")
        terms = tuple(path.coefficient(c, name, Phase.FORWARD) for c in self.coefficients)
        return polynomial_fixed(x, terms, path.counter, site)

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
        site = path.site("gradients", name, Phase.BACKWARD_DATA, "polynomial")
        c1 = path.coefficient(self.coefficients[1], name, Phase.BACKWARD_DATA)
        c2x2 = path.coefficient(2.0 * self.coefficients[2], name, Phase.BACKWARD_DATA)
        return polynomial_backward_fixed(g, x, c1, c2x2, path.counter, site), {}
