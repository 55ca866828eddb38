"""Spectral activations: polynomial nonlinearities of degree ≤ 2 applied to half-spectra.

With ``X = F(x)`` (unnormalised DFT, half-spectrum ``(..., N, N//2+1)``):

* affine ``a·x + b``            → ``a·X`` plus ``b·N²`` on the DC bin;
* linearised sigmoid ``½ + x/4`` → every bin ×¼ plus ``N²/2`` on DC (the affine case);
* quadratic ``c0 + c1·x + c2·x²`` → ``c0·N²·δ + c1·X + c2·(X ⊛ X)/N²``, where ⊛ is the circular
  2-D convolution of *full* spectra (:func:`spectral_product`).

An affine activation keeps the network affine (a stack of them collapses to one affine map); the
quadratic term is what makes a fully spectral network nonlinear. Products widen the bandwidth:
``x²`` of a map band-limited to B occupies 2B and aliases on the N grid unless N ≥ 2B.

Backward passes take and return gradient spectra ``G = F(∂L/∂y)`` (see
:mod:`fdsim.nn.hermitian`): the affine backward is ``a·G`` (the offset contributes nothing), the
quadratic backward is ``c1·G + 2·c2·(G ⊛ X)/N²`` (``= F(g·(c1 + 2·c2·x))``).
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import ComplexArray, half_spectrum_size, half_width
from fdsim.nn.hermitian import half_to_full

SIGMOID_LINEAR_SCALE = 0.25
SIGMOID_LINEAR_OFFSET = 0.5


def spectral_affine(x: ComplexArray, scale: float, offset: float) -> ComplexArray:
    """Spectrum of ``scale·x + offset``: all bins ×scale, ``offset·N²`` added to DC."""
    n = half_spectrum_size(x, "x")
    y = scale * np.asarray(x, dtype=np.complex128)
    y[..., 0, 0] += offset * n * n
    return y


def spectral_affine_backward(g: ComplexArray, scale: float) -> ComplexArray:
    """Gradient spectrum of :func:`spectral_affine`: ``scale·G``."""
    half_spectrum_size(g, "g")
    return scale * np.asarray(g, dtype=np.complex128)


def spectral_linear_sigmoid(x: ComplexArray) -> ComplexArray:
    """Spectrum of the linearised sigmoid ``σ(x) ≈ ½ + x/4`` (first-order Taylor at 0)."""
    return spectral_affine(x, SIGMOID_LINEAR_SCALE, SIGMOID_LINEAR_OFFSET)


def spectral_linear_sigmoid_backward(g: ComplexArray) -> ComplexArray:
    """Gradient spectrum of :func:`spectral_linear_sigmoid`: ``G/4``."""
    return spectral_affine_backward(g, SIGMOID_LINEAR_SCALE)


def spectral_quadratic(x: ComplexArray, c0: float, c1: float, c2: float) -> ComplexArray:
    """Spectrum of ``c0 + c1·x + c2·x²`` (coefficients in ascending powers, as in the workload
    spec): ``c0·N²·δ + c1·X + c2·(X ⊛ X)/N²``."""
    y = spectral_affine(x, c1, c0)
    if c2 != 0.0:
        y += c2 * spectral_product(x, x)
    return y


def spectral_quadratic_backward(
    g: ComplexArray, x: ComplexArray, c1: float, c2: float
) -> ComplexArray:
    """Gradient spectrum of :func:`spectral_quadratic` at input ``x``:
    ``c1·G + 2·c2·(G ⊛ X)/N²``."""
    dx = spectral_affine_backward(g, c1)
    if c2 != 0.0:
        dx += (2.0 * c2) * spectral_product(g, x)
    return dx


def spectral_product(a: ComplexArray, b: ComplexArray) -> ComplexArray:
    """Spectrum of the pointwise product of two real maps: ``F(a·b) = (A ⊛ B)/N²``.

    ``(A ⊛ B)[k] = Σ_m A[m]·B[(k − m) mod N]`` is the circular 2-D convolution of the full
    spectra (the half-spectra mirrored by :func:`fdsim.nn.hermitian.half_to_full`); the
    accelerator evaluates it directly, ``N³·(N//2+1)`` complex MACs per map. By the
    convolution theorem ``(A ⊛ B)/N² = DFT(IDFT(A)·IDFT(B))`` for any full spectra, which is
    how this float64 reference computes it (O(N² log N), the same values to rounding; the
    bit-true kernel :func:`fdsim.nn.fixed.spectral_product_fixed` runs the direct sum).
    ``a`` and ``b`` are ``(..., N, N//2+1)`` and broadcast over the leading axes.
    """
    n = half_spectrum_size(a, "a")
    if half_spectrum_size(b, "b") != n:
        raise ValueError(f"a {a.shape} and b {b.shape} differ in N")
    product = np.fft.ifft2(half_to_full(a)) * np.fft.ifft2(half_to_full(b))
    return np.ascontiguousarray(np.fft.fft2(product)[..., : half_width(n)])
