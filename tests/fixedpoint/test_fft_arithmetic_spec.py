"""The FFT spec models: derived stage structure, and one clear message per bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from fdsim.fixedpoint import Int64WidthError, digit_reversal, plan_fft
from fdsim.spec.fft_arithmetic import FftArithmeticSpec, FftCoreSpec, FftDirection

CORE_YAML = Path(__file__).resolve().parents[2] / "hwconfigs/fft_ip/b32_fwd_n16_dblclk.yaml"


def core_dict() -> dict[str, Any]:
    raw: dict[str, Any] = YAML(typ="safe").load(CORE_YAML.read_text())
    return copy.deepcopy(raw)


def test_derived_stage_structure_of_the_dblclockfft_core() -> None:
    core = FftCoreSpec.model_validate(core_dict())
    arithmetic = core.arithmetic
    assert arithmetic.stage_count(32) == 5
    assert arithmetic.stage_block_points(32) == (32, 16, 8, 4, 2)
    assert arithmetic.stage_output_widths_bits(32, 16) == (17, 18, 18, 19, 19)
    assert arithmetic.stage_twiddle_widths_bits(32, 16) == (20, 21, 22, None, None)
    time = arithmetic.model_copy(update={"decimation": "time"})
    assert time.stage_block_points(32) == (2, 4, 8, 16, 32)


def test_shipped_yaml_round_trips_through_the_model() -> None:
    core = FftCoreSpec.model_validate(core_dict())
    assert FftCoreSpec.model_validate(core.model_dump(mode="json")) == core


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"output_width_bits": 18},
            "output_width_bits is 18 but the stage growth schedule gives 19",
        ),
        ({"points": 24}, "points (24) must be a power of the radix (2)"),
        ({"samples_per_clock": 3}, "samples_per_clock (3) must divide points (32)"),
        ({"arithmetic.radix": 3}, "Input should be 2 or 4"),
        ({"arithmetic.stage_rounding": "nearest"}, "'truncate', 'half_up' or 'half_even'"),
        ({"arithmetic.multiplier_min_block_points": 6}, "must be 2, 4 or 8, got 6"),
        ({"arithmetic.stage_growth_bits": {"leading_bits": [1, 2]}}, "exceeds log2(radix) = 1"),
        (
            {"arithmetic.stage_growth_bits": {"leading_bits": [1, 1]}},
            "defines 2 stages and has no repeating part, but the transform has 5 stages",
        ),
        (
            {
                "arithmetic.twiddle_width": {
                    "rule": "per_multiply_stage",
                    "width_bits_by_stage": [20, 21],
                }
            },
            "width_bits_by_stage has 2 entries but multiplying stage 2 needs one",
        ),
        (
            {
                "arithmetic.twiddle_width": {
                    "rule": "per_multiply_stage",
                    "width_bits_by_stage": [9, 9, 9, 9],
                }
            },
            "width_bits_by_stage has 4 entries for 3 multiplying stages",
        ),
        (
            {"arithmetic.twiddle_width": {"rule": "fixed", "width_bits_all_stages": 2}},
            "twiddle width 2 leaves no fraction bits above twiddle_integer_bits (2)",
        ),
        (
            {"arithmetic.twiddle_width": {"rule": "golden"}},
            "does not match any of the expected tags",
        ),
        ({"latency_cycles": 3}, "Extra inputs are not permitted"),
    ],
)
def test_bad_core_specs_are_rejected_with_one_clear_message(
    change: dict[str, Any], message: str
) -> None:
    raw = core_dict()
    for dotted, value in change.items():
        target = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = value
    with pytest.raises(ValidationError, match=None) as caught:
        FftCoreSpec.model_validate(raw)
    assert message in str(caught.value)


def test_int64_budget_is_checked_when_planning() -> None:
    arithmetic = FftArithmeticSpec.model_validate(core_dict()["arithmetic"])
    with pytest.raises(
        Int64WidthError, match=r"FFT stage 2 \(8-point blocks\) intermediate needs 65 bits"
    ):
        plan_fft(arithmetic, 32, FftDirection.FORWARD, 27)
    assert plan_fft(arithmetic, 32, FftDirection.FORWARD, 26).stages[2].intermediate_bits == 63


def test_digit_reversal_permutations() -> None:
    assert digit_reversal(8, 2).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    assert digit_reversal(16, 4).tolist() == [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]
    perm = digit_reversal(64, 4)
    assert np.array_equal(perm[perm], np.arange(64))
