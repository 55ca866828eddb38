"""CMAC reductions (conv patterns, dense GEMMs): scalar and apytypes oracles, tiling, bounds."""

from __future__ import annotations

from fractions import Fraction

import apytypes as apy
import numpy as np
import pytest
from fixed_scalar_model import Accumulator, Events, cmul, conj, reduce_terms, value
from fixed_strategies import compositions, qformats, reduction_numerics, scalar_values, tensors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import ComplexInt, Int64WidthError, OverflowCounter, OverflowSite
from fdsim.nn.conv import (
    spectral_conv_backward_data,
    spectral_conv_backward_weight,
    spectral_conv_forward,
)
from fdsim.nn.fixed import (
    CmacPattern,
    FixedTensor,
    ReductionNumerics,
    TensorFormat,
    cmac_reduce,
    dense_backward_params_fixed,
    dense_forward_fixed,
)
from fdsim.nn.fixed.bounds import cmac_error_bound
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

SITE = OverflowSite("accumulators", "cmac")
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)

# Operand shapes per pattern from (lead0, lead1, reduced) sizes: (a shape, b shape, out shape).
SHAPES = {
    CmacPattern.FORWARD: lambda b, o, i: ((b, i), (o, i), (b, o)),
    CmacPattern.BACKWARD_DATA: lambda b, i, o: ((b, o), (o, i), (b, i)),
    CmacPattern.BACKWARD_WEIGHT: lambda o, i, b: ((b, i), (b, o), (o, i)),
}


def scalar_terms(pattern: CmacPattern, a: np.ndarray, b: np.ndarray, index: tuple[int, ...]):
    """The exact terms of output ``index`` in ascending reduction order, from the definitions."""
    p, q, *bins = index
    k = tuple(bins)
    if pattern is CmacPattern.FORWARD:  # Y[b,o] = Σ_i A[b,i]·conj(B[o,i])
        return [cmul(a[(p, i, *k)], conj(b[(q, i, *k)])) for i in range(a.shape[1])]
    if pattern is CmacPattern.BACKWARD_DATA:  # ∂X[b,i] = Σ_o A[b,o]·B[o,i]
        return [cmul(a[(p, o, *k)], b[(o, q, *k)]) for o in range(a.shape[1])]
    return [cmul(a[(r, q, *k)], conj(b[(r, p, *k)])) for r in range(a.shape[0])]  # ∂W[o,i]


@st.composite
def cmac_cases(draw: st.DrawFn):
    pattern = draw(st.sampled_from(list(CmacPattern)))
    lead0, lead1, length = (draw(st.integers(1, 3)) for _ in range(3))
    bins = draw(st.sampled_from([(), (2,), (2, 2)]))
    a_shape, b_shape, _ = SHAPES[pattern](lead0, lead1, length)
    a_complex = draw(st.booleans())
    b_complex = a_complex if draw(st.booleans()) else not a_complex
    a = draw(tensors((*a_shape, *bins), a_complex, signed=None))
    b = draw(tensors((*b_shape, *bins), b_complex, signed=None))
    numerics = draw(reduction_numerics(signed=None))
    out = TensorFormat(draw(qformats(4, 30, 6, signed=None)), draw(st.integers(-4, 4)))
    tiles = draw(compositions(length))
    return pattern, a, b, numerics, out, tiles


def run_scalar(pattern, a, b, numerics, out, tiles, bias=None):
    a_vals, b_vals = scalar_values(a), scalar_values(b)
    spec = Accumulator(numerics.accumulator, numerics.partial_sums, a.exponent + b.exponent)
    events = Events()
    lead = {
        CmacPattern.FORWARD: (a.shape[0], b.shape[0]),
        CmacPattern.BACKWARD_DATA: (a.shape[0], b.shape[1]),
        CmacPattern.BACKWARD_WEIGHT: (b.shape[1], a.shape[1]),
    }[pattern]
    shape = (*lead, *a.shape[2:])
    re = np.zeros(shape, dtype=np.int64)
    im = np.zeros(shape, dtype=np.int64)
    bias_vals = None if bias is None else scalar_values(bias)
    for index in np.ndindex(shape):
        initial = None if bias_vals is None else bias_vals[index[1]]
        terms = scalar_terms(pattern, a_vals, b_vals, index)
        re[index], im[index] = reduce_terms(
            terms, spec, tiles, out.fmt, out.exponent, events, initial
        )
    return re, im, events.count


