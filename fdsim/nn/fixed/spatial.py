"""Bit-true spatial elementwise ops and pooling for the hybrid path (iFFT → op → FFT) and for
feature vectors (polynomial activations, selecting pools — max, min, median —, the mean of
the k largest, average and mixed pooling, their backward passes), and the kernel-support
projection of weight gradients.

Each output value is rounded at most once (fused :func:`~fdsim.nn.fixed.linear_combination`);
a selecting pool is exact; a window's sum is exact before its one rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed.cmac import CmacPattern, cmac_reduce
from fdsim.nn.fixed.combine import linear_combination, power_of_two, quantize_coefficient
from fdsim.nn.fixed.mirror import half_to_full_parts
from fdsim.nn.fixed.products import multiply_parts
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat
from fdsim.nn.sinc import dirichlet_matrix
from fdsim.spec.numerics import QFormat


def polynomial_fixed(
    x: FixedTensor,
    coefficients: tuple[FixedTensor, ...],
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """``c0 + c1·x + c2·x²`` elementwise, one rounding to ``x``'s layout."""
    c0, c1, c2 = coefficients
    square = _square(x)
    ones = FixedTensor(np.ones(x.shape, dtype=np.int64), power_of_two(0).fmt, 0)
    return linear_combination([(c0, ones), (c1, x), (c2, square)], x.layout, counter, site)


