"""Edge cases found by the scalar-model oracles, pinned with hand-derived integers."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.fixedpoint import (
    ComplexInt,
    FixedFormat,
    OverflowCounter,
    OverflowSite,
    complex_multiply,
    integer_range,
)
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed import FixedTensor, TensorFormat, quantize_coefficient
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.spatial import kernel_projection_fixed, selection_pool_fixed
from fdsim.operators.pool_max import MaxPool
from fdsim.spec.fft_arithmetic import ComplexMultiplyForm
from fdsim.spec.numerics import QFormat, RoundingMode

SITE = OverflowSite("weights", "edge")


@pytest.mark.parametrize("form", list(ComplexMultiplyForm))
def test_a_product_of_unsigned_complex_operands_is_signed(form: ComplexMultiplyForm) -> None:
    # j·j = −1: the real part of a product of unsigned operands is a difference.
    u4 = FixedFormat(4, 0, signed=False)
    one_j = ComplexInt(np.array([0]), np.array([1]))
    product, fmt = complex_multiply(one_j, u4, one_j, u4, form)
    assert (product.re.tolist(), product.im.tolist()) == ([-1], [0])
    assert fmt == FixedFormat(10, 0, signed=True)  # 4 + 4 product bits, a carry, a sign
    low, high = integer_range(fmt.total_bits, fmt.signed)
    assert low <= -1 and high >= 2 * 15 * 15


@pytest.mark.parametrize(
    ("value", "fmt", "integer", "lsb_exponent"),
    [
        # 1/9 in 3 signed bits, truncating: 3·2^-5 = 0.094 fits (max 3); 1·2^-4 was chosen.
        (1 / 9, QFormat(total_bits=3, fraction_bits=0, rounding=RoundingMode.TRUNCATE), 3, -5),
        # 0.999·2^7 = 127.87 truncates to 127, which fits: no bump to 63·2^-6.
        (0.999, QFormat(total_bits=8, fraction_bits=7, rounding=RoundingMode.TRUNCATE), 127, -7),
        # Unsigned words have no sign bit: 1/3·2^9 = 170.67 rounds to 171 ≤ 255.
        (1 / 3, QFormat(total_bits=8, fraction_bits=8, signed=False), 171, -9),
        # Half-even 0.999·2^7 = 127.87 rounds up to 128 > 127: one exponent up, 64·2^-6.
        (0.999, QFormat(total_bits=8, fraction_bits=7), 64, -6),
    ],
)
def test_coefficients_take_the_smallest_exponent_that_holds_them(
    value: float, fmt: QFormat, integer: int, lsb_exponent: int
) -> None:
    counter = OverflowCounter()
    coefficient = quantize_coefficient(value, fmt, counter, SITE)
    assert int(coefficient.parts[0]) == integer
    assert coefficient.lsb_exponent == lsb_exponent
    assert counter.events() == 0


def test_max_pooling_rejects_spectra() -> None:
    layout = TensorFormat(QFormat(total_bits=8, fraction_bits=4), 0)
    spectra = FixedTensor.from_float(
        np.ones((1, 1, 2, 2), complex), layout, OverflowCounter(), SITE
    )
    windows = PoolWindows.sliding(2, 2, 2)
    with pytest.raises(ValueError, match="a selecting pool needs real spatial values"):
        selection_pool_fixed(spectra, windows, MaxPool(windows).picks)


def test_projection_onto_the_whole_grid_is_exact_even_when_truncating() -> None:
    # k = N: P = Q = I, so the projection returns its input. The float matrix products leave
    # −1 ulp on some of P's zeros and ones; a truncating ROM stored those one LSB low.
    truncating = QFormat(total_bits=12, fraction_bits=10, rounding=RoundingMode.TRUNCATE)
    layout = TensorFormat(QFormat(total_bits=16, fraction_bits=8, rounding=RoundingMode.TRUNCATE))
    rng = np.random.default_rng(0)
    spectra = np.fft.rfft2(rng.integers(-8, 8, (2, 1, 4, 4)).astype(float))
    dw = FixedTensor.from_float(spectra, layout, OverflowCounter(), SITE)
    numerics = ReductionNumerics(QFormat(total_bits=40, fraction_bits=20))
    counter = OverflowCounter()
    projected = kernel_projection_fixed(dw, 4, truncating, numerics, counter, SITE)
    assert all(np.array_equal(a, b) for a, b in zip(projected.parts, dw.parts, strict=True))
    assert counter.events() == 0
