"""Spatial convolution as a matrix product (the baseline's im2col GEMM): zero-padded, strided
cross-correlation ``y[b,o] = Σ_i x[b,i] ⋆ w[o,i]`` of real maps with real k×k kernels, and
its data and weight gradients, in float64 and bit-true (:mod:`fdsim.nn.fixed.im2col`). It runs
on the hardware's matrix unit: the systolic array when there is one, else the CMAC lanes (as
real MACs, like an FC layer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.im2col import (
    spatial_conv_backward_data_fixed,
    spatial_conv_backward_weight_fixed,
    spatial_conv_forward_fixed,
)
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.reference import (
    linear_conv2d,
    linear_conv2d_backward_data,
    linear_conv2d_backward_weight,
)
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Primitive
from fdsim.vocabulary import Phase


@dataclass(frozen=True)
class SpatialConv(Primitive):
    """Cross-correlation with the real kernels ``weight`` ``(out, in, k, k)``: ``padding``
    zeros around each map, every ``stride``-th output kept (output side
    ``(n + 2·padding − k) // stride + 1``)."""

    weight: str
    kernel: int
    stride: int
    padding: int

    matrix: ClassVar[bool] = True

    @property
    def params(self) -> tuple[str, ...]:
        return (self.weight,)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        full = linear_conv2d(x, params[self.weight], self.padding)
        return np.ascontiguousarray(full[..., :: self.stride, :: self.stride])

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        n_full = x.shape[-1] + 2 * self.padding - self.kernel + 1
        full = np.zeros((*g.shape[:2], n_full, n_full))
        full[..., :: self.stride, :: self.stride] = g
        dw = linear_conv2d_backward_weight(full, x, self.kernel, self.padding)
        dx = None
        if input_grad:
            dx = linear_conv2d_backward_data(full, params[self.weight], self.padding)
        return dx, {self.weight: dw}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        reduction = x.values.shape[1] * self.kernel**2
        return spatial_conv_forward_fixed(
            x,
            path.weights(params[self.weight], name, Phase.FORWARD),
            self.stride,
            self.padding,
            path.reduction,
            path.maps,
            path.counter,
            path.site("accumulators", name, Phase.FORWARD, "gemm"),
            path.reduction_tiles(name, Phase.FORWARD, reduction),
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
        batch, outputs, side = g.values.shape[0], g.values.shape[1], g.values.shape[-1]
        dw = spatial_conv_backward_weight_fixed(
            g,
            x,
            self.kernel,
            self.stride,
            self.padding,
            path.reduction,
            path.param_gradient(self.weight),
            path.counter,
            path.site("accumulators", name, Phase.BACKWARD_WEIGHT, "gemm"),
            path.reduction_tiles(name, Phase.BACKWARD_WEIGHT, batch * side * side),
        )
        dx = None
        if input_grad:
            dx = spatial_conv_backward_data_fixed(
                g,
                path.weights(params[self.weight], name, Phase.BACKWARD_DATA),
                x.values.shape[-1],
                self.stride,
                self.padding,
                path.reduction,
                g.layout,
                path.counter,
                path.site("accumulators", name, Phase.BACKWARD_DATA, "gemm"),
                path.reduction_tiles(name, Phase.BACKWARD_DATA, outputs),
            )
        return dx, {self.weight: dw}
