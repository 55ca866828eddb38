"""Approximated-spatial-mask (ASM) max pooling (Ehrlich & Davis 2019; pooling.md §4, seed 000).

The "local maximum mask" of each k×k window is taken from a **low-frequency reconstruction** x̃
of the map, and then applied to the **true** values and window-summed, so each output is the true
value at the position that x̃ ranks highest. With the full basis x̃ = x and the operator is exact
max pooling; with fewer frequencies it is what a transform-domain accelerator can afford.

Frequency rules (``n_frequencies = n >= 0``):

* ``basis="dct"``: per ``block_size``×``block_size`` block (JPEG-style, default 8), the orthonormal
  DCT-II coefficients ``D[α, β]`` with ``α + β <= n`` are kept — exactly seed 000's ``almm``,
  whose loop keeps ``i + j <= n_freqs`` for n = 0…14. n = 0 keeps the DC only, so x̃ is constant
  per block, every window ties and (first maximum, row-major, as ``np.argmax`` in the seed) the
  top-left pixel is chosen: plain decimation. n >= 2·(block_size − 1) is the full basis.
* ``basis="dft"``: over the whole map (the accelerator's spectrum), the bins (k, l) with
  ``min(k, M−k) + min(l, N−l) <= n`` (circular |k| + |l|) are kept; the set is closed under
  k → −k, so x̃ is real. n = 0 is again the DC only; n >= M//2 + N//2 is the full basis.

Windows are non-overlapping (stride = kernel_size, no padding, floor mode as torch's default);
trailing rows/columns that do not fill a window are ignored. Indices are flat positions in the
H·W plane, as torch's ``return_indices``. torch has no such operator.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from fdsim.pooling.args import as_maps, as_pair

Array = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
Basis = Literal["dct", "dft"]


def dct_matrix(size: int) -> Array:
    """Orthonormal DCT-II matrix ``D[α, i] = √(2/N)·A(α)·cos((2i+1)απ/2N)``, A(0) = 1/√2."""
    alpha = np.arange(size)[:, None]
    i = np.arange(size)[None, :]
    scale = np.where(alpha == 0, np.sqrt(1.0 / size), np.sqrt(2.0 / size))
    return np.asarray(scale * np.cos((2 * i + 1) * alpha * np.pi / (2 * size)), dtype=np.float64)


def asm_full_frequencies(shape: tuple[int, int], basis: Basis = "dct", block_size: int = 8) -> int:
    """Smallest ``n_frequencies`` that keeps the whole basis for maps of ``shape`` (H, W)."""
    if basis == "dct":
        return 2 * (block_size - 1)
    return shape[0] // 2 + shape[1] // 2


def asm_lowpass2d(
    input: npt.ArrayLike, n_frequencies: int, basis: Basis = "dct", block_size: int = 8
) -> Array:
    """The low-frequency reconstruction x̃ the mask is computed from (rules in the module doc).

    It is an orthogonal projection, so its backward is itself (:func:`asm_lowpass2d_backward`).
    """
    return _lowpass(
        as_maps("asm_lowpass2d", input), n_frequencies, basis, block_size, "asm_lowpass2d"
    )


def _lowpass(x: Array, n_frequencies: int, basis: Basis, block_size: int, op: str) -> Array:
    _check_common(x, n_frequencies, basis, block_size, op)
    if n_frequencies >= asm_full_frequencies(x.shape[-2:], basis, block_size):
        # The full basis reconstructs x exactly; skipping the round trip keeps exact ties tied.
        return x.copy()
    if basis == "dft":
        m, n = x.shape[-2:]
        k = np.minimum(np.arange(m), m - np.arange(m))[:, None]
        ell = np.minimum(np.arange(n), n - np.arange(n))[None, :]
        keep = (k + ell) <= n_frequencies
        return np.asarray(np.fft.ifft2(np.fft.fft2(x) * keep).real, dtype=np.float64)
    b = block_size
    d = dct_matrix(b)
    hb, wb = x.shape[-2] // b, x.shape[-1] // b
    blocks = x.reshape(*x.shape[:-2], hb, b, wb, b)
    coeff = np.einsum("ai,...pirj,bj->...parb", d, blocks, d)
    alpha = np.arange(b)
    keep_dct = (alpha[:, None] + alpha[None, :]) <= n_frequencies
    coeff = coeff * keep_dct[:, None, :]
    approx = np.einsum("ai,...parb,bj->...pirj", d, coeff, d)
    return np.asarray(approx.reshape(x.shape), dtype=np.float64)


def asm_lowpass2d_backward(
    grad_output: npt.ArrayLike, n_frequencies: int, basis: Basis = "dct", block_size: int = 8
) -> Array:
    """Input gradient of :func:`asm_lowpass2d`: the same (self-adjoint) projection of g."""
    return asm_lowpass2d(grad_output, n_frequencies, basis, block_size)


@overload
def asm_max_pool2d(
    input: npt.ArrayLike,
    kernel_size: int | tuple[int, int] = ...,
    *,
    n_frequencies: int,
    basis: Basis = ...,
    block_size: int = ...,
    return_indices: Literal[False] = ...,
) -> Array: ...


@overload
def asm_max_pool2d(
    input: npt.ArrayLike,
    kernel_size: int | tuple[int, int] = ...,
    *,
    n_frequencies: int,
    basis: Basis = ...,
    block_size: int = ...,
    return_indices: Literal[True],
) -> tuple[Array, IndexArray]: ...


def asm_max_pool2d(
    input: npt.ArrayLike,
    kernel_size: int | tuple[int, int] = 2,
    *,
    n_frequencies: int,
    basis: Basis = "dct",
    block_size: int = 8,
    return_indices: bool = False,
) -> Array | tuple[Array, IndexArray]:
    """ASM max pooling of (N,C,H,W) or (C,H,W) maps: per window, the true value at the argmax of
    the ``n_frequencies`` reconstruction (module doc). With ``return_indices`` also the flat
    H·W positions chosen (what :func:`asm_max_pool2d_backward` needs)."""
    op = "asm_max_pool2d"
    x = as_maps(op, input)
    kh, kw = as_pair(op, "kernel_size", kernel_size, minimum=1)
    if kh > x.shape[-2] or kw > x.shape[-1]:
        raise ValueError(f"{op}: kernel_size {(kh, kw)} exceeds the input size {x.shape[-2:]}")
    approx = _lowpass(x, n_frequencies, basis, block_size, op)
    indices = _window_argmax(approx, kh, kw)
    flat = x.reshape(*x.shape[:-2], -1)
    out = np.take_along_axis(flat, indices.reshape(*x.shape[:-2], -1), axis=-1)
    out = out.reshape(indices.shape)
    return (out, indices) if return_indices else out


def asm_max_pool2d_backward(
    grad_output: npt.ArrayLike, indices: npt.ArrayLike, input_size: tuple[int, int]
) -> Array:
    """Input gradient of :func:`asm_max_pool2d`: the mask is a stop-gradient (piecewise constant
    in the input), so each output gradient goes to its chosen position ``indices`` (flat in the
    H×W ``input_size`` plane); every other input gets 0."""
    op = "asm_max_pool2d_backward"
    g = as_maps(op, grad_output)
    idx = np.asarray(indices, dtype=np.int64)
    if idx.shape != g.shape:
        raise ValueError(f"{op}: indices shape {idx.shape} differs from grad_output {g.shape}")
    h, w = as_pair(op, "input_size", input_size, minimum=1)
    batch = int(np.prod(g.shape[:-2]))
    grad = np.zeros((batch, h * w))
    # Windows do not overlap, but add (not assign) so the rule stays right if they ever do.
    np.add.at(grad, (np.arange(batch)[:, None], idx.reshape(batch, -1)), g.reshape(batch, -1))
    return grad.reshape(*g.shape[:-2], h, w)


def _window_argmax(approx: Array, kh: int, kw: int) -> IndexArray:
    """Flat H·W index of the first maximum (row-major within the window) of each k×k window."""
    h, w = approx.shape[-2:]
    oh, ow = h // kh, w // kw
    windows = approx[..., : oh * kh, : ow * kw].reshape(*approx.shape[:-2], oh, kh, ow, kw)
    windows = np.moveaxis(windows, -3, -2).reshape(*approx.shape[:-2], oh, ow, kh * kw)
    local = np.argmax(windows, axis=-1)
    rows = np.arange(oh)[:, None] * kh + local // kw
    cols = np.arange(ow)[None, :] * kw + local % kw
    return np.asarray(rows * w + cols, dtype=np.int64)


def _check_common(x: Array, n_frequencies: int, basis: str, block_size: int, op: str) -> None:
    if basis not in ("dct", "dft"):
        raise ValueError(f"{op}: basis must be 'dct' or 'dft', got {basis!r}")
    if int(n_frequencies) < 0:
        raise ValueError(f"{op}: n_frequencies must be >= 0, got {n_frequencies}")
    if basis == "dct":
        if block_size < 1:
            raise ValueError(f"{op}: block_size must be positive, got {block_size}")
        if x.shape[-2] % block_size or x.shape[-1] % block_size:
            raise ValueError(
                f"{op}: the map size {x.shape[-2:]} must be a multiple of block_size {block_size}"
            )
