"""Global pooling of NCHW maps to one value per channel, and global covariance (second-order)
pooling, each with its backward (pooling.md §5.11).

``global_avg_pool2d``/``global_max_pool2d`` equal torch's ``adaptive_avg_pool2d(x, 1)`` /
``adaptive_max_pool2d(x, 1)`` (max ties → the first index in row-major order); torch has no
operator of this name.

``covariance_pool2d`` (no torch operator) is MPN-COV / iSQRT-COV pooling: per sample the C×C
covariance ``Σ = (1/M)·Σ_m (x_m − x̄)(x_m − x̄)ᵀ`` of the M = H·W feature vectors (biased: divided
by H·W, as np.cov(bias=True) and MPN-COV), plus ``eps·I``, followed by its matrix square root:

* ``method="eig"``: the exact symmetric square root ``U·diag(√max(λ, 0))·Uᵀ``;
* ``method="newton_schulz"``: iSQRT-COV's coupled Newton–Schulz iteration on ``Σ/tr Σ`` for
  ``iterations`` steps, post-multiplied by ``√tr Σ`` — an approximation that converges to the
  exact root as ``iterations`` grows; how close 5 steps get depends on the conditioning of Σ
  (pooling.md §5.11 reports ~1e-2 relative on one example).

The output is the full symmetric (N, C, C) matrix (iSQRT-COV keeps its upper triangle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from fdsim.pooling.args import Array, as_nchw

Index = npt.NDArray[np.int64]
COVARIANCE_METHODS = ("eig", "newton_schulz")


def global_avg_pool2d(input: npt.ArrayLike) -> Array:
    """Mean over H×W of (N, C, H, W) → (N, C, 1, 1)."""
    x = as_nchw("global_avg_pool2d", "input", input)
    out: Array = x.mean(axis=(2, 3), keepdims=True)
    return out


def global_avg_pool2d_backward(grad_output: npt.ArrayLike, input_size: Sequence[int]) -> Array:
    """Gradient of :func:`global_avg_pool2d`: ``grad_output/(H·W)`` spread over the
    (N, C, H, W) ``input_size``."""
    g = as_nchw("global_avg_pool2d_backward", "grad_output", grad_output)
    n, c, h, w = (int(v) for v in input_size)
    if g.shape != (n, c, 1, 1):
        raise ValueError(
            f"global_avg_pool2d_backward: grad_output must have shape {(n, c, 1, 1)}, got {g.shape}"
        )
    return np.broadcast_to(g / (h * w), (n, c, h, w)).copy()


@overload
def global_max_pool2d(input: npt.ArrayLike, return_indices: Literal[False] = ...) -> Array: ...
@overload
def global_max_pool2d(
    input: npt.ArrayLike, return_indices: Literal[True]
) -> tuple[Array, Index]: ...
def global_max_pool2d(
    input: npt.ArrayLike, return_indices: bool = False
) -> Array | tuple[Array, Index]:
    """Max over H×W of (N, C, H, W) → (N, C, 1, 1); with ``return_indices`` also the flat
    per-plane index of the max (ties → first), as ``adaptive_max_pool2d``."""
    x = as_nchw("global_max_pool2d", "input", input)
    flat = x.reshape(*x.shape[:2], -1)
    idx = flat.argmax(axis=2)[:, :, None, None]  # argmax returns the first of tied maxima
    out = flat.max(axis=2)[:, :, None, None]
    return (out, idx.astype(np.int64)) if return_indices else out


def global_max_pool2d_backward(grad_output: npt.ArrayLike, input: npt.ArrayLike) -> Array:
    """Gradient of :func:`global_max_pool2d`: ``grad_output`` routed to each plane's (first)
    maximum of the forward ``input``, zeros elsewhere."""
    x = as_nchw("global_max_pool2d_backward", "input", input)
    g = as_nchw("global_max_pool2d_backward", "grad_output", grad_output)
    n, c = x.shape[:2]
    if g.shape != (n, c, 1, 1):
        raise ValueError(
            f"global_max_pool2d_backward: grad_output must have shape {(n, c, 1, 1)}, got {g.shape}"
        )
    flat = x.reshape(n * c, -1)
    out = np.zeros_like(flat)
    out[np.arange(n * c), flat.argmax(axis=1)] = g.reshape(-1)
    return out.reshape(x.shape)


def _check(op: str, method: str, iterations: int, eps: float) -> None:
    if method not in COVARIANCE_METHODS:
        raise ValueError(f"{op}: method must be 'eig' or 'newton_schulz', got {method!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"{op}: iterations must be a positive int, got {iterations!r}")
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be non-negative, got {eps}")


def _covariance(x: Array, eps: float) -> tuple[Array, Array]:
    """(centred features (N, C, M), Σ + eps·I (N, C, C))."""
    feats = x.reshape(*x.shape[:2], -1)
    centred = feats - feats.mean(axis=2, keepdims=True)
    sigma = centred @ centred.transpose(0, 2, 1) / feats.shape[2]
    return centred, sigma + eps * np.eye(x.shape[1])


def _newton_schulz(sigma: Array, iterations: int) -> tuple[Array, Array, list[Array]]:
    """(trace (N,1,1), √tr·Y_N, the iterates [Y_0, Z_0, Y_1, Z_1, …]) of iSQRT-COV."""
    trace = np.trace(sigma, axis1=1, axis2=2)[:, None, None]
    if not np.all(trace > 0):
        raise ValueError(
            "covariance_pool2d: newton_schulz needs a covariance with positive trace "
            "(a constant sample with eps=0 has none)"
        )
    eye = np.eye(sigma.shape[1])
    y, z = sigma / trace, np.broadcast_to(eye, sigma.shape)
    states = [y, z]
    for _ in range(iterations):
        t = 0.5 * (3.0 * eye - z @ y)
        y, z = y @ t, t @ z
        states += [y, z]
    return trace, np.sqrt(trace) * y, states


def covariance_pool2d(
    input: npt.ArrayLike, iterations: int = 5, eps: float = 1e-5, method: str = "newton_schulz"
) -> Array:
    """Square root of the per-sample channel covariance of (N, C, H, W) → (N, C, C).

    ``eps`` ≥ 0 is added to the covariance's diagonal (keeps the root differentiable when the
    covariance is singular, e.g. H·W ≤ C); ``iterations`` is used by ``newton_schulz`` only (the
    default method, as iSQRT-COV; ``"eig"`` is the exact root).
    """
    _check("covariance_pool2d", method, iterations, eps)
    _, sigma = _covariance(as_nchw("covariance_pool2d", "input", input), eps)
    if method == "eig":
        lam, vec = np.linalg.eigh(sigma)
        root = np.sqrt(np.maximum(lam, 0.0))  # clamp round-off negatives of a PSD matrix
        out: Array = (vec * root[:, None, :]) @ vec.transpose(0, 2, 1)
        return out
    return _newton_schulz(sigma, iterations)[1]


def _eig_backward(sigma: Array, grad: Array) -> Array:
    """Daleckii–Krein: in the eigenbasis, dS = dΣ_ij / (√λ_i + √λ_j) (solves S·X + X·S = G)."""
    lam, vec = np.linalg.eigh(sigma)
    root = np.sqrt(np.maximum(lam, 0.0))
    denom = root[:, :, None] + root[:, None, :]
    inner = vec.transpose(0, 2, 1) @ grad @ vec
    safe = np.where(denom > 0, denom, 1.0)  # both roots zero: no first-order change
    inner = np.where(denom > 0, inner / safe, 0.0)
    out: Array = vec @ inner @ vec.transpose(0, 2, 1)
    return out


def _newton_schulz_backward(sigma: Array, grad: Array, iterations: int) -> Array:
    """Reverse mode through every Newton–Schulz step, the trace normalisation and its root."""
    trace, out, states = _newton_schulz(sigma, iterations)
    root = np.sqrt(trace)
    eye = np.eye(sigma.shape[1])
    g_trace = np.sum(grad * out, axis=(1, 2))[:, None, None] / (2.0 * trace)
    g_y, g_z = root * grad, np.zeros_like(sigma)
    for k in range(iterations, 0, -1):
        y, z = states[2 * k - 2], states[2 * k - 1]
        t = 0.5 * (3.0 * eye - z @ y)
        # y_k = y·t and z_k = t·z
        g_t = y.transpose(0, 2, 1) @ g_y + g_z @ z.transpose(0, 2, 1)
        g_y, g_z = g_y @ t.transpose(0, 2, 1), t.transpose(0, 2, 1) @ g_z
        # t = ½(3I − z·y)
        g_m = -0.5 * g_t
        g_y = g_y + z.transpose(0, 2, 1) @ g_m
        g_z = g_z + g_m @ y.transpose(0, 2, 1)
    # y_0 = Σ/tr Σ (z_0 = I is constant); tr Σ also scales the output.
    g_trace = g_trace - np.sum(g_y * sigma, axis=(1, 2))[:, None, None] / trace**2
    result: Array = g_y / trace + g_trace * eye
    return result


def covariance_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    iterations: int = 5,
    eps: float = 1e-5,
    method: str = "newton_schulz",
) -> Array:
    """Gradient of :func:`covariance_pool2d` w.r.t. its (N, C, H, W) ``input``, given the forward
    input and arguments; ``grad_output`` is (N, C, C)."""
    op = "covariance_pool2d_backward"
    _check(op, method, iterations, eps)
    x = as_nchw(op, "input", input)
    g = np.asarray(grad_output, dtype=np.float64)
    n, c = x.shape[:2]
    if g.shape != (n, c, c):
        raise ValueError(f"{op}: grad_output must have shape {(n, c, c)}, got {g.shape}")
    centred, sigma = _covariance(x, eps)
    if method == "eig":
        g_sigma = _eig_backward(sigma, g)
    else:
        g_sigma = _newton_schulz_backward(sigma, g, iterations)
    # Σ = X̄·X̄ᵀ/M with X̄ centred: ∂L/∂X = (G + Gᵀ)·X̄/M (the centring's own term vanishes
    # because the rows of X̄ sum to zero).
    grad: Array = (g_sigma + g_sigma.transpose(0, 2, 1)) @ centred / centred.shape[2]
    return grad.reshape(x.shape)
