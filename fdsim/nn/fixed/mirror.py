"""Hermitian mirroring of integer half-spectra (index bookkeeping plus an exact negation).

``X[u, v] = conj(X[−u, −v])`` for the unstored columns, as :func:`fdsim.nn.hermitian.half_to_full`.
Negating the most negative word gives ``2**(bits−1)``, one bit wider than the stored word;
callers treat mirrored parts as ``bits + 1`` wide and fit them when they are stored again.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import half_width
from fdsim.nn.fixed.tensor import FixedTensor, Parts


def half_spectrum_size_fixed(x: FixedTensor, name: str) -> int:
    """N for a complex tensor of shape ``(..., N, N//2+1)``; ``ValueError`` otherwise."""
    if not x.is_complex or len(x.shape) < 2 or x.shape[-1] != half_width(x.shape[-2]):
        raise ValueError(f"{name} must be a complex half-spectrum (..., N, N//2+1), got {x.shape}")
    return x.shape[-2]


def half_to_full_parts(parts: Parts, n: int) -> Parts:
    """Full spectra ``(..., N, N)`` (re, im) from half-spectra ``(..., N, N//2+1)``."""
    f = half_width(n)
    mirror_rows = (-np.arange(n)) % n
    mirror_cols = n - np.arange(f, n)
    re, im = parts
    full_re = np.concatenate([re, re[..., mirror_rows, :][..., mirror_cols]], axis=-1)
    full_im = np.concatenate([im, -im[..., mirror_rows, :][..., mirror_cols]], axis=-1)
    return full_re, full_im
