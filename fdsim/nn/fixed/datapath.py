"""The context every bit-true primitive of the fixed-point backend shares: one hardware config's
formats, the layouts fixed when the network is compiled, the schedule's reduction tiles and the
one overflow counter (:class:`~fdsim.model.fixed_backend.FixedBackend` documents the layouts).

A :class:`Datapath` never chooses a layout from the data of a batch: parameter layouts are set
once, when a parameter is first converted (:meth:`Datapath.parameter_layout`), and every other
layout follows from the formats and the grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.fixedpoint.spectral_maps import SpectralMapsPlan, plan_spectral_maps
from fdsim.nn.fixed.combine import power_of_two, quantize_coefficient
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, requantize_tensor
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.numerics import QFormat
from fdsim.vocabulary import Phase

ReductionTiles = Callable[[str, Phase, int], "tuple[int, ...] | None"]
"""``(layer, phase, length) →`` sizes of the reduction tiles whose partial sums leave the
accumulator (None: one tile), phases ``FORWARD``, ``BACKWARD_DATA``, ``BACKWARD_WEIGHT``. The
compiled schedule provides it (a smaller last mini-batch is split by the compiler's own rule)."""


def untiled(layer: str, phase: Phase, length: int) -> tuple[int, ...] | None:
    """Every reduction in one tile: partial sums never leave the accumulator."""
    return None


def fitting_exponent(max_abs: float, fmt: QFormat, headroom_bits: int = 1) -> int:
    """The smallest exponent at which ``max_abs·2**headroom_bits`` fits ``fmt``'s range."""
    if max_abs <= 0.0:
        return 0
    integer_bits = fmt.total_bits - fmt.fraction_bits - (1 if fmt.signed else 0)
    return math.ceil(math.log2(max_abs)) + headroom_bits - integer_bits


def layer_of(name: str) -> str:
    """The layer a tensor name belongs to: ``"<layer>.weight"`` and ``"<layer>.bias"`` →
    ``"<layer>"`` (split at the last dot: a layer name may hold dots); ``"input"``."""
    return name.rsplit(".", 1)[0]


@dataclass
class Datapath:
    """The bit-true datapath of ``hardware`` for mini-batches of at most ``batch_size``
    images; ``counter`` collects every overflow and underflow event. A transform needs the
    hardware's ``fft.arithmetic`` (``ValueError`` without it); a network without transforms
    (spatial layers on a systolic array) does not."""

    hardware: HardwareSpec
    batch_size: int
    reduction_tiles: ReductionTiles
    counter: OverflowCounter
    _params: dict[str, TensorFormat] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        fft = self.hardware.fft
        self.arithmetic = fft.arithmetic if fft is not None else None
        self.numerics = self.hardware.numerics
        self.reduction = ReductionNumerics.from_numerics(self.numerics)
        self.maps = TensorFormat(self.numerics.activations, 0)
        self.master = self.numerics.master_weights or self.numerics.weights
        # Static loss scale: (softmax − onehot)/B stored ×2**⌈log2 B⌉ uses the whole ±1 range.
        self.loss_scale_exponent = -math.ceil(math.log2(self.batch_size))

    def site(self, tensor_class: str, name: str, phase: Phase, primitive: str) -> OverflowSite:
        """Where ``primitive`` of layer ``name`` records its events in ``phase``."""
        return OverflowSite(tensor_class, primitive, name, phase.value)

    def plan(self, grid: int, maps_fmt: QFormat) -> SpectralMapsPlan:
        """The bit-true 2-D FFT/iFFT on ``grid`` for maps in ``maps_fmt``."""
        if self.arithmetic is None:
            raise ValueError("the bit-true FFT needs the hardware's fft.arithmetic")
        return plan_spectral_maps(self.arithmetic, grid, maps_fmt, self.numerics.spectra)

    def spectra_layout(self, grid: int) -> TensorFormat:
        """Where activation spectra on ``grid`` live: the FFT's output layout, for a grid a
        crop left at a size no FFT has (27 bins of a 32-grid) that of the next power of two,
        whose range holds every bin of the smaller grid."""
        points = 1 << max(grid - 1, 1).bit_length()
        return TensorFormat(
            self.numerics.spectra, self.plan(points, self.numerics.activations).spectra_exponent
        )

    def parameter_layout(self, name: str, max_abs: float) -> TensorFormat:
        """Fix parameter ``name``'s layout from its initial magnitude ``max_abs`` (master
        weights format, one bit of headroom in the weights format) and return it."""
        layout = TensorFormat(self.master, fitting_exponent(max_abs, self.numerics.weights))
        self._params[name] = layout
        return layout

    def param_gradient(self, param: str) -> TensorFormat:
        """The layout of parameter ``param``'s gradient (and velocity): ``gradients`` at the
        parameter's exponent."""
        return TensorFormat(self.numerics.gradients, self._params[param].exponent)

    def weights(self, w: FixedTensor, name: str, phase: Phase) -> FixedTensor:
        """Master weights as the compute units read them (rounded to the weights format)."""
        if w.fmt == self.numerics.weights:
            return w
        site = self.site("weights", name, phase, "read")
        return requantize_tensor(
            w, TensorFormat(self.numerics.weights, w.exponent), self.counter, site
        )

    def coefficient(self, value: float, name: str, phase: Phase) -> FixedTensor:
        """A scalar constant of layer ``name``: an exact power of two needs no format, any
        other value is quantised in the weights format."""
        exponent = _power_of_two_exponent(value)
        if exponent is not None:
            return power_of_two(exponent, negative=value < 0)
        site = self.site("weights", name, phase, "coefficient")
        return quantize_coefficient(value, self.numerics.weights, self.counter, site)


def _power_of_two_exponent(value: float) -> int | None:
    """``e`` when ``|value| = 2**e`` exactly, else None."""
    mantissa, exponent = math.frexp(abs(value))
    return exponent - 1 if mantissa == 0.5 else None
