"""SGD update, ReLU and the host-side loss: scalar oracle, bounds, exact cases."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from fixed_scalar_model import Events, store
from fixed_strategies import qformats, scalar_values, tensors
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fdsim.fixedpoint import Int64WidthError, OverflowCounter, OverflowSite
from fdsim.nn.fixed import (
    FixedTensor,
    SgdCoefficients,
    TensorFormat,
    quantize_coefficient,
    relu_backward_fixed,
    relu_fixed,
    sgd_step,
    softmax_cross_entropy_fixed,
)
from fdsim.nn.fixed.bounds import sgd_error_bound
from fdsim.nn.loss import softmax_cross_entropy_backward
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import TrainingSpec

SITE = OverflowSite("weights", "update")
EXAMPLES = settings(max_examples=1000, deadline=None, derandomize=True)


def coefficient_value(c: FixedTensor | None) -> Fraction:
    return Fraction(0) if c is None else Fraction(int(c.parts[0])) * Fraction(2) ** c.lsb_exponent


@EXAMPLES
@given(data=st.data(), is_complex=st.booleans())
def test_sgd_matches_scalar_model_and_bound(data: st.DataObject, is_complex: bool) -> None:
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    w = data.draw(tensors(shape, is_complex, data.draw(qformats(6, 24, 4, None))))
    g = data.draw(tensors(shape, is_complex, signed=None))
    velocity_layout = TensorFormat(
        data.draw(qformats(6, 24, 4, None)), data.draw(st.integers(-4, 2))
    )
    v = data.draw(st.none() | tensors(shape, is_complex, velocity_layout.fmt))
    training = TrainingSpec(
        learning_rate=data.draw(st.floats(1e-4, 1.0)),
        momentum=data.draw(st.sampled_from([0.0, 0.5, 0.9, 0.37])),
        weight_decay=data.draw(st.sampled_from([0.0, 1e-3, 0.1])),
    )
    coefficients = SgdCoefficients.quantize(
        training, data.draw(qformats(6, 16, 2, None)), OverflowCounter(), SITE
    )
    counter = OverflowCounter()
    try:
        state = sgd_step(w, g, v, coefficients, velocity_layout, counter, SITE)
    except Int64WidthError:
        assume(False)
    lr, m, wd = (
        coefficient_value(c)
        for c in (coefficients.learning_rate, coefficients.momentum, coefficients.weight_decay)
    )
    ws, gs = scalar_values(w), scalar_values(g)
    vs = scalar_values(v) if v is not None else None
    events = Events()
    v_bound, w_bound = sgd_error_bound(coefficients.learning_rate, velocity_layout, w.layout)
    for index in np.ndindex(shape):
        for part in range(len(w.parts)):
            old_v = vs[index][part] if vs is not None and coefficients.momentum is not None else 0
            exact_v = m * old_v + gs[index][part] + wd * ws[index][part]
            new_v = store(exact_v, velocity_layout.fmt, velocity_layout.exponent, events)
            new_v_value = Fraction(new_v) * Fraction(2) ** velocity_layout.lsb_exponent
            exact_w = ws[index][part] - lr * new_v_value
            new_w = store(exact_w, w.fmt, w.exponent, events)
            assert int(state.weights.parts[part][index]) == new_w
            if coefficients.momentum is not None:
                assert int(state.velocity.parts[part][index]) == new_v
            if counter.events() == 0:
                got_w = Fraction(new_w) * Fraction(2) ** w.lsb_exponent
                assert abs(new_v_value - exact_v) <= Fraction(v_bound)
                assert abs(got_w - (ws[index][part] - lr * exact_v)) <= Fraction(w_bound)
    assert counter.events() == events.count
    assert (state.velocity is None) == (coefficients.momentum is None)


def test_sgd_hand_worked_step() -> None:
    """w = 1.0, g = 0.5, lr = 0.25 (exact), no momentum/decay, Q.2 weights: w − lr·g = 0.875,
    which rounds half_even at two fraction bits to 1.0 (3.5 LSB → 4)."""
    fmt = QFormat(total_bits=8, fraction_bits=2)
    w = FixedTensor(np.array([4], dtype=np.int64), fmt)
    g = FixedTensor(np.array([2], dtype=np.int64), fmt)
    lr = quantize_coefficient(0.25, fmt, OverflowCounter(), SITE)
    state = sgd_step(w, g, None, SgdCoefficients(lr), TensorFormat(fmt), OverflowCounter(), SITE)
    assert state.weights.parts[0].tolist() == [4]
    assert state.velocity is None


def test_relu_and_mask_are_exact() -> None:
    fmt = QFormat(total_bits=8, fraction_bits=3)
    x = FixedTensor(np.array([[-3, 0, 5, -128, 127]], dtype=np.int64), fmt, 2)
    g = FixedTensor(np.array([[1, 2, 3, 4, 5]], dtype=np.int64), fmt, -1)
    assert relu_fixed(x).equals(FixedTensor(np.array([[0, 0, 5, 0, 127]], dtype=np.int64), fmt, 2))
    assert relu_backward_fixed(g, x).parts[0].tolist() == [[0, 0, 3, 0, 5]]


def test_loss_runs_on_host_and_quantises_the_gradient() -> None:
    fmt = QFormat(total_bits=12, fraction_bits=10)
    counter = OverflowCounter()
    logits = FixedTensor.from_float(
        np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]]), TensorFormat(fmt, 1), counter, SITE
    )
    labels = np.array([0, 2])
    loss, grad = softmax_cross_entropy_fixed(logits, labels, TensorFormat(fmt), counter, SITE)
    exact = softmax_cross_entropy_backward(logits.to_float(), labels)
    assert np.max(np.abs(grad.to_float() - exact)) <= 2.0**-11
    assert loss > 0 and counter.events() == 0
