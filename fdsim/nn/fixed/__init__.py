"""Bit-true fixed-point versions of the spectral network ops (forward, backward, update).

These are the kernels the functional simulation and the bit-true training loop call; each is
the fixed-point twin of a float64 op in :mod:`fdsim.nn` with the same shapes and layouts
(half-spectra ``(..., N, N//2+1)``, batch-first, unnormalised DFTs, gradient spectra = DFTs of
spatial gradients).

Conventions
-----------
* **Tensors** (:class:`FixedTensor`): int64 integers (``ComplexInt`` for spectra), a
  ``QFormat`` and a static power-of-two ``exponent``; value = ``q·2**(exponent −
  fraction_bits)``.  Exact power-of-two factors (crop's H²/N², fold's 1/s², a spectral
  product's 1/N², the sigmoid's ¼, the quadratic backward's 2) change exponents, never
  integers.  Output layouts (:class:`TensorFormat`) are explicit parameters; where one has a
  natural default (input format, exponent moved by the exact factor) it is documented.
* **Rounding** happens only where the datapath rounds: (1) each product entering an
  accumulator (accumulator format), (2) partial sums spilled between reduction tiles
  (partial-sum format), (3) once per value written to an output layout (its format).  Crop,
  fold, affine/linear activations and each SGD line round once per output; reductions
  (conv CMAC, dense GEMM, spectral self-product, sinc) follow :mod:`.reduction`.
* **Overflow** is fitted by the target format's mode after every addition and at every store;
  events are recorded on the caller's ``OverflowCounter`` at named children of the caller's
  ``OverflowSite`` (``accumulator``, ``partial_sums``, ``output`` …), never silently; so are
  **underflow** events, nonzero values a rounding step takes to zero.
* **Coefficients** (activation constants, learning rate, momentum, weight decay) are scalar
  tensors, quantised by :func:`quantize_coefficient` — by convention in the weights format —
  with the exponent that gives them full precision; exact powers of two need no format.
* **Error bounds** (:mod:`.bounds`) give the worst-case error of each op per real part.
* The loss runs on the host in float64 (:func:`softmax_cross_entropy_fixed`).
"""

from fdsim.nn.fixed.activation import (
    spectral_affine_backward_fixed,
    spectral_affine_fixed,
    spectral_linear_sigmoid_backward_fixed,
    spectral_linear_sigmoid_fixed,
    spectral_quadratic_backward_fixed,
    spectral_quadratic_fixed,
)
from fdsim.nn.fixed.cmac import CmacPattern, cmac_accumulate, cmac_reduce
from fdsim.nn.fixed.combine import (
    UNIT_FORMAT,
    linear_combination,
    power_of_two,
    quantize_coefficient,
)
from fdsim.nn.fixed.crop import spectral_crop_backward_fixed, spectral_crop_fixed
from fdsim.nn.fixed.dense import (
    dense_backward_data_fixed,
    dense_backward_params_fixed,
    dense_forward_fixed,
    relu_backward_fixed,
    relu_fixed,
)
from fdsim.nn.fixed.fold import spectral_fold_backward_fixed, spectral_fold_fixed
from fdsim.nn.fixed.loss import softmax_cross_entropy_fixed
from fdsim.nn.fixed.reduction import ReductionNumerics, accumulate
from fdsim.nn.fixed.sgd import SgdCoefficients, SgdState, sgd_step
from fdsim.nn.fixed.spectral_product import spectral_product_fixed
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, requantize_tensor, rescale

__all__ = [
    "UNIT_FORMAT",
    "CmacPattern",
    "FixedTensor",
    "ReductionNumerics",
    "SgdCoefficients",
    "SgdState",
    "TensorFormat",
    "accumulate",
    "cmac_accumulate",
    "cmac_reduce",
    "dense_backward_data_fixed",
    "dense_backward_params_fixed",
    "dense_forward_fixed",
    "linear_combination",
    "power_of_two",
    "quantize_coefficient",
    "relu_backward_fixed",
    "relu_fixed",
    "requantize_tensor",
    "rescale",
    "sgd_step",
    "softmax_cross_entropy_fixed",
    "spectral_affine_backward_fixed",
    "spectral_affine_fixed",
    "spectral_crop_backward_fixed",
    "spectral_crop_fixed",
    "spectral_fold_backward_fixed",
    "spectral_fold_fixed",
    "spectral_linear_sigmoid_backward_fixed",
    "spectral_linear_sigmoid_fixed",
    "spectral_product_fixed",
    "spectral_quadratic_backward_fixed",
    "spectral_quadratic_fixed",
]
