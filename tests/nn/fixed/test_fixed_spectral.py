"""Crop, fold, affine/sigmoid/quadratic activations: scalar oracle, bounds, wide formats."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from fixed_scalar_model import Accumulator, Events, conj, reduce_terms, store
from fixed_strategies import compositions, qformats, reduction_numerics, scalar_values, tensors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import ComplexInt, Int64WidthError, OverflowCounter, OverflowSite
from fdsim.nn.activation import (
    spectral_affine,
    spectral_linear_sigmoid,
    spectral_product,
    spectral_quadratic,
    spectral_quadratic_backward,
)
from fdsim.nn.crop import NyquistMode, nyquist_weight, spectral_crop, spectral_crop_backward
from fdsim.nn.fixed import (
    FixedTensor,
    ReductionNumerics,
    TensorFormat,
    quantize_coefficient,
    spectral_affine_fixed,
    spectral_crop_backward_fixed,
    spectral_crop_fixed,
    spectral_fold_backward_fixed,
    spectral_fold_fixed,
    spectral_linear_sigmoid_backward_fixed,
    spectral_linear_sigmoid_fixed,
    spectral_product_fixed,
    spectral_quadratic_backward_fixed,
    spectral_quadratic_fixed,
)
from fdsim.nn.fixed.bounds import (
    output_rounding_bound,
    quadratic_error_bound,
    spectral_product_error_bound,
)
from fdsim.nn.fold import spectral_fold, spectral_fold_backward
from fdsim.spec.numerics import QFormat, RoundingMode

SITE = OverflowSite("spectra", "op")
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)


def full(x: np.ndarray, n: int):
    """X_full[i][j] from a half-spectrum object array, by the Hermitian definition."""

    def at(i: int, j: int):
        i, j = i % n, j % n
        if j <= n // 2:
            return x[i, j]
        return conj(x[(-i) % n, n - j])

    return at


def axis_taps(n: int, h: int, w: Fraction) -> list[list[tuple[int, Fraction]]]:
    """Input indices and weights feeding each output index of a 1-D crop N→H."""
    keep = (h - 1) // 2
    taps: list[list[tuple[int, Fraction]]] = []
    for u in range(h):
        if u <= keep:
            taps.append([(u, Fraction(1))])
        elif h % 2 == 0 and u == h // 2:
            taps.append([(h // 2, w), (n - h // 2, w)])
        else:
            taps.append([(n - (h - u), Fraction(1))])
    return taps


def store_pair(c, out: TensorFormat, events: Events) -> tuple[int, int]:
    return store(c[0], out.fmt, out.exponent, events), store(c[1], out.fmt, out.exponent, events)


def check_parts(result: FixedTensor, expected: dict) -> None:
    for index, (re, im) in expected.items():
        assert (int(result.parts[0][index]), int(result.parts[1][index])) == (re, im), index


@st.composite
def spectra(draw: st.DrawFn, lead: tuple[int, ...] = (2,), sizes=(1, 2, 4, 8)):
    n = draw(st.sampled_from(sizes))
    return n, draw(tensors((*lead, n, n // 2 + 1), True, signed=None))


def out_layouts(min_bits: int = 4, max_bits: int = 24) -> st.SearchStrategy[TensorFormat]:
    """Signed and unsigned output layouts."""
    return st.builds(TensorFormat, qformats(min_bits, max_bits, 6, None), st.integers(-8, 4))


@EXAMPLES
@given(case=spectra(), mode=st.sampled_from(list(NyquistMode)), data=st.data())
def test_crop_and_backward_match_scalar_model(case, mode: NyquistMode, data) -> None:
    n, x = case
    h = data.draw(st.integers(1, n))
    out = data.draw(st.none() | out_layouts())
    counter = OverflowCounter()
    y = spectral_crop_fixed(x, h, mode, counter, SITE, out)
    g = spectral_crop_backward_fixed(y, n, mode, counter, SITE, out)
    events = Events()
    w = Fraction(nyquist_weight(mode))
    rows, cols = axis_taps(n, h, w), axis_taps(n, h, w)
    scale = Fraction(h * h, n * n)
    xs = scalar_values(x)
    expected_y, expected_g = {}, {}
    for lead in np.ndindex(x.shape[:-2]):
        at = full(xs[lead], n)
        for u in range(h):
            for v in range(h // 2 + 1):
                total = [Fraction(0), Fraction(0)]
                if h == n:  # the identity in every mode
                    total = list(at(u, v))
                else:
                    for i, a in rows[u]:
                        for j, b in cols[v]:
                            term = at(i, j)
                            total = [total[k] + a * b * term[k] for k in range(2)]
                    total = [t * scale for t in total]
                expected_y[(*lead, u, v)] = store_pair(total, y.layout, events)
    check_parts(y, expected_y)
    ys = scalar_values(y)
    # Adjoint: each stored output bin feeds its row taps × its stored column taps.
    col_taps = [[(v, Fraction(1))] for v in range(h // 2 + 1)]
    if h % 2 == 0 and h < n:
        col_taps[h // 2] = [(h // 2, w)]
    for lead in np.ndindex(y.shape[:-2]):
        grid = {}
        for u in range(h):
            for v in range(h // 2 + 1):
                row_taps = [(u, Fraction(1))] if h == n else rows[u]
                for i, a in row_taps:
                    for j, b in col_taps[v] if h < n else [(v, Fraction(1))]:
                        old = grid.get((i, j), (Fraction(0), Fraction(0)))
                        grid[i, j] = tuple(old[k] + a * b * ys[(*lead, u, v)][k] for k in range(2))
        for i in range(n):
            for j in range(n // 2 + 1):
                total = grid.get((i, j), (Fraction(0), Fraction(0)))
                expected_g[(*lead, i, j)] = store_pair(total, g.layout, events)
    check_parts(g, expected_g)
    assert counter.events() == events.count


@EXAMPLES
@given(case=spectra(sizes=(2, 4, 8)), data=st.data())
def test_fold_and_backward_match_scalar_model(case, data) -> None:
    n, x = case
    stride = data.draw(st.sampled_from([s for s in (1, 2, 4, 8) if s <= n]))
    m = n // stride
    out = data.draw(st.none() | out_layouts())
    counter = OverflowCounter()
    y = spectral_fold_fixed(x, stride, counter, SITE, out)
    g = spectral_fold_backward_fixed(y, stride, counter, SITE)
    events = Events()
    xs = scalar_values(x)
    expected_y, expected_g = {}, {}
    for lead in np.ndindex(x.shape[:-2]):
        at = full(xs[lead], n)
        for k1 in range(m):
            for k2 in range(m // 2 + 1):
                terms = [at(k1 + a * m, k2 + b * m) for a in range(stride) for b in range(stride)]
                total = [sum((t[k] for t in terms), Fraction(0)) / stride**2 for k in range(2)]
                expected_y[(*lead, k1, k2)] = store_pair(total, y.layout, events)
    check_parts(y, expected_y)
    ys = scalar_values(y)
    for lead in np.ndindex(y.shape[:-2]):
        at = full(ys[lead], m)
        for i in range(n):
            for j in range(n // 2 + 1):
                expected_g[(*lead, i, j)] = store_pair(at(i % m, j % m), g.layout, events)
    check_parts(g, expected_g)
    assert counter.events() == events.count


def coefficient(draw, low: float = -2.0, high: float = 2.0) -> FixedTensor:
    fmt = draw(qformats(4, 16, 3))
    value = draw(st.floats(low, high, allow_nan=False, allow_subnormal=False))
    return quantize_coefficient(value, fmt, OverflowCounter(), SITE)


@EXAMPLES
@given(case=spectra(lead=(1,), sizes=(1, 2, 4)), data=st.data())
def test_affine_and_quadratic_match_scalar_model(case, data) -> None:
    n, x = case
    c0, c1, c2 = (coefficient(data.draw) for _ in range(3))
    g = data.draw(tensors(x.shape, True, signed=None))
    numerics = data.draw(reduction_numerics(signed=None))
    product, out = data.draw(out_layouts(8, 30)), data.draw(out_layouts())
    tiles = data.draw(compositions(n * n))
    counter = OverflowCounter()
    try:
        y = spectral_quadratic_fixed(x, (c0, c1, c2), numerics, product, counter, SITE, tiles, out)
        dx = spectral_quadratic_backward_fixed(
            g, x, (c1, c2), numerics, product, counter, SITE, tiles, out
        )
        affine = spectral_affine_fixed(x, c1, c0, counter, SITE, out)
    except Int64WidthError:
        assume(False)
    events = Events()
    xs, gs = scalar_values(x), scalar_values(g)
    cv = [Fraction(int(c.parts[0])) * Fraction(2) ** c.lsb_exponent for c in (c0, c1, c2)]
    log2_n2 = 2 * (n.bit_length() - 1)

    def full_ints(t: FixedTensor, lead) -> list[list[tuple[int, int]]]:
        """The full spectrum's integers ``X[i][j]``, by the Hermitian definition."""
        re, im = (p[lead].tolist() for p in t.parts)
        return [
            [
                (re[i][j], im[i][j]) if j <= n // 2 else (re[-i % n][n - j], -im[-i % n][n - j])
                for j in range(n)
            ]
            for i in range(n)
        ]

    def product_bins(a: FixedTensor, b: FixedTensor, lead, acc_exponent):
        """``(A ⊛ B)[k] / N² = Σ_m A[m]·B[k − m] / N²``: each term the exact integer product
        worth ``2**(lsb_a + lsb_b) / N²``, then the accumulator datapath."""
        a_full, b_full = full_ints(a, lead), full_ints(b, lead)
        scale = Fraction(2) ** (a.lsb_exponent + b.lsb_exponent) / n**2
        spec = Accumulator(numerics.accumulator, numerics.partial_sums, acc_exponent)
        bins = {}
        for k1 in range(n):
            for k2 in range(n // 2 + 1):
                terms = []
                for m1 in range(n):
                    for m2 in range(n):
                        (ar, ai), (br, bi) = a_full[m1][m2], b_full[(k1 - m1) % n][(k2 - m2) % n]
                        terms.append((scale * (ar * br - ai * bi), scale * (ar * bi + ai * br)))
                q = reduce_terms(terms, spec, tiles, product.fmt, product.exponent, events)
                bins[k1, k2] = tuple(Fraction(v) * Fraction(2) ** product.lsb_exponent for v in q)
        return bins

    expected_y, expected_dx, expected_affine = {}, {}, {}
    for lead in np.ndindex(x.shape[:-2]):
        square = product_bins(x, x, lead, 2 * x.exponent - log2_n2) if cv[2] else {}
        cross = product_bins(g, x, lead, g.exponent + x.exponent - log2_n2) if cv[2] else {}
        for k1 in range(n):
            for k2 in range(n // 2 + 1):
                index = (*lead, k1, k2)
                dc = cv[0] * n * n if (k1, k2) == (0, 0) else Fraction(0)
                lin = [cv[1] * xs[index][k] for k in range(2)]
                sq = [cv[2] * square[k1, k2][k] if cv[2] else 0 for k in range(2)]
                expected_y[index] = store_pair((lin[0] + sq[0] + dc, lin[1] + sq[1]), out, events)
                expected_affine[index] = store_pair((lin[0] + dc, lin[1]), out, events)
                back = [
                    cv[1] * gs[index][k] + (2 * cv[2] * cross[k1, k2][k] if cv[2] else 0)
                    for k in range(2)
                ]
                expected_dx[index] = store_pair(back, out, events)
    check_parts(y, expected_y)
    check_parts(dx, expected_dx)
    check_parts(affine, expected_affine)
    assert counter.events() == events.count


def test_nyquist_average_rounds_half_even() -> None:
    """N = 4 → H = 2, average: output row 1 is ½·(X[1] + X[3]) (column 0).  With X[1] = x1 and
    X[3] = 0: x1 = 3 gives 1.5 → 2 (half_even), x1 = 5 gives 2.5 → 2 (half_even) or 3
    (half_up), x1 = 4 is exact.  H²/N² = ¼ only moves the exponent by −2."""
    fmt_even = QFormat(total_bits=8, fraction_bits=0, rounding=RoundingMode.HALF_EVEN)
    fmt_up = QFormat(total_bits=8, fraction_bits=0, rounding=RoundingMode.HALF_UP)

    def nyquist(x1: int, fmt: QFormat) -> tuple[int, int]:
        re = np.zeros((4, 3), dtype=np.int64)
        re[1, 0] = x1  # a non-Hermitian pair on purpose: only the sum X[1] + X[3] matters
        x = FixedTensor(ComplexInt(re, np.zeros_like(re)), fmt)
        y = spectral_crop_fixed(x, 2, NyquistMode.AVERAGE, OverflowCounter(), SITE)
        assert y.exponent == -2
        return int(y.parts[0][1, 0]), int(y.parts[1][1, 0])

    assert nyquist(3, fmt_even) == (2, 0)
    assert nyquist(5, fmt_even) == (2, 0)
    assert nyquist(5, fmt_up) == (3, 0)
    assert nyquist(4, fmt_even) == (2, 0)


def float_half(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return np.fft.rfft2(rng.standard_normal(shape))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), mode=st.sampled_from(list(NyquistMode)), data=st.data())
def test_single_rounding_ops_within_bound(seed: int, mode: NyquistMode, data) -> None:
    """Crop (and backward), fold, affine and sigmoid round once: error ≤ one output rounding."""
    rng = np.random.default_rng(seed)
    fmt = data.draw(qformats(10, 20, 0))
    n = 8
    h = data.draw(st.integers(1, n))
    x = FixedTensor.from_float(
        float_half(rng, 2, n, n), TensorFormat(fmt, 4), OverflowCounter(), SITE
    )
    out = TensorFormat(data.draw(qformats(12, 24, 0)), data.draw(st.integers(-2, 6)))
    c = quantize_coefficient(data.draw(st.floats(-2, 2)), fmt, OverflowCounter(), SITE)
    xf = x.to_float()
    cases = [
        (spectral_crop_fixed(x, h, mode, OverflowCounter(), SITE, out), spectral_crop(xf, h, mode)),
        (
            spectral_crop_backward_fixed(x, 16, mode, OverflowCounter(), SITE, out),
            spectral_crop_backward(xf, 16, mode),
        ),
        (spectral_fold_fixed(x, 2, OverflowCounter(), SITE, out), spectral_fold(xf, 2)),
        (
            spectral_affine_fixed(x, c, c, OverflowCounter(), SITE, out),
            spectral_affine(xf, float(c.to_float()), float(c.to_float())),
        ),
        (
            spectral_linear_sigmoid_fixed(x, OverflowCounter(), SITE, out),
            spectral_linear_sigmoid(xf),
        ),
    ]
    bound = output_rounding_bound(out)
    for got, expected in cases:
        assume(
            np.max(np.abs(expected.real))
            < 2.0 ** (out.exponent + out.fmt.total_bits - out.fmt.fraction_bits - 2)
        )
        assume(
            np.max(np.abs(expected.imag))
            < 2.0 ** (out.exponent + out.fmt.total_bits - out.fmt.fraction_bits - 2)
        )
        error = got.to_float() - expected
        slack = 1e-12 * (1 + np.max(np.abs(expected)))
        assert np.max(np.abs(error.real)) <= bound + slack
        assert np.max(np.abs(error.imag)) <= bound + slack


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), data=st.data())
def test_quadratic_within_bound(seed: int, data) -> None:
    rng = np.random.default_rng(seed)
    n = 4
    fmt = data.draw(qformats(8, 16, 0))
    layout = TensorFormat(fmt, 2)
    x = FixedTensor.from_float(float_half(rng, 2, n, n), layout, OverflowCounter(), SITE)
    g = FixedTensor.from_float(float_half(rng, 2, n, n), layout, OverflowCounter(), SITE)
    coeffs = [quantize_coefficient(v, fmt, OverflowCounter(), SITE) for v in rng.uniform(-1, 1, 3)]
    c0, c1, c2 = (float(c.to_float()) for c in coeffs)
    numerics = data.draw(reduction_numerics())
    assume(numerics.accumulator.total_bits >= 24)
    product = TensorFormat(data.draw(qformats(16, 28, 0)), data.draw(st.integers(0, 6)))
    out = TensorFormat(data.draw(qformats(16, 28, 0)), data.draw(st.integers(0, 8)))
    tiles = data.draw(compositions(n * n))
    counter = OverflowCounter()
    try:
        y = spectral_quadratic_fixed(x, tuple(coeffs), numerics, product, counter, SITE, tiles, out)
        dx = spectral_quadratic_backward_fixed(
            g, x, tuple(coeffs[1:]), numerics, product, counter, SITE, tiles, out
        )
    except Int64WidthError:
        assume(False)
    assume(counter.events() == 0)
    xf, gf = x.to_float(), g.to_float()
    p_bound = spectral_product_error_bound(x.layout, x.layout, n, numerics, product, tiles)
    for got, expected, backward in (
        (y, spectral_quadratic(xf, c0, c1, c2), False),
        (dx, spectral_quadratic_backward(gf, xf, c1, c2), True),
    ):
        bound = quadratic_error_bound(coeffs[2], p_bound, out, backward)
        slack = 1e-12 * (1 + np.max(np.abs(expected)))
        error = got.to_float() - expected
        assert np.max(np.abs(error.real)) <= bound + slack
        assert np.max(np.abs(error.imag)) <= bound + slack


