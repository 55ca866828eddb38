"""Spatial convolution as a matrix product (the baseline's im2col GEMM): zero-padded, strided
cross-correlation ``y[b,o] = Σ_i x[b,i] ⋆ w[o,i]`` of real maps with real k×k kernels, and
its data and weight gradients. It runs on the hardware's matrix unit: the systolic array when
there is one, else the CMAC lanes (as real MACs, like an FC layer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fdsim.errors import LayerSupportError
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.reference import (
    linear_conv2d,
    linear_conv2d_backward_data,
    linear_conv2d_backward_weight,
)
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Primitive
from fdsim.vocabulary import Unit

_NO_BIT_TRUE = (
    "the bit-true model has no spatial convolution yet: run it timing-only (without "
    "--functional) or in the spectral or hybrid domain"
)


@dataclass(frozen=True)
class SpatialConv(Primitive):
    """Cross-correlation with the real kernels ``weight`` ``(out, in, k, k)``: ``padding``
    zeros around each map, every ``stride``-th output kept (output side
    ``(n + 2·padding − k) // stride + 1``)."""

    weight: str
    kernel: int
    stride: int
    padding: int

    units: ClassVar[tuple[Unit, ...]] = ()
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
        raise LayerSupportError(name, "domain", _NO_BIT_TRUE)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        raise LayerSupportError(name, "domain", _NO_BIT_TRUE)