def polynomial_backward_fixed(
    g: FixedTensor,
    x: FixedTensor,
    c1: FixedTensor,
    two_c2: FixedTensor,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """``g·(c1 + 2·c2·x)`` elementwise, one rounding to ``g``'s layout."""
    product = _product(g, x)
    return linear_combination([(c1, g), (two_c2, product)], g.layout, counter, site)


Select = Callable[[npt.NDArray[Any]], npt.NDArray[np.int64]]
"""A picking pool's choice: for windows flattened row-major on the last axis, the indices of
the k elements each keeps, on a new last axis (max pooling: k = 1, the first maximum)."""


def selection_pool_fixed(x: FixedTensor, windows: PoolWindows, select: Select) -> FixedTensor:
    """The element ``select`` picks (k = 1) in each window: a selection, exact, same layout,
    of real spatial values."""
    if x.is_complex:
        raise ValueError("a selecting pool needs real spatial values, got a complex tensor")
    return _picked_sums(x, windows, select)[0]


def selection_pool_backward_fixed(
    g: FixedTensor,
    x: FixedTensor,
    windows: PoolWindows,
    select: Select,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """Each window's gradient to the input ``select`` picks; overlapping windows add exactly
    and the sum is fitted to ``g``'s format."""
    routed, _ = _routed(g, x, windows, select)
    return linear_combination([(power_of_two(0), routed)], g.layout, counter, site)


def _picked_sums(x: FixedTensor, windows: PoolWindows, select: Select) -> tuple[FixedTensor, int]:
    """The exact sum of the k elements ``select`` picks in each window (in a word wide
    enough; for k = 1 the picked value in ``x``'s format), and k."""
    values = x.parts[0]
    out = np.zeros((*values.shape[:-2], windows.out_size, windows.out_size), dtype=np.int64)
    k = 1
    for r, c, block in _window_blocks(values, windows):
        flat = block.reshape(*block.shape[:-2], -1)
        picked = select(flat)
        k = picked.shape[-1]
        out[..., r, c] = np.take_along_axis(flat, picked, axis=-1).sum(axis=-1)
    return FixedTensor(out, _widened(x.fmt, int(k - 1).bit_length()), x.exponent), k


def _routed(
    g: FixedTensor, x: FixedTensor, windows: PoolWindows, select: Select
) -> tuple[FixedTensor, int]:
    """Each window's gradient at each of the k inputs ``select`` picks, summed exactly where
    windows overlap (in a word wide enough), and k."""
    values, grads = x.parts[0], g.parts[0]
    dx = np.zeros(values.shape, dtype=np.int64)
    lead = tuple(np.indices(values.shape[:-2])[..., None])  # broadcast over the k picks
    k = 1
    for r, c, block in _window_blocks(values, windows):
        picked = select(block.reshape(*block.shape[:-2], -1))
        k = picked.shape[-1]
        rows, cols = np.divmod(picked, block.shape[-1])
        where = (*lead, windows.starts[r] + rows, windows.starts[c] + cols)
        np.add.at(dx, where, grads[..., r, c, None])
    return FixedTensor(dx, _widened(g.fmt, _overlap_bits(windows)), g.exponent), k


def _window_blocks(
    values: npt.NDArray[np.int64], windows: PoolWindows
) -> Iterator[tuple[int, int, npt.NDArray[np.int64]]]:
    """Each output position ``(r, c)`` with its window of ``values`` (last two axes)."""
    for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
        for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            yield r, c, values[..., r0:r1, c0:c1]


def avg_pool_fixed(
    x: FixedTensor,
    windows: PoolWindows,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """Mean of each window: the exact window sum times ``1/area`` (a power of two is exact,
    otherwise a coefficient in ``coefficient_fmt``), one rounding to ``x``'s layout."""
    summed, area = _window_sums(x, windows)
    scale = _reciprocal(area, coefficient_fmt, counter, site)
    return linear_combination([(scale, summed)], x.layout, counter, site)


def avg_pool_backward_fixed(
    g: FixedTensor,
    windows: PoolWindows,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """Each window's gradient spread evenly: exact sums of the windows covering an input, times
    ``1/area``, one rounding to ``g``'s layout."""
    spread, area = _spread_sums(g, windows)
    scale = _reciprocal(area, coefficient_fmt, counter, site)
    return linear_combination([(scale, spread)], g.layout, counter, site)


def mixed_pool_fixed(
    x: FixedTensor,
    windows: PoolWindows,
    select: Select,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """``½·max + ½·mean`` of each window (``select`` names the maximum): the selected value
    and the exact window sum, times ½ and ``1/(2·area)``, one rounding to ``x``'s layout."""
    selected = selection_pool_fixed(x, windows, select)
    summed, area = _window_sums(x, windows)
    scale = _reciprocal(2 * area, coefficient_fmt, counter, site)
    return linear_combination(
        [(power_of_two(-1), selected), (scale, summed)], x.layout, counter, site
    )


def mixed_pool_backward_fixed(
    g: FixedTensor,
    x: FixedTensor,
    windows: PoolWindows,
    select: Select,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """The adjoint of :func:`mixed_pool_fixed`: ½ of each window's gradient to its selected
    input plus ``1/(2·area)`` of it to every input; exact sums, one rounding to ``g``'s
    layout."""
    selected, _ = _routed(g, x, windows, select)
    spread, area = _spread_sums(g, windows)
    scale = _reciprocal(2 * area, coefficient_fmt, counter, site)
    return linear_combination(
        [(power_of_two(-1), selected), (scale, spread)], g.layout, counter, site
    )


def top_pool_fixed(
    x: FixedTensor,
    windows: PoolWindows,
    select: Select,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """The mean of the k elements ``select`` picks in each window: the exact sum times
    ``1/k``, one rounding to ``x``'s layout."""
    summed, k = _picked_sums(x, windows, select)
    scale = _reciprocal(k, coefficient_fmt, counter, site)
    return linear_combination([(scale, summed)], x.layout, counter, site)


def top_pool_backward_fixed(
    g: FixedTensor,
    x: FixedTensor,
    windows: PoolWindows,
    select: Select,
    coefficient_fmt: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """The adjoint of :func:`top_pool_fixed`: ``1/k`` of each window's gradient to each of
    its k picked inputs; exact sums, one rounding to ``g``'s layout."""
    routed, k = _routed(g, x, windows, select)
    scale = _reciprocal(k, coefficient_fmt, counter, site)
    return linear_combination([(scale, routed)], g.layout, counter, site)


def _window_sums(x: FixedTensor, windows: PoolWindows) -> tuple[FixedTensor, int]:
    """The exact sum of each window (in a word wide enough) and the windows' one area."""
    values = x.parts[0]
    out = np.zeros((*values.shape[:-2], windows.out_size, windows.out_size), dtype=np.int64)
    for r, c, block in _window_blocks(values, windows):
        out[..., r, c] = block.sum(axis=(-2, -1))
    area = _one_area(windows)
    return FixedTensor(out, _widened(x.fmt, int(area - 1).bit_length()), x.exponent), area


def _spread_sums(g: FixedTensor, windows: PoolWindows) -> tuple[FixedTensor, int]:
    """For each input, the exact sum of the gradients of the windows covering it, and the
    windows' one area."""
    grads = g.parts[0]
    size = windows.in_size
    dx = np.zeros((*grads.shape[:-2], size, size), dtype=np.int64)
    for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
        for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            dx[..., r0:r1, c0:c1] += grads[..., r, c, None, None]
    area = _one_area(windows)
    return FixedTensor(dx, _widened(g.fmt, _overlap_bits(windows)), g.exponent), area


def _one_area(windows: PoolWindows) -> int:
    sides = {stop - start for start, stop in zip(windows.starts, windows.stops, strict=True)}
    if len(sides) != 1:
        raise ValueError("bit-true average pooling needs windows of one area")
    return sides.pop() ** 2


def _reciprocal(
    area: int, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    if area & (area - 1) == 0:
        return power_of_two(-(area.bit_length() - 1))
    return quantize_coefficient(1.0 / area, fmt, counter, site.child("coefficient"))


def _overlap_bits(windows: PoolWindows) -> int:
    """Extra bits a sum over the windows covering one input needs."""
    cover = max(
        sum(1 for s, e in zip(windows.starts, windows.stops, strict=True) if s <= i < e)
        for i in range(windows.in_size)
    )
    return int(cover * cover - 1).bit_length()


def _widened(fmt: QFormat, extra_bits: int) -> QFormat:
    """``fmt`` with ``extra_bits`` more integer bits (an exact sum's word)."""
    return fmt.model_copy(update={"total_bits": fmt.total_bits + extra_bits})


def _square(x: FixedTensor) -> FixedTensor:
    return _product(x, x)


def _product(a: FixedTensor, b: FixedTensor) -> FixedTensor:
    """The exact elementwise product as a tensor in a word wide enough to hold it."""
    width = a.fmt.total_bits + b.fmt.total_bits
    (values,) = multiply_parts(a.parts, b.parts, False, width)
    fmt = QFormat(total_bits=width, fraction_bits=a.fmt.fraction_bits + b.fmt.fraction_bits)
    return FixedTensor(values, fmt, a.exponent + b.exponent)


def kernel_projection_fixed(
    dw: FixedTensor,
    kernel: int,
    matrix_fmt: QFormat,
    numerics: ReductionNumerics,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Weight-gradient half-spectra ``(out, in, N, N//2+1)`` projected onto the k×k kernel
    support, ``P·G·Q`` on full spectra with ``P = (k/N)·A·Aᴴ`` and ``Q = (k/N)·conj(A)·Aᵀ``
    (``A`` the Dirichlet matrix of :mod:`fdsim.nn.sinc`; this equals
    ``sinc_interpolate(sinc_project(G, k), N)``). Both N×N matrices are held in ``matrix_fmt``
    (the twiddle ROM's format, at the exponent that fits them); the row product, then the
    column product, each run through the CMAC accumulator datapath and round to ``dw``'s
    layout (the column product to ``out`` when given)."""
    n = dw.shape[-2]
    a = dirichlet_matrix(n, kernel)
    p = (kernel / n) * (a @ a.conj().T)
    q = (kernel / n) * (a.conj() @ a.T)
    lead = dw.shape[:-2]
    maps = int(np.prod(lead))
    re, im = half_to_full_parts(dw.parts, n)
    # Rows: T[m, u, v] = Σ_u' P[u, u']·G[m, u', v], as the CMAC's forward pattern
    # Y[b, o] = Σ_i X[b, i]·conj(W[o, i]) with b = (m, v), i = u', o = u, W = conj(P).
    rows_in = _complex_tensor(
        re.reshape(maps, n, n).transpose(0, 2, 1).reshape(maps * n, n),
        im.reshape(maps, n, n).transpose(0, 2, 1).reshape(maps * n, n),
        dw,
    )
    rows = cmac_reduce(
        rows_in,
        _matrix(np.conj(p), matrix_fmt, counter, site),
        CmacPattern.FORWARD,
        numerics,
        dw.layout,
        counter,
        site.child("rows"),
    )
    # Columns: G'[m, u, v] = Σ_v' T[m, u, v']·Q[v', v] for the stored half v ≤ N/2:
    # b = (m, u), i = v', o = v, W[v, v'] = conj(Q[v', v]).
    half = n // 2 + 1
    t_re, t_im = (part.reshape(maps, n, n).transpose(0, 2, 1) for part in rows.parts)
    columns_in = _complex_tensor(t_re.reshape(maps * n, n), t_im.reshape(maps * n, n), rows)
    columns = cmac_reduce(
        columns_in,
        _matrix(np.conj(q.T[:half]), matrix_fmt, counter, site),
        CmacPattern.FORWARD,
        numerics,
        out or dw.layout,
        counter,
        site.child("columns"),
    )
    out_re, out_im = (part.reshape(*lead, n, half) for part in columns.parts)
    return _complex_tensor(out_re, out_im, columns)


def _complex_tensor(re: np.ndarray, im: np.ndarray, like: FixedTensor) -> FixedTensor:
    return FixedTensor.from_parts((np.ascontiguousarray(re), np.ascontiguousarray(im)), like.layout)


def _matrix(
    values: np.ndarray, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    """A constant complex matrix quantised to ``fmt`` at the exponent that holds it. The
    float64 matrix products leave ±1 ulp on entries that are exactly 0 or k/N, which a
    truncating format would round down by one LSB (and which depends on the BLAS build):
    values are snapped to a 2^-48 grid first (16 ulps of the entries' magnitudes, ≤ 1; the
    product's noise is a few ulps), finer than any format whose products fit int64."""
    values = np.round(values * 2.0**48) / 2.0**48
    largest = float(max(np.abs(values.real).max(), np.abs(values.imag).max()))
    integer_bits = fmt.total_bits - fmt.fraction_bits - 1
    exponent = int(np.ceil(np.log2(largest))) - integer_bits + 1 if largest > 0 else 0
    layout = TensorFormat(fmt, exponent)
    return FixedTensor.from_float(values, layout, counter, site.child("matrix"))
