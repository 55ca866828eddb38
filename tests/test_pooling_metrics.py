"""Information kept by a pooling operator (fdsim.pooling.metrics_information), the 1/f test
images, and the one-call bundle ``pooling_metrics``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_pooling_metrics_ops import (
    avg2,
    identity,
    kept_band_fraction,
    max2,
    spectral_crop,
)

from fdsim.pooling.metrics import (
    information_kept,
    natural_like_images,
    pooling_metrics,
    reconstruct_images,
    shift_invariance,
)

IMAGES = natural_like_images(40, 2, 8, seed=7)  # 80 maps: enough for least squares of 8×8


# -- defining properties ---------------------------------------------------------------------


@pytest.mark.parametrize("reconstruct", ["spectral", "bilinear", "least_squares"])
def test_identity_keeps_everything(reconstruct: str) -> None:
    kept = information_kept(identity, IMAGES, reconstruct)  # type: ignore[arg-type]
    assert kept.relative_error == pytest.approx(0.0, abs=1e-13)
    assert kept.kept_fraction == pytest.approx(1.0, abs=1e-13)
    assert kept.output_fraction == 1.0
    if reconstruct != "least_squares":  # the two fixed reconstructors are exactly the identity
        assert kept.relative_error == 0.0
        assert kept.psnr == math.inf


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_spectral_crop_keeps_exactly_the_energy_of_its_band(size: int) -> None:
    """Parseval: crop then band-limited up-sampling is the projection onto the kept band."""
    kept = information_kept(spectral_crop(size), IMAGES)
    assert kept.kept_fraction == pytest.approx(kept_band_fraction(IMAGES, size), abs=1e-12)
    assert kept.relative_error**2 == pytest.approx(1.0 - kept.kept_fraction, abs=1e-15)


@pytest.mark.parametrize(
    "pool",
    [identity, avg2, max2, spectral_crop(3), spectral_crop(5)],
    ids=["identity", "avg2", "max2", "crop3", "crop5"],
)
def test_least_squares_is_never_worse_than_a_fixed_reconstructor(pool: object) -> None:
    best = information_kept(pool, IMAGES, "least_squares").relative_error  # type: ignore[arg-type]
    for fixed in ("spectral", "bilinear"):
        assert best <= information_kept(pool, IMAGES, fixed).relative_error + 1e-12  # type: ignore[arg-type]


def test_more_output_keeps_more() -> None:
    errors = [information_kept(spectral_crop(s), IMAGES).relative_error for s in (1, 3, 5, 7)]
    assert errors == sorted(errors, reverse=True)
    assert errors[0] > errors[-1] > 0.0


# -- exact values on tiny inputs -------------------------------------------------------------


def test_mean_pool_of_a_3x3_ramp() -> None:
    """0..8 pooled to its mean 4: ‖x − 4‖² = 60, ‖x‖² = 204, so 1 − err² = 144/204 = 12/17."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    kept = information_kept(spectral_crop(1), x)
    assert kept.kept_fraction == pytest.approx(12 / 17, rel=1e-14)
    assert kept.relative_error == pytest.approx(math.sqrt(5 / 17), rel=1e-14)
    # peak = max − min = 8, MSE = 60/9
    assert kept.psnr == pytest.approx(10 * math.log10(64 / (60 / 9)), rel=1e-14)
    assert kept.output_fraction == pytest.approx(1 / 9)
    assert information_kept(spectral_crop(1), x, peak=1.0).psnr == pytest.approx(
        10 * math.log10(9 / 60), rel=1e-14
    )


@pytest.mark.parametrize("reconstruct", ["spectral", "bilinear"])
def test_average_of_2x2_reconstructs_its_mean(reconstruct: str) -> None:
    """[[1, 2], [3, 4]] → 2.5 → constant 2.5: err² = (2.25 + 0.25 + 0.25 + 2.25)/30 = 1/6."""
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    kept = information_kept(avg2, x, reconstruct)  # type: ignore[arg-type]
    assert kept.kept_fraction == pytest.approx(5 / 6, rel=1e-14)


