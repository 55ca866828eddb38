"""Spectral convolution layer: one complex MAC per stored bin, accumulated over channels.

All three training phases have the same pointwise form and differ only in which operand is
conjugated and which axis is reduced (so one complex-MAC array serves all three):

* forward        ``Y[b,o] = Σ_i X[b,i] · conj(W[o,i])``
* backward data  ``∂X[b,i] = Σ_o G[b,o] · W[o,i]``
* backward weight ``∂W[o,i] = Σ_b X[b,i] · conj(G[b,o])``

Shapes (half-spectra, see :mod:`fdsim.nn.hermitian`): activations ``(batch, channels, N, N//2+1)``,
kernels ``(out, in, N, N//2+1)``, complex128. ``W = F(w)`` is the DFT of the real kernel ``w``
zero-padded to N×N (:func:`kernel_spectrum`), and the forward computes the **circular
cross-correlation** ``y[b,o,n] = Σ_{i,m} x[b,i,(n+m) mod N]·w[o,i,m]``, as CNNs do, because
``F(corr(x, w)) = X·conj(W)`` for real ``w``. Gradient spectra are DFTs of spatial gradients,
so ``∂W`` is ``F(∂L/∂w_padded)``: project it to the kernel's k×k support with
:func:`fdsim.nn.sinc.sinc_project` (spectral form) or crop after an inverse DFT.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import (
    ComplexArray,
    RealArray,
    half_spectrum_size,
    require_ndim,
    require_positive,
)

_ACTIVATIONS = "(batch, channels, N, N//2+1)"
_KERNELS = "(out, in, N, N//2+1)"


def kernel_spectrum(w: RealArray, n: int) -> ComplexArray:
    """Half-spectra ``(out, in, N, N//2+1)`` of real kernels ``(out, in, k, k)``, k ≤ N,
    zero-padded to N×N with the kernel's tap (0, 0) at map position (0, 0)."""
    require_ndim(w, 4, "w", "(out, in, k, k)")
    require_positive(n, "n")
    if w.shape[-1] != w.shape[-2] or w.shape[-1] > n:
        raise ValueError(f"w must have shape (out, in, k, k) with k <= N={n}, got {w.shape}")
    return np.fft.rfft2(np.asarray(w, dtype=np.float64), s=(n, n))


def spectral_conv_forward(x: ComplexArray, w: ComplexArray) -> ComplexArray:
    """Forward: ``Y[b,o] = Σ_i X[b,i]·conj(W[o,i])`` (circular cross-correlation).

    ``x`` is ``(batch, in, N, N//2+1)``, ``w`` is ``(out, in, N, N//2+1)``; returns
    ``(batch, out, N, N//2+1)``.
    """
    _check_operands(x, "x", _ACTIVATIONS, w, "w", _KERNELS, axes=(1, 1), what="input channels")
    return np.asarray(np.einsum("bihw,oihw->bohw", x, np.conj(w)), dtype=np.complex128)


def spectral_conv_backward_data(g: ComplexArray, w: ComplexArray) -> ComplexArray:
    """Input gradient: ``∂X[b,i] = Σ_o G[b,o]·W[o,i]`` (``= F(∂L/∂x)``, a circular convolution
    of the spatial gradient with the kernel).

    ``g`` is ``(batch, out, N, N//2+1)``, ``w`` is ``(out, in, N, N//2+1)``; returns
    ``(batch, in, N, N//2+1)``.
    """
    _check_operands(g, "g", _ACTIVATIONS, w, "w", _KERNELS, axes=(1, 0), what="output channels")
    return np.asarray(np.einsum("bohw,oihw->bihw", g, w), dtype=np.complex128)


def spectral_conv_backward_weight(g: ComplexArray, x: ComplexArray) -> ComplexArray:
    """Weight gradient summed over the batch: ``∂W[o,i] = Σ_b X[b,i]·conj(G[b,o])``.

    The result is ``F(∂L/∂w)`` for the N×N zero-padded kernel, since
    ``∂L/∂w[m] = Σ_n g[n]·x[n+m]`` is the cross-correlation of ``x`` with ``g``. ``g`` is
    ``(batch, out, N, N//2+1)``, ``x`` is ``(batch, in, N, N//2+1)``; returns
    ``(out, in, N, N//2+1)``.
    """
    _check_operands(g, "g", _ACTIVATIONS, x, "x", _ACTIVATIONS, axes=(0, 0), what="batch size")
    return np.asarray(np.einsum("bihw,bohw->oihw", x, np.conj(g)), dtype=np.complex128)


def _check_operands(
    a: ComplexArray,
    a_name: str,
    a_layout: str,
    b: ComplexArray,
    b_name: str,
    b_layout: str,
    axes: tuple[int, int],
    what: str,
) -> None:
    """Raise unless both operands are 4-D half-spectra of one N agreeing on ``axes``."""
    require_ndim(a, 4, a_name, a_layout)
    require_ndim(b, 4, b_name, b_layout)
    if half_spectrum_size(a, a_name) != half_spectrum_size(b, b_name):
        raise ValueError(f"{a_name} {a.shape} and {b_name} {b.shape} differ in N")
    if a.shape[axes[0]] != b.shape[axes[1]]:
        raise ValueError(f"{a_name} {a.shape} and {b_name} {b.shape} differ in {what}")
