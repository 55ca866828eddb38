"""Spatial ops of the hybrid path (ReLU, max/average pooling, polynomial activation, their
backward passes) and the kernel-support projection: bit for bit and event for event against
the plain-Python scalar model of :mod:`fixed_spatial_model`, over signed and unsigned formats
and every rounding and overflow mode."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from fixed_scalar_model import Events, store
from fixed_spatial_model import (
    avg_pool,
    avg_pool_backward,
    max_pool,
    max_pool_backward,
    polynomial,
    polynomial_backward,
    projection,
    quantize_matrix,
    relu,
    relu_backward,
)
from fixed_strategies import qformats, reduction_numerics, tensors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import Int64WidthError, OverflowCounter, OverflowSite
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed import (
    FixedTensor,
    TensorFormat,
    quantize_coefficient,
    relu_backward_fixed,
    relu_fixed,
)
from fdsim.nn.fixed.spatial import (
    avg_pool_backward_fixed,
    avg_pool_fixed,
    kernel_projection_fixed,
    polynomial_backward_fixed,
    polynomial_fixed,
    selection_pool_backward_fixed,
    selection_pool_fixed,
)
from fdsim.nn.sinc import dirichlet_matrix
from fdsim.operators.pool_max import MaxPool
from fdsim.spec.numerics import QFormat

FIRST_MAX = MaxPool(PoolWindows.sliding(1, 1, 1)).picks

SITE = OverflowSite("activations", "spatial")
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)


def layout_of(t: FixedTensor) -> tuple[object, int]:
    return t.fmt, t.exponent


@st.composite
def maps(draw: st.DrawFn, n: int) -> FixedTensor:
    """Real maps ``(batch, channels, n, n)`` in a signed or unsigned format."""
    lead = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    return draw(tensors((*lead, n, n), False, signed=None))


@st.composite
def windows(draw: st.DrawFn, size: int) -> PoolWindows:
    """Sliding, adaptive, or arbitrary (possibly overlapping, possibly uncovering) windows."""
    kind = draw(st.sampled_from(["sliding", "adaptive", "free", "free_equal"]))
    if kind == "sliding":
        kernel = draw(st.integers(1, size))
        return PoolWindows.sliding(size, kernel, draw(st.integers(1, size)))
    if kind == "adaptive":
        return PoolWindows.adaptive(size, draw(st.integers(1, size)))
    length = draw(st.integers(1, size))
    intervals = []
    for _ in range(draw(st.integers(1, 3))):
        width = length if kind == "free_equal" else draw(st.integers(1, size))
        start = draw(st.integers(0, size - width))
        intervals.append((start, start + width))
    return PoolWindows(size, tuple(a for a, _ in intervals), tuple(b for _, b in intervals))


def intervals(w: PoolWindows) -> list[tuple[int, int]]:
    return list(zip(w.starts, w.stops, strict=True))


@EXAMPLES
@given(data=st.data())
def test_relu_and_backward_match_scalar_model(data: st.DataObject) -> None:
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    x = data.draw(tensors(shape, False, signed=None))
    g = data.draw(tensors(shape, False, signed=None))
    y = relu_fixed(x)
    dx = relu_backward_fixed(g, x)
    assert y.parts[0].ravel().tolist() == relu(x.parts[0].ravel().tolist())
    assert dx.parts[0].ravel().tolist() == relu_backward(
        g.parts[0].ravel().tolist(), x.parts[0].ravel().tolist()
    )
    assert (layout_of(y), layout_of(dx)) == (layout_of(x), layout_of(g))
    assert (y.shape, dx.shape) == (shape, shape)


@EXAMPLES
@given(n=st.integers(1, 6), data=st.data())
def test_max_pool_and_backward_match_scalar_model(n: int, data: st.DataObject) -> None:
    x = data.draw(maps(n))
    w = data.draw(windows(n))
    m = w.out_size
    g = data.draw(tensors((*x.shape[:2], m, m), False, signed=None))
    counter = OverflowCounter()
    y = selection_pool_fixed(x, w, FIRST_MAX)
    dx = selection_pool_backward_fixed(g, x, w, FIRST_MAX, counter, SITE)
    events = Events()
    for lead in np.ndindex(x.shape[:2]):
        grid = x.parts[0][lead].tolist()
        assert y.parts[0][lead].tolist() == max_pool(grid, intervals(w))
        expected = max_pool_backward(g.parts[0][lead].tolist(), grid, intervals(w), g.fmt, events)
        assert dx.parts[0][lead].tolist() == expected
    assert counter.events() == events.count
    assert (layout_of(y), layout_of(dx)) == (layout_of(x), layout_of(g))


def test_max_pool_ties_go_to_the_first_maximum_row_major() -> None:
    fmt = QFormat(total_bits=8, fraction_bits=0)
    x = FixedTensor(np.array([[[[1, 5], [5, 5]]]], dtype=np.int64), fmt)
    g = FixedTensor(np.array([[[[3]]]], dtype=np.int64), fmt)
    dx = selection_pool_backward_fixed(
        g, x, PoolWindows.sliding(2, 2, 1), FIRST_MAX, OverflowCounter(), SITE
    )
    assert dx.parts[0].tolist() == [[[[0, 3], [0, 0]]]]


def reciprocal_of(area: int, coefficient_fmt: QFormat, events: Events) -> Fraction:
    """The stored ``1/area``: exact for a power of two; otherwise ``1/area`` rounded by the
    coefficient format at the exponent ``quantize_coefficient`` picks (a compile-time scale;
    checked: the integer it stores is that correctly rounded value)."""
    if area & (area - 1) == 0:
        return Fraction(1, area)
    c = quantize_coefficient(1.0 / area, coefficient_fmt, OverflowCounter(), SITE)
    q = store(Fraction(1, area), coefficient_fmt, c.exponent, events)
    assert int(c.parts[0]) == q
    return Fraction(q) * Fraction(2) ** c.lsb_exponent


@EXAMPLES
@given(n=st.integers(1, 6), data=st.data())
def test_avg_pool_and_backward_match_scalar_model(n: int, data: st.DataObject) -> None:
    x = data.draw(maps(n))
    w = data.draw(windows(n))
    m = w.out_size
    g = data.draw(tensors((*x.shape[:2], m, m), False, signed=None))
    coefficient_fmt = data.draw(qformats(2, 24, 4, signed=None))
    areas = {(b - a) * (d - c) for a, b in intervals(w) for c, d in intervals(w)}
    counter = OverflowCounter()
    if len(areas) != 1:
        with pytest.raises(ValueError, match="one area"):
            avg_pool_fixed(x, w, coefficient_fmt, counter, SITE)
        with pytest.raises(ValueError, match="one area"):
            avg_pool_backward_fixed(g, w, coefficient_fmt, counter, SITE)
        return
    try:
        y = avg_pool_fixed(x, w, coefficient_fmt, counter, SITE)
        dx = avg_pool_backward_fixed(g, w, coefficient_fmt, counter, SITE)
    except Int64WidthError:
        assume(False)
    events = Events()
    (area,) = areas
    # Each call quantises its own coefficient (events included), so the model does too.
    forward_c, backward_c = (reciprocal_of(area, coefficient_fmt, events) for _ in range(2))
    for lead in np.ndindex(x.shape[:2]):
        expected_y = avg_pool(
            x.parts[0][lead].tolist(), intervals(w), x.fmt, x.exponent, forward_c, events
        )
        assert y.parts[0][lead].tolist() == expected_y
        expected_dx = avg_pool_backward(
            g.parts[0][lead].tolist(), intervals(w), n, g.fmt, g.exponent, backward_c, events
        )
        assert dx.parts[0][lead].tolist() == expected_dx
    assert counter.events() == events.count
    assert (layout_of(y), layout_of(dx)) == (layout_of(x), layout_of(g))
    assert y.shape == (*x.shape[:2], m, m) and dx.shape == x.shape


def coefficients() -> st.SearchStrategy[FixedTensor]:
    """An arbitrary real scalar coefficient (format, integer and exponent all drawn)."""
    return tensors((), False, None, (-6, 4), None, (2, 12, 3))


def coefficient_value(c: FixedTensor) -> Fraction:
    return Fraction(int(c.parts[0])) * Fraction(2) ** c.lsb_exponent


@EXAMPLES
@given(data=st.data())
def test_polynomial_and_backward_match_scalar_model(data: st.DataObject) -> None:
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    x = data.draw(tensors(shape, False, signed=None))
    g = data.draw(tensors(shape, False, signed=None))
    c0, c1, c2, two_c2 = (data.draw(coefficients()) for _ in range(4))
    counter = OverflowCounter()
    try:
        y = polynomial_fixed(x, (c0, c1, c2), counter, SITE)
        dx = polynomial_backward_fixed(g, x, c1, two_c2, counter, SITE)
    except Int64WidthError:
        assume(False)
    events = Events()
    xs, gs = x.parts[0].ravel().tolist(), g.parts[0].ravel().tolist()
    cs = tuple(coefficient_value(c) for c in (c0, c1, c2))
    assert y.parts[0].ravel().tolist() == polynomial(xs, x.fmt, x.exponent, cs, events)
    expected_dx = polynomial_backward(
        gs, g.fmt, g.exponent, xs, x.fmt, x.exponent, cs[1], coefficient_value(two_c2), events
    )
    assert dx.parts[0].ravel().tolist() == expected_dx
    assert counter.events() == events.count
    assert (layout_of(y), layout_of(dx)) == (layout_of(x), layout_of(g))
    assert (y.shape, dx.shape) == (shape, shape)


def half_grid(re: np.ndarray, im: np.ndarray) -> list[list[tuple[int, int]]]:
    return [list(zip(r, i, strict=True)) for r, i in zip(re.tolist(), im.tolist(), strict=True)]


@EXAMPLES
@given(n=st.integers(1, 4), data=st.data())
def test_kernel_projection_matches_scalar_model(n: int, data: st.DataObject) -> None:
    """The float P and Q are the definition (same numpy expressions as the kernel); their
    quantisation, the Hermitian mirror and both CMAC passes are the scalar model's own.
    Gradient spectra and the constant ROM are signed (the mirror negates imaginary parts, the
    constants are complex); the output layout may be unsigned."""
    kernel = data.draw(st.integers(1, n))
    lead = (data.draw(st.integers(1, 2)), 1)
    dw = data.draw(tensors((*lead, n, n // 2 + 1), True))
    matrix_fmt = data.draw(qformats(3, 20, 3))
    numerics = data.draw(reduction_numerics())
    out = data.draw(
        st.none() | st.builds(TensorFormat, qformats(4, 24, 6, signed=None), st.integers(-6, 4))
    )
    counter = OverflowCounter()
    try:
        got = kernel_projection_fixed(dw, kernel, matrix_fmt, numerics, counter, SITE, out=out)
    except Int64WidthError:
        assume(False)
    a = dirichlet_matrix(n, kernel)
    p = (kernel / n) * (a @ a.conj().T)
    q = (kernel / n) * (a.conj() @ a.T)
    events = Events()
    p_rom, p_exp = quantize_matrix(np.conj(p).tolist(), matrix_fmt, events)
    q_rom, q_exp = quantize_matrix(np.conj(q.T[: n // 2 + 1]).tolist(), matrix_fmt, events)
    target = out or dw.layout
    for index in np.ndindex(lead):
        expected = projection(
            half_grid(dw.parts[0][index], dw.parts[1][index]),
            dw.fmt,
            dw.exponent,
            p_rom,
            q_rom,
            matrix_fmt,
            (p_exp, q_exp),
            numerics.accumulator,
            numerics.partial_sums,
            target.fmt,
            target.exponent,
            events,
        )
        assert half_grid(got.parts[0][index], got.parts[1][index]) == expected, index
    assert counter.events() == events.count
    assert layout_of(got) == (target.fmt, target.exponent)
    assert got.shape == dw.shape
