"""Stochastic pooling (Zeiler & Fergus, ICLR 2013; pooling.md §5.8), an fdsim extension (torch
has none): in training one activation per window is sampled with probability proportional to
its value; at test time the probability-weighted average ``Σa²/Σa`` is returned."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from fdsim.pooling.windows import (
    Array,
    Geometry,
    IntArray,
    Size,
    check_grad,
    check_input,
    flat_indices,
    geometry,
    scatter,
    scatter_indices,
    windows,
)


def _checked(
    input: npt.ArrayLike, kernel_size: Size, stride: Size | None, op: str
) -> tuple[Array, Geometry]:
    x = check_input(input, op)
    # The method needs activations a >= 0 (post-ReLU) to read them as probabilities.
    if np.any(x < 0) or np.any(np.isnan(x)):
        raise ValueError(f"{op}: input must be non-negative (post-ReLU activations)")
    return x, geometry(op, x.shape, kernel_size, stride)


def _sample_taps(view: Array, seed: int | np.random.Generator) -> IntArray:
    """One row-major tap per window drawn with probability a_i/Σa (inverse-CDF sampling with
    one uniform per window); an all-zero window takes its first tap."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    flat = view.reshape(*view.shape[:4], -1)
    cdf = np.cumsum(flat, axis=-1)
    total = cdf[..., -1]
    u = rng.random(total.shape) * total
    # The chosen tap is the first whose cumulative sum exceeds u, so zero cells are never drawn.
    tap = np.minimum((cdf <= u[..., None]).sum(axis=-1), flat.shape[-1] - 1)
    return np.where(total > 0, tap, 0).astype(np.int64)


@overload
def stochastic_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    training: bool = ...,
    seed: int | np.random.Generator = ...,
    return_indices: Literal[False] = ...,
) -> Array: ...


@overload
def stochastic_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    training: bool = ...,
    seed: int | np.random.Generator = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Array, IntArray]: ...


@overload
def stochastic_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = ...,
    training: bool = ...,
    seed: int | np.random.Generator = ...,
    return_indices: bool = ...,
) -> Array | tuple[Array, IntArray]: ...


def stochastic_pool2d(
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    training: bool = True,
    seed: int | np.random.Generator = 0,
    return_indices: bool = False,
) -> Array | tuple[Array, IntArray]:
    """Stochastic pooling of a non-negative input. ``training``: each window outputs one of its
    values, drawn with probability ``a_i/Σa`` from ``np.random.default_rng(seed)`` (or the given
    Generator); ``return_indices`` adds the flat plane index of each draw, which the backward
    needs. Test mode: ``Σa²/Σa``. An all-zero window outputs 0 in both modes (in training its
    index is its first cell). Windows lie inside the input (no padding)."""
    op = "stochastic_pool2d"
    x, g = _checked(input, kernel_size, stride, op)
    view = windows(x, g)
    if training:
        tap = _sample_taps(view, seed)
        flat = view.reshape(*view.shape[:4], -1)
        out = np.take_along_axis(flat, tap[..., None], axis=-1)[..., 0]
        return (out, flat_indices(g, tap)) if return_indices else out
    if return_indices:
        raise ValueError(f"{op}: return_indices requires training=True")
    total = view.sum(axis=(-2, -1))
    safe = np.where(total > 0, total, 1.0)
    result: Array = (view**2).sum(axis=(-2, -1)) / safe
    return result


def stochastic_pool2d_backward(
    grad_output: npt.ArrayLike,
    input: npt.ArrayLike,
    kernel_size: Size,
    stride: Size | None = None,
    training: bool = True,
    indices: npt.ArrayLike | None = None,
) -> Array:
    """Gradient of :func:`stochastic_pool2d` wrt its input. Training: routed to the sampled
    cells, given as the ``indices`` the forward returned. Test: the derivative of ``Σa²/Σa``,
    ``(2a_i − s)/Σa`` per tap (zero for an all-zero window)."""
    op = "stochastic_pool2d_backward"
    x, g = _checked(input, kernel_size, stride, op)
    grad = check_grad(grad_output, (*x.shape[:2], *g.out_size), op)
    if training:
        if indices is None:
            raise ValueError(
                f"{op}: indices (from the forward's return_indices) are required in training"
            )
        return scatter_indices(grad, np.asarray(indices, dtype=np.int64), x.shape, op)
    view = windows(x, g)
    total = view.sum(axis=(-2, -1), keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    s = (view**2).sum(axis=(-2, -1), keepdims=True) / safe
    return scatter(grad[..., None, None] * (2.0 * view - s) / safe, g)