@EXAMPLES
@given(case=cmac_cases())
def test_cmac_matches_scalar_model(case) -> None:
    pattern, a, b, numerics, out, tiles = case
    counter = OverflowCounter()
    try:
        result = cmac_reduce(a, b, pattern, numerics, out, counter, SITE, tiles)
    except Int64WidthError:
        assume(False)
    re, im, events = run_scalar(pattern, a, b, numerics, out, tiles)
    assert np.array_equal(result.parts[0], re)
    if result.is_complex:
        assert np.array_equal(result.parts[1], im)
    else:
        assert not im.any()
    assert counter.events() == events
    assert (result.fmt, result.exponent) == (out.fmt, out.exponent)


APY_ROUNDING = {
    RoundingMode.TRUNCATE: apy.QuantizationMode.TRN,
    RoundingMode.HALF_UP: apy.QuantizationMode.RND,
    RoundingMode.HALF_EVEN: apy.QuantizationMode.RND_CONV,
}
APY_OVERFLOW = {
    OverflowMode.WRAP: apy.OverflowMode.WRAP,
    OverflowMode.SATURATE: apy.OverflowMode.SAT,
}


def to_apy(t: FixedTensor) -> apy.APyCFixedArray:
    """Flattened complex apytypes array; the exponent is folded into frac_bits."""
    mask = (1 << t.fmt.total_bits) - 1
    re = t.parts[0].ravel()
    im = t.parts[1].ravel() if t.is_complex else np.zeros_like(re)
    pairs = [(int(r) & mask, int(i) & mask) for r, i in zip(re, im, strict=True)]
    return apy.APyCFixedArray(pairs, bits=t.fmt.total_bits, frac_bits=-t.lsb_exponent)


def apy_cast(x, fmt: QFormat, lsb: int, overflow: bool = True):
    return x.cast(
        bits=fmt.total_bits,
        frac_bits=-lsb,
        quantization=APY_ROUNDING[fmt.rounding],
        overflow=APY_OVERFLOW[fmt.overflow],
    )


def signed_ints(x: apy.APyFixedArray) -> list[int]:
    bits = x.bits
    return [p - (1 << bits) if p >> (bits - 1) else p for p in x.to_bits()]


@EXAMPLES
@given(data=st.data())
def test_complex_forward_reduction_matches_apytypes(data: st.DataObject) -> None:
    """The forward pattern on (1, I, bins) × (1, I, bins): apytypes multiplies, quantises to the
    accumulator, adds and re-casts (overflow) one term at a time, spills and rounds the output."""
    length, bins = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 6))
    a = data.draw(tensors((1, length, bins), True))
    b = data.draw(tensors((1, length, bins), True))
    numerics = data.draw(reduction_numerics())
    out = TensorFormat(data.draw(qformats(4, 30, 6)), data.draw(st.integers(-4, 4)))
    tiles = data.draw(compositions(length))
    try:
        ours = cmac_reduce(a, b, CmacPattern.FORWARD, numerics, out, OverflowCounter(), SITE, tiles)
    except Int64WidthError:
        assume(False)
    acc_fmt, acc_lsb = (
        numerics.accumulator,
        a.exponent + b.exponent - numerics.accumulator.fraction_bits,
    )
    a_apy, b_apy = to_apy(a), to_apy(b)
    acc = None
    done = 0
    for t_index, size in enumerate(tiles):
        for r in range(done, done + size):
            step = a_apy[r * bins : (r + 1) * bins] * b_apy[r * bins : (r + 1) * bins].conj()
            rounded = step.cast(  # wide enough for the product rounded up to one acc LSB
                int_bits=max(step.int_bits, acc_lsb) + 2,
                frac_bits=-acc_lsb,
                quantization=APY_ROUNDING[acc_fmt.rounding],
            )
            total = rounded if acc is None else rounded + acc
            acc = apy_cast(total, acc_fmt, acc_lsb)
        done += size
        if numerics.partial_sums is not None and t_index < len(tiles) - 1:
            acc = apy_cast(
                apy_cast(
                    acc,
                    numerics.partial_sums,
                    acc_lsb
                    + numerics.accumulator.fraction_bits
                    - numerics.partial_sums.fraction_bits,
                ),
                acc_fmt,
                acc_lsb,
            )
    final = apy_cast(acc, out.fmt, out.lsb_exponent)
    assert ours.parts[0].ravel().tolist() == signed_ints(final.real)
    assert ours.parts[1].ravel().tolist() == signed_ints(final.imag)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(case=cmac_cases())
