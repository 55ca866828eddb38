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

_NO_VALUES = (
    "a topology row has no input values to compute with: a topology is timed and priced only "
    "(run it without --functional)"
)


@dataclass(frozen=True)
class TopologyRow(Primitive):
    """The im2col product of a topology row with the kernels ``weight``: ``num_filters``
    filters of ``filter_height`` × ``filter_width`` over ``channels`` maps of
    ``ifmap_height`` × ``ifmap_width``, every ``stride``-th window, ``ofmap_height`` ×
    ``ofmap_width`` outputs (``ConvRowLayer``'s rule)."""

    weight: str
    channels: int
    num_filters: int
    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    stride: int
    ofmap_height: int
    ofmap_width: int

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
