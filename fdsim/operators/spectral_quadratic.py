"""A quadratic activation on spectra: ``c0 + c1·x + c2·x²`` is ``c0·G²·δ + c1·X + c2·(X ⊛
X)/G²``, the self-convolution on the CMAC array (it needs whole spectra, so it starts a step of
its own); its backward is ``c1·G + 2·c2·(G ⊛ X)/G²`` at the stashed forward input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from fdsim.nn.activation import spectral_quadratic, spectral_quadratic_backward
from fdsim.nn.fixed.activation import (
    spectral_quadratic_backward_fixed,
    spectral_quadratic_fixed,
)
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, Coefficients, FixedGrads, FloatGrads, Primitive
from fdsim.vocabulary import Phase, Unit


@dataclass(frozen=True)
class SpectralQuadratic(Primitive):
    """``c0 + c1·x + c2·x²`` on spectra (self-convolution)."""

    coefficients: Coefficients

    units: ClassVar[tuple[Unit, ...]] = (Unit.ACTIVATION, Unit.CMAC)

    @property
    def affine(self) -> bool:
        return self.coefficients[2] == 0.0

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return spectral_quadratic(x, *self.coefficients)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        _c0, c1, c2 = self.coefficients
        return spectral_quadratic_backward(g, x, c1, c2), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("accumulators", name, Phase.FORWARD, "square")
        layout = path.spectra_layout(x.shape[-2])
        c0, c1, c2 = (path.coefficient(c, name, Phase.FORWARD) for c in self.coefficients)
        return spectral_quadratic_fixed(
            x, (c0, c1, c2), path.reduction, layout, path.counter, site, None, layout
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
        site = path.site("accumulators", name, Phase.BACKWARD_DATA, "square")
        c1, c2 = (path.coefficient(c, name, Phase.BACKWARD_DATA) for c in self.coefficients[1:])
        dx = spectral_quadratic_backward_fixed(
            g, x, (c1, c2), path.reduction, g.layout, path.counter, site, None, g.layout
        )
        return dx, {}
