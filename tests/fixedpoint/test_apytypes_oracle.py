"""Oracle: the vectorised int64 kernels agree bit for bit with apytypes (arbitrary-precision
fixed point) for every rounding and overflow mode apytypes shares with fdsim.

apytypes maps: truncate -> TRN (toward -inf), half_up -> RND (ties toward +inf),
half_even -> RND_CONV; wrap -> WRAP, saturate -> SAT.  Its accumulator context applies to
matmul but not to ``.sum()``, so the MAC oracle uses ``@``."""

from __future__ import annotations

import apytypes as apy
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import (
    ComplexInt,
    FixedFormat,
    OverflowCounter,
    OverflowSite,
    add,
    complex_mac,
    complex_multiply,
    multiply,
    quantize,
    requantize,
)
from fdsim.spec.fft_arithmetic import ComplexMultiplyForm
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

SITE = OverflowSite("activations", "oracle")
APY_ROUNDING = {
    RoundingMode.TRUNCATE: apy.QuantizationMode.TRN,
    RoundingMode.HALF_UP: apy.QuantizationMode.RND,
    RoundingMode.HALF_EVEN: apy.QuantizationMode.RND_CONV,
}
APY_OVERFLOW = {
    OverflowMode.WRAP: apy.OverflowMode.WRAP,
    OverflowMode.SATURATE: apy.OverflowMode.SAT,
}
EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True)


def to_apy(values: np.ndarray, fmt: FixedFormat | QFormat) -> apy.APyFixedArray:
    patterns = [int(v) & ((1 << fmt.total_bits) - 1) for v in values]
    return apy.APyFixedArray(patterns, bits=fmt.total_bits, frac_bits=fmt.fraction_bits)


def to_apy_complex(z: ComplexInt, fmt: FixedFormat | QFormat) -> apy.APyCFixedArray:
    mask = (1 << fmt.total_bits) - 1
    patterns = [(int(r) & mask, int(i) & mask) for r, i in zip(z.re, z.im, strict=True)]
    return apy.APyCFixedArray(patterns, bits=fmt.total_bits, frac_bits=fmt.fraction_bits)


def from_apy(array: apy.APyFixedArray) -> list[int]:
    """Signed integers of an apytypes array (its bit patterns reinterpreted)."""
    bits = array.bits
    return [p - (1 << bits) if p >> (bits - 1) else p for p in array.to_bits()]


def from_apy_scalar(value: apy.APyFixed) -> list[int]:
    pattern, bits = value.to_bits(), value.bits
    return [pattern - (1 << bits) if pattern >> (bits - 1) else pattern]


@st.composite
def qformats(draw: st.DrawFn, max_bits: int = 40) -> QFormat:
    total = draw(st.integers(2, max_bits))
    return QFormat(
        total_bits=total,
        fraction_bits=draw(st.integers(-8, total)),
        rounding=draw(st.sampled_from(list(RoundingMode))),
        overflow=draw(st.sampled_from(list(OverflowMode))),
    )


@st.composite
def fixed_values(draw: st.DrawFn, max_bits: int = 31) -> tuple[FixedFormat, np.ndarray]:
    total = draw(st.integers(2, max_bits))
    fmt = FixedFormat(total, draw(st.integers(-6, total + 6)))
    low, high = -(1 << (total - 1)), (1 << (total - 1)) - 1
    extremes = st.sampled_from([low, high, 0, -1])
    values = draw(st.lists(st.integers(low, high) | extremes, min_size=1, max_size=16))
    return fmt, np.array(values, dtype=np.int64)


@EXAMPLES
@given(fmt=qformats(), data=st.data())
def test_quantize_matches_apytypes(fmt: QFormat, data: st.DataObject) -> None:
    extra = data.draw(st.integers(0, 8))
    scale = fmt.fraction_bits + extra
    reach = fmt.total_bits + extra + 3
    mantissas = data.draw(
        st.lists(st.integers(-(1 << min(reach, 52)), 1 << min(reach, 52)), min_size=1, max_size=16)
    )
    values = np.ldexp(np.array(mantissas, dtype=np.float64), -scale)
    ours = quantize(values, fmt, OverflowCounter(), SITE)
    exact = apy.APyFixedArray.from_float(values, bits=reach + 56, frac_bits=scale)
    theirs = exact.cast(
        bits=fmt.total_bits,
        frac_bits=fmt.fraction_bits,
        quantization=APY_ROUNDING[fmt.rounding],
        overflow=APY_OVERFLOW[fmt.overflow],
    )
    assert ours.tolist() == from_apy(theirs)


