"""Frequency-domain network maths (float64): the operators a spectral training accelerator runs.

Every operator is a pure function on numpy arrays over Hermitian half-spectra in the ``rfft2``
layout, batch-first: activations ``(batch, channels, N, N//2+1)``, kernels
``(out, in, N, N//2+1)``, complex128, unnormalised DFTs. Gradient spectra are DFTs of spatial
gradients, and each backward operator is the adjoint of its forward for the spatial inner
product. Conventions are spelled out in :mod:`fdsim.nn.hermitian`; the spatial-domain oracle is
:mod:`fdsim.nn.reference`.
"""

from fdsim.nn.activation import (
    spectral_affine,
    spectral_affine_backward,
    spectral_linear_sigmoid,
    spectral_linear_sigmoid_backward,
    spectral_product,
    spectral_quadratic,
    spectral_quadratic_backward,
)
from fdsim.nn.conv import (
    kernel_spectrum,
    spectral_conv_backward_data,
    spectral_conv_backward_weight,
    spectral_conv_forward,
)
from fdsim.nn.crop import NyquistMode, nyquist_weight, spectral_crop, spectral_crop_backward
from fdsim.nn.dense import (
    dense_backward_data,
    dense_backward_params,
    dense_forward,
    spectral_dense_backward_data,
    spectral_dense_backward_params,
    spectral_dense_forward,
)
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.nn.hermitian import (
    full_to_half,
    half_spectrum_to_real,
    half_spectrum_weights,
    half_to_full,
    real_to_half_spectrum,
    spectral_inner_product,
)
from fdsim.nn.loss import softmax, softmax_cross_entropy, softmax_cross_entropy_backward
from fdsim.nn.sinc import dirichlet_matrix, sinc_interpolate, sinc_project

__all__ = [
    "NyquistMode",
    "dense_backward_data",
    "dense_backward_params",
    "dense_forward",
    "dirichlet_matrix",
    "full_to_half",
    "half_spectrum_to_real",
    "half_spectrum_weights",
    "half_to_full",
    "kernel_spectrum",
    "nyquist_weight",
    "real_to_half_spectrum",
    "sinc_interpolate",
    "sinc_project",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "spectral_affine",
    "spectral_affine_backward",
    "spectral_conv_backward_data",
    "spectral_conv_backward_weight",
    "spectral_conv_forward",
    "spectral_crop",
    "spectral_crop_backward",
    "spectral_dense_backward_data",
    "spectral_dense_backward_params",
    "spectral_dense_forward",
    "spectral_fold",
    "spectral_fold_backward",
    "spectral_inner_product",
    "spectral_linear_sigmoid",
    "spectral_linear_sigmoid_backward",
    "spectral_product",
    "spectral_quadratic",
    "spectral_quadratic_backward",
]
