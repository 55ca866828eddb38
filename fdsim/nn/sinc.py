"""Sinc (Dirichlet) interpolation of k×k spectral kernels to the N×N grid, and its adjoint.

A real k×k kernel ``w`` has k² degrees of freedom; store it as its k×k DFT ``W_k`` (half-spectrum
``(..., k, k//2+1)``). The N×N DFT of ``w`` zero-padded to N×N is then, separably,

    ``W = A · W_k · Aᵀ``,  ``A[u, p] = D(u/N − p/k)`` (N×k),
    ``D(f) = (1/k)·Σ_{m<k} e^{−2πi·f·m} = e^{−iπf(k−1)}·sin(πfk) / (k·sin(πf))``,

i.e. ``A = F_N·P·F_k⁻¹`` (inverse DFT, zero-pad, DFT). Gradient spectra are DFTs of spatial
gradients (see :mod:`fdsim.nn.hermitian`), so the gradient of the k×k spectral parameters is
``F_k(crop_k(F_N⁻¹ G)) = (k²/N²)·Aᴴ·G·conj(A)``: the adjoint of the interpolation for the spatial
inner product. It keeps the kernel's support at k×k.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import ComplexArray, half_spectrum_size, half_width, require_positive
from fdsim.nn.hermitian import half_to_full


def dirichlet_matrix(n: int, k: int) -> ComplexArray:
    """The N×k interpolation matrix ``A[u, p] = D(u/N − p/k)`` (k ≤ N)."""
    require_positive(k, "k")
    if k > n:
        raise ValueError(f"sinc interpolation needs k <= N, got k={k} > N={n}")
    f = np.arange(n)[:, None] / n - np.arange(k)[None, :] / k
    taps = np.arange(k)
    # The k-term sum rather than the closed form: it has no 0/0 at integer f and is exact there.
    return np.asarray(
        np.exp(-2j * np.pi * f[..., None] * taps).sum(axis=-1) / k, dtype=np.complex128
    )


def sinc_interpolate(w_k: ComplexArray, n: int) -> ComplexArray:
    """N×N half-spectrum ``(..., N, N//2+1)`` from k×k half-spectra ``(..., k, k//2+1)``:
    ``W = A·W_k·Aᵀ`` (equals the DFT of the kernel zero-padded to N×N)."""
    k = half_spectrum_size(w_k, "w_k")
    a = dirichlet_matrix(n, k)
    interpolated = np.einsum(
        "up,...pq,vq->...uv", a, half_to_full(w_k), a[: half_width(n)], optimize=True
    )
    return np.asarray(interpolated, dtype=np.complex128)


def sinc_project(g: ComplexArray, k: int) -> ComplexArray:
    """Adjoint of :func:`sinc_interpolate`: k×k gradient half-spectra ``(..., k, k//2+1)`` from
    N×N gradient half-spectra ``(..., N, N//2+1)``: ``(k²/N²)·Aᴴ·G·conj(A)``."""
    n = half_spectrum_size(g, "g")
    a_conj = np.conj(dirichlet_matrix(n, k))
    projected = np.einsum(
        "up,...uv,vq->...pq", a_conj, half_to_full(g), a_conj[:, : half_width(k)], optimize=True
    )
    return np.asarray((k * k) / (n * n) * projected, dtype=np.complex128)
