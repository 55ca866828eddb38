"""Shared helpers for the fdsim.nn tests (random data, finite differences, full-spectrum sums)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fdsim.nn.arrays import ComplexArray, RealArray


def random_maps(rng: np.random.Generator, *shape: int) -> RealArray:
    """Standard-normal real array of ``shape``."""
    return rng.standard_normal(shape)


def random_half(rng: np.random.Generator, *shape: int) -> ComplexArray:
    """Half-spectra of standard-normal real maps of ``shape`` (last two axes N×N)."""
    return np.fft.rfft2(rng.standard_normal(shape))


def numerical_gradient(
    loss: Callable[[RealArray], float], x: RealArray, eps: float = 1e-6
) -> RealArray:
    """Central finite-difference gradient of a scalar ``loss`` at real ``x``."""
    grad = np.zeros_like(x)
    flat = grad.reshape(-1)
    for index in range(x.size):
        step = np.zeros(x.shape)
        step.flat[index] = eps
        flat[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return grad


def full_spectrum_inner(a_full: ComplexArray, b_full: ComplexArray) -> float:
    """Real inner product of full N×N spectra, Parseval-normalised: (1/N²)·Re Σ conj(A)·B."""
    n = a_full.shape[-1]
    return float(np.sum(np.conj(a_full) * b_full).real / (n * n))