@EXAMPLES
@given(source=fixed_values(max_bits=50), target=qformats(max_bits=50))
def test_requantize_matches_apytypes(
    source: tuple[FixedFormat, np.ndarray], target: QFormat
) -> None:
    fmt, values = source
    if fmt.total_bits + max(0, target.fraction_bits - fmt.fraction_bits) > 63:
        return  # a left shift past the int64 budget raises (tested in the unit tests)
    counter = OverflowCounter()
    ours = requantize(values, fmt, target, counter, SITE)
    theirs = to_apy(values, fmt).cast(
        bits=target.total_bits,
        frac_bits=target.fraction_bits,
        quantization=APY_ROUNDING[target.rounding],
        overflow=APY_OVERFLOW[target.overflow],
    )
    assert ours.tolist() == from_apy(theirs)
    # Events: values whose exactly rounded value lies outside the target range.
    rounded = to_apy(values, fmt).cast(
        bits=fmt.total_bits + 70,
        frac_bits=target.fraction_bits,
        quantization=APY_ROUNDING[target.rounding],
    )
    low, high = -(1 << (target.total_bits - 1)), (1 << (target.total_bits - 1)) - 1
    assert counter.events() == sum(not low <= v <= high for v in from_apy(rounded))


@EXAMPLES
@given(a=fixed_values(), b=fixed_values())
def test_multiply_and_add_match_apytypes(
    a: tuple[FixedFormat, np.ndarray], b: tuple[FixedFormat, np.ndarray]
) -> None:
    (a_fmt, a_vals), (b_fmt, b_vals) = a, b
    size = min(a_vals.size, b_vals.size)
    a_vals, b_vals = a_vals[:size], b_vals[:size]
    x, y = to_apy(a_vals, a_fmt), to_apy(b_vals, b_fmt)
    product, p_fmt = multiply(a_vals, a_fmt, b_vals, b_fmt)
    theirs = x * y
    assert (p_fmt.total_bits, p_fmt.fraction_bits) == (theirs.bits, theirs.frac_bits)
    assert product.tolist() == from_apy(theirs)
    total, s_fmt = add(a_vals, a_fmt, b_vals, b_fmt)
    theirs = x + y
    assert (s_fmt.total_bits, s_fmt.fraction_bits) == (theirs.bits, theirs.frac_bits)
    assert total.tolist() == from_apy(theirs)


@st.composite
def complex_values(draw: st.DrawFn, size: int, max_bits: int) -> tuple[FixedFormat, ComplexInt]:
    total = draw(st.integers(2, max_bits))
    fmt = FixedFormat(total, draw(st.integers(-4, total + 4)))
    low, high = -(1 << (total - 1)), (1 << (total - 1)) - 1
    part = st.lists(
        st.integers(low, high) | st.sampled_from([low, high]), min_size=size, max_size=size
    )
    return fmt, ComplexInt(np.array(draw(part), np.int64), np.array(draw(part), np.int64))


@EXAMPLES
@given(data=st.data(), form=st.sampled_from(list(ComplexMultiplyForm)))
def test_complex_multiply_matches_apytypes(data: st.DataObject, form: ComplexMultiplyForm) -> None:
    a_fmt, a = data.draw(complex_values(8, 30))
    b_fmt, b = data.draw(complex_values(8, 30))
    product, p_fmt = complex_multiply(a, a_fmt, b, b_fmt, form)
    theirs = to_apy_complex(a, a_fmt) * to_apy_complex(b, b_fmt)
    assert (p_fmt.total_bits, p_fmt.fraction_bits) == (theirs.bits, theirs.frac_bits)
    assert product.re.tolist() == from_apy(theirs.real)
    assert product.im.tolist() == from_apy(theirs.imag)


def mac_fits_int64(acc_fmt: QFormat, a_fmt: FixedFormat, b_fmt: FixedFormat) -> bool:
    """Whether the aligned product + accumulator sum stays within 63 bits (else
    ``complex_mac`` raises ``Int64WidthError``, as the unit tests check)."""
    product_bits = a_fmt.total_bits + b_fmt.total_bits + 1
    drop = a_fmt.fraction_bits + b_fmt.fraction_bits - acc_fmt.fraction_bits
    aligned = product_bits - drop + (1 if drop >= 0 else 0)
    return max(aligned, acc_fmt.total_bits) + 1 <= 63


