"""Bookkeeping of Hermitian half-spectra: which stored bins survive a spectral crop.

A real G×G map is stored as G×(G/2+1) complex bins, flattened row-major (numpy ``rfft2``
layout). Row u stands for the signed frequency ũ = u (u ≤ G/2) or u − G.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def half_bins(grid: int) -> int:
    """Stored bins of a real ``grid``×``grid`` map."""
    return grid * (grid // 2 + 1)


def next_power_of_two(value: int) -> int:
    return 1 << max(0, (value - 1).bit_length())


def crop_map(grid: int, size: int) -> tuple[IntArray, BoolArray]:
    """Spectral crop of a ``grid`` half-spectrum to ``size`` (Rippel et al. 2015, centred crop).

    Returns ``(dest, read)`` over the input's stored bins: ``dest[b]`` is the output bin that
    input bin ``b`` writes (−1 if none) and ``read[b]`` whether the crop reads it. For an even
    ``size`` < ``grid`` the output Nyquist row averages input rows +size/2 and −size/2: the first
    writes the output bin, the second is only read (and added). Output columns come from the
    stored columns 0..size/2 (the Nyquist column's mirror is the conjugate of a stored bin).
    """
    if not 1 <= size <= grid:
        raise ValueError(f"crop size {size} must be between 1 and the grid {grid}")
    columns = grid // 2 + 1
    u = np.repeat(np.arange(grid), columns)
    v = np.tile(np.arange(columns), grid)
    signed_u = np.where(u <= grid // 2, u, u - grid)
    half = size // 2
    column_kept = v <= half
    if size % 2 or size == grid:
        row_primary = np.abs(signed_u) <= (size - 1) // 2 if size % 2 else np.abs(signed_u) <= half
        row_read = row_primary
        if size == grid and size % 2 == 0:
            row_primary = np.ones_like(row_primary)
            row_read = row_primary
    else:
        row_primary = (np.abs(signed_u) < half) | (signed_u == half)
        row_read = np.abs(signed_u) <= half
    primary = row_primary & column_kept
    read = row_read & column_kept
    dest = np.where(primary, (signed_u % size) * (size // 2 + 1) + v, -1).astype(np.int64)
    return dest, read


def crop_counts(alive: IntArray, grid: int, size: int) -> tuple[IntArray, BoolArray]:
    """Push ``alive`` (for each tracked bin, its index on the current ``grid`` or −1) through a
    crop to ``size``; returns the new indices and which tracked bins the crop reads."""
    dest, read = crop_map(grid, size)
    live = alive >= 0
    safe = np.where(live, alive, 0)
    return np.where(live, dest[safe], -1), live & read[safe]


def sinc_projection_macs(grid: int, kernel: int) -> int:
    """Complex MACs to project one kernel's N×N weight gradient (N = ``grid``) onto its k×k
    support and interpolate it back to the N×(N/2+1) half-spectrum (k = ``kernel``), as
    separable products with the N×k Dirichlet matrix A (``fdsim.nn.sinc``):

    1. ``U = Aᴴ·G``, k×N, for the N/2+1 stored columns only (U inherits G's Hermitian pairing,
       U[p, −v] = conj(U[−p, v])): k·N·(N/2+1);
    2. ``P = U·conj(A)`` scaled by k²/N² (folded into A), only its k×(k//2+1) stored bins
       (P is a real kernel's spectrum), each summing N columns: k·(k//2+1)·N;
    3. ``V = P·Aᵀ`` for the N/2+1 stored output columns: k·k·(N/2+1);
    4. ``W = A·V``, all N rows of those columns: N·k·(N/2+1).
    """
    n, k = grid, kernel
    half_n = n // 2 + 1
    return k * n * half_n + k * (k // 2 + 1) * n + k * k * half_n + n * k * half_n
