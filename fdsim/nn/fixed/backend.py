"""The bit-true backend: every :class:`~fdsim.nn.model_backend.Backend` primitive on
:class:`~fdsim.nn.fixed.FixedTensor` s, computed as the accelerator's datapath computes it.

Formats come from the hardware config's ``numerics``; the FFT/iFFT from ``fft.arithmetic``
(:mod:`fdsim.fixedpoint.spectral_maps`); reductions split where the compiled schedule splits
them (``reduction_tiles`` per layer and phase), so partial sums round where the hardware spills
them. Every overflow and underflow is counted on one :class:`OverflowCounter` at an
:class:`OverflowSite` carrying the layer and :class:`~fdsim.vocabulary.Phase` as fields
(its ``name`` is the primitive's path, ``"cmac.accumulator"``), so a run reports events per
layer and phase whatever the layer is named (the network input and initial parameters count
under their layer's ``fwd``; SGD under ``update``). The shared context — formats, layouts,
tiles, counter — is a :class:`~fdsim.nn.fixed.datapath.Datapath`; the transforms are in
:mod:`fdsim.nn.fixed.transforms`, the spatial ops in :mod:`fdsim.nn.fixed.spatial`.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.errors import LayerSupportError
from fdsim.fixedpoint import ComplexInt, OverflowCounter, OverflowSite
from fdsim.nn.fixed.activation import (
    spectral_affine_backward_fixed,
    spectral_affine_fixed,
    spectral_quadratic_backward_fixed,
    spectral_quadratic_fixed,
)
from fdsim.nn.fixed.cmac import CmacPattern, cmac_reduce
from fdsim.nn.fixed.crop import spectral_crop_backward_fixed, spectral_crop_fixed
from fdsim.nn.fixed.datapath import Datapath, ReductionTiles, layer_of, untiled
from fdsim.nn.fixed.dense import (
    dense_backward_data_fixed,
    dense_backward_params_fixed,
    dense_forward_fixed,
    relu_backward_fixed,
    relu_fixed,
)
from fdsim.nn.fixed.fold import spectral_fold_backward_fixed, spectral_fold_fixed
from fdsim.nn.fixed.loss import softmax_cross_entropy_fixed
from fdsim.nn.fixed.sgd import SgdCoefficients, sgd_step
from fdsim.nn.fixed.spatial import (
    avg_pool_backward_fixed,
    avg_pool_fixed,
    kernel_projection_fixed,
    max_pool_backward_fixed,
    max_pool_fixed,
    polynomial_backward_fixed,
    polynomial_fixed,
)
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, requantize_tensor
from fdsim.nn.fixed.transforms import (
    NYQUIST,
    to_maps,
    to_maps_backward,
    to_spectra,
    to_spectra_backward,
)
from fdsim.nn.model_backend import Coefficients, PoolWindows, TensorClass
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import TrainingSpec
from fdsim.vocabulary import Phase


@dataclass
class FixedBackend:
    """Bit-true primitives for ``hardware`` (its ``fft.arithmetic`` is required) and
    mini-batches of at most ``batch_size`` images; ``counter`` collects every overflow event."""

    hardware: HardwareSpec
    batch_size: int
    reduction_tiles: ReductionTiles = untiled
    counter: OverflowCounter = field(default_factory=OverflowCounter)

    def __post_init__(self) -> None:
        self._path = Datapath(self.hardware, self.batch_size, self.reduction_tiles, self.counter)

    # --- conversion ---------------------------------------------------------------------
    def from_float(
        self, name: str, value: npt.NDArray[Any], tensor_class: TensorClass
    ) -> FixedTensor:
        site = OverflowSite(tensor_class.value, "quantise", layer_of(name), Phase.FORWARD.value)
        if tensor_class is TensorClass.ACTIVATIONS:
            return FixedTensor.from_float(value, self._path.maps, self.counter, site)
        array = np.asarray(value)
        largest = float(np.max(np.abs(np.concatenate([array.real.ravel(), array.imag.ravel()]))))
        layout = self._path.parameter_layout(name, largest)
        return FixedTensor.from_float(array, layout, self.counter, site)

    def to_float(self, x: FixedTensor) -> npt.NDArray[Any]:
        return x.to_float()

    # --- transforms (fdsim.nn.fixed.transforms) -----------------------------------------
    def maps_to_spectra(self, name: str, x: FixedTensor, grid: int, offset: int) -> FixedTensor:
        return to_spectra(self._path, name, x, grid, offset)

    def maps_to_spectra_backward(
        self, name: str, g: FixedTensor, size: int, offset: int
    ) -> FixedTensor:
        return to_spectra_backward(self._path, name, g, size, offset)

    def spectra_to_maps(self, name: str, x: FixedTensor, size: int) -> FixedTensor:
        return to_maps(self._path, name, x, size)

    def spectra_to_maps_backward(self, name: str, g: FixedTensor, grid: int) -> FixedTensor:
        return to_maps_backward(self._path, name, g, grid)

    # --- spectral convolution -----------------------------------------------------------
    def conv_forward(self, name: str, x: FixedTensor, w: FixedTensor) -> FixedTensor:
        return cmac_reduce(
            x,
            self._path.weights(w, name, Phase.FORWARD),
            CmacPattern.FORWARD,
            self._path.reduction,
            self._path.spectra_layout(x.shape[-2]),
            self.counter,
            self._path.site("accumulators", name, Phase.FORWARD, "cmac"),
            self._path.reduction_tiles(name, Phase.FORWARD, x.shape[1]),
        )

    def conv_backward_data(self, name: str, g: FixedTensor, w: FixedTensor) -> FixedTensor:
        return cmac_reduce(
            g,
            self._path.weights(w, name, Phase.BACKWARD_DATA),
            CmacPattern.BACKWARD_DATA,
            self._path.reduction,
            g.layout,
            self.counter,
            self._path.site("accumulators", name, Phase.BACKWARD_DATA, "cmac"),
            self._path.reduction_tiles(name, Phase.BACKWARD_DATA, g.shape[1]),
        )

    def conv_backward_weight(
        self, name: str, g: FixedTensor, x: FixedTensor, kernel: int
    ) -> FixedTensor:
        # The unprojected N×N gradient spectrum holds the whole circular correlation, of which
        # the projection keeps a k×k window: its DC bin, the largest for non-zero-mean inputs,
        # is N²/k² times the projected DC (measured 7.1, 10.2, 41 and 113 on digits_cnn,
        # LeNet-5 c3 and c1, and the CIFAR-10 net's conv1, as the formula gives). So it is
        # stored ⌈log2(N²/k²)⌉ bits coarser than the parameter and the projection lands there.
        kept = self._path.param_gradient(f"{name}.weight")
        headroom_bits = math.ceil(math.log2(x.shape[-2] ** 2 / kernel**2))
        return cmac_reduce(
            x,
            g,
            CmacPattern.BACKWARD_WEIGHT,
            self._path.reduction,
            TensorFormat(kept.fmt, kept.exponent + headroom_bits),
            self.counter,
            self._path.site("accumulators", name, Phase.BACKWARD_WEIGHT, "cmac"),
            self._path.reduction_tiles(name, Phase.BACKWARD_WEIGHT, x.shape[0]),
        )

    def project_kernel(self, name: str, dw: FixedTensor, kernel: int) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_WEIGHT, "project")
        return kernel_projection_fixed(
            dw,
            kernel,
            self._path.numerics.twiddles,
            self._path.reduction,
            self.counter,
            site,
            self._path.param_gradient(f"{name}.weight"),
        )

    def fold(self, name: str, x: FixedTensor, stride: int) -> FixedTensor:
        site = self._path.site("spectra", name, Phase.FORWARD, "fold")
        return spectral_fold_fixed(x, stride, self.counter, site)

    def fold_backward(self, name: str, g: FixedTensor, stride: int) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "fold")
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
        site = self._path.site("spectra", name, Phase.FORWARD, "crop")
        return spectral_crop_fixed(x, size, NYQUIST, self.counter, site)

    def crop_backward(self, name: str, g: FixedTensor, grid: int) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "crop")
        return spectral_crop_backward_fixed(g, grid, NYQUIST, self.counter, site)

    def spectral_affine(
        self, name: str, x: FixedTensor, scale: float, offset: float
    ) -> FixedTensor:
        site = self._path.site("spectra", name, Phase.FORWARD, "affine")
        return spectral_affine_fixed(
            x,
            self._path.coefficient(scale, name, Phase.FORWARD),
            self._path.coefficient(offset, name, Phase.FORWARD),
            self.counter,
            site,
            x.layout,
        )

    def spectral_affine_backward(self, name: str, g: FixedTensor, scale: float) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "affine")
        return spectral_affine_backward_fixed(
            g,
            self._path.coefficient(scale, name, Phase.BACKWARD_DATA),
            self.counter,
            site,
            g.layout,
        )

    def spectral_quadratic(
        self, name: str, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._path.site("accumulators", name, Phase.FORWARD, "square")
        layout = self._path.spectra_layout(x.shape[-2])
        c0, c1, c2 = (self._path.coefficient(c, name, Phase.FORWARD) for c in coefficients)
        return spectral_quadratic_fixed(
            x, (c0, c1, c2), self._path.reduction, layout, self.counter, site, None, layout
        )

    def spectral_quadratic_backward(
        self, name: str, g: FixedTensor, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._path.site("accumulators", name, Phase.BACKWARD_DATA, "square")
        c1, c2 = (self._path.coefficient(c, name, Phase.BACKWARD_DATA) for c in coefficients[1:])
        return spectral_quadratic_backward_fixed(
            g, x, (c1, c2), self._path.reduction, g.layout, self.counter, site, None, g.layout
        )

    # --- spatial elementwise and pooling ------------------------------------------------
    def polynomial(self, name: str, x: FixedTensor, coefficients: Coefficients) -> FixedTensor:
        site = self._path.site("activations", name, Phase.FORWARD, "polynomial")
        terms = tuple(self._path.coefficient(c, name, Phase.FORWARD) for c in coefficients)
        return polynomial_fixed(x, terms, self.counter, site)

    def polynomial_backward(
        self, name: str, g: FixedTensor, x: FixedTensor, coefficients: Coefficients
    ) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "polynomial")
        c1 = self._path.coefficient(coefficients[1], name, Phase.BACKWARD_DATA)
        c2x2 = self._path.coefficient(2.0 * coefficients[2], name, Phase.BACKWARD_DATA)
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
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "max_pool")
        return max_pool_backward_fixed(g, x, windows, self.counter, site)

    def avg_pool(self, name: str, x: FixedTensor, windows: PoolWindows) -> FixedTensor:
        site = self._path.site("activations", name, Phase.FORWARD, "avg_pool")
        return avg_pool_fixed(x, windows, self._path.numerics.weights, self.counter, site)

    def avg_pool_backward(self, name: str, g: FixedTensor, windows: PoolWindows) -> FixedTensor:
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "avg_pool")
        return avg_pool_backward_fixed(g, windows, self._path.numerics.weights, self.counter, site)

    # --- fully connected and loss -------------------------------------------------------
    def dense_forward(
        self, name: str, x: FixedTensor, weight: FixedTensor, bias: FixedTensor
    ) -> FixedTensor:
        flat = _flat(x)
        y = dense_forward_fixed(
            flat,
            self._path.weights(weight, name, Phase.FORWARD),
            self._path.weights(bias, name, Phase.FORWARD),
            self._path.reduction,
            self._path.maps,
            self.counter,
            self._path.site("accumulators", name, Phase.FORWARD, "gemm"),
            self._path.reduction_tiles(name, Phase.FORWARD, flat.shape[1]),
        )
        return _reshaped(y, (*y.shape, 1, 1))

    def dense_backward_data(
        self, name: str, g: FixedTensor, weight: FixedTensor, in_shape: tuple[int, int, int]
    ) -> FixedTensor:
        dx = dense_backward_data_fixed(
            _flat(g),
            self._path.weights(weight, name, Phase.BACKWARD_DATA),
            self._path.reduction,
            g.layout,
            self.counter,
            self._path.site("accumulators", name, Phase.BACKWARD_DATA, "gemm"),
            self._path.reduction_tiles(name, Phase.BACKWARD_DATA, g.shape[1]),
        )
        return _reshaped(dx, (dx.shape[0], *in_shape))

    def dense_backward_params(
        self, name: str, g: FixedTensor, x: FixedTensor
    ) -> tuple[FixedTensor, FixedTensor]:
        site = self._path.site("accumulators", name, Phase.BACKWARD_WEIGHT, "gemm")
        layout = self._path.param_gradient(f"{name}.weight")
        dw, db = dense_backward_params_fixed(
            _flat(g),
            _flat(x),
            self._path.reduction,
            layout,
            self.counter,
            site,
            self._path.reduction_tiles(name, Phase.BACKWARD_WEIGHT, g.shape[0]),
        )
        bias_layout = self._path.param_gradient(f"{name}.bias")
        if bias_layout != layout:
            db = requantize_tensor(db, bias_layout, self.counter, site.child("bias_store"))
        return dw, db

    def softmax_cross_entropy(
        self, name: str, logits: FixedTensor, labels: npt.NDArray[np.int64]
    ) -> tuple[float, FixedTensor]:
        layout = TensorFormat(self._path.numerics.gradients, self._path.loss_scale_exponent)
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "loss")
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
        site = self._path.site("weights", layer_of(name), Phase.UPDATE, f"sgd.{name}")
        coefficients = SgdCoefficients.quantize(
            training, self._path.numerics.weights, self.counter, site.child("coefficient")
        )
        state = sgd_step(param, grad, velocity, coefficients, grad.layout, self.counter, site)
        return state.weights, state.velocity


def _flat(x: FixedTensor) -> FixedTensor:
    return _reshaped(x, (x.shape[0], -1))


def _reshaped(x: FixedTensor, shape: tuple[int, ...]) -> FixedTensor:
    if isinstance(x.values, ComplexInt):
        raise ValueError("dense layers take real values")
    return FixedTensor(x.values.reshape(shape), x.fmt, x.exponent)
