"""The arithmetic a network model runs on: the :class:`Backend` protocol, generic in the tensor.

The network graph (:mod:`fdsim.network.lowering`) says *what* the accelerator computes, layer
by layer; a backend says *in which arithmetic*: float64
(:class:`fdsim.model.float_backend.FloatBackend`)
or bit true in fixed point (:class:`fdsim.model.fixed_backend.FixedBackend`), running each
primitive's own float or fixed-point code (:mod:`fdsim.operators`). The passes never look inside
a tensor: they only pass the backend's tensors (type ``T``) from one primitive to the next, so
the same code runs on either arithmetic. Every primitive receives the **layer name** (the
workload's ``layers[].name``; ``"input"`` for the network input) so a backend can look up
per-layer tiling, formats or counters.

Layouts (what ``to_float`` of a tensor returns; batch first, C order):

* **maps** — spatial values ``(batch, channels, n, n)`` float64. A feature vector (FC output,
  logits) is maps of size 1: ``(batch, features, 1, 1)``.
* **spectra** — Hermitian half-spectra on a grid G, ``(batch, channels, G, G//2+1)`` complex128,
  unnormalised DFTs (:mod:`fdsim.nn.hermitian`). **Gradient spectra** hold the DFT of the spatial
  gradient, so every ``*_backward`` below is the adjoint of its forward for the spatial inner
  product, and a spectral SGD step is the spatial one.
* **conv weights** — spectra of real k×k kernels zero-padded to G×G, ``(out, in, G, G//2+1)``
  (:func:`fdsim.nn.conv.kernel_spectrum`); **FC weights** ``(out, in_features)`` and **biases**
  ``(out,)`` real.

Gradients of parameters are **means over the mini-batch** (the loss is the batch mean), so no
primitive divides by the batch size except :meth:`Backend.softmax_cross_entropy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from fdsim.operators.base import Primitive
from fdsim.spec.workload import TrainingSpec

T = TypeVar("T")


class TensorClass(StrEnum):
    """The numeric class of a tensor entering the backend from float64 (the hardware config's
    ``numerics`` entries): it selects the stored format."""

    ACTIVATIONS = "activations"  # maps and vectors: the network input
    WEIGHTS = "weights"  # parameters: conv weight spectra, FC weights and biases


class Backend(Protocol[T]):
    """Every primitive a frequency-domain training network needs, for tensors of type ``T``.

    Each primitive of the graph carries its own float64 and bit-true arithmetic
    (``Primitive.forward_float`` … ``backward_fixed``); a backend picks one and supplies what
    it needs (the bit-true datapath). Implementations must be deterministic.
    """

    # --- conversion ---------------------------------------------------------------------
    def from_float(self, name: str, value: npt.NDArray[Any], tensor_class: TensorClass) -> T:
        """A float64/complex128 array (network input, or an initial parameter named ``name``,
        e.g. ``"conv1.weight"``) as a backend tensor of ``tensor_class``."""
        ...

    def to_float(self, x: T) -> npt.NDArray[Any]:
        """The value of ``x`` as float64 (maps, FC parameters) or complex128 (spectra)."""
        ...

    # --- the graph's primitives (fdsim.operators) ---------------------------------------
    def forward(self, op: Primitive, name: str, params: Mapping[str, T], x: T) -> T:
        """``op``'s forward on ``x`` for layer ``name`` in this arithmetic."""
        ...

    def backward(
        self, op: Primitive, name: str, params: Mapping[str, T], x: T, g: T, input_grad: bool
    ) -> tuple[T | None, dict[str, T]]:
        """``op``'s backward at its saved forward input ``x`` and output gradient ``g``: the
        input gradient (None unless ``input_grad``) and its parameters' gradients by name."""
        ...

    # --- loss ---------------------------------------------------------------------------
    def softmax_cross_entropy(
        self, name: str, logits: T, labels: npt.NDArray[np.int64]
    ) -> tuple[float, T]:
        """Mean softmax cross-entropy of logits ``(B, classes, 1, 1)`` (or any ``(B, C, n,
        n)`` with C·n² = classes) against integer ``labels`` ``(B,)``; returns the loss (nats)
        and its gradient ``(softmax − onehot)/B`` in the logits' shape."""
        ...

    # --- update -------------------------------------------------------------------------
    def sgd_update(
        self, name: str, param: T, grad: T, velocity: T | None, training: TrainingSpec
    ) -> tuple[T, T | None]:
        """One SGD step on parameter ``name`` (``TrainingSpec``): ``v ← momentum·v + (grad +
        weight_decay·param)``; ``param ← param − learning_rate·v``. ``velocity`` is None on the
        first step (a zero velocity); with momentum 0 no velocity is kept and None is
        returned. Returns ``(param, velocity)``."""
        ...
