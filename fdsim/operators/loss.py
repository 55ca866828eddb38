"""The loss: softmax cross-entropy over the logits, on the activation unit (an exponential and
a sum per logit; its gradient an exponential, a normalisation and the one-hot subtraction).

In the graph the loss node passes the logits through (its forward is the identity, so is its
backward): the loss value and dL/dlogits need the labels, and are computed by
``Backend.softmax_cross_entropy`` (:func:`fdsim.model.passes.backward` starts from them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import Arith, ArithKey
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StreamPrimitive, Widths
from fdsim.vocabulary import OpKind, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class SoftmaxCrossEntropy(StreamPrimitive):
    """The loss over the logits it receives."""

    units: ClassVar[tuple[Unit, ...]] = (Unit.ACTIVATION,)
    forward_kind: ClassVar[OpKind] = OpKind.LOSS
    backward_kind: ClassVar[OpKind] = OpKind.LOSS_GRAD

    @property
    def affine(self) -> bool:
        return False

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        mults = 2 if op.kind is self.backward_kind else 1
        bits = widths.spatial_bits
        return Counter(
            {(Arith.MULT, bits): mults * op.in_elements, (Arith.ADD, bits): 2 * op.in_elements}
        )

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return x

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (g if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return x

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        return (g if input_grad else None), {}
