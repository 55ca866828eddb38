"""Circular shift invariance of pooling operators (fdsim.pooling.metrics_shift): equivariance
error, Zhang-style consistency, GAP and energy change."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from test_pooling_metrics_ops import avg2, identity, max2, spectral_crop

from fdsim.pooling._metrics_signal import fourier_shift
from fdsim.pooling.metrics import (
    DEFAULT_SHIFTS,
    energy_invariance,
    gap_invariance,
    natural_like_images,
    shift_consistency,
    shift_equivariance_error,
    shift_invariance,
)
from fdsim.pooling.metrics_shift import _roll_each

IMAGES = natural_like_images(6, 3, 16, seed=11)
ODD = [(0, 1), (1, 0), (1, 1), (3, 2)]  # fractional output shifts after ×2 (and 16 → 7)
EVEN = [(0, 2), (2, 0), (2, 4)]


# -- defining properties ---------------------------------------------------------------------


def test_identity_is_perfectly_invariant() -> None:
    result = shift_invariance(identity, IMAGES, seed=0)
    assert result.equivariance_error == 0.0
    assert result.consistency == 1.0
    assert result.gap_change <= 1e-15  # only the summation order changes
    assert result.energy_change <= 1e-15


def test_odd_spectral_crop_is_exactly_equivariant_under_the_fourier_shift() -> None:
    """pooling.md §2.5: S(shift_t x) = shift_{t·7/16}(S x) for odd output sizes."""
    crop = spectral_crop(7)
    assert shift_equivariance_error(crop, IMAGES, ODD + EVEN) <= 1e-12
    assert energy_invariance(crop, IMAGES, ODD + EVEN) <= 1e-12
    assert gap_invariance(crop, IMAGES, ODD + EVEN) <= 1e-12


def test_average_2x2_has_an_exactly_invariant_gap() -> None:
    """The GAP after 2×2 averaging is the input's mean, whatever the shift (§6.2)."""
    assert gap_invariance(avg2, IMAGES, ODD) <= 1e-15
    assert shift_equivariance_error(avg2, IMAGES, EVEN) <= 1e-15
    assert shift_equivariance_error(avg2, IMAGES, ODD) > 1e-3
    assert energy_invariance(avg2, IMAGES, ODD) > 1e-6


def test_max_2x2_is_equivariant_only_under_even_shifts() -> None:
    assert shift_equivariance_error(max2, IMAGES, EVEN) == 0.0  # the same windows, permuted
    for shift in ODD:
        assert shift_equivariance_error(max2, IMAGES, [shift]) > 1e-3
    assert gap_invariance(max2, IMAGES, ODD) > 1e-4


def test_each_axis_has_its_own_ratio() -> None:
    """Decimating rows only (r = (½, 1)) commutes with every column shift and every even row
    shift, but a one-row shift becomes a half-row one."""
    rows_only = lambda a: a[..., ::2, :]  # noqa: E731
    assert shift_equivariance_error(rows_only, IMAGES, [(0, 1), (0, 3), (2, 5)]) == 0.0
    assert shift_equivariance_error(rows_only, IMAGES, [(1, 0)]) > 1e-3


def test_consistency_of_a_constant_readout_is_one() -> None:
    constant = lambda y: np.zeros(y.shape[0], dtype=np.int64)  # noqa: E731
    assert shift_consistency(max2, IMAGES, readout=constant, seed=3, trials=4) == 1.0


