"""A fully connected layer on the matrix unit (a real matrix product): ``y = flat(x)·Wᵀ + b``
on maps flattened in C order, its data gradient ``g·W`` and parameter gradients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from fdsim.fixedpoint import ComplexInt
from fdsim.nn.dense import dense_backward_data, dense_backward_params, dense_forward
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.dense import (
    dense_backward_data_fixed,
    dense_backward_params_fixed,
    dense_forward_fixed,
)
from fdsim.nn.fixed.tensor import FixedTensor, requantize_tensor
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Primitive
from fdsim.vocabulary import Phase


@dataclass(frozen=True)
class Dense(Primitive):
    """Fully connected on the flattened maps of per-image shape ``in_shape`` ``(C, n, n)``;
    outputs are maps of size 1 ``(B, out, 1, 1)``."""

    weight: str
    bias: str
    in_shape: tuple[int, int, int]

    matrix: ClassVar[bool] = True

    @property
    def params(self) -> tuple[str, ...]:
        return (self.weight, self.bias)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        y = dense_forward(x.reshape(x.shape[0], -1), params[self.weight], params[self.bias])
        return y.reshape(*y.shape, 1, 1)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        flat_g = g.reshape(g.shape[0], -1)
        dw, db = dense_backward_params(flat_g, x.reshape(x.shape[0], -1))
        dx = None
        if input_grad:
            dx = dense_backward_data(flat_g, params[self.weight]).reshape(-1, *self.in_shape)
        return dx, {self.weight: dw, self.bias: db}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        flat = flattened(x)
        y = dense_forward_fixed(
            flat,
            path.weights(params[self.weight], name, Phase.FORWARD),
            path.weights(params[self.bias], name, Phase.FORWARD),
            path.reduction,
            path.maps,
            path.counter,
            path.site("accumulators", name, Phase.FORWARD, "gemm"),
            path.reduction_tiles(name, Phase.FORWARD, flat.shape[1]),
        )
        return reshaped(y, (*y.shape, 1, 1))

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        site = path.site("accumulators", name, Phase.BACKWARD_WEIGHT, "gemm")
        layout = path.param_gradient(self.weight)
        dw, db = dense_backward_params_fixed(
            flattened(g),
            flattened(x),
            path.reduction,
            layout,
            path.counter,
            site,
            path.reduction_tiles(name, Phase.BACKWARD_WEIGHT, g.shape[0]),
        )
        bias_layout = path.param_gradient(self.bias)
        if bias_layout != layout:
            db = requantize_tensor(db, bias_layout, path.counter, site.child("bias_store"))
        dx = None
        if input_grad:
            flat = dense_backward_data_fixed(
                flattened(g),
                path.weights(params[self.weight], name, Phase.BACKWARD_DATA),
                path.reduction,
                g.layout,
                path.counter,
                path.site("accumulators", name, Phase.BACKWARD_DATA, "gemm"),
                path.reduction_tiles(name, Phase.BACKWARD_DATA, g.shape[1]),
            )
            dx = reshaped(flat, (flat.shape[0], *self.in_shape))
        return dx, {self.weight: dw, self.bias: db}


def flattened(x: FixedTensor) -> FixedTensor:
    """Maps ``(B, C, n, n)`` as real vectors ``(B, C·n²)``."""
    return reshaped(x, (x.shape[0], -1))


def reshaped(x: FixedTensor, shape: tuple[int, ...]) -> FixedTensor:
    if isinstance(x.values, ComplexInt):
        raise ValueError("dense layers take real values")
    return FixedTensor(x.values.reshape(shape), x.fmt, x.exponent)