def test_cmac_error_within_format_bound(case) -> None:
    pattern, a, b, numerics, out, tiles = case
    counter = OverflowCounter()
    try:
        result = cmac_reduce(a, b, pattern, numerics, out, counter, SITE, tiles)
    except Int64WidthError:
        assume(False)
    assume(counter.events() == 0)
    a_vals, b_vals = scalar_values(a), scalar_values(b)
    length = pattern.reduction_length(a.shape, b.shape)
    bound = Fraction(cmac_error_bound(a.layout, b.layout, length, numerics, out, tiles))
    for index in np.ndindex(result.shape):
        terms = scalar_terms(pattern, a_vals, b_vals, index)
        for part, got in enumerate(result.parts):
            exact = sum((t[part] for t in terms), Fraction(0))
            assert abs(value(int(got[index]), out.fmt, out.exponent) - exact) <= bound


def test_tiling_changes_integers_only_through_partial_sums() -> None:
    """A spill format coarser than the accumulator rounds at every tile boundary, so two
    tilings of one reduction differ; without a spill format (and no saturation) they agree."""
    rng = np.random.default_rng(7)
    fmt = QFormat(total_bits=12, fraction_bits=8)
    shape_x, shape_w = (2, 8, 4, 3), (3, 8, 4, 3)
    x = FixedTensor(ComplexInt(*rng.integers(-2000, 2000, (2, *shape_x))), fmt)
    w = FixedTensor(ComplexInt(*rng.integers(-2000, 2000, (2, *shape_w))), fmt)
    acc = QFormat(total_bits=40, fraction_bits=16)
    out = TensorFormat(QFormat(total_bits=24, fraction_bits=8))
    spilled = ReductionNumerics(acc, QFormat(total_bits=16, fraction_bits=4))
    results = {}
    for numerics in (spilled, ReductionNumerics(acc)):
        for tiles in ((3, 3, 2), (8,), (1,) * 8):
            counter = OverflowCounter()
            y = cmac_reduce(x, w, CmacPattern.FORWARD, numerics, out, counter, SITE, tiles)
            assert counter.events() == 0
            results[numerics.partial_sums is None, tiles] = y
    assert not results[False, (3, 3, 2)].equals(results[False, (1,) * 8])
    assert results[False, (8,)].equals(results[True, (8,)])
    assert results[True, (3, 3, 2)].equals(results[True, (8,)])
    assert results[True, (1,) * 8].equals(results[True, (8,)])


def test_two_channel_reduction_with_rounding_spill() -> None:
    """Hand-worked, real parts only: x = (x0, x1) in Q.2, w = (1, 1), forward over two
    channels in tiles (1, 1); accumulator Q.4 (exact here), spill format Q.1 half_even, output
    Q.1 half_even.  x = (1.25, 0.5): the spill rounds 1.25 → 1.0 (2.5 LSB ties to even 2), so
    the sum is 1.5; without the spill format the sum 1.75 rounds to 2.0 (3.5 → 4)."""
    fmt = QFormat(total_bits=8, fraction_bits=2)
    acc = QFormat(total_bits=16, fraction_bits=4)
    spill = QFormat(total_bits=8, fraction_bits=1)
    out = TensorFormat(QFormat(total_bits=8, fraction_bits=1))
    w = FixedTensor(ComplexInt(np.array([[4, 4]]), np.zeros((1, 2), np.int64)), fmt)  # (1, 1)

    def forward(x_quarters: list[int], numerics: ReductionNumerics) -> int:
        x = FixedTensor(ComplexInt(np.array([x_quarters]), np.zeros((1, 2), np.int64)), fmt)
        y = cmac_reduce(x, w, CmacPattern.FORWARD, numerics, out, OverflowCounter(), SITE, (1, 1))
        return int(y.parts[0][0, 0])

    assert forward([6, 3], ReductionNumerics(acc, spill)) == 4  # 1.5 + 0.75 = 2.25 → 2.0
    assert forward([5, 3], ReductionNumerics(acc, spill)) == 4  # 1.25 → 1.0; 1.75 → 2.0
    assert forward([5, 2], ReductionNumerics(acc, spill)) == 3  # 1.25 → 1.0; 1.5 → 1.5
    assert forward([5, 2], ReductionNumerics(acc)) == 4  # 1.75 → 2.0 (3.5 ties to even 4)


