"""Hermitian half-spectrum layout: transforms, mirroring, bin weights and inner products.

Conventions used throughout ``fdsim.nn``:

* The DFT is **unnormalised** (NumPy ``fft2``): ``X[u, v] = Σ_n x[n1, n2]·e^{−2πi(u·n1 + v·n2)/N}``;
  the inverse carries ``1/N²``.
* A real N×N map is stored as its **half-spectrum**, the NumPy ``rfft2`` layout of shape
  ``(..., N, N//2+1)``: all N rows ``u`` and the columns ``v = 0..N//2``. The other columns follow
  from ``X[u, v] = conj(X[(−u) mod N, (−v) mod N])``.
* **Gradient spectra** hold the DFT of the spatial gradient, ``G = F(∂L/∂x)`` (also stored as a
  half-spectrum). Then a spectral SGD step ``X ← X − η·G`` is exactly the spatial step
  ``x ← x − η·∂L/∂x``, and every backward operator in ``fdsim.nn`` is the adjoint of its forward
  operator for :func:`spectral_inner_product` (the spatial inner product, by Parseval).
* **Bin weights** (:func:`half_spectrum_weights`): a stored bin whose conjugate partner is *not*
  stored stands for two bins of the full spectrum and counts twice; a stored bin whose partner is
  also stored (columns ``v = 0`` and, for even N, ``v = N/2`` — these hold DC and the Nyquist
  column, and both members of each of their conjugate pairs) counts once. So a real sum over the
  full spectrum is ``Σ_full f = Σ_half c·f`` when ``f`` is symmetric under conjugate mirroring
  (e.g. ``Re(conj(A)·B)``). Differentiating a real loss ``L`` with respect to the real and imaginary
  parts of a stored bin gives ``∂L/∂Re X[k] + i·∂L/∂Im X[k] = c[k]·G[k] / N²`` (under
  ``irfft2``'s reading of the half-spectrum).
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import (
    ComplexArray,
    RealArray,
    half_spectrum_size,
    half_width,
    require_positive,
    square_map_size,
)


def real_to_half_spectrum(x: RealArray) -> ComplexArray:
    """Half-spectrum ``(..., N, N//2+1)`` of real maps ``x`` of shape ``(..., N, N)``."""
    square_map_size(x, "x")
    return np.fft.rfft2(np.asarray(x, dtype=np.float64))


def half_spectrum_to_real(x_half: ComplexArray) -> RealArray:
    """Real maps ``(..., N, N)`` from half-spectra ``(..., N, N//2+1)`` (inverse of
    :func:`real_to_half_spectrum`; imaginary parts of self-conjugate bins are ignored)."""
    n = half_spectrum_size(x_half, "x_half")
    # The size must be explicit: the half width alone cannot tell N = 2m from N = 2m + 1.
    return np.fft.irfft2(x_half, s=(n, n))


def half_to_full(x_half: ComplexArray) -> ComplexArray:
    """Full spectrum ``(..., N, N)`` from a half-spectrum ``(..., N, N//2+1)``, by Hermitian
    mirroring ``X[u, v] = conj(X[−u, −v])`` for the unstored columns (index bookkeeping only)."""
    n = half_spectrum_size(x_half, "x_half")
    f = half_width(n)
    full = np.empty((*x_half.shape[:-1], n), dtype=np.complex128)
    full[..., :f] = x_half
    mirror_rows = (-np.arange(n)) % n
    mirror_cols = n - np.arange(f, n)
    full[..., f:] = np.conj(x_half[..., mirror_rows, :][..., mirror_cols])
    return full


def full_to_half(x_full: ComplexArray) -> ComplexArray:
    """Half-spectrum ``(..., N, N//2+1)`` of a Hermitian full spectrum ``(..., N, N)``."""
    n = square_map_size(x_full, "x_full")
    return np.ascontiguousarray(x_full[..., : half_width(n)], dtype=np.complex128)


def half_spectrum_weights(n: int) -> RealArray:
    """Bin weights ``c`` of shape ``(N, N//2+1)``: 1 on column 0 and (even N) column N/2,
    2 elsewhere. See the module docstring for why the rule is by column."""
    require_positive(n, "n")
    weights = np.full((n, half_width(n)), 2.0)
    weights[:, 0] = 1.0
    if n % 2 == 0:
        weights[:, n // 2] = 1.0
    return weights


def spectral_inner_product(a_half: ComplexArray, b_half: ComplexArray) -> RealArray:
    """Spatial inner product ``Σ_n a[n]·b[n]`` of two real maps, from their half-spectra.

    Computed as ``(1/N²)·Σ_full Re(conj(A)·B) = (1/N²)·Σ_half c·Re(conj(A)·B)`` over the last two
    axes; the leading axes broadcast and are kept. This is the inner product for which the
    ``fdsim.nn`` backward operators are adjoints.
    """
    n = half_spectrum_size(a_half, "a_half")
    if half_spectrum_size(b_half, "b_half") != n:
        raise ValueError(f"a_half {a_half.shape} and b_half {b_half.shape} differ in N")
    products = (np.conj(a_half) * b_half).real * half_spectrum_weights(n)
    return np.asarray(products.sum(axis=(-2, -1)) / (n * n), dtype=np.float64)
