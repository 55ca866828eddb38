"""Oracle: the vectorised int64 kernels agree bit for bit with apytypes (arbitrary-precision
fixed point) for every rounding and overflow mode apytypes shares with fdsim.

apytypes maps: truncate -> TRN (toward -inf), half_up -> RND (ties toward +inf),
half_even -> RND_CONV; wrap -> WRAP, saturate -> SAT.  Its accumulator context applies to
matmul but not to ``.sum()``, so the MAC oracle uses ``@``.

apytypes words are two's complement only, so an unsigned b-bit word enters it as a (b+1)-bit
signed word of the same value, and an unsigned target is reached by rounding into a wide word
and then wrapping to the low b bits (the bit pattern of a b-bit wrapping cast) or saturating
(a (b+1)-bit saturating cast, clamped at zero)."""

from __future__ import annotations

import apytypes as apy
import numpy as np
from fxp_strategies import SEEDS, int_arrays
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import (
    ComplexInt,
    FixedFormat,
    Int64WidthError,
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
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)
ROUNDINGS, OVERFLOWS = list(RoundingMode), list(OverflowMode)


def word_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def to_apy(values: np.ndarray, fmt: FixedFormat | QFormat) -> apy.APyFixedArray:
    """Signed words as they are; unsigned b-bit words as (b+1)-bit signed words."""
    bits = fmt.total_bits + (0 if fmt.signed else 1)
    patterns = [int(v) & ((1 << bits) - 1) for v in values]
    return apy.APyFixedArray(patterns, bits=bits, frac_bits=fmt.fraction_bits)


def apy_round(x: apy.APyFixedArray, fmt: QFormat) -> apy.APyFixedArray:
    """``x`` rounded to ``fmt``'s fraction bits by apytypes, in a word wide enough for any
    result (no overflow)."""
    int_bits = max(x.int_bits, -fmt.fraction_bits, 0) + 2
    return x.cast(
        int_bits=int_bits, frac_bits=fmt.fraction_bits, quantization=APY_ROUNDING[fmt.rounding]
    )


def apy_store(x: apy.APyFixedArray, fmt: QFormat) -> list[int]:
    """``x`` rounded and fitted to ``fmt`` by apytypes casts, as integers."""
    if fmt.signed:
        return from_apy(
            x.cast(
                bits=fmt.total_bits,
                frac_bits=fmt.fraction_bits,
                quantization=APY_ROUNDING[fmt.rounding],
                overflow=APY_OVERFLOW[fmt.overflow],
            )
        )
    rounded = apy_round(x, fmt)
    if fmt.overflow is OverflowMode.WRAP:
        wrapped = rounded.cast(
            bits=fmt.total_bits, frac_bits=fmt.fraction_bits, overflow=apy.OverflowMode.WRAP
        )
        return [int(p) for p in wrapped.to_bits()]
    clamped = rounded.cast(
        bits=fmt.total_bits + 1, frac_bits=fmt.fraction_bits, overflow=apy.OverflowMode.SAT
    )
    return [max(0, v) for v in from_apy(clamped)]


def events_of(x: apy.APyFixedArray, fmt: QFormat) -> int:
    """Values whose exactly rounded value lies outside ``fmt``'s range."""
    low, high = word_range(fmt.total_bits, fmt.signed)
    return sum(not low <= v <= high for v in from_apy(apy_round(x, fmt)))


def to_apy_complex(z: ComplexInt, fmt: FixedFormat | QFormat) -> apy.APyCFixedArray:
    bits = fmt.total_bits + (0 if fmt.signed else 1)
    mask = (1 << bits) - 1
    patterns = [(int(r) & mask, int(i) & mask) for r, i in zip(z.re, z.im, strict=True)]
    return apy.APyCFixedArray(patterns, bits=bits, frac_bits=fmt.fraction_bits)


def from_apy(array: apy.APyFixedArray) -> list[int]:
    """Signed integers of an apytypes array (its bit patterns reinterpreted)."""
    bits = array.bits
    return [p - (1 << bits) if p >> (bits - 1) else p for p in array.to_bits()]


def from_apy_scalar(value: apy.APyFixed) -> list[int]:
    pattern, bits = value.to_bits(), value.bits
    return [pattern - (1 << bits) if pattern >> (bits - 1) else pattern]


@st.composite
def qformats(draw: st.DrawFn, max_bits: int = 40, signed: bool | None = None) -> QFormat:
    """One Hypothesis choice per format (decoded from a seed; 0 is the simplest format):
    2…max_bits bits, −8…total fraction bits, signed or (``signed=None``) also unsigned."""
    index = draw(SEEDS)
    index, rounding = divmod(index, len(ROUNDINGS))
    index, overflow = divmod(index, len(OVERFLOWS))
    index, unsigned = divmod(index, 1 if signed is not None else 2)
    index, total = divmod(index, max_bits - 1)
    total += 2
    return QFormat(
        total_bits=total,
        fraction_bits=index % (total + 9) - 8,
        signed=not unsigned if signed is None else signed,
        rounding=ROUNDINGS[rounding],
        overflow=OVERFLOWS[overflow],
    )


@st.composite
def fixed_values(
    draw: st.DrawFn, max_bits: int = 31, signed: bool | None = None
) -> tuple[FixedFormat, np.ndarray]:
    total = draw(st.integers(2, max_bits))
    is_signed = draw(st.booleans()) if signed is None else signed
    fmt = FixedFormat(total, draw(st.integers(-6, total + 6)), is_signed)
    size = draw(st.integers(1, 16))
    return fmt, draw(int_arrays(*word_range(total, is_signed), (size,)))


