"""A topology row (``conv_row``): one independent convolution as an im2col matrix product on
the matrix unit, reading its own input. Rows carry no data flow (a topology has no input
values or loss), so they are timed and priced only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from fdsim.errors import LayerSupportError
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Primitive
from fdsim.spec.workload import ConvRowLayer

_NO_VALUES = (
    "a topology row has no input values to compute with: a topology is timed and priced only "
    "(run it without --functional)"
)


@dataclass(frozen=True)
class TopologyRow(Primitive):
    """The im2col product of the topology row ``row``, with the kernels ``weight``."""

    weight: str
    row: ConvRowLayer

    matrix: ClassVar[bool] = True

    @property
    def params(self) -> tuple[str, ...]:
        return (self.weight,)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        raise LayerSupportError(name, "kind", _NO_VALUES)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        raise LayerSupportError(name, "kind", _NO_VALUES)

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        raise LayerSupportError(name, "kind", _NO_VALUES)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        raise LayerSupportError(name, "kind", _NO_VALUES)
