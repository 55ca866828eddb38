"""The float64 backend: every :class:`~fdsim.nn.model_backend.Backend` primitive on numpy arrays,
built from the ``fdsim.nn`` operators (the reference arithmetic for the fixed-point backend)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.nn.activation import (
    spectral_affine,
    spectral_affine_backward,
    spectral_quadratic,
    spectral_quadratic_backward,
)
from fdsim.nn.arrays import half_spectrum_size
from fdsim.nn.conv import (
    spectral_conv_backward_data,
    spectral_conv_backward_weight,
    spectral_conv_forward,
)
from fdsim.nn.crop import NyquistMode, spectral_crop, spectral_crop_backward
from fdsim.nn.dense import dense_backward_data, dense_backward_params, dense_forward
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.nn.loss import softmax_cross_entropy, softmax_cross_entropy_backward
from fdsim.nn.model_backend import Coefficients, PoolWindows, TensorClass
from fdsim.nn.sinc import sinc_interpolate, sinc_project
from fdsim.spec.workload import TrainingSpec

Array = npt.NDArray[Any]

# Spectral pooling's convention for even sizes (fdsim.nn.crop); the workload has no field for it.
NYQUIST = NyquistMode.AVERAGE


class FloatBackend:
    """float64/complex128 numpy arrays; conversions copy, nothing is rounded."""

    def from_float(self, name: str, value: Array, tensor_class: TensorClass) -> Array:
        return np.array(value, dtype=np.complex128 if np.iscomplexobj(value) else np.float64)

    def to_float(self, x: Array) -> Array:
        return np.array(x)

    def maps_to_spectra(self, name: str, x: Array, grid: int, offset: int) -> Array:
        size = x.shape[-1]
        if offset < 0 or offset + size > grid:
            raise ValueError(f"{name}: a {size}×{size} map at offset {offset} exceeds grid {grid}")
        embedded = np.zeros((*x.shape[:-2], grid, grid))
        embedded[..., offset : offset + size, offset : offset + size] = x
        return np.fft.rfft2(embedded)

    def maps_to_spectra_backward(self, name: str, g: Array, size: int, offset: int) -> Array:
        grid = half_spectrum_size(g, "g")
        maps = np.fft.irfft2(g, s=(grid, grid))
        return np.ascontiguousarray(maps[..., offset : offset + size, offset : offset + size])

    def spectra_to_maps(self, name: str, x: Array, size: int) -> Array:
        grid = half_spectrum_size(x, "x")
        if size <= grid:
            return np.ascontiguousarray(np.fft.irfft2(x, s=(grid, grid))[..., :size, :size])
        padded = (size * size) / (grid * grid) * spectral_crop_backward(x, size, NYQUIST)
        return np.fft.irfft2(padded, s=(size, size))

    def spectra_to_maps_backward(self, name: str, g: Array, grid: int) -> Array:
        size = g.shape[-1]
        if size <= grid:
            padded = np.zeros((*g.shape[:-2], grid, grid))
            padded[..., :size, :size] = g
            return np.fft.rfft2(padded)
        cropped = spectral_crop(np.fft.rfft2(g), grid, NYQUIST)
        return np.asarray((size * size) / (grid * grid) * cropped)

    def conv_forward(self, name: str, x: Array, w: Array) -> Array:
        return spectral_conv_forward(x, w)

    def conv_backward_data(self, name: str, g: Array, w: Array) -> Array:
        return spectral_conv_backward_data(g, w)

    def conv_backward_weight(self, name: str, g: Array, x: Array, kernel: int) -> Array:
        return spectral_conv_backward_weight(g, x)

    def project_kernel(self, name: str, dw: Array, kernel: int) -> Array:
        return sinc_interpolate(sinc_project(dw, kernel), half_spectrum_size(dw, "dw"))

    def fold(self, name: str, x: Array, stride: int) -> Array:
        return spectral_fold(x, stride)

    def fold_backward(self, name: str, g: Array, stride: int) -> Array:
        return spectral_fold_backward(g, stride)

    def crop(self, name: str, x: Array, size: int) -> Array:
        return spectral_crop(x, size, NYQUIST)

    def crop_backward(self, name: str, g: Array, grid: int) -> Array:
        return spectral_crop_backward(g, grid, NYQUIST)

    def spectral_affine(self, name: str, x: Array, scale: float, offset: float) -> Array:
        return spectral_affine(x, scale, offset)

    def spectral_affine_backward(self, name: str, g: Array, scale: float) -> Array:
        return spectral_affine_backward(g, scale)

    def spectral_quadratic(self, name: str, x: Array, coefficients: Coefficients) -> Array:
        return spectral_quadratic(x, *coefficients)

    def spectral_quadratic_backward(
        self, name: str, g: Array, x: Array, coefficients: Coefficients
    ) -> Array:
        return spectral_quadratic_backward(g, x, coefficients[1], coefficients[2])

    def polynomial(self, name: str, x: Array, coefficients: Coefficients) -> Array:
        c0, c1, c2 = coefficients
        return np.asarray(c0 + x * (c1 + c2 * x), dtype=np.float64)

    def polynomial_backward(
        self, name: str, g: Array, x: Array, coefficients: Coefficients
    ) -> Array:
        return np.asarray(g * (coefficients[1] + 2.0 * coefficients[2] * x), dtype=np.float64)

    def relu(self, name: str, x: Array) -> Array:
        return np.maximum(x, 0.0)

    def relu_backward(self, name: str, g: Array, x: Array) -> Array:
        return np.where(x > 0.0, g, 0.0)

    def max_pool(self, name: str, x: Array, windows: PoolWindows) -> Array:
        return _pool(x, windows, lambda block: block.max(axis=(-2, -1)))

    def max_pool_backward(self, name: str, g: Array, x: Array, windows: PoolWindows) -> Array:
        dx = np.zeros(x.shape)
        lead = np.indices(x.shape[:-2])
        for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
                block = x[..., r0:r1, c0:c1]
                flat = block.reshape(*block.shape[:-2], -1).argmax(axis=-1)  # first maximum
                rows, cols = np.divmod(flat, c1 - c0)
                dx[(*lead, r0 + rows, c0 + cols)] += g[..., r, c]
        return dx

    def avg_pool(self, name: str, x: Array, windows: PoolWindows) -> Array:
        return _pool(x, windows, lambda block: block.mean(axis=(-2, -1)))

    def avg_pool_backward(self, name: str, g: Array, windows: PoolWindows) -> Array:
        size = windows.in_size
        dx = np.zeros((*g.shape[:-2], size, size))
        for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
                area = (r1 - r0) * (c1 - c0)
                dx[..., r0:r1, c0:c1] += g[..., r, c, None, None] / area
        return dx

    def dense_forward(self, name: str, x: Array, weight: Array, bias: Array) -> Array:
        y = dense_forward(x.reshape(x.shape[0], -1), weight, bias)
        return y.reshape(*y.shape, 1, 1)

    def dense_backward_data(
        self, name: str, g: Array, weight: Array, in_shape: tuple[int, int, int]
    ) -> Array:
        return dense_backward_data(g.reshape(g.shape[0], -1), weight).reshape(-1, *in_shape)

    def dense_backward_params(self, name: str, g: Array, x: Array) -> tuple[Array, Array]:
        return dense_backward_params(g.reshape(g.shape[0], -1), x.reshape(x.shape[0], -1))

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


def _pool(x: Array, windows: PoolWindows, reduce: Callable[[Array], Array]) -> Array:
    """Apply ``reduce`` (over the last two axes) to every window of maps ``(..., n, n)``."""
    if x.shape[-1] != windows.in_size:
        raise ValueError(
            f"pool windows for {windows.in_size}×{windows.in_size} maps, got {x.shape}"
        )
    out = np.empty((*x.shape[:-2], windows.out_size, windows.out_size))
    for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
        for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            out[..., r, c] = reduce(x[..., r0:r1, c0:c1])
    return out
