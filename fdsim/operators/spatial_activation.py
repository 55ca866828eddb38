"""What the elementwise spatial activations share: the activation unit, and a cost of a fixed
number of multiplies and adds per element, forward and backward."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import Arith, ArithKey
from fdsim.operators.base import StreamPrimitive, Widths
from fdsim.vocabulary import OpKind, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp

OpsPerElement = tuple[int, int]  # (multiplies, adds)


class SpatialActivation(StreamPrimitive):
    """An activation computed per element of maps or vectors."""

    units: ClassVar[tuple[Unit, ...]] = (Unit.ACTIVATION,)
    forward_kind: ClassVar[OpKind] = OpKind.ACTIVATE
    backward_kind: ClassVar[OpKind] = OpKind.ACTIVATE_BWD

    @abstractmethod
    def ops_per_element(self, backward: bool) -> OpsPerElement:
        """(multiplies, adds) per element of the forward, or of the backward."""

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        mults, adds = self.ops_per_element(op.kind is self.backward_kind)
        bits = widths.spatial_bits
        return Counter(
            {(Arith.MULT, bits): mults * op.in_elements, (Arith.ADD, bits): adds * op.in_elements}
        )
