"""A trainable network built from a :class:`~fdsim.spec.workload.Workload`: what the accelerator
computes, layer by layer, following the compiler's representation rules (docs/ARCHITECTURE.md,
"Representation walk and lowering"; ``schedule/lower.py`` is the cost-side twin of this walk).

Between layers a tensor is spatial maps or spectra on a grid G (:class:`TensorRep`). A layer
is a sequence of ops (:mod:`fdsim.nn.model_ops`): the FFT/iFFT transitions it needs, then its
computation.

* **conv, spectral** — FFT (G = next power of two ≥ map size, maps zero-padded at the top left)
  unless already spectral; circular cross-correlation on G (padding ignored); stride s folds G to
  G/s. **conv, hybrid** — iFFT if spectral; FFT onto G = next power of two ≥ n + 2p with the maps
  at offset p (linear, zero-padded semantics); fold; the output is a spectrum on G/s whose
  top-left ``(n + 2p − k)/s + 1`` maps are kept by the next iFFT. A spatial-domain conv is an
  error (not modelled), as in the compiler. A spectral kernel larger than its grid wraps
  around; its trainable support is then the whole grid (kernel ``min(k, G)``).
* **pool** — spectral domain: centred crop to the output size (any method); otherwise spatial
  max/average pooling (``kernel``/``stride`` windows, or adaptive windows for ``output_size``).
* **activation** — spectral domain on maps: affine/linear sigmoid on bins, quadratic as a
  spectral self-convolution, relu an error; otherwise (hybrid, spatial, or on vectors) elementwise.
* **fc** — iFFT if spectral; dense on the flattened maps. **loss** — iFFT if spectral; softmax
  cross-entropy over ``classes`` features.
* An iFFT of a grid that is not a power of two reads the spectrum zero-padded in frequency to the
  next power of two, so maps come back interpolated to that size.

Parameters (:class:`ParamSpec`): conv weights are spectral half-spectra of k×k kernels on the
layer's grid (``"<layer>.weight"``), FC layers have a real ``"<layer>.weight"`` ``(out, in)``
and ``"<layer>.bias"``. :mod:`fdsim.nn.passes` runs the model (forward, backward, update) on any
:class:`~fdsim.nn.model_backend.Backend`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fdsim.errors import FieldPath, SpecFieldError
from fdsim.nn.model_backend import Coefficients, PoolWindows
from fdsim.nn.model_ops import (
    AvgPool,
    Crop,
    Dense,
    Fold,
    MaxPool,
    Op,
    Polynomial,
    Relu,
    SoftmaxCrossEntropy,
    SpectralAffine,
    SpectralConv,
    SpectralQuadratic,
    ToMaps,
    ToSpectra,
)
from fdsim.spec.workload import (
    ActivationFunction,
    ActivationLayer,
    ConvLayer,
    Domain,
    FcLayer,
    PoolLayer,
    PoolMethod,
    Workload,
)


@dataclass(frozen=True)
class TensorRep:
    """A tensor between layers, per image: ``channels`` maps of ``size``×``size`` values, as
    spectra on a ``grid``×``grid`` FFT grid (``grid`` > 0) or spatial (``grid`` 0). A vector is
    ``channels`` maps of size 1. Same fields and meaning as the compiler's ``Rep``."""

    channels: int
    size: int
    grid: int = 0

    @property
    def spectral(self) -> bool:
        return self.grid > 0


class LayerKind(StrEnum):
    CONV = "conv"
    POOL = "pool"
    ACTIVATION = "activation"
    FC = "fc"
    LOSS = "loss"


class ParamRole(StrEnum):
    CONV_WEIGHT = "conv_weight"  # (out, in, G, G//2+1) complex spectra of k×k kernels
    FC_WEIGHT = "fc_weight"  # (out, in) real
    FC_BIAS = "fc_bias"  # (out,) real


@dataclass(frozen=True)
class ParamSpec:
    """One trainable tensor: its name, owning layer, role and ``to_float`` shape. ``kernel`` and
    ``grid`` describe conv weights (0 otherwise); ``fan_in`` sets the initial scale."""

    name: str
    layer: str
    role: ParamRole
    shape: tuple[int, ...]
    fan_in: int
    kernel: int = 0
    grid: int = 0


