"""The bit-true backend: every :class:`~fdsim.nn.model_backend.Backend` primitive on
:class:`~fdsim.nn.fixed.FixedTensor` s, computed as the accelerator's datapath computes it.

Formats come from the hardware config's ``numerics``; the FFT/iFFT from ``fft.arithmetic``
(:mod:`fdsim.fixedpoint.spectral_maps`); reductions split where the compiled schedule splits
them (``reduction_tiles`` per layer and phase), so partial sums round where the hardware spills
them. Every overflow and underflow is counted on one :class:`OverflowCounter` at an
:class:`OverflowSite` carrying the layer and :class:`~fdsim.schedule.ops.Phase` as fields
(its ``name`` is the primitive's path, ``"cmac.accumulator"``), so a run reports events per
layer and phase whatever the layer is named (the network input and initial parameters count
under their layer's ``fwd``; SGD under ``update``).

Layouts (format, power-of-two exponent), fixed when the network is compiled — never chosen
from the data of a batch:

* **maps** in ``activations`` at exponent 0; **spectra** on a grid P in ``spectra`` at the
  exponent the FFT produces on that grid (``plan.spectra_exponent``); the CMAC and the
  self-convolution write their spectra at that same exponent; exact power-of-two ops (crop,
  fold, ¼ of the linear sigmoid) move the exponent instead.
* **parameters** in ``weights`` (kept in ``master_weights`` when given; compute reads them
  rounded to ``weights``) at the smallest exponent that holds twice the initial magnitude
  (one bit of headroom for growth during training).
* **gradients**: the loss gradient ``(softmax − onehot)/B`` in ``gradients`` at exponent
  ``−⌈log2 B⌉`` (a static loss scale: the stored values use the whole ``±1`` range), kept by
  every backward op; gradient spectra in ``spectra`` at the FFT's exponent for that input;
  parameter gradients and velocities in ``gradients`` at the parameter's exponent (measured on
  LeNet-5 and the digits network: the largest mean gradient is 0.02–1× the largest initial
  weight, which has one bit of headroom; a finer gradient layout saturated the conv weight
  gradients), except the unprojected conv weight-gradient spectrum, stored ⌈log2(N²/k²)⌉ bits
  coarser (its DC bin is N²/k² times the projected one; :meth:`FixedBackend.conv_backward_weight`).
* the loss runs on the host in float64 (:func:`fdsim.nn.fixed.softmax_cross_entropy_fixed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.errors import LayerSupportError
from fdsim.fixedpoint import ComplexInt, OverflowCounter, OverflowSite
from fdsim.fixedpoint.spectral_maps import (
    SpectralMapsPlan,
    maps_to_spectra,
    plan_spectral_maps,
    spectra_to_maps,
)
from fdsim.nn.crop import NyquistMode
from fdsim.nn.fixed import (
    CmacPattern,
    FixedTensor,
    ReductionNumerics,
    SgdCoefficients,
    TensorFormat,
    cmac_reduce,
    dense_backward_data_fixed,
    dense_backward_params_fixed,
    dense_forward_fixed,
    power_of_two,
    quantize_coefficient,
    relu_backward_fixed,
    relu_fixed,
    requantize_tensor,
    sgd_step,
    softmax_cross_entropy_fixed,
    spectral_affine_backward_fixed,
    spectral_affine_fixed,
    spectral_crop_backward_fixed,
    spectral_crop_fixed,
    spectral_fold_backward_fixed,
    spectral_fold_fixed,
    spectral_quadratic_backward_fixed,
    spectral_quadratic_fixed,
)
from fdsim.nn.model_backend import Coefficients, PoolWindows, TensorClass
from fdsim.nn.model_fixed_spatial import (
    avg_pool_backward_fixed,
    avg_pool_fixed,
    kernel_projection_fixed,
    max_pool_backward_fixed,
    max_pool_fixed,
    polynomial_backward_fixed,
    polynomial_fixed,
)
from fdsim.schedule.ops import Phase
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import TrainingSpec

NYQUIST = NyquistMode.AVERAGE  # as the float backend: the workload has no field for it

ReductionTiles = Callable[[str, str, int], "tuple[int, ...] | None"]
"""``(layer, phase, length) →`` sizes of the reduction tiles whose partial sums leave the
accumulator (None: one tile), phases ``fwd``, ``bwd_data``, ``bwd_weight``. The compiled
schedule provides it (a smaller last mini-batch is split by the compiler's own rule)."""


def untiled(layer: str, phase: str, length: int) -> tuple[int, ...] | None:
    """Every reduction in one tile: partial sums never leave the accumulator."""
    return None


def fitting_exponent(max_abs: float, fmt: QFormat, headroom_bits: int = 1) -> int:
    """The smallest exponent at which ``max_abs·2**headroom_bits`` fits ``fmt``'s range."""
    if max_abs <= 0.0:
        return 0
    integer_bits = fmt.total_bits - fmt.fraction_bits - (1 if fmt.signed else 0)
    return math.ceil(math.log2(max_abs)) + headroom_bits - integer_bits


@dataclass
class FixedBackend:
    """Bit-true primitives for ``hardware`` (its ``fft.arithmetic`` is required) and
    mini-batches of at most ``batch_size`` images; ``counter`` collects every overflow event."""

    hardware: HardwareSpec
    batch_size: int
    reduction_tiles: ReductionTiles = untiled
    counter: OverflowCounter = field(default_factory=OverflowCounter)
    _params: dict[str, TensorFormat] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        fft = self.hardware.fft
        if fft is None or fft.arithmetic is None:
            raise ValueError("the bit-true backend needs the hardware's fft.arithmetic")
        self._arithmetic = fft.arithmetic
        numerics = self.hardware.numerics
        self._numerics = numerics
        self._reduction = ReductionNumerics.from_numerics(numerics)
        self._maps = TensorFormat(numerics.activations, 0)
        self._master = numerics.master_weights or numerics.weights
        # Static loss scale: (softmax − onehot)/B stored ×2**⌈log2 B⌉ uses the whole ±1 range.
        self._loss_scale_exponent = -math.ceil(math.log2(self.batch_size))

    # --- helpers ------------------------------------------------------------------------
    def _site(self, tensor_class: str, name: str, phase: Phase, primitive: str) -> OverflowSite:
        return OverflowSite(tensor_class, primitive, name, phase.value)

    def _tiles(self, name: str, phase: Phase, length: int) -> tuple[int, ...] | None:
        return self.reduction_tiles(name, phase.value, length)

    def _plan(self, grid: int, maps_fmt: QFormat) -> SpectralMapsPlan:
        return plan_spectral_maps(self._arithmetic, grid, maps_fmt, self._numerics.spectra)

    def _spectra_layout(self, grid: int) -> TensorFormat:
        """Where activation spectra on ``grid`` live: the FFT's output layout, for a grid a
        crop left at a size no FFT has (27 bins of a 32-grid) that of the next power of two,
        whose range holds every bin of the smaller grid."""
        points = 1 << max(grid - 1, 1).bit_length()
        return TensorFormat(
            self._numerics.spectra, self._plan(points, self._numerics.activations).spectra_exponent
        )

    def _weights(self, w: FixedTensor, name: str, phase: Phase) -> FixedTensor:
        """Master weights as the compute units read them (rounded to the weights format)."""
        if w.fmt == self._numerics.weights:
            return w
        site = self._site("weights", name, phase, "read")
        return requantize_tensor(
            w, TensorFormat(self._numerics.weights, w.exponent), self.counter, site
        )

    def _param_gradient(self, param: str) -> TensorFormat:
        return TensorFormat(self._numerics.gradients, self._params[param].exponent)

    def _coefficient(self, value: float, name: str, phase: Phase) -> FixedTensor:
        exponent = _power_of_two_exponent(value)
        if exponent is not None:
            return power_of_two(exponent, negative=value < 0)
        site = self._site("weights", name, phase, "coefficient")
        return quantize_coefficient(value, self._numerics.weights, self.counter, site)

    # --- conversion ---------------------------------------------------------------------
    def from_float(
        self, name: str, value: npt.NDArray[Any], tensor_class: TensorClass
    ) -> FixedTensor:
        site = OverflowSite(tensor_class.value, "quantise", _layer_of(name), Phase.FORWARD.value)
        if tensor_class is TensorClass.ACTIVATIONS:
            return FixedTensor.from_float(value, self._maps, self.counter, site)
        array = np.asarray(value)
        largest = float(np.max(np.abs(np.concatenate([array.real.ravel(), array.imag.ravel()]))))
        layout = TensorFormat(self._master, fitting_exponent(largest, self._numerics.weights))
        self._params[name] = layout
        return FixedTensor.from_float(array, layout, self.counter, site)

    def to_float(self, x: FixedTensor) -> npt.NDArray[Any]:
        return x.to_float()

    # --- transforms ---------------------------------------------------------------------
    def maps_to_spectra(self, name: str, x: FixedTensor, grid: int, offset: int) -> FixedTensor:
        return self._fft(name, Phase.FORWARD, "fft", x, grid, offset)

    def maps_to_spectra_backward(
        self, name: str, g: FixedTensor, size: int, offset: int
    ) -> FixedTensor:
        # Gradient spectra are DFTs of spatial gradients: the adjoint is the inverse DFT.
        maps = self._ifft(
            name, Phase.BACKWARD_DATA, "ifft", g, g.shape[-2], self._loss_scale_exponent
        )
        return _window(maps, offset, size)

    def spectra_to_maps(self, name: str, x: FixedTensor, size: int) -> FixedTensor:
        grid = x.shape[-2]
        if size <= grid:
            return _window(self._ifft(name, Phase.FORWARD, "ifft", x, grid, 0), 0, size)
        # Zero-padding in frequency to a size-point grid, ×size²/grid².
        site = self._site("spectra", name, Phase.FORWARD, "pad")
        padded = spectral_crop_backward_fixed(x, size, NYQUIST, self.counter, site)
        scaled = self._interpolation_gain(padded, size, grid, name, Phase.FORWARD)
        return self._ifft(name, Phase.FORWARD, "ifft", scaled, size, 0)

    def spectra_to_maps_backward(self, name: str, g: FixedTensor, grid: int) -> FixedTensor:
        size = g.shape[-1]
        if size <= grid:
            return self._fft(name, Phase.BACKWARD_DATA, "fft", g, grid, 0)
        spectra = self._fft(name, Phase.BACKWARD_DATA, "fft", g, size, 0)
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "crop")
        cropped = spectral_crop_fixed(spectra, grid, NYQUIST, self.counter, site)
        # Adjoint of "pad, ×size²/grid²": the crop (which carries grid²/size²) ×size²/grid².
        return self._interpolation_gain(cropped, size, grid, name, Phase.BACKWARD_DATA)

    def _interpolation_gain(
        self, x: FixedTensor, size: int, grid: int, name: str, phase: Phase
    ) -> FixedTensor:
        """``x·size²/grid²``: the power-of-two part (rounded up) moves the exponent; a
        remainder in (½, 1) (a grid that is not a power of two) is one multiply, its
        coefficient in the weights format, so the scaled values cannot outgrow the format.
        The schedule does not emit that multiply: it is neither timed nor priced."""
        gain = (size / grid) ** 2
        shift = math.ceil(math.log2(gain))
        moved = FixedTensor(x.values, x.fmt, x.exponent + shift)
        remainder = gain / 2.0**shift
        if remainder == 1.0:
            return moved
        tensor_class = "spectra" if phase is Phase.FORWARD else "gradients"
        site = self._site(tensor_class, name, phase, "interpolation_gain")
        return spectral_affine_backward_fixed(
            moved, self._coefficient(remainder, name, phase), self.counter, site, moved.layout
        )

    def _fft(
        self,
        name: str,
        phase: Phase,
        primitive: str,
        x: FixedTensor,
        grid: int,
        offset: int,
    ) -> FixedTensor:
        """Bit-true 2-D FFT of real maps ``x`` placed at ``offset`` in a ``grid`` map."""
        if x.is_complex:
            raise ValueError(f"{name}: the FFT takes real maps")
        size = x.shape[-1]
        values = x.parts[0]
        if offset:
            placed = np.zeros((*values.shape[:-2], offset + size, offset + size), dtype=np.int64)
            placed[..., offset:, offset:] = values
            values = placed
        site = self._site("spectra", name, phase, primitive)
        plan = self._plan(grid, x.fmt)
        spectra, exponent = maps_to_spectra(values, plan, self.counter, site)
        return FixedTensor(spectra, self._numerics.spectra, exponent + x.exponent)

    def _ifft(
        self,
        name: str,
        phase: Phase,
        primitive: str,
        x: FixedTensor,
        grid: int,
        maps_exponent: int,
    ) -> FixedTensor:
        """Bit-true inverse 2-D FFT of half spectra on ``grid`` to whole ``grid`` maps stored
        at ``maps_exponent`` (gradients for the backward pass, activations forward)."""
        if not isinstance(x.values, ComplexInt):
            raise ValueError(f"{name}: the iFFT takes spectra")
        gradient = phase is not Phase.FORWARD
        fmt = self._numerics.gradients if gradient else self._numerics.activations
        plan = self._plan(grid, fmt)
        site = self._site("gradients" if gradient else "activations", name, phase, primitive)
        spectra = x
        if x.fmt != self._numerics.spectra:
            layout = TensorFormat(self._numerics.spectra, x.exponent)
            spectra = requantize_tensor(x, layout, self.counter, site.child("load"))
        assert isinstance(spectra.values, ComplexInt)
        maps, exponent = spectra_to_maps(
            spectra.values, spectra.exponent, grid, plan, self.counter, site, maps_exponent
        )
        return FixedTensor(maps, fmt, exponent)

    # --- spectral convolution -----------------------------------------------------------
    def conv_forward(self, name: str, x: FixedTensor, w: FixedTensor) -> FixedTensor:
        return cmac_reduce(
            x,
            self._weights(w, name, Phase.FORWARD),
            CmacPattern.FORWARD,
            self._reduction,
            self._spectra_layout(x.shape[-2]),
            self.counter,
            self._site("accumulators", name, Phase.FORWARD, "cmac"),
            self._tiles(name, Phase.FORWARD, x.shape[1]),
        )

    def conv_backward_data(self, name: str, g: FixedTensor, w: FixedTensor) -> FixedTensor:
        return cmac_reduce(
            g,
            self._weights(w, name, Phase.BACKWARD_DATA),
            CmacPattern.BACKWARD_DATA,
            self._reduction,
            g.layout,
            self.counter,
            self._site("accumulators", name, Phase.BACKWARD_DATA, "cmac"),
            self._tiles(name, Phase.BACKWARD_DATA, g.shape[1]),
        )

    def conv_backward_weight(
        self, name: str, g: FixedTensor, x: FixedTensor, kernel: int
    ) -> FixedTensor:
        # The unprojected N×N gradient spectrum holds the whole circular correlation, of which
        # the projection keeps a k×k window: its DC bin, the largest for non-zero-mean inputs,
        # is N²/k² times the projected DC (measured 7.1, 10.2, 41 and 113 on digits_cnn,
        # LeNet-5 c3 and c1, and the CIFAR-10 net's conv1, as the formula gives). So it is
        # stored ⌈log2(N²/k²)⌉ bits coarser than the parameter and the projection lands there.
        kept = self._param_gradient(f"{name}.weight")
        headroom_bits = math.ceil(math.log2(x.shape[-2] ** 2 / kernel**2))
        return cmac_reduce(
            x,
            g,
            CmacPattern.BACKWARD_WEIGHT,
            self._reduction,
            TensorFormat(kept.fmt, kept.exponent + headroom_bits),
            self.counter,
            self._site("accumulators", name, Phase.BACKWARD_WEIGHT, "cmac"),
            self._tiles(name, Phase.BACKWARD_WEIGHT, x.shape[0]),
        )

    def project_kernel(self, name: str, dw: FixedTensor, kernel: int) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_WEIGHT, "project")
        return kernel_projection_fixed(
            dw,
            kernel,
            self._numerics.twiddles,
            self._reduction,
            self.counter,
            site,
            self._param_gradient(f"{name}.weight"),
        )

    def fold(self, name: str, x: FixedTensor, stride: int) -> FixedTensor:
        site = self._site("spectra", name, Phase.FORWARD, "fold")
        return spectral_fold_fixed(x, stride, self.counter, site)

    def fold_backward(self, name: str, g: FixedTensor, stride: int) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "fold")
        return spectral_fold_backward_fixed(g, stride, self.counter, site)

    # --- spectral pooling and activations -----------------------------------------------
    def crop(self, name: str, x: FixedTensor, size: int) -> FixedTensor:
        grid = x.shape[-2]
        if grid & (grid - 1):
            # H²/N² moves into the exponent only for a power-of-two N (fdsim.nn.fixed.crop).
            raise LayerSupportError(
                name,
                "output_size",
                f"the bit-true spectral crop needs a power-of-two input grid, got {grid} "
                "(left by an earlier crop); only the timing model runs this layer",
            )
        site = self._site("spectra", name, Phase.FORWARD, "crop")
        return spectral_crop_fixed(x, size, NYQUIST, self.counter, site)

    def crop_backward(self, name: str, g: FixedTensor, grid: int) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "crop")
        return spectral_crop_backward_fixed(g, grid, NYQUIST, self.counter, site)

    def spectral_affine(
        self, name: str, x: FixedTensor, scale: float, offset: float
    ) -> FixedTensor:
        site = self._site("spectra", name, Phase.FORWARD, "affine")
        return spectral_affine_fixed(
            x,
            self._coefficient(scale, name, Phase.FORWARD),
            self._coefficient(offset, name, Phase.FORWARD),
            self.counter,
            site,
            x.layout,
        )

    def spectral_affine_backward(self, name: str, g: FixedTensor, scale: float) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "affine")
        return spectral_affine_backward_fixed(
            g, self._coefficient(scale, name, Phase.BACKWARD_DATA), self.counter, site, g.layout
        )

    def spectral_quadratic(
        self, name: str, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._site("accumulators", name, Phase.FORWARD, "square")
        layout = self._spectra_layout(x.shape[-2])
        c0, c1, c2 = (self._coefficient(c, name, Phase.FORWARD) for c in coefficients)
        return spectral_quadratic_fixed(
            x, (c0, c1, c2), self._reduction, layout, self.counter, site, None, layout
        )

    def spectral_quadratic_backward(
        self, name: str, g: FixedTensor, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._site("accumulators", name, Phase.BACKWARD_DATA, "square")
        c1, c2 = (self._coefficient(c, name, Phase.BACKWARD_DATA) for c in coefficients[1:])
        return spectral_quadratic_backward_fixed(
            g, x, (c1, c2), self._reduction, g.layout, self.counter, site, None, g.layout
        )

    # --- spatial elementwise and pooling ------------------------------------------------
    def polynomial(self, name: str, x: FixedTensor, coefficients: Coefficients) -> FixedTensor:
        site = self._site("activations", name, Phase.FORWARD, "polynomial")
        terms = tuple(self._coefficient(c, name, Phase.FORWARD) for c in coefficients)
        return polynomial_fixed(x, terms, self.counter, site)

    def polynomial_backward(
        self, name: str, g: FixedTensor, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "polynomial")
        c1 = self._coefficient(coefficients[1], name, Phase.BACKWARD_DATA)
        c2x2 = self._coefficient(2.0 * coefficients[2], name, Phase.BACKWARD_DATA)
        return polynomial_backward_fixed(g, x, c1, c2x2, self.counter, site)

    def relu(self, name: str, x: FixedTensor) -> FixedTensor:
        return relu_fixed(x)

    def relu_backward(self, name: str, g: FixedTensor, x: FixedTensor) -> FixedTensor:
        return relu_backward_fixed(g, x)

    def max_pool(self, name: str, x: FixedTensor, windows: PoolWindows) -> FixedTensor:
        return max_pool_fixed(x, windows)

    def max_pool_backward(
        self, name: str, g: FixedTensor, x: FixedTensor, windows: PoolWindows
    ) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "max_pool")
        return max_pool_backward_fixed(g, x, windows, self.counter, site)

    def avg_pool(self, name: str, x: FixedTensor, windows: PoolWindows) -> FixedTensor:
        site = self._site("activations", name, Phase.FORWARD, "avg_pool")
        return avg_pool_fixed(x, windows, self._numerics.weights, self.counter, site)

    def avg_pool_backward(self, name: str, g: FixedTensor, windows: PoolWindows) -> FixedTensor:
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "avg_pool")
        return avg_pool_backward_fixed(g, windows, self._numerics.weights, self.counter, site)

    # --- fully connected and loss -------------------------------------------------------
    def dense_forward(
        self, name: str, x: FixedTensor, weight: FixedTensor, bias: FixedTensor
    ) -> FixedTensor:
        flat = _flat(x)
        y = dense_forward_fixed(
            flat,
            self._weights(weight, name, Phase.FORWARD),
            self._weights(bias, name, Phase.FORWARD),
            self._reduction,
            self._maps,
            self.counter,
            self._site("accumulators", name, Phase.FORWARD, "gemm"),
            self._tiles(name, Phase.FORWARD, flat.shape[1]),
        )
        return _reshaped(y, (*y.shape, 1, 1))

    def dense_backward_data(
        self, name: str, g: FixedTensor, weight: FixedTensor, in_shape: tuple[int, int, int]
    ) -> FixedTensor:
        dx = dense_backward_data_fixed(
            _flat(g),
            self._weights(weight, name, Phase.BACKWARD_DATA),
            self._reduction,
            g.layout,
            self.counter,
            self._site("accumulators", name, Phase.BACKWARD_DATA, "gemm"),
            self._tiles(name, Phase.BACKWARD_DATA, g.shape[1]),
        )
        return _reshaped(dx, (dx.shape[0], *in_shape))

    def dense_backward_params(
        self, name: str, g: FixedTensor, x: FixedTensor
    ) -> tuple[FixedTensor, FixedTensor]:
        site = self._site("accumulators", name, Phase.BACKWARD_WEIGHT, "gemm")
        layout = self._param_gradient(f"{name}.weight")
        dw, db = dense_backward_params_fixed(
            _flat(g),
            _flat(x),
            self._reduction,
            layout,
            self.counter,
            site,
            self._tiles(name, Phase.BACKWARD_WEIGHT, g.shape[0]),
        )
        bias_layout = self._param_gradient(f"{name}.bias")
        if bias_layout != layout:
            db = requantize_tensor(db, bias_layout, self.counter, site.child("bias_store"))
        return dw, db

    def softmax_cross_entropy(
        self, name: str, logits: FixedTensor, labels: npt.NDArray[np.int64]
    ) -> tuple[float, FixedTensor]:
        layout = TensorFormat(self._numerics.gradients, self._loss_scale_exponent)
        site = self._site("gradients", name, Phase.BACKWARD_DATA, "loss")
        loss, grad = softmax_cross_entropy_fixed(_flat(logits), labels, layout, self.counter, site)
        return loss, _reshaped(grad, logits.shape)

    # --- update -------------------------------------------------------------------------
    def sgd_update(
        self,
        name: str,
        param: FixedTensor,
        grad: FixedTensor,
        velocity: FixedTensor | None,
        training: TrainingSpec,
    ) -> tuple[FixedTensor, FixedTensor | None]:
        site = self._site("weights", _layer_of(name), Phase.UPDATE, f"sgd.{name}")
        coefficients = SgdCoefficients.quantize(
            training, self._numerics.weights, self.counter, site.child("coefficient")
        )
        state = sgd_step(param, grad, velocity, coefficients, grad.layout, self.counter, site)
        return state.weights, state.velocity


def _layer_of(name: str) -> str:
    """The layer a tensor name belongs to: ``"<layer>.weight"`` and ``"<layer>.bias"`` →
    ``"<layer>"`` (split at the last dot: a layer name may hold dots); ``"input"``."""
    return name.rsplit(".", 1)[0]


def _power_of_two_exponent(value: float) -> int | None:
    """``e`` when ``|value| = 2**e`` exactly, else None."""
    mantissa, exponent = math.frexp(abs(value))
    return exponent - 1 if mantissa == 0.5 else None


def _window(x: FixedTensor, offset: int, size: int) -> FixedTensor:
    values = x.parts[0][..., offset : offset + size, offset : offset + size]
    return FixedTensor(np.ascontiguousarray(values), x.fmt, x.exponent)


def _flat(x: FixedTensor) -> FixedTensor:
    return _reshaped(x, (x.shape[0], -1))


def _reshaped(x: FixedTensor, shape: tuple[int, ...]) -> FixedTensor:
    if isinstance(x.values, ComplexInt):
        raise ValueError("dense layers take real values")
    return FixedTensor(x.values.reshape(shape), x.fmt, x.exponent)