def _position(y: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """A read-out that follows the content: where the largest value is."""
    return np.asarray(np.argmax(y.reshape(y.shape[0], -1), axis=1))


def test_consistency_of_a_position_readout_is_the_chance_of_equal_offsets() -> None:
    x = np.tile(np.array([2.0, 1.0]), (4000, 1, 1, 1))  # (4000, 1, 1, 2): 2 offsets, both axes
    assert shift_consistency(identity, x, readout=_position, seed=9) == pytest.approx(0.5, abs=0.03)
    # shifts=1 draws only the zero offset, so nothing can change.
    assert shift_consistency(identity, x, 1, _position, seed=9) == 1.0


def test_consistency_is_seeded() -> None:
    x = np.tile(np.array([2.0, 1.0, 0.0]), (50, 1, 1, 1))
    first = shift_consistency(identity, x, readout=_position, seed=4, trials=3)
    assert first == shift_consistency(identity, x, readout=_position, seed=4, trials=3)
    rng = np.random.default_rng(4)
    assert first == shift_consistency(identity, x, readout=_position, seed=rng, trials=3)
    assert first != shift_consistency(identity, x, readout=_position, seed=5, trials=3)


# -- exact values on tiny inputs -------------------------------------------------------------


def test_max_2x2_of_a_tiny_map() -> None:
    """x = [[3, 1, 0, 0], [0, 0, 0, 0]] → P x = [3, 0]; shifted one column, P(S x) = [3, 1]; the
    half-pixel Fourier shift of [3, 0] is [1.5, 1.5] (its Nyquist bin is cos(π/2) = 0)."""
    x = np.array([[[[3.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])
    assert shift_equivariance_error(max2, x, [(0, 1)]) == pytest.approx(math.sqrt(2.5) / 3)
    assert shift_equivariance_error(max2, x, [(0, 2)]) == 0.0
    assert gap_invariance(max2, x, [(0, 1)]) == pytest.approx(1 / 3, rel=1e-15)  # 1.5 → 2
    assert energy_invariance(max2, x, [(0, 1)]) == pytest.approx((math.sqrt(10) - 3) / 3)
    # Averaged over shifts: (0, 2) moves [3, 0] to [0, 3] exactly (a whole output pixel).
    assert shift_equivariance_error(max2, x, [(0, 1), (0, 2)]) == pytest.approx(math.sqrt(2.5) / 6)


def test_fourier_shift_is_roll_for_integers_and_interpolates_between() -> None:
    y = np.random.default_rng(2).standard_normal((2, 3, 6, 5))
    np.testing.assert_allclose(
        fourier_shift(y, (2.0, -3.0)), np.roll(y, (2, -3), (2, 3)), atol=1e-14
    )
    half = fourier_shift(np.array([[0.0, 1.0]]), (0.0, 0.5))
    np.testing.assert_allclose(half, [[0.5, 0.5]], atol=1e-16)


def test_per_image_roll_matches_np_roll() -> None:
    x = np.arange(3 * 2 * 4 * 5, dtype=np.float64).reshape(3, 2, 4, 5)
    offsets = np.array([[0, 0], [1, 3], [3, 4]])
    expected = np.stack([np.roll(x[i], tuple(offsets[i]), (1, 2)) for i in range(3)])
    np.testing.assert_array_equal(_roll_each(x, offsets), expected)


def test_shift_invariance_bundles_the_parts() -> None:
    result = shift_invariance(max2, IMAGES, seed=8)
    assert result.equivariance_error == shift_equivariance_error(max2, IMAGES)
    assert result.gap_change == gap_invariance(max2, IMAGES)
    assert result.energy_change == energy_invariance(max2, IMAGES)
    assert result.consistency == shift_consistency(max2, IMAGES, seed=8)
    assert len(DEFAULT_SHIFTS) == 8 and (1, 1) in DEFAULT_SHIFTS and (0, 0) not in DEFAULT_SHIFTS


def test_a_bare_int_shift_is_diagonal() -> None:
    assert shift_equivariance_error(max2, IMAGES, [1]) == shift_equivariance_error(
        max2, IMAGES, [(1, 1)]
    )


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: shift_equivariance_error(max2, IMAGES, [0.5]),  # type: ignore[list-item]
            "shift_equivariance_error: shifts must be ints or (int, int) pairs, got 0.5",
        ),
        (lambda: gap_invariance(max2, IMAGES, []), "gap_invariance: shifts must not be empty"),
        (
            lambda: shift_consistency(max2, IMAGES, 0, seed=0),
            "shift_consistency: shifts must be positive, got 0",
        ),
        (
            lambda: shift_consistency(max2, IMAGES, readout=lambda y: y, seed=0),
            "shift_consistency: readout must return one label per image, got (6, 3, 8, 8)",
        ),
        (
            lambda: energy_invariance(lambda a: a * 0.0, IMAGES, [1]),
            "energy_invariance: the norm of a pooled image is zero, the relative change is "
            "undefined",
        ),
        (
            lambda: shift_equivariance_error(lambda a: a[:, :1], IMAGES, [1]),
            "shift_equivariance_error: pool must map (N, C, H, W)=(6, 3, 16, 16) to (N, C, h, w), "
            "got (6, 1, 16, 16)",
        ),
    ],
)
def test_bad_arguments_name_themselves(call: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message