def test_wide_formats_approach_float_ops() -> None:
    rng = np.random.default_rng(3)
    n = 8
    wide = QFormat(total_bits=40, fraction_bits=30)
    counter = OverflowCounter()
    x = FixedTensor.from_float(float_half(rng, 2, n, n), TensorFormat(wide, 4), counter, SITE)
    g = FixedTensor.from_float(float_half(rng, 2, n, n), TensorFormat(wide, 4), counter, SITE)
    xf = x.to_float()
    out = TensorFormat(QFormat(total_bits=48, fraction_bits=40), 8)
    numerics = ReductionNumerics(
        QFormat(total_bits=62, fraction_bits=36), QFormat(total_bits=50, fraction_bits=32)
    )
    coefficient_fmt = QFormat(total_bits=20, fraction_bits=18)
    coeffs = tuple(
        quantize_coefficient(v, coefficient_fmt, counter, SITE) for v in (0.3, -0.7, 0.45)
    )
    c0, c1, c2 = (float(c.to_float()) for c in coeffs)
    product = TensorFormat(QFormat(total_bits=40, fraction_bits=32), 4)
    narrow = TensorFormat(QFormat(total_bits=24, fraction_bits=16), 4)
    xs, gs = (FixedTensor.from_float(t.to_float(), narrow, counter, SITE) for t in (x, g))
    pairs = [
        (spectral_crop_fixed(x, 6, NyquistMode.AVERAGE, counter, SITE, out), spectral_crop(xf, 6)),
        (
            spectral_crop_backward_fixed(x, 16, NyquistMode.SUM, counter, SITE, out),
            spectral_crop_backward(xf, 16, NyquistMode.SUM),
        ),
        (spectral_fold_fixed(x, 2, counter, SITE, out), spectral_fold(xf, 2)),
        (spectral_fold_backward_fixed(x, 2, counter, SITE), spectral_fold_backward(xf, 2)),
        (
            spectral_affine_fixed(x, coeffs[1], coeffs[0], counter, SITE, out),
            spectral_affine(xf, c1, c0),
        ),
        (spectral_linear_sigmoid_backward_fixed(x, counter, SITE), xf / 4),
        (
            spectral_product_fixed(xs, gs, numerics, out, counter, SITE, (20, 20, 24)),
            spectral_product(xs.to_float(), gs.to_float()),
        ),
        (
            spectral_quadratic_fixed(xs, coeffs, numerics, product, counter, SITE, None, out),
            spectral_quadratic(xs.to_float(), c0, c1, c2),
        ),
        (
            spectral_quadratic_backward_fixed(
                gs, xs, coeffs[1:], numerics, product, counter, SITE, None, out
            ),
            spectral_quadratic_backward(gs.to_float(), xs.to_float(), c1, c2),
        ),
    ]
    assert counter.events() == 0
    for got, expected in pairs:
        assert np.max(np.abs(got.to_float() - expected)) <= 1e-9 * np.max(np.abs(expected))


@pytest.mark.parametrize("bad_stride", [3, 0])
def test_fold_rejects_strides_that_are_not_powers_of_two(bad_stride: int) -> None:
    x = FixedTensor(
        ComplexInt(np.zeros((6, 4), np.int64), np.zeros((6, 4), np.int64)),
        QFormat(total_bits=8, fraction_bits=0),
    )
    with pytest.raises(ValueError, match="power of two"):
        spectral_fold_fixed(x, bad_stride, OverflowCounter(), SITE)