def mac_chain(
    acc_fmt: QFormat,
    a_fmt: FixedFormat,
    a: ComplexInt,
    b_fmt: FixedFormat,
    b: ComplexInt,
    form: ComplexMultiplyForm,
) -> ComplexInt:
    acc = ComplexInt(np.zeros(1, np.int64), np.zeros(1, np.int64))
    for k in range(a.re.size):
        step = slice(k, k + 1)
        acc = complex_mac(
            acc,
            acc_fmt,
            ComplexInt(a.re[step], a.im[step]),
            a_fmt,
            ComplexInt(b.re[step], b.im[step]),
            b_fmt,
            form,
            OverflowCounter(),
            SITE,
        )
    return acc


@EXAMPLES
@given(
    data=st.data(),
    acc_fmt=qformats(max_bits=40),
    steps=st.integers(1, 6),
    form=st.sampled_from(list(ComplexMultiplyForm)),
)
def test_complex_mac_chain_matches_apytypes_casts(
    data: st.DataObject, acc_fmt: QFormat, steps: int, form: ComplexMultiplyForm
) -> None:
    """Every mode: product rounded to the accumulator's fraction bits, exact add, then the
    sum fitted to the accumulator word (saturation applies to the running sum)."""
    a_fmt, a = data.draw(complex_values(steps, 14))
    b_fmt, b = data.draw(complex_values(steps, 14))
    # Formats whose aligned sum would pass 63 bits are refused by design (unit-tested).
    assume(mac_fits_int64(acc_fmt, a_fmt, b_fmt))
    ours = mac_chain(acc_fmt, a_fmt, a, b_fmt, b, form)
    x, y = to_apy_complex(a, a_fmt), to_apy_complex(b, b_fmt)
    acc = apy.APyCFixedArray([(0, 0)], bits=acc_fmt.total_bits, frac_bits=acc_fmt.fraction_bits)
    for k in range(steps):
        product = (x[k : k + 1] * y[k : k + 1]).cast(
            int_bits=40,
            frac_bits=acc_fmt.fraction_bits,
            quantization=APY_ROUNDING[acc_fmt.rounding],
        )
        acc = (acc + product).cast(
            bits=acc_fmt.total_bits,
            frac_bits=acc_fmt.fraction_bits,
            overflow=APY_OVERFLOW[acc_fmt.overflow],
        )
    assert ours.re.tolist() == from_apy(acc.real)
    assert ours.im.tolist() == from_apy(acc.imag)


@EXAMPLES
@given(data=st.data(), acc_fmt=qformats(max_bits=40), steps=st.integers(1, 6))
def test_wrapping_mac_chain_matches_apytypes_accumulator_context(
    data: st.DataObject, acc_fmt: QFormat, steps: int
) -> None:
    """apytypes' accumulator context (matmul only, not ``.sum()``) wraps the running sum like
    a wrapping ``complex_mac`` (it saturates products, not sums, so only wrap compares).  Its
    complex matmul rounds partial products separately (observed in apytypes 0.5.1: with a
    4-bit fraction accumulator, (-0.125-0.125j)² = 0.03125j gives 0, where rounding the exact
    product half-up gives 1 LSB), so only accumulators that hold products exactly compare;
    rounding is covered by the explicit-cast oracle above."""
    acc_fmt = acc_fmt.model_copy(update={"overflow": OverflowMode.WRAP})
    a_fmt, a = data.draw(complex_values(steps, 14))
    b_fmt, b = data.draw(complex_values(steps, 14))
    assume(acc_fmt.fraction_bits >= a_fmt.fraction_bits + b_fmt.fraction_bits)
    assume(mac_fits_int64(acc_fmt, a_fmt, b_fmt))
    ours = mac_chain(acc_fmt, a_fmt, a, b_fmt, b, ComplexMultiplyForm.FOUR_MULTIPLIER)
    context = apy.APyFixedAccumulatorContext(
        bits=acc_fmt.total_bits,
        frac_bits=acc_fmt.fraction_bits,
        quantization=APY_ROUNDING[acc_fmt.rounding],
        overflow=apy.OverflowMode.WRAP,
    )
    with context:
        theirs = to_apy_complex(a, a_fmt) @ to_apy_complex(b, b_fmt)
    assert (theirs.bits, theirs.frac_bits) == (acc_fmt.total_bits, acc_fmt.fraction_bits)
    assert [ours.re[0], ours.im[0]] == from_apy_scalar(theirs.real) + from_apy_scalar(theirs.imag)