@pytest.mark.parametrize(
    ("pattern", "reference"),
    [
        (CmacPattern.FORWARD, spectral_conv_forward),
        (CmacPattern.BACKWARD_DATA, spectral_conv_backward_data),
        (CmacPattern.BACKWARD_WEIGHT, lambda x, g: spectral_conv_backward_weight(g, x)),
    ],
)
def test_wide_formats_approach_float_conv(pattern: CmacPattern, reference) -> None:
    rng = np.random.default_rng(11)
    wide = QFormat(total_bits=30, fraction_bits=20)
    site = OverflowSite("spectra", "wide")
    counter = OverflowCounter()
    a_shape, b_shape, _ = SHAPES[pattern](2, 3, 4)
    a = FixedTensor.from_float(
        np.fft.rfft2(rng.standard_normal((*a_shape, 8, 8))), TensorFormat(wide), counter, site
    )
    b = FixedTensor.from_float(
        np.fft.rfft2(rng.standard_normal((*b_shape, 8, 8))), TensorFormat(wide), counter, site
    )
    numerics = ReductionNumerics(QFormat(total_bits=60, fraction_bits=40))
    out = TensorFormat(QFormat(total_bits=48, fraction_bits=36))
    y = cmac_reduce(a, b, pattern, numerics, out, counter, site, (2, 2))
    expected = reference(a.to_float(), b.to_float())
    assert counter.events() == 0
    assert np.max(np.abs(y.to_float() - expected)) <= 1e-9 * np.max(np.abs(expected))


@st.composite
def dense_cases(draw: st.DrawFn):
    batch, n_in, n_out = (draw(st.integers(1, 3)) for _ in range(3))
    x = draw(tensors((batch, n_in), False, signed=None))
    weight = draw(tensors((n_out, n_in), False, signed=None))
    bias = draw(tensors((n_out,), False, signed=None))
    g = draw(tensors((batch, n_out), False, signed=None))
    numerics = draw(reduction_numerics(signed=None))
    out = TensorFormat(draw(qformats(4, 30, 6, signed=None)), draw(st.integers(-4, 4)))
    return x, weight, bias, g, numerics, out, draw(compositions(n_in)), draw(compositions(batch))


@EXAMPLES
@given(case=dense_cases())
def test_dense_matches_scalar_model(case) -> None:
    """Forward with the bias preloaded, and the bias gradient Σ_b g (a reduction of g itself)."""
    x, weight, bias, g, numerics, out, in_tiles, batch_tiles = case
    counter = OverflowCounter()
    try:
        y = dense_forward_fixed(x, weight, bias, numerics, out, counter, SITE, in_tiles)
        d_weight, d_bias = dense_backward_params_fixed(
            g, x, numerics, out, counter, SITE, batch_tiles
        )
    except Int64WidthError:
        assume(False)
    y_re, _, y_events = run_scalar(CmacPattern.FORWARD, x, weight, numerics, out, in_tiles, bias)
    assert np.array_equal(y.parts[0], y_re)
    dw_re, _, dw_events = run_scalar(CmacPattern.BACKWARD_WEIGHT, x, g, numerics, out, batch_tiles)
    assert np.array_equal(d_weight.parts[0], dw_re)
    g_vals = scalar_values(g)
    spec = Accumulator(numerics.accumulator, numerics.partial_sums, g.exponent)
    events = Events()
    for o in range(g.shape[1]):
        terms = [g_vals[b, o] for b in range(g.shape[0])]
        got, _ = reduce_terms(terms, spec, batch_tiles, out.fmt, out.exponent, events)
        assert int(d_bias.parts[0][o]) == got
    assert counter.events() == y_events + dw_events + events.count
