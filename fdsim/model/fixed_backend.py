"""The bit-true backend: every primitive's fixed-point arithmetic (``Primitive.forward_fixed``
and ``backward_fixed``, :mod:`fdsim.operators`) on :class:`~fdsim.nn.fixed.FixedTensor` s,
computed as the accelerator's datapath computes it.

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
  coarser (its DC bin is N²/k² times the projected one; ``SpectralConv.backward_fixed``).
* the loss runs on the host in float64 (:func:`fdsim.nn.fixed.softmax_cross_entropy_fixed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.model.backend import TensorClass
from fdsim.nn.fixed.datapath import Datapath, ReductionTiles, layer_of, untiled
from fdsim.nn.fixed.loss import softmax_cross_entropy_fixed
from fdsim.nn.fixed.sgd import SgdCoefficients, sgd_step
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat
from fdsim.operators.base import Primitive
from fdsim.operators.dense import flattened, reshaped
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

    # --- the graph's primitives (their forward_fixed / backward_fixed) -------------------
    def forward(
        self, op: Primitive, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return op.forward_fixed(self._path, name, params, x)

    def backward(
        self,
        op: Primitive,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, dict[str, FixedTensor]]:
        return op.backward_fixed(self._path, name, params, x, g, input_grad)

    # --- loss -------------------------------------------------------------------------------
    def softmax_cross_entropy(
        self, name: str, logits: FixedTensor, labels: npt.NDArray[np.int64]
    ) -> tuple[float, FixedTensor]:
        layout = TensorFormat(self._path.numerics.gradients, self._path.loss_scale_exponent)
        site = self._path.site("gradients", name, Phase.BACKWARD_DATA, "loss")
        loss, grad = softmax_cross_entropy_fixed(
            flattened(logits), labels, layout, self.counter, site
        )
        return loss, reshaped(grad, logits.shape)

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
