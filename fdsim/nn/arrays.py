"""Array type aliases and the shape checks shared by the ``fdsim.nn`` operators.

Shape errors are programming errors (a caller wired tensors of the wrong layout), so they raise
``ValueError`` with the offending name and shape rather than an ``FdsimError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

ComplexArray = npt.NDArray[np.complex128]
RealArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def half_width(n: int) -> int:
    """Number of stored columns of the Hermitian half-spectrum of an ``n``×``n`` real map."""
    return n // 2 + 1


def half_spectrum_size(x: npt.NDArray[Any], name: str) -> int:
    """Return N for a half-spectrum ``x`` of shape ``(..., N, N//2+1)``; raise otherwise."""
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (..., N, N//2+1), got shape {x.shape}")
    n = int(x.shape[-2])
    if n < 1 or x.shape[-1] != half_width(n):
        raise ValueError(
            f"{name} must have shape (..., N, N//2+1), got shape {x.shape} "
            f"(for N={n} the last axis must be {half_width(n)})"
        )
    return n


def square_map_size(x: npt.NDArray[Any], name: str) -> int:
    """Return N for a real map ``x`` of shape ``(..., N, N)``; raise otherwise."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2] or x.shape[-1] < 1:
        raise ValueError(f"{name} must have shape (..., N, N), got shape {x.shape}")
    return int(x.shape[-1])


def require_ndim(x: npt.NDArray[Any], ndim: int, name: str, layout: str) -> None:
    """Raise unless ``x`` has exactly ``ndim`` axes; ``layout`` names them for the message."""
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {layout}, got shape {x.shape}")


def require_positive(value: int, name: str) -> None:
    """Raise unless ``value`` is a positive integer."""
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