def test_fixed_reconstructors_of_a_2x2_impulse_at_4x4() -> None:
    y = np.zeros((1, 1, 2, 2))
    y[0, 0, 0, 0] = 1.0
    shape = np.zeros((1, 1, 4, 4))
    # Trigonometric interpolation of [1, 0]: the Nyquist bin split ½/½ gives [1, ½, 0, ½].
    spectral = np.array([1.0, 0.5, 0.0, 0.5])
    np.testing.assert_allclose(
        reconstruct_images(shape, y, "spectral")[0, 0], np.outer(spectral, spectral), atol=1e-15
    )
    # Half-pixel centres at −¼, ¼, ¾, 1¼ (in pooled pixels), wrapping circularly.
    bilinear = np.array([0.75, 0.75, 0.25, 0.25])
    np.testing.assert_allclose(
        reconstruct_images(shape, y, "bilinear")[0, 0], np.outer(bilinear, bilinear), atol=1e-15
    )


def test_least_squares_of_a_first_pixel_pool() -> None:
    """Maps [1, 0] and [0, 1] pooled to their first pixel (1 and 0): the best decoder r·y
    recovers [1, 0] and nothing of [0, 1], so half the energy is kept."""
    x = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])
    kept = information_kept(lambda a: a[..., :1], x, "least_squares")
    assert kept.kept_fraction == pytest.approx(0.5, abs=1e-15)
    assert kept.output_fraction == 0.5


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: information_kept(identity, IMAGES, "cubic"),  # type: ignore[arg-type]
            "information_kept: reconstruct must be one of spectral, bilinear, least_squares, "
            "got 'cubic'",
        ),
        (
            lambda: information_kept(identity, np.zeros((2, 3))),
            r"information_kept: images must be a non-empty (N, C, H, W) array, got (2, 3)",
        ),
        (
            lambda: information_kept(avg2, IMAGES[:1, :1], "least_squares"),
            "information_kept: least_squares needs at least h*w = 16 maps (N*C), got 1",
        ),
        (
            lambda: information_kept(lambda a: np.tile(a, 2), IMAGES),
            "information_kept: pool must not enlarge the maps, got (40, 2, 8, 8) -> (40, 2, 8, 16)",
        ),
        (
            lambda: information_kept(identity, IMAGES, peak=0.0),
            "information_kept: peak must be positive, got 0.0",
        ),
    ],
)
def test_bad_arguments_name_themselves(call: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message


# -- test images and the bundle --------------------------------------------------------------


def test_natural_like_images_are_seeded_scaled_and_1_over_f() -> None:
    a = natural_like_images(16, 2, (64, 64), seed=1)
    assert a.shape == (16, 2, 64, 64) and a.dtype == np.float64
    np.testing.assert_array_equal(a, natural_like_images(16, 2, 64, seed=1))
    assert not np.array_equal(a, natural_like_images(16, 2, 64, seed=2))
    np.testing.assert_array_equal(a.min(axis=(2, 3)), 0.0)
    np.testing.assert_allclose(a.max(axis=(2, 3)), 1.0, rtol=1e-15)
    # The power spectrum falls as |f|^-2 (amplitude 1/f): fit the log-log slope over f > 0.
    power = (np.abs(np.fft.fft2(a)) ** 2).mean(axis=(0, 1))
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(64), indexing="ij"))
    slope = np.polyfit(np.log(f[f > 0]), np.log(power[f > 0]), 1)[0]
    assert slope == pytest.approx(-2.0, abs=0.1)
    flat = natural_like_images(16, 2, 64, seed=1, exponent=0.0)
    flat_power = (np.abs(np.fft.fft2(flat)) ** 2).mean(axis=(0, 1))
    assert np.polyfit(np.log(f[f > 0]), np.log(flat_power[f > 0]), 1)[0] == pytest.approx(
        0.0, abs=0.1
    )


def test_natural_like_images_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match=r"^natural_like_images: n must be positive, got 0$"):
        natural_like_images(0, 1, 8, seed=0)
    with pytest.raises(ValueError, match=r"^natural_like_images: size must be at least 2, got 1$"):
        natural_like_images(1, 1, 1, seed=0)


def test_pooling_metrics_bundles_the_parts() -> None:
    metrics = pooling_metrics(max2, IMAGES, seed=5)
    assert metrics.information == information_kept(max2, IMAGES)
    assert metrics.shift == shift_invariance(max2, IMAGES, seed=5)
    assert pooling_metrics(max2, IMAGES, seed=5, reconstruct="bilinear").information == (
        information_kept(max2, IMAGES, "bilinear")
    )
