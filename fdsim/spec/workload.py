"""The network workload a user writes: input shape, batch, layers and the execution domain.

Sizes have upper limits (documented in docs/ARCHITECTURE.md, "Limits") far beyond any real
network, so an absurd size (2^40 channels) is refused at its own field while validating, before
the compiler sizes anything from it; numbers must be finite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fdsim.spec.hardware import Dataflow
from fdsim.spec.origin import Located
from fdsim.vocabulary import Domain as Domain  # re-exported: the workload spec names it

MAX_CHANNELS = 1 << 16
"""Largest channel count (input channels, out_channels)."""
MAX_MAP_SIZE = 1 << 16
"""Largest map height/width, kernel, stride, padding and pooled size."""
MAX_CLASSES = 1 << 20
MAX_FEATURES = 1 << 20
MAX_BATCH_SIZE = 1 << 16
MAX_LAYERS = 10_000


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ActivationFunction(StrEnum):
    LINEAR_SIGMOID = "linear_sigmoid"  # σ(x) ≈ ½ + x/4
    AFFINE = "affine"  # a·x + b
    QUADRATIC = "quadratic"  # a + b·x + c·x²
    RELU = "relu"


class LossFunction(StrEnum):
    SOFTMAX_CROSS_ENTROPY = "softmax_cross_entropy"


class InputSpec(_Spec):
    channels: int = Field(ge=1, le=MAX_CHANNELS)
    height: int = Field(ge=1, le=MAX_MAP_SIZE)
    width: int = Field(ge=1, le=MAX_MAP_SIZE)
    classes: int = Field(
        ge=2, le=MAX_CLASSES, description="number of labels the loss compares against"
    )

    @model_validator(mode="after")
    def _square(self) -> InputSpec:
        if self.height != self.width:
            raise ValueError(f"maps must be square, got {self.height}×{self.width}")
        return self


class _Layer(_Spec):
    name: str
    domain: Domain | None = Field(default=None, description="overrides the workload's domain")


class MappingPin(_Spec):
    """A matrix layer's forward tiling, pinned instead of chosen by the compiler (fields left
    out are chosen as usual). The compiler refuses a pin whose tiles do not fit the buffers,
    naming the pin. Reported choices: ``summary.json``'s ``tiles``. ``tile_size`` alone
    applies to a hybrid conv (its overlap-add tiles); the other fields to spatial-domain
    layers."""

    images: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE, description="per tile")
    out_rows: int | None = Field(
        default=None,
        ge=1,
        le=MAX_MAP_SIZE,
        description="output rows per band: tiles one image in bands (images is then 1)",
    )
    outputs: int | None = Field(
        default=None, ge=1, le=MAX_FEATURES, description="output channels or features per tile"
    )
    reduction_units: int | None = Field(
        default=None,
        ge=1,
        le=MAX_FEATURES,
        description="input channels or features per reduction tile (systolic array only; "
        "partial sums wait in the output buffer)",
    )
    dataflow: Dataflow | None = Field(
        default=None, description="the systolic array's dataflow for this layer's products"
    )
    tile_size: int | None = Field(
        default=None,
        ge=1,
        le=MAX_MAP_SIZE,
        description="hybrid conv only: overlap-add tiles of tile_size × tile_size input "
        "samples, transformed on the next power of two ≥ tile_size + kernel − 1 points",
    )

    @model_validator(mode="after")
    def _band_or_images(self) -> MappingPin:
        if self.out_rows is not None and self.images not in (None, 1):
            raise ValueError("out_rows tiles one image in bands: images must be 1 or left out")
        return self


class ConvLayer(_Layer):
    kind: Literal["conv"]
    out_channels: int = Field(ge=1, le=MAX_CHANNELS)
    kernel: int = Field(ge=1, le=MAX_MAP_SIZE)
    stride: int = Field(default=1, ge=1, le=MAX_MAP_SIZE)
    padding: int = Field(default=0, ge=0, le=MAX_MAP_SIZE)
    mapping: MappingPin | None = Field(
        default=None,
        description="pinned tiling (spatial domain: the im2col GEMM; hybrid: tile_size)",
    )


class PoolLayer(_Layer):
    """Pooling to ``output_size``, or with a ``kernel``/``stride`` window (output size by the
    floor rule). ``spectral`` is a crop of the spectra; any other method runs on maps (in the
    spectral domain by an iFFT → pool → FFT round trip). The method is an open set (operators
    register themselves), so it is checked by the lowering, which names this field."""

    kind: Literal["pool"]
    method: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=40,
        description="a registered pooling method (fdsim.operators.registry): spectral, max, "
        "average, …; checked when the network is lowered",
    )
    output_size: int | None = Field(default=None, ge=1, le=MAX_MAP_SIZE)
    kernel: int | None = Field(default=None, ge=1, le=MAX_MAP_SIZE)
    stride: int | None = Field(default=None, ge=1, le=MAX_MAP_SIZE)

    @model_validator(mode="after")
    def _size_or_window(self) -> PoolLayer:
        if (self.output_size is None) == (self.kernel is None):
            raise ValueError("give either output_size or kernel (with optional stride)")
        if self.stride is not None and self.kernel is None:
            raise ValueError("stride needs kernel")
        return self

    def output_size_for(self, input_size: int) -> int:
        """Output map size for a square input map of ``input_size``."""
        if self.output_size is not None:
            return self.output_size
        assert self.kernel is not None
        stride = self.stride if self.stride is not None else self.kernel
        return (input_size - self.kernel) // stride + 1


class ActivationLayer(_Layer):
    kind: Literal["activation"]
    function: ActivationFunction
    coefficients: tuple[float, ...] = Field(
        default=(),
        description="affine: (b, a) for b + a·x; quadratic: (a, b, c) for a + b·x + c·x²",
    )

    @model_validator(mode="after")
    def _coefficients(self) -> ActivationLayer:
        needed = {
            ActivationFunction.AFFINE: 2,
            ActivationFunction.QUADRATIC: 3,
        }.get(self.function, 0)
        if len(self.coefficients) != needed:
            raise ValueError(
                f"{self.function.value} takes {needed} coefficients, got {len(self.coefficients)}"
            )
        return self


class FcLayer(_Layer):
    kind: Literal["fc"]
    out_features: int = Field(ge=1, le=MAX_FEATURES)
    mapping: MappingPin | None = Field(default=None, description="pinned tiling")


class LossLayer(_Layer):
    kind: Literal["loss"]
    function: LossFunction = LossFunction.SOFTMAX_CROSS_ENTROPY


class ConvRowLayer(_Layer):
    """A convolution as a SCALE-Sim topology row states it: its own input of
    ``ifmap_height`` × ``ifmap_width`` × ``channels`` (already padded), ``num_filters`` filters
    of ``filter_height`` × ``filter_width``, one ``stride`` for both axes. Rows are independent
    matrix products, not a chain: a workload of rows (an imported topology) has no input,
    activations or loss; it is timed and priced, never computed. The output side follows
    SCALE-Sim's rule ``ceil((ifmap − filter + stride) / stride)`` (a partial last window
    counts); a GEMM row (M, N, K) is the row of an M × K map, a 1 × K filter, 1 channel and N
    filters, as SCALE-Sim maps it."""

    kind: Literal["conv_row"]
    ifmap_height: int = Field(ge=1, le=MAX_MAP_SIZE)
    ifmap_width: int = Field(ge=1, le=MAX_MAP_SIZE)
    filter_height: int = Field(ge=1, le=MAX_MAP_SIZE)
    filter_width: int = Field(ge=1, le=MAX_MAP_SIZE)
    channels: int = Field(ge=1, le=MAX_CHANNELS)
    num_filters: int = Field(ge=1, le=MAX_CHANNELS)
    stride: int = Field(default=1, ge=1, le=MAX_MAP_SIZE)
    mapping: MappingPin | None = Field(default=None, description="pinned tiling")

    @model_validator(mode="after")
    def _fits(self) -> ConvRowLayer:
        if self.filter_height > self.ifmap_height or self.filter_width > self.ifmap_width:
            raise ValueError(
                f"the {self.filter_height}×{self.filter_width} filter is larger than the "
                f"{self.ifmap_height}×{self.ifmap_width} ifmap"
            )
        return self

    @property
    def ofmap_height(self) -> int:
        return -(-(self.ifmap_height - self.filter_height + self.stride) // self.stride)

    @property
    def ofmap_width(self) -> int:
        return -(-(self.ifmap_width - self.filter_width + self.stride) // self.stride)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the row's forward product."""
        taps = self.filter_height * self.filter_width * self.channels
        return self.ofmap_height * self.ofmap_width * taps * self.num_filters


