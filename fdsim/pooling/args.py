"""Argument checks shared by the pooling library's operators: the int-or-pair normalisation torch
applies to ``kernel_size``/``stride``/… and the input-rank checks, each raising a one-line
:class:`ValueError` that names the operator and the argument."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
IntPair = int | tuple[int, int]


def as_pair(
    op: str, name: str, value: IntPair | list[int], *, minimum: int | None = None
) -> tuple[int, int]:
    """``value`` as an (h, w) pair of ints, each ≥ ``minimum`` when one is given (an int
    applies to both axes, as torch)."""
    if isinstance(value, bool):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int | np.integer):
        pair = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) == 2:
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if minimum is not None and min(pair) < minimum:
        bound = "positive" if minimum == 1 else f"at least {minimum}"
        shown = pair[0] if pair[0] == pair[1] else pair
        raise ValueError(f"{op}: {name} must be {bound}, got {shown}")
    return pair


def as_nchw(op: str, name: str, array: npt.ArrayLike) -> Array:
    """``array`` as a float64 (N, C, H, W) array."""
    out: npt.NDArray[Any] = np.asarray(array, dtype=np.float64)
    if out.ndim != 4:
        raise ValueError(f"{op}: {name} must be 4-D (N, C, H, W), got shape {out.shape}")
    return out


def as_maps(op: str, array: npt.ArrayLike) -> Array:
    """``array`` as float64 maps, (C, H, W) or (N, C, H, W)."""
    out: npt.NDArray[Any] = np.asarray(array, dtype=np.float64)
    if out.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be 3-D (C,H,W) or 4-D (N,C,H,W), got shape {out.shape}")
    return out