@dataclass(frozen=True)
class ModelLayer:
    """One workload layer: its representation in and out, and the ops computing it."""

    name: str
    kind: LayerKind
    domain: Domain
    rep_in: TensorRep
    rep_out: TensorRep
    ops: tuple[Op | SoftmaxCrossEntropy, ...]


@dataclass(frozen=True)
class Model:
    """What the accelerator computes for ``workload``: layers in order (the last is the loss)
    and the trainable parameters."""

    workload: Workload
    layers: tuple[ModelLayer, ...]
    params: tuple[ParamSpec, ...]

    @property
    def classes(self) -> int:
        return self.workload.input.classes


def build_model(workload: Workload) -> Model:
    """The network ``workload`` describes; raises ``SpecFieldError`` (spec ``"workload"``) for
    a layer the representation rules reject, as the compiler does."""
    builder = _Builder(workload)
    layers = []
    for index, layer in enumerate(workload.layers):
        rep_in = builder.rep
        domain = workload.domain_of(layer)
        builder.ops = []
        if isinstance(layer, ConvLayer):
            builder.conv(index, layer, domain)
        elif isinstance(layer, PoolLayer):
            builder.pool(index, layer, domain)
        elif isinstance(layer, ActivationLayer):
            builder.activation(index, layer, domain)
        elif isinstance(layer, FcLayer):
            builder.fc(layer)
        else:
            builder.loss(index)
        kind = LayerKind(layer.kind)
        ops = tuple(builder.ops)
        layers.append(ModelLayer(layer.name, kind, domain, rep_in, builder.rep, ops))
    return Model(workload, tuple(layers), tuple(builder.params))


def next_power_of_two(n: int) -> int:
    """Smallest power of two ≥ ``n`` (≥ 1)."""
    return 1 << max(n - 1, 0).bit_length()


