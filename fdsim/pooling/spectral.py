"""Spectral pooling and its adjoint on spatial NCHW maps (Rippel et al. 2015; pooling.md §2.2–2.4).

``spectral_pool2d`` is the separable, amplitude-preserving crop ``Y = (HW/MN)·C_H·X·C_Wᵀ`` of the
unnormalised 2-D DFT of each M×N map, followed by an inverse DFT of size H×W. ``C_L`` keeps the
frequencies ``|k| < L/2``; for even ``L`` smaller than the input length the output Nyquist bin
receives ``w·X[L/2] + w·X[−L/2]`` with ``w`` from :class:`fdsim.nn.crop.NyquistMode` (½ average,
1 sum, 0 drop). Odd sizes need no convention and equal sizes are the identity. It is exactly the
accelerator's half-spectrum kernel :func:`fdsim.nn.crop.spectral_crop` read in the spatial domain,
generalised to any M×N and any H×W ≤ M×N. torch has no such operator.

The backward is the adjoint: ``FFT_M(Sᵀg) = Cᵀ·FFT_H(g)`` (zero-padding, the Nyquist gradient
split as ``w`` to both bins ±L/2, no scale factor). ``spectral_upsample2d`` is the
amplitude-preserving inverse direction ``U = (MN/HW)·Sᵀ``, so ``Sᵀ = (HW/MN)·U``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.nn.crop import NyquistMode, nyquist_weight
from fdsim.pooling.args import as_maps, as_pair

Array = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]


def _mode(nyquist: NyquistMode | str, op: str) -> NyquistMode:
    try:
        return NyquistMode(nyquist)
    except ValueError:
        names = ", ".join(m.value for m in NyquistMode)
        raise ValueError(f"{op}: nyquist must be one of {names}, got {nyquist!r}") from None


def _crop_axis(spec: ComplexArray, out: int, weight: float, axis: int) -> ComplexArray:
    """``C_out`` applied along ``axis`` of a full spectrum of length ``m >= out`` (no scale)."""
    m = spec.shape[axis]
    if out == m:
        return spec
    keep = (out - 1) // 2  # frequencies 0..keep and -keep..-1 pass unchanged
    src = np.moveaxis(spec, axis, -1)
    dst = np.zeros((*src.shape[:-1], out), dtype=np.complex128)
    dst[..., : keep + 1] = src[..., : keep + 1]
    if keep > 0:
        dst[..., out - keep :] = src[..., m - keep :]
    if out % 2 == 0:
        dst[..., out // 2] = weight * (src[..., out // 2] + src[..., m - out // 2])
    return np.moveaxis(dst, -1, axis)


def _pad_axis(spec: ComplexArray, size: int, weight: float, axis: int) -> ComplexArray:
    """``C_outᵀ`` along ``axis``: zero-pad a length-``out`` spectrum to ``size`` (the adjoint of
    :func:`_crop_axis`; the Nyquist bin is copied with weight ``w`` to both ±out/2)."""
    out = spec.shape[axis]
    if out == size:
        return spec
    keep = (out - 1) // 2
    src = np.moveaxis(spec, axis, -1)
    dst = np.zeros((*src.shape[:-1], size), dtype=np.complex128)
    dst[..., : keep + 1] = src[..., : keep + 1]
    if keep > 0:
        dst[..., size - keep :] = src[..., out - keep :]
    if out % 2 == 0:
        dst[..., out // 2] = weight * src[..., out // 2]
        dst[..., size - out // 2] = weight * src[..., out // 2]
    return np.moveaxis(dst, -1, axis)


def _check_down(small: tuple[int, int], big: tuple[int, int], op: str, name: str) -> None:
    if small[0] > big[0] or small[1] > big[1]:
        raise ValueError(f"{op}: {name} {small} exceeds the input size {big}")


def spectral_pool2d(
    input: npt.ArrayLike,
    output_size: int | tuple[int, int],
    nyquist: NyquistMode | str = NyquistMode.AVERAGE,
) -> Array:
    """Spectral pooling of (N,C,M,N') or (C,M,N') maps to ``output_size`` (int or (H, W)).

    Real output, mean preserved, identity at equal size; ``nyquist`` ('average', 'sum', 'drop')
    only matters for an even output length smaller than the input length.
    """
    op = "spectral_pool2d"
    x = as_maps(op, input)
    h, w = as_pair(op, "output_size", output_size, minimum=1)
    m, n = x.shape[-2:]
    _check_down((h, w), (m, n), op, "output_size")
    weight = nyquist_weight(_mode(nyquist, op))
    spec = np.fft.fft2(x)
    spec = _crop_axis(_crop_axis(spec, h, weight, -2), w, weight, -1)
    # The weighted crop keeps Y Hermitian, so the imaginary part is rounding noise only.
    return np.asarray(np.fft.ifft2(spec).real * (h * w) / (m * n), dtype=np.float64)


def spectral_pool2d_backward(
    grad_output: npt.ArrayLike,
    input_size: int | tuple[int, int],
    nyquist: NyquistMode | str = NyquistMode.AVERAGE,
) -> Array:
    """Input gradient ``Sᵀg`` of :func:`spectral_pool2d` (exact adjoint), given the gradient of
    the H×W output and the M×N ``input_size`` (only the map size is saved from the forward)."""
    op = "spectral_pool2d_backward"
    g = as_maps(op, grad_output)
    m, n = as_pair(op, "input_size", input_size, minimum=1)
    _check_down(g.shape[-2:], (m, n), op, "grad_output size")
    weight = nyquist_weight(_mode(nyquist, op))
    spec = np.fft.fft2(g)
    spec = _pad_axis(_pad_axis(spec, m, weight, -2), n, weight, -1)
    return np.asarray(np.fft.ifft2(spec).real, dtype=np.float64)


def spectral_upsample2d(
    input: npt.ArrayLike,
    output_size: int | tuple[int, int],
    nyquist: NyquistMode | str = NyquistMode.AVERAGE,
) -> Array:
    """Amplitude-preserving spectral (band-limited) upsampling H×W → ``output_size`` M×N:
    ``(MN/HW)·spectral_pool2d_backward``. Constants stay constants, and for odd H, W
    ``spectral_pool2d(spectral_upsample2d(y)) == y`` (an even size scales the Nyquist bin by
    2w², pooling.md §2.2). torch has no such operator."""
    op = "spectral_upsample2d"
    y = as_maps(op, input)
    m, n = as_pair(op, "output_size", output_size, minimum=1)
    h, w = y.shape[-2:]
    if h > m or w > n:
        raise ValueError(f"{op}: output_size {(m, n)} is smaller than the input size {(h, w)}")
    _mode(nyquist, op)
    scale = (m * n) / (h * w)
    return np.asarray(spectral_pool2d_backward(y, (m, n), nyquist) * scale, dtype=np.float64)


def spectral_upsample2d_backward(
    grad_output: npt.ArrayLike,
    input_size: int | tuple[int, int],
    nyquist: NyquistMode | str = NyquistMode.AVERAGE,
) -> Array:
    """Input gradient of :func:`spectral_upsample2d`: ``(MN/HW)·spectral_pool2d(g)``."""
    op = "spectral_upsample2d_backward"
    g = as_maps(op, grad_output)
    h, w = as_pair(op, "input_size", input_size, minimum=1)
    m, n = g.shape[-2:]
    _check_down((h, w), (m, n), op, "input_size")
    scale = (m * n) / (h * w)
    return np.asarray(spectral_pool2d(g, (h, w), nyquist) * scale, dtype=np.float64)
