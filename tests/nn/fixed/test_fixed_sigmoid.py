"""The linear sigmoid spectral activation ``σ(x) ≈ ½ + x/4`` and its backward ``G/4``: bit for
bit and event for event against the plain-Python scalar model (every bin ×¼, ``½·N²`` on the
real part of DC, one rounding per value), over signed and unsigned formats, every rounding and
overflow mode, the default output layouts and drawn ones."""

from __future__ import annotations

import numpy as np
from fixed_scalar_model import Events
from fixed_spatial_model import linear_sigmoid, quarter
from fixed_strategies import qformats, tensors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import Int64WidthError, OverflowCounter, OverflowSite
from fdsim.nn.fixed import (
    FixedTensor,
    TensorFormat,
    spectral_linear_sigmoid_backward_fixed,
    spectral_linear_sigmoid_fixed,
)
from fdsim.spec.numerics import QFormat

SITE = OverflowSite("spectra", "sigmoid")
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)


def bins(t: FixedTensor, lead: tuple[int, ...]) -> list[list[tuple[int, int]]]:
    re, im = (p[lead].tolist() for p in t.parts)
    return [list(zip(r, i, strict=True)) for r, i in zip(re, im, strict=True)]


@EXAMPLES
@given(n=st.integers(1, 6), data=st.data())
def test_linear_sigmoid_and_backward_match_scalar_model(n: int, data: st.DataObject) -> None:
    lead = (data.draw(st.integers(1, 2)),)
    shape = (*lead, n, n // 2 + 1)
    x = data.draw(tensors(shape, True, signed=None, exponents=(-6, 6)))
    g = data.draw(tensors(shape, True, signed=None, exponents=(-6, 6)))
    layouts = st.none() | st.builds(
        TensorFormat, qformats(2, 24, 6, signed=None), st.integers(-8, 6)
    )
    out, back = data.draw(layouts), data.draw(layouts)
    counter = OverflowCounter()
    try:
        y = spectral_linear_sigmoid_fixed(x, counter, SITE, out)
    except Int64WidthError:
        assume(False)
    dx = spectral_linear_sigmoid_backward_fixed(g, counter, SITE, back)
    y_layout = out or TensorFormat(x.fmt, x.exponent - 2)
    dx_layout = back or TensorFormat(g.fmt, g.exponent - 2)
    assert (y.fmt, y.exponent) == (y_layout.fmt, y_layout.exponent)
    assert (dx.fmt, dx.exponent) == (dx_layout.fmt, dx_layout.exponent)
    events = Events()
    for index in np.ndindex(lead):
        expected = linear_sigmoid(
            bins(x, index), x.fmt, x.exponent, y_layout.fmt, y_layout.exponent, events
        )
        assert bins(y, index) == expected, index
        expected_dx = quarter(
            bins(g, index), g.fmt, g.exponent, dx_layout.fmt, dx_layout.exponent, events
        )
        assert bins(dx, index) == expected_dx, index
    assert counter.events() == events.count
    if back is None:  # the default backward layout only moves the exponent: G itself
        assert all(np.array_equal(a, b) for a, b in zip(dx.parts, g.parts, strict=True))


def test_default_layout_rounds_only_the_dc_offset() -> None:
    """N = 2, x in Q.0 at exponent 0: ¼·x lands at exponent −2 unchanged; the offset ½·N² = 2
    is 8 LSBs of the output (LSB ¼).  With exponent 3 the output LSB is 2, so the offset is
    exactly 1 LSB; with Q.-2 at exponent 3 (LSB 8) it is ¼ LSB and rounds away (half_even)."""
    for fraction, exponent, dc in ((0, 0, 5 + 8), (0, 3, 5 + 1), (-2, 3, 5)):
        fmt = QFormat(total_bits=8, fraction_bits=fraction)
        re = np.array([[[5, 1], [2, 3]]], dtype=np.int64)
        x = FixedTensor.from_parts((re, -re), TensorFormat(fmt, exponent))
        y = spectral_linear_sigmoid_fixed(x, OverflowCounter(), SITE)
        assert y.exponent == exponent - 2
        assert y.parts[0].tolist() == [[[dc, 1], [2, 3]]]
        assert y.parts[1].tolist() == (-re).tolist()