class _Builder:
    """The representation walk: tracks the tensor between layers and emits each layer's ops."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.rep = TensorRep(workload.input.channels, workload.input.height)
        self.ops: list[Op | SoftmaxCrossEntropy] = []
        self.params: list[ParamSpec] = []

    def _error(self, index: int, field: str | None, message: str) -> SpecFieldError:
        path: FieldPath = ("layers", index) if field is None else ("layers", index, field)
        return SpecFieldError("workload", path, message)

    def to_spectral(self, grid: int, offset: int = 0) -> None:
        if self.rep.spectral and self.rep.grid == grid:
            return
        if self.rep.spectral:
            self.to_spatial()
        self.ops.append(ToSpectra(self.rep.size, grid, offset))
        self.rep = TensorRep(self.rep.channels, grid, grid)

    def to_spatial(self) -> None:
        if not self.rep.spectral:
            return
        points = next_power_of_two(self.rep.grid)
        size = self.rep.size if points == self.rep.grid else points
        self.ops.append(ToMaps(self.rep.grid, size))
        self.rep = TensorRep(self.rep.channels, size)

    def conv(self, index: int, layer: ConvLayer, domain: Domain) -> None:
        if domain is Domain.SPATIAL:
            where = "domain" if layer.domain is not None else None
            raise self._error(
                index,
                where,
                f"layer {layer.name}: spatial-domain convolution is not modelled; use spectral "
                "or hybrid",
            )
        if domain is Domain.SPECTRAL:
            self.to_spectral(self.rep.grid or next_power_of_two(self.rep.size))
            size_out = self.rep.grid // max(layer.stride, 1)
        else:
            self.to_spatial()
            padded = self.rep.size + 2 * layer.padding
            if layer.kernel > padded:
                raise self._error(
                    index,
                    "kernel",
                    f"larger than the padded input map ({padded}), got {layer.kernel}",
                )
            self.to_spectral(next_power_of_two(padded), offset=layer.padding)
            size_out = (padded - layer.kernel) // layer.stride + 1
        grid = self.rep.grid
        # A kernel larger than a (spectral) grid wraps around it: its taps alias onto the whole
        # grid, so the trainable support is min(k, G) and the projection keeps all of it.
        kernel = min(layer.kernel, grid)
        if grid % layer.stride:
            raise self._error(
                index, "stride", f"must divide the spectral grid ({grid}), got {layer.stride}"
            )
        weight = f"{layer.name}.weight"
        channels = self.rep.channels
        shape = (layer.out_channels, channels, grid, grid // 2 + 1)
        fan_in = channels * layer.kernel**2
        self.params.append(
            ParamSpec(weight, layer.name, ParamRole.CONV_WEIGHT, shape, fan_in, kernel, grid)
        )
        self.ops.append(SpectralConv(weight, kernel))
        if layer.stride > 1:
            self.ops.append(Fold(layer.stride))
        self.rep = TensorRep(layer.out_channels, size_out, grid // layer.stride)

    def pool(self, index: int, layer: PoolLayer, domain: Domain) -> None:
        size_in = self.rep.size
        size_out = layer.output_size_for(size_in)
        if not 1 <= size_out <= size_in:
            raise self._error(
                index,
                "output_size" if layer.output_size else "kernel",
                f"gives a {size_out}×{size_out} output from a {size_in}×{size_in} input",
            )
        if domain is Domain.SPECTRAL:
            self.to_spectral(self.rep.grid or next_power_of_two(size_in))
            self.ops.append(Crop(self.rep.grid, size_out))
            self.rep = TensorRep(self.rep.channels, size_out, size_out)
            return
        if layer.method is PoolMethod.SPECTRAL:
            raise self._error(
                index,
                "method",
                "spectral pooling runs in the spectral domain; use max or average here",
            )
        self.to_spatial()
        size_in = self.rep.size
        if layer.kernel is not None:
            stride = layer.stride if layer.stride is not None else layer.kernel
            windows = PoolWindows.sliding(size_in, layer.kernel, stride)
        else:
            windows = PoolWindows.adaptive(size_in, size_out)
        self.ops.append(MaxPool(windows) if layer.method is PoolMethod.MAX else AvgPool(windows))
        self.rep = TensorRep(self.rep.channels, windows.out_size)

    def activation(self, index: int, layer: ActivationLayer, domain: Domain) -> None:
        relu = layer.function is ActivationFunction.RELU
        if domain is Domain.SPECTRAL and self.rep.size > 1:
            if relu:
                raise self._error(
                    index,
                    "function",
                    "relu has no spectral-domain form; set domain: hybrid on this layer",
                )
            self.to_spectral(self.rep.grid or next_power_of_two(self.rep.size))
            c0, c1, c2 = _coefficients(layer)
            if layer.function is ActivationFunction.QUADRATIC:
                self.ops.append(SpectralQuadratic((c0, c1, c2)))
            else:
                self.ops.append(SpectralAffine(scale=c1, offset=c0))
            return
        self.to_spatial()
        self.ops.append(Relu() if relu else Polynomial(_coefficients(layer)))

    def fc(self, layer: FcLayer) -> None:
        self.to_spatial()
        in_shape = (self.rep.channels, self.rep.size, self.rep.size)
        features = in_shape[0] * in_shape[1] * in_shape[2]
        weight, bias = f"{layer.name}.weight", f"{layer.name}.bias"
        out = layer.out_features
        self.params.append(
            ParamSpec(weight, layer.name, ParamRole.FC_WEIGHT, (out, features), features)
        )
        self.params.append(ParamSpec(bias, layer.name, ParamRole.FC_BIAS, (out,), features))
        self.ops.append(Dense(weight, bias, in_shape))
        self.rep = TensorRep(out, 1)

    def loss(self, index: int) -> None:
        self.to_spatial()
        features = self.rep.channels * self.rep.size * self.rep.size
        classes = self.workload.input.classes
        if features != classes:
            raise self._error(
                index, None, f"the loss compares {features} features with input.classes = {classes}"
            )
        self.ops.append(SoftmaxCrossEntropy())
        self.rep = TensorRep(1, 1)


def _coefficients(layer: ActivationLayer) -> Coefficients:
    """A polynomial (non-relu) activation as ascending coefficients ``(c0, c1, c2)``."""
    c = layer.coefficients
    if layer.function is ActivationFunction.LINEAR_SIGMOID:
        return (0.5, 0.25, 0.0)  # first-order Taylor expansion of the sigmoid at 0
    if layer.function is ActivationFunction.AFFINE:
        return (c[0], c[1], 0.0)
    return (c[0], c[1], c[2])
