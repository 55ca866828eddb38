"""The arithmetic a network model runs on: the :class:`Backend` protocol, generic in the tensor.

:mod:`fdsim.nn.model` describes *what* the accelerator computes, layer by layer; a backend says
*how each primitive is computed*: in float64 (:class:`fdsim.nn.model_float.FloatBackend`) or bit
true in fixed point (a later backend). The model never looks inside a tensor: it only passes the
backend's tensors (type ``T``) from one primitive to the next, so the same model code runs on
either arithmetic. Every primitive receives the **layer name** (the workload's ``layers[].name``;
``"input"`` for the network input) so a backend can look up per-layer tiling, formats or
counters.

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

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from fdsim.spec.workload import TrainingSpec

T = TypeVar("T")

Coefficients = tuple[float, float, float]
"""Polynomial activation ``c0 + c1·x + c2·x²``, ascending powers (an affine one has c2 = 0)."""


class TensorClass(StrEnum):
    """The numeric class of a tensor entering the backend from float64 (the hardware config's
    ``numerics`` entries): it selects the stored format."""

    ACTIVATIONS = "activations"  # maps and vectors: the network input
    WEIGHTS = "weights"  # parameters: conv weight spectra, FC weights and biases


@dataclass(frozen=True)
class PoolWindows:
    """Windows of a spatial pool on square maps, the same on both axes: output index ``j``
    reduces input rows/columns ``starts[j] ≤ i < stops[j]`` of an ``in_size``×``in_size`` map."""

    in_size: int
    starts: tuple[int, ...]
    stops: tuple[int, ...]

    @property
    def out_size(self) -> int:
        return len(self.starts)

    @classmethod
    def sliding(cls, in_size: int, kernel: int, stride: int) -> PoolWindows:
        """``kernel``×``kernel`` windows every ``stride`` (floor rule, no padding)."""
        count = (in_size - kernel) // stride + 1
        starts = tuple(j * stride for j in range(count))
        return cls(in_size, starts, tuple(s + kernel for s in starts))

    @classmethod
    def adaptive(cls, in_size: int, out_size: int) -> PoolWindows:
        """``out_size`` windows tiling the map (``⌊j·n/m⌋ ≤ i < ⌈(j+1)·n/m⌉``), as adaptive
        pooling does; equal to :meth:`sliding` with kernel = stride = n/m when m divides n."""
        starts = tuple(j * in_size // out_size for j in range(out_size))
        stops = tuple(-(-(j + 1) * in_size // out_size) for j in range(out_size))
        return cls(in_size, starts, stops)


class Backend(Protocol[T]):
    """Every primitive a frequency-domain training network needs, for tensors of type ``T``.

    Shapes below are those of ``to_float``; ``B`` batch, ``C``/``Ci``/``Co`` channels, ``G`` a
    spectral grid, ``n`` a map side. A backward primitive takes the gradient ``g`` of its
    forward's output (and the forward's saved input where the derivative depends on it) and
    returns the gradient of the forward's input. Implementations must be deterministic.
    """

    # --- conversion ---------------------------------------------------------------------
    def from_float(self, name: str, value: npt.NDArray[Any], tensor_class: TensorClass) -> T:
        """A float64/complex128 array (network input, or an initial parameter named ``name``,
        e.g. ``"conv1.weight"``) as a backend tensor of ``tensor_class``."""
        ...

    def to_float(self, x: T) -> npt.NDArray[Any]:
        """The value of ``x`` as float64 (maps, FC parameters) or complex128 (spectra)."""
        ...

    # --- transforms ---------------------------------------------------------------------
    def maps_to_spectra(self, name: str, x: T, grid: int, offset: int) -> T:
        """FFT: maps ``(B, C, n, n)`` placed at row/column ``offset`` of a zero ``G``×``G``
        map (``offset + n ≤ G``) → spectra ``(B, C, G, G//2+1)``."""
        ...

    def maps_to_spectra_backward(self, name: str, g: T, size: int, offset: int) -> T:
        """Adjoint of :meth:`maps_to_spectra`: gradient spectra on G → the ``size``×``size``
        window at ``offset`` of the inverse DFT, ``(B, C, size, size)``."""
        ...

    def spectra_to_maps(self, name: str, x: T, size: int) -> T:
        """iFFT: spectra ``(B, C, G, G//2+1)`` → maps ``(B, C, size, size)``. ``size ≤ G``: the
        top-left window of the G×G inverse DFT. ``size > G`` (a grid that is not a power of two
        read by a ``size``-point transform): the spectrum zero-padded in frequency to ``size``
        (even G: the Nyquist row/column split in halves over ``±G/2``) and scaled by size²/G², so
        the maps are the band-limited interpolation of the G×G maps."""
        ...

    def spectra_to_maps_backward(self, name: str, g: T, grid: int) -> T:
        """Adjoint of :meth:`spectra_to_maps`: gradient maps ``(B, C, size, size)`` → gradient
        spectra on ``grid``."""
        ...

    # --- spectral convolution (the CMAC array) ------------------------------------------
    def conv_forward(self, name: str, x: T, w: T) -> T:
        """``Y[b,o] = Σ_i X[b,i]·conj(W[o,i])`` (circular cross-correlation on G): ``x``
        ``(B, Ci, G, G//2+1)``, ``w`` ``(Co, Ci, G, G//2+1)`` → ``(B, Co, G, G//2+1)``."""
        ...

    def conv_backward_data(self, name: str, g: T, w: T) -> T:
        """``∂X[b,i] = Σ_o G[b,o]·W[o,i]`` → ``(B, Ci, G, G//2+1)``."""
        ...

    def conv_backward_weight(self, name: str, g: T, x: T, kernel: int) -> T:
        """``∂W[o,i] = Σ_b X[b,i]·conj(G[b,o])`` (summed over the batch; ``g`` is already a
        batch-mean gradient) → ``(Co, Ci, G, G//2+1)``, not yet projected onto the ``kernel``
        support (a fixed-point backend sizes the unprojected spectrum's layout by it)."""
        ...

    def project_kernel(self, name: str, dw: T, kernel: int) -> T:
        """Project a weight-gradient spectrum onto the k×k kernel support:
        ``sinc_interpolate(sinc_project(dW, k), G)`` (:mod:`fdsim.nn.sinc`). Spectral SGD with
        projected gradients is spatial SGD on the k×k kernels."""
        ...

    def fold(self, name: str, x: T, stride: int) -> T:
        """Stride by spectral folding: ``(…, G, G//2+1)`` → ``(…, G/s, G/s//2+1)``
        (:func:`fdsim.nn.fold.spectral_fold`)."""
        ...

    def fold_backward(self, name: str, g: T, stride: int) -> T:
        """Adjoint of :meth:`fold` (tiling)."""
        ...

    # --- spectral pooling and activations ----------------------------------------------
    def crop(self, name: str, x: T, size: int) -> T:
        """Spectral pooling G → ``size``: centred crop ×size²/G², Nyquist averaged
        (:func:`fdsim.nn.crop.spectral_crop`, ``NyquistMode.AVERAGE``)."""
        ...

    def crop_backward(self, name: str, g: T, grid: int) -> T:
        """Adjoint of :meth:`crop` (zero-padding to ``grid``)."""
        ...

    def spectral_affine(self, name: str, x: T, scale: float, offset: float) -> T:
        """Spectrum of ``scale·x + offset``: bins ×scale, ``offset·G²`` added to DC."""
        ...

    def spectral_affine_backward(self, name: str, g: T, scale: float) -> T:
        """``scale·G``."""
        ...

    def spectral_quadratic(self, name: str, x: T, coefficients: Coefficients) -> T:
        """Spectrum of ``c0 + c1·x + c2·x²`` (self-convolution on the CMAC,
        :func:`fdsim.nn.activation.spectral_quadratic`)."""
        ...

    def spectral_quadratic_backward(self, name: str, g: T, x: T, coefficients: Coefficients) -> T:
        """``c1·G + 2·c2·(G ⊛ X)/G²`` at the forward input spectra ``x``."""
        ...

    # --- spatial elementwise and pooling (maps or vectors) ------------------------------
    def polynomial(self, name: str, x: T, coefficients: Coefficients) -> T:
        """Elementwise ``c0 + c1·x + c2·x²`` on maps."""
        ...

    def polynomial_backward(self, name: str, g: T, x: T, coefficients: Coefficients) -> T:
        """``g·(c1 + 2·c2·x)`` at the forward input ``x``."""
        ...

    def relu(self, name: str, x: T) -> T:
        """Elementwise ``max(x, 0)`` on maps."""
        ...

    def relu_backward(self, name: str, g: T, x: T) -> T:
        """``g`` where the forward input ``x > 0``, else 0."""
        ...

    def max_pool(self, name: str, x: T, windows: PoolWindows) -> T:
        """Maximum over each window: ``(B, C, n, n)`` → ``(B, C, m, m)``."""
        ...

    def max_pool_backward(self, name: str, g: T, x: T, windows: PoolWindows) -> T:
        """Each window's gradient to its first maximal input (row-major), accumulated where
        windows overlap."""
        ...

    def avg_pool(self, name: str, x: T, windows: PoolWindows) -> T:
        """Mean over each window."""
        ...

    def avg_pool_backward(self, name: str, g: T, windows: PoolWindows) -> T:
        """Each window's gradient spread evenly over its inputs (adjoint of :meth:`avg_pool`)."""
        ...

    # --- fully connected and loss -------------------------------------------------------
    def dense_forward(self, name: str, x: T, weight: T, bias: T) -> T:
        """``y = flat(x)·weightᵀ + bias``: maps ``(B, C, n, n)`` flattened in C order to
        ``(B, C·n²)``; weight ``(out, C·n²)``, bias ``(out,)`` → ``(B, out, 1, 1)``."""
        ...

    def dense_backward_data(self, name: str, g: T, weight: T, in_shape: tuple[int, int, int]) -> T:
        """``g·weight`` reshaped to the forward input's per-image shape ``(C, n, n)``."""
        ...

    def dense_backward_params(self, name: str, g: T, x: T) -> tuple[T, T]:
        """``(∂weight = gᵀ·flat(x), ∂bias = Σ_b g)``, summed over the batch."""
        ...

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
