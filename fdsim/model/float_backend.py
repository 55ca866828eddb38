"""The float64 backend: every primitive's float64 arithmetic (``Primitive.forward_float`` and
``backward_float``) on numpy arrays, the reference for the fixed-point backend."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from fdsim.model.backend import TensorClass
from fdsim.nn.loss import softmax_cross_entropy, softmax_cross_entropy_backward
from fdsim.operators.base import Array, Primitive
from fdsim.spec.workload import TrainingSpec

__all__ = ["Array", "FloatBackend"]


class FloatBackend:
    """float64/complex128 numpy arrays; conversions copy, nothing is rounded."""

    def from_float(self, name: str, value: Array, tensor_class: TensorClass) -> Array:
        return np.array(value, dtype=np.complex128 if np.iscomplexobj(value) else np.float64)

    def to_float(self, x: Array) -> Array:
        return np.array(x)

    def forward(self, op: Primitive, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return op.forward_float(name, params, x)

    def backward(
        self,
        op: Primitive,
        name: str,
        params: Mapping[str, Array],
        x: Array,
        g: Array,
        input_grad: bool,
    ) -> tuple[Array | None, dict[str, Array]]:
        return op.backward_float(name, params, x, g, input_grad)

    def softmax_cross_entropy(
        self, name: str, logits: Array, labels: npt.NDArray[np.int64]
    ) -> tuple[float, Array]:
        flat = logits.reshape(logits.shape[0], -1)
        loss = softmax_cross_entropy(flat, labels)
        return loss, softmax_cross_entropy_backward(flat, labels).reshape(logits.shape)

    def sgd_update(
        self, name: str, param: Array, grad: Array, velocity: Array | None, training: TrainingSpec
    ) -> tuple[Array, Array | None]:
        step = grad + training.weight_decay * param
        if training.momentum == 0.0:
            return param - training.learning_rate * step, None
        velocity = step if velocity is None else training.momentum * velocity + step
        return param - training.learning_rate * velocity, velocity
