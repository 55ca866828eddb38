"""Fully connected layers: on real vectors, and as a readout taken directly from half-spectra.

``dense_*`` is the ordinary layer ``y = x·Wᵀ + b`` on ``(batch, features)`` vectors.

``spectral_dense_*`` is the same layer applied to real maps that are held as half-spectra, so the
logits come out without an inverse DFT: with ``V = F(v)`` the spectra of the spatial weight maps,
``Σ_n v[n]·x[n] = (1/N²)·Σ_full Re(conj(V)·X)``, reduced over the half-spectrum with the
conjugate-pair bin weights (:func:`fdsim.nn.hermitian.spectral_inner_product`). Its gradients are
spectra of the spatial gradients, as everywhere in ``fdsim.nn``.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import ComplexArray, RealArray, half_spectrum_size, require_ndim
from fdsim.nn.hermitian import half_spectrum_weights


def dense_forward(x: RealArray, weight: RealArray, bias: RealArray) -> RealArray:
    """``y = x·weightᵀ + bias``: ``x`` ``(batch, in)``, ``weight`` ``(out, in)``, ``bias``
    ``(out,)``; returns ``(batch, out)``."""
    _check_dense(x, weight, bias)
    return np.asarray(x @ weight.T + bias, dtype=np.float64)


def dense_backward_data(g: RealArray, weight: RealArray) -> RealArray:
    """Input gradient ``g·weight``: ``g`` ``(batch, out)`` → ``(batch, in)``."""
    require_ndim(g, 2, "g", "(batch, out)")
    require_ndim(weight, 2, "weight", "(out, in)")
    if g.shape[1] != weight.shape[0]:
        raise ValueError(f"g {g.shape} and weight {weight.shape} differ in output features")
    return np.asarray(g @ weight, dtype=np.float64)


def dense_backward_params(g: RealArray, x: RealArray) -> tuple[RealArray, RealArray]:
    """Gradients summed over the batch: ``(∂weight = gᵀ·x  (out, in), ∂bias = Σ_b g  (out,))``."""
    require_ndim(g, 2, "g", "(batch, out)")
    require_ndim(x, 2, "x", "(batch, in)")
    if g.shape[0] != x.shape[0]:
        raise ValueError(f"g {g.shape} and x {x.shape} differ in batch size")
    return np.asarray(g.T @ x, dtype=np.float64), np.asarray(g.sum(axis=0), dtype=np.float64)


def spectral_dense_forward(x: ComplexArray, v: ComplexArray, bias: RealArray) -> RealArray:
    """Logits ``y[b,o] = Σ_c Σ_n v[o,c,n]·x[b,c,n] + bias[o]`` from half-spectra.

    ``x`` is ``(batch, channels, N, N//2+1)``, ``v`` is ``(out, channels, N, N//2+1)``, ``bias``
    ``(out,)``; returns real ``(batch, out)``.
    """
    n = _check_spectral(x, "x", v, "v")
    require_ndim(bias, 1, "bias", "(out,)")
    if bias.shape[0] != v.shape[0]:
        raise ValueError(f"bias {bias.shape} and v {v.shape} differ in output features")
    weights = half_spectrum_weights(n) / (n * n)
    # Re(conj(V)·X) = Re V·Re X + Im V·Im X, as two real contractions.
    logits = np.einsum("bchw,ochw->bo", x.real, v.real * weights) + np.einsum(
        "bchw,ochw->bo", x.imag, v.imag * weights
    )
    return np.asarray(logits + bias, dtype=np.float64)


def spectral_dense_backward_data(g: RealArray, v: ComplexArray) -> ComplexArray:
    """Input gradient spectra ``∂X[b,c] = Σ_o g[b,o]·V[o,c]``: ``(batch, channels, N, N//2+1)``."""
    require_ndim(g, 2, "g", "(batch, out)")
    require_ndim(v, 4, "v", "(out, channels, N, N//2+1)")
    half_spectrum_size(v, "v")
    if g.shape[1] != v.shape[0]:
        raise ValueError(f"g {g.shape} and v {v.shape} differ in output features")
    return np.asarray(np.einsum("bo,ochw->bchw", g, v), dtype=np.complex128)


def spectral_dense_backward_params(g: RealArray, x: ComplexArray) -> tuple[ComplexArray, RealArray]:
    """Gradients summed over the batch: ``(∂V[o,c] = Σ_b g[b,o]·X[b,c]  (out, channels, N,
    N//2+1), ∂bias = Σ_b g  (out,))``."""
    require_ndim(g, 2, "g", "(batch, out)")
    require_ndim(x, 4, "x", "(batch, channels, N, N//2+1)")
    half_spectrum_size(x, "x")
    if g.shape[0] != x.shape[0]:
        raise ValueError(f"g {g.shape} and x {x.shape} differ in batch size")
    dv = np.asarray(np.einsum("bo,bchw->ochw", g, x), dtype=np.complex128)
    return dv, np.asarray(g.sum(axis=0), dtype=np.float64)


def _check_dense(x: RealArray, weight: RealArray, bias: RealArray) -> None:
    require_ndim(x, 2, "x", "(batch, in)")
    require_ndim(weight, 2, "weight", "(out, in)")
    require_ndim(bias, 1, "bias", "(out,)")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x {x.shape} and weight {weight.shape} differ in input features")
    if bias.shape[0] != weight.shape[0]:
        raise ValueError(f"bias {bias.shape} and weight {weight.shape} differ in output features")


def _check_spectral(x: ComplexArray, x_name: str, v: ComplexArray, v_name: str) -> int:
    require_ndim(x, 4, x_name, "(batch, channels, N, N//2+1)")
    require_ndim(v, 4, v_name, "(out, channels, N, N//2+1)")
    n = half_spectrum_size(x, x_name)
    if half_spectrum_size(v, v_name) != n or x.shape[1] != v.shape[1]:
        raise ValueError(f"{x_name} {x.shape} and {v_name} {v.shape} differ in channels or N")
    return n