@EXAMPLES
@given(fmt=qformats(), data=st.data())
def test_quantize_matches_apytypes(fmt: QFormat, data: st.DataObject) -> None:
    extra = data.draw(st.integers(0, 8))
    scale = fmt.fraction_bits + extra
    reach = fmt.total_bits + extra + 3
    bound = 1 << min(reach, 52)
    mantissas = data.draw(int_arrays(-bound, bound, (data.draw(st.integers(1, 16)),)))
    values = np.ldexp(mantissas.astype(np.float64), -scale)
    counter = OverflowCounter()
    ours = quantize(values, fmt, counter, SITE)
    exact = apy.APyFixedArray.from_float(values, bits=reach + 56, frac_bits=scale)
    assert ours.tolist() == apy_store(exact, fmt)
    assert counter.events() == events_of(exact, fmt)


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
    assert ours.tolist() == apy_store(to_apy(values, fmt), target)
    assert counter.events() == events_of(to_apy(values, fmt), target)


@EXAMPLES
@given(a=fixed_values(), b=fixed_values())
def test_multiply_and_add_match_apytypes(
    a: tuple[FixedFormat, np.ndarray], b: tuple[FixedFormat, np.ndarray]
) -> None:
    """Integers always; formats exactly when both operands are signed (apytypes has no
    unsigned words), and in every case the returned format holds the results."""
    (a_fmt, a_vals), (b_fmt, b_vals) = a, b
    size = min(a_vals.size, b_vals.size)
    a_vals, b_vals = a_vals[:size], b_vals[:size]
    x, y = to_apy(a_vals, a_fmt), to_apy(b_vals, b_fmt)
    both_signed = a_fmt.signed and b_fmt.signed
    product = multiply(a_vals, a_fmt, b_vals, b_fmt)
    try:
        total = add(a_vals, a_fmt, b_vals, b_fmt)
    except Int64WidthError:
        # Refused only when the exact sum's word (one bit narrower than apytypes' when both
        # words are unsigned) passes the 63-bit budget.
        both_unsigned = not a_fmt.signed and not b_fmt.signed
        assert (x + y).bits - (1 if both_unsigned else 0) > 63
        total = None
    for result, theirs in ((product, x * y), (total, x + y)):
        if result is None:
            continue
        ours, fmt = result
        assert ours.tolist() == from_apy(theirs)
        assert fmt.fraction_bits == theirs.frac_bits
        if both_signed:
            assert (fmt.total_bits, fmt.signed) == (theirs.bits, True)
        low, high = word_range(fmt.total_bits, fmt.signed)
        assert all(low <= v <= high for v in ours.tolist())


@st.composite
def complex_values(
    draw: st.DrawFn, size: int, max_bits: int, allow_unsigned: bool = False
) -> tuple[FixedFormat, ComplexInt]:
    total = draw(st.integers(2, max_bits))
    is_signed = not allow_unsigned or draw(st.booleans())
    fmt = FixedFormat(total, draw(st.integers(-4, total + 4)), is_signed)
    parts = draw(int_arrays(*word_range(total, is_signed), (2, size)))
    return fmt, ComplexInt(parts[0], parts[1])


@EXAMPLES
@given(data=st.data(), form=st.sampled_from(list(ComplexMultiplyForm)))
def test_complex_multiply_matches_apytypes(data: st.DataObject, form: ComplexMultiplyForm) -> None:
    """Integers for signed and unsigned operand words; the product format exactly when both
    are signed (apytypes has no unsigned words)."""
    a_fmt, a = data.draw(complex_values(8, 30, allow_unsigned=True))
    b_fmt, b = data.draw(complex_values(8, 30, allow_unsigned=True))
    product, p_fmt = complex_multiply(a, a_fmt, b, b_fmt, form)
    theirs = to_apy_complex(a, a_fmt) * to_apy_complex(b, b_fmt)
    assert p_fmt.fraction_bits == theirs.frac_bits
    if a_fmt.signed and b_fmt.signed:
        assert (p_fmt.total_bits, p_fmt.signed) == (theirs.bits, True)
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
    acc_fmt=qformats(max_bits=40, signed=True),
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
@given(data=st.data(), steps=st.integers(1, 6))
def test_wrapping_mac_chain_matches_apytypes_accumulator_context(
    data: st.DataObject, steps: int
) -> None:
    """apytypes' accumulator context (matmul only, not ``.sum()``) wraps the running sum like
    a wrapping ``complex_mac`` (it saturates products, not sums, so only wrap compares).  Its
    complex matmul rounds partial products separately (observed in apytypes 0.5.1: with a
    4-bit fraction accumulator, (-0.125-0.125j)² = 0.03125j gives 0, where rounding the exact
    product half-up gives 1 LSB), so only accumulators that hold products exactly compare
    (drawn directly: fraction bits at least the product's); rounding is covered by the
    explicit-cast oracle above."""
    a_fmt, a = data.draw(complex_values(steps, 14))
    b_fmt, b = data.draw(complex_values(steps, 14))
    fraction = data.draw(st.integers(a_fmt.fraction_bits + b_fmt.fraction_bits, 40))
    acc_fmt = QFormat(
        total_bits=data.draw(st.integers(max(2, fraction), max(40, fraction))),
        fraction_bits=fraction,
        rounding=data.draw(st.sampled_from(ROUNDINGS)),
        overflow=OverflowMode.WRAP,
    )
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