class Optimizer(StrEnum):
    SGD = "sgd"


class TrainingSpec(_Spec):
    """How the update phase changes the parameters: SGD with optional momentum and decay.

    ``v ← momentum·v + (∂L/∂w + weight_decay·w)``; ``w ← w − learning_rate·v``. The gradient
    is the mean over the mini-batch. Momentum 0 keeps no velocity state (no extra traffic).
    """

    optimizer: Optimizer = Optimizer.SGD
    learning_rate: float = Field(default=0.05, gt=0)
    momentum: float = Field(default=0.0, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)


Layer = Annotated[
    ConvLayer | PoolLayer | ActivationLayer | FcLayer | LossLayer | ConvRowLayer,
    Field(discriminator="kind"),
]


class Workload(_Spec, Located):
    """A network and how it is run: batch size and default domain. A *topology* (every layer
    a ``conv_row``: an imported SCALE-Sim topology) has no ``input`` and no loss."""

    name: str
    description: str = ""
    input: InputSpec | None = None
    batch_size: int = Field(ge=1, le=MAX_BATCH_SIZE)
    domain: Domain = Domain.SPECTRAL
    training: TrainingSpec = TrainingSpec()
    layers: tuple[Layer, ...] = Field(min_length=1, max_length=MAX_LAYERS)

    @model_validator(mode="after")
    def _structure(self) -> Workload:
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"layer names must be unique, repeated: {', '.join(duplicates)}")
        rows = [isinstance(layer, ConvRowLayer) for layer in self.layers]
        if any(rows):
            if not all(rows):
                raise ValueError(
                    "conv_row layers (topology rows) cannot be mixed with other layers: a "
                    "topology lists independent rows, a network chains layers"
                )
            if any(self.domain_of(layer) is not Domain.SPATIAL for layer in self.layers):
                raise ValueError("conv_row layers run in the spatial domain: set domain: spatial")
            return self
        if self.input is None:
            raise ValueError(
                "input: required field missing (only a topology of conv_row layers has none)"
            )
        if not isinstance(self.layers[-1], LossLayer):
            raise ValueError("the last layer must be a loss layer")
        if any(isinstance(layer, LossLayer) for layer in self.layers[:-1]):
            raise ValueError("only the last layer may be a loss layer")
        return self

    @property
    def topology(self) -> bool:
        """Whether the layers are independent topology rows (``conv_row``), not a network."""
        return isinstance(self.layers[0], ConvRowLayer)

    @property
    def network_input(self) -> InputSpec:
        """The input of a network (a topology has none: its rows state their own)."""
        assert self.input is not None, "a topology has no network input"
        return self.input

    def domain_of(
        self, layer: ConvLayer | PoolLayer | ActivationLayer | FcLayer | LossLayer | ConvRowLayer
    ) -> Domain:
        return layer.domain if layer.domain is not None else self.domain
