"""Underflow events: values nonzero before a rounding step and zero after it, counted per site
beside the overflow events, on hand-made tensors with hand-derived counts."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.fixedpoint import OverflowCounter, OverflowSite, quantize, requantize
from fdsim.nn.fixed import FixedTensor, TensorFormat
from fdsim.nn.fixed.reduction import ReductionNumerics, accumulate
from fdsim.nn.fixed.tensor import rescale
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

SITE = OverflowSite("activations", "quantise", "conv.1", "fwd")


def _only_tally(counter: OverflowCounter) -> tuple[int, int, int]:
    (tally,) = counter.tallies()
    return tally.events, tally.values_checked, tally.underflow_events


@pytest.mark.parametrize(
    ("rounding", "integers", "underflows"),
    [
        # ±1e-9·2^7 = ±1.3e-7 LSB rounds to 0 either way: two underflows; 0.5 is 64 LSB.
        (RoundingMode.HALF_EVEN, [0, 64, 0], 2),
        (RoundingMode.HALF_UP, [0, 64, 0], 2),
        # Truncation toward −∞ takes −1.3e-7 LSB to −1: a bias, not a value lost to zero.
        (RoundingMode.TRUNCATE, [0, 64, -1], 1),
    ],
)
def test_quantising_tiny_values_to_q1_7_counts_underflows(
    rounding: RoundingMode, integers: list[int], underflows: int
) -> None:
    counter = OverflowCounter()
    q1_7 = QFormat(total_bits=8, fraction_bits=7, rounding=rounding)
    assert quantize([1e-9, 0.5, -1e-9], q1_7, counter, SITE).tolist() == integers
    assert _only_tally(counter) == (0, 3, underflows)
    assert counter.underflow_events() == underflows


def test_an_exact_zero_is_not_an_underflow() -> None:
    counter = OverflowCounter()
    quantize([0.0, -0.0, 2.0**-8], QFormat(total_bits=8, fraction_bits=7), counter, SITE)
    # 2^-8 is half an LSB of Q1.7: half-even rounds it to 0 (one underflow); zeros stay zeros.
    assert _only_tally(counter) == (0, 3, 1)


def test_dropping_fraction_bits_counts_the_values_lost_to_zero() -> None:
    counter = OverflowCounter()
    # Two bits dropped, half-even: 1/4 → 0, 2/4 → 0 (tie to even), 3/4 → 1, −1/4 → 0,
    # −2/4 → 0 (tie to even), 0 stays 0, 5/4 → 1: four nonzero values became zero.
    values = np.array([1, 2, 3, -1, -2, 0, 5], dtype=np.int64)
    target = TensorFormat(QFormat(total_bits=8, fraction_bits=0), exponent=2)
    assert rescale(values, 0, 8, target, counter, SITE).tolist() == [0, 0, 1, 0, 0, 0, 1]
    assert _only_tally(counter) == (0, 7, 4)


def test_requantize_counts_underflows_and_overflows_at_one_site() -> None:
    counter = OverflowCounter()
    source = QFormat(total_bits=16, fraction_bits=8)
    # Q.8 → Q3.0 (4 bits, range −8…7): 1/256 → 0 (underflow); 2000/256 = 7.8 → 8 saturates to
    # 7 (overflow); 256/256 = 1 stays.
    target = QFormat(total_bits=4, fraction_bits=0)
    moved = requantize(np.array([1, 2000, 256]), source, target, counter, SITE)
    assert moved.tolist() == [0, 7, 1]
    assert _only_tally(counter) == (1, 3, 1)


def test_accumulator_terms_below_its_lsb_are_underflows() -> None:
    counter = OverflowCounter()
    # Terms worth 2^0 per LSB into an accumulator whose LSB is 2^1 (fraction bits 0 at
    # exponent 1): term 1 (½ LSB) rounds half-even to 0, an underflow; 3 (1½ LSB) to 2 LSB;
    # −1 to 0, another. Sum: 0 + 2 + 0 = 2 LSB = 4.
    terms = [np.array([1]), np.array([3]), np.array([-1])]
    numerics = ReductionNumerics(QFormat(total_bits=8, fraction_bits=0))
    total = accumulate(lambda r: (terms[r],), 0, 4, 3, 1, numerics, counter, SITE)
    assert isinstance(total, FixedTensor)
    assert total.parts[0].tolist() == [2]
    assert _only_tally(counter) == (0, 3, 2)
    assert counter.tallies()[0].site == SITE.child("accumulator")


def test_sites_are_structured_and_tallies_keep_underflows_when_merged() -> None:
    site = OverflowSite("accumulators", "cmac", "conv.1", "bwd_weight")
    child = site.child("accumulator")
    assert (child.layer, child.phase, child.name) == ("conv.1", "bwd_weight", "cmac.accumulator")
    assert child.label == "conv.1.bwd_weight.cmac.accumulator"
    assert OverflowSite("spectra", "fft.stage0").label == "fft.stage0"
    a, b = OverflowCounter(), OverflowCounter()
    a.record(child, OverflowMode.SATURATE, 1, 10, 3)
    b.record(child, OverflowMode.SATURATE, 2, 5, 4)
    a.merge(b)
    assert _only_tally(a) == (3, 15, 7)
