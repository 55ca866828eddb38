"""The primitive steps a model layer is made of, each with its forward and backward pass.

A workload layer becomes a short sequence of these ops (:func:`fdsim.nn.model.build_model`):
the FFT/iFFT transitions the representation walk inserts, then the layer's own computation.
Every op computes through a :class:`~fdsim.nn.model_backend.Backend`, never on arrays, so the
ops are generic in the tensor type ``T``. ``forward(x)`` returns the output;
``backward(x, g)`` gets the op's saved forward input ``x`` and the output gradient ``g`` and
returns the input gradient (None when ``input_grad`` is False: nothing upstream needs it, as
for the first layer, so the hardware skips that phase) and the gradients of the op's
parameters, keyed by parameter name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fdsim.nn.model_backend import Backend, Coefficients, PoolWindows, T

Grads = dict[str, T]


@dataclass(frozen=True)
class ToSpectra:
    """FFT: ``size``×``size`` maps placed at ``offset`` on a zero ``grid``×``grid`` map."""

    size: int
    grid: int
    offset: int = 0

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.maps_to_spectra(name, x, self.grid, self.offset)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        if not input_grad:
            return None, {}
        return backend.maps_to_spectra_backward(name, g, self.size, self.offset), {}


@dataclass(frozen=True)
class ToMaps:
    """iFFT of spectra on ``grid`` to ``size``×``size`` maps (a window, or an interpolation
    when ``size > grid``)."""

    grid: int
    size: int

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.spectra_to_maps(name, x, self.size)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        if not input_grad:
            return None, {}
        return backend.spectra_to_maps_backward(name, g, self.grid), {}


@dataclass(frozen=True)
class SpectralConv:
    """Spectral convolution with the weight spectra ``weight`` of k×k kernels (``kernel``);
    the weight gradient is projected onto the k×k support."""

    weight: str
    kernel: int

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.conv_forward(name, x, params[self.weight])

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        raw = backend.conv_backward_weight(name, g, x, self.kernel)
        dw = backend.project_kernel(name, raw, self.kernel)
        dx = backend.conv_backward_data(name, g, params[self.weight]) if input_grad else None
        return dx, {self.weight: dw}


@dataclass(frozen=True)
class Fold:
    """Stride ``stride`` by folding the spectrum."""

    stride: int

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.fold(name, x, self.stride)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.fold_backward(name, g, self.stride) if input_grad else None), {}


@dataclass(frozen=True)
class Crop:
    """Spectral pooling from ``grid`` to ``size``."""

    grid: int
    size: int

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.crop(name, x, self.size)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.crop_backward(name, g, self.grid) if input_grad else None), {}


@dataclass(frozen=True)
class SpectralAffine:
    """``scale·x + offset`` on spectra (linear sigmoid, affine)."""

    scale: float
    offset: float

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.spectral_affine(name, x, self.scale, self.offset)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.spectral_affine_backward(name, g, self.scale) if input_grad else None), {}


@dataclass(frozen=True)
class SpectralQuadratic:
    """``c0 + c1·x + c2·x²`` on spectra (self-convolution)."""

    coefficients: Coefficients

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.spectral_quadratic(name, x, self.coefficients)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        if not input_grad:
            return None, {}
        return backend.spectral_quadratic_backward(name, g, x, self.coefficients), {}


@dataclass(frozen=True)
class Polynomial:
    """Elementwise ``c0 + c1·x + c2·x²`` on maps or vectors."""

    coefficients: Coefficients

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.polynomial(name, x, self.coefficients)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        if not input_grad:
            return None, {}
        return backend.polynomial_backward(name, g, x, self.coefficients), {}


@dataclass(frozen=True)
class Relu:
    """Elementwise ``max(x, 0)`` on maps or vectors."""

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.relu(name, x)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.relu_backward(name, g, x) if input_grad else None), {}


@dataclass(frozen=True)
class MaxPool:
    """Spatial max pooling."""

    windows: PoolWindows

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.max_pool(name, x, self.windows)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.max_pool_backward(name, g, x, self.windows) if input_grad else None), {}


@dataclass(frozen=True)
class AvgPool:
    """Spatial average pooling."""

    windows: PoolWindows

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.avg_pool(name, x, self.windows)

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        return (backend.avg_pool_backward(name, g, self.windows) if input_grad else None), {}


@dataclass(frozen=True)
class Dense:
    """Fully connected on the flattened maps of per-image shape ``in_shape`` ``(C, n, n)``."""

    weight: str
    bias: str
    in_shape: tuple[int, int, int]

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return backend.dense_forward(name, x, params[self.weight], params[self.bias])

    def backward(
        self, backend: Backend[T], name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, Grads[T]]:
        dw, db = backend.dense_backward_params(name, g, x)
        dx = (
            backend.dense_backward_data(name, g, params[self.weight], self.in_shape)
            if input_grad
            else None
        )
        return dx, {self.weight: dw, self.bias: db}


@dataclass(frozen=True)
class SoftmaxCrossEntropy:
    """The loss. Its forward passes the logits through (the loss needs labels: it is evaluated
    by :func:`fdsim.nn.model.backward`, which starts from :meth:`Backend.softmax_cross_entropy`)."""

    def forward(self, backend: Backend[T], name: str, params: Mapping[str, T], x: T) -> T:
        return x


Op = (
    ToSpectra
    | ToMaps
    | SpectralConv
    | Fold
    | Crop
    | SpectralAffine
    | SpectralQuadratic
    | Polynomial
    | Relu
    | MaxPool
    | AvgPool
    | Dense
)
"""An op with a backward pass (every op but the loss)."""
