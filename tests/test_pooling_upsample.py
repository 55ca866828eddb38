"""interpolate / interpolate_backward: the corner and scale conventions of each mode on tiny
hand-checkable maps, the adjoint and finite-difference checks of the backward, and the argument
errors. (Equality with torch itself: tests/test_pooling_upsample_torch.py.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from fdsim.pooling.upsample import MODES, interpolate, interpolate_backward

RNG_SEED = 7


def numeric_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, g: np.ndarray) -> Any:
    """Central differences of ⟨f(x), g⟩ with respect to every element of x."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        grad[i] = (np.vdot(f(x + step), g) - np.vdot(f(x - step), g)) / 2e-6
    return grad


def row(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)[None, None, None, :]


def axis_weights(mode: str, length: int, out: int, **kwargs: Any) -> np.ndarray:
    """The (out, length) matrix of ``mode`` along the width, read off unit impulses."""
    impulses = np.eye(length)[None, :, None, :]  # channel k holds e_k
    return interpolate(impulses, size=(1, out), mode=mode, **kwargs)[0, :, 0, :].T


# -- defining properties -------------------------------------------------------------------


def test_bilinear_align_corners_true_keeps_corners_and_ramps() -> None:
    i, j = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    x = (2 * i + 3 * j + 1)[None, None]
    y = interpolate(x, size=(7, 9), mode="bilinear", align_corners=True)
    for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert y[(0, 0, *corner)] == x[(0, 0, *corner)]
    o, p = np.meshgrid(np.arange(7.0), np.arange(9.0), indexing="ij")
    np.testing.assert_allclose(y[0, 0], 2 * o * 3 / 6 + 3 * p * 4 / 8 + 1, rtol=0, atol=1e-13)


def test_bilinear_half_pixel_centres() -> None:
    # src = (j + ½)/2 − ½ = −¼ (clamped to 0), ¼, ¾, 1¼ (clamped to the last sample).
    np.testing.assert_array_equal(
        interpolate(row([0, 1]), scale_factor=2, mode="bilinear")[0, 0, 0], [0, 0.25, 0.75, 1]
    )
    constant = np.full((1, 2, 3, 4), 2.5)
    for mode in ("bilinear", "bicubic", "lanczos"):
        y = interpolate(constant, size=(7, 5), mode=mode)
        np.testing.assert_allclose(y, 2.5, rtol=0, atol=1e-14)


def test_scale_factor_samples_with_its_reciprocal_not_in_over_out() -> None:
    ramp = row([0, 1, 2, 3])
    by_factor = interpolate(ramp, scale_factor=(1, 2.3), mode="bilinear")[0, 0, 0]
    j = np.arange(9.0)  # floor(4 · 2.3) = 9 outputs
    np.testing.assert_allclose(by_factor, np.clip((j + 0.5) / 2.3 - 0.5, 0, 3), atol=1e-15)
    by_size = interpolate(ramp, size=(1, 9), mode="bilinear")[0, 0, 0]
    np.testing.assert_allclose(by_size, np.clip((j + 0.5) * 4 / 9 - 0.5, 0, 3), atol=1e-15)
    assert np.abs(by_size - by_factor).max() > 0.02


def test_bicubic_ramps_away_from_borders() -> None:
    # Keys' kernel reproduces linear ramps at every offset only for A = −0.5. With torch's
    # A = −0.75 it does so where the taps are symmetric (fraction 0 or ½: align_corners 5 → 9) …
    ramp = row([0, 1, 2, 3, 4])
    y = interpolate(ramp, size=(1, 9), mode="bicubic", align_corners=True)[0, 0, 0]
    np.testing.assert_allclose(y[2:7], np.arange(2, 7) / 2, rtol=0, atol=1e-14)
    # … and is off by the first moment of its weights, ±0.046875 per unit slope, at fractions
    # ¼ and ¾ (half-pixel 2×), away from the clamped border taps.
    y = interpolate(row(list(range(8))), scale_factor=2, mode="bicubic")[0, 0, 0]
    src = (np.arange(16) + 0.5) / 2 - 0.5
    offset = np.where(np.arange(16) % 2, 0.046875, -0.046875)
    np.testing.assert_allclose(y[3:13], (src + offset)[3:13], rtol=0, atol=1e-14)
    assert abs(y[2] - src[2] - offset[2]) > 0.01  # clamped taps bend the ramp at the border


def test_bicubic_uses_a_minus_0_75() -> None:
    # Output 9 of a 2× up-sampling sits at src 4.25 (fraction ¼): Keys weights with A = −0.75 at
    # distances 1.25, 0.25, 0.75, 1.75 (A = −0.5 would give −0.0703125, 0.8671875, …).
    weights = axis_weights("bicubic", 9, 18)
    np.testing.assert_array_equal(
        weights[9, 3:7], [-0.10546875, 0.87890625, 0.26171875, -0.03515625]
    )
    np.testing.assert_array_equal(weights[8, 2:6], weights[9, 3:7][::-1])
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-15)


def test_lanczos_weights_are_normalised_lanczos3() -> None:
    weights = axis_weights("lanczos", 9, 18)
    distances = np.array([2.25, 1.25, 0.25, 0.75, 1.75, 2.75])
    raw = [
        math.sin(math.pi * d) * math.sin(math.pi * d / 3) / (math.pi**2 * d * d / 3)
        for d in distances
    ]
    np.testing.assert_allclose(weights[9, 2:8], np.array(raw) / sum(raw), rtol=0, atol=1e-15)
    assert np.count_nonzero(weights[9]) == 6
    constant = np.full((1, 1, 5, 6), -1.25)
    for kwargs in ({"scale_factor": 0.5}, {"size": (11, 3), "align_corners": True}):
        y = interpolate(constant, mode="lanczos", **kwargs)
        np.testing.assert_allclose(y, -1.25, rtol=0, atol=1e-14)


def test_nearest_modes() -> None:
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = interpolate(x, scale_factor=2)
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, 2, axis=2), 2, axis=3))
    # 5 → 2 (scale 2.5): legacy nearest floor(j·2.5) = 0, 2; nearest-exact floor((j+½)·2.5) = 1, 3.
    five = row([10, 11, 12, 13, 14])
    np.testing.assert_array_equal(interpolate(five, size=(1, 2))[0, 0, 0], [10, 12])
    exact = interpolate(five, size=(1, 2), mode="nearest-exact")
    np.testing.assert_array_equal(exact[0, 0, 0], [11, 13])
    # 2 → 3: nearest floor(j·⅔) = 0, 0, 1; nearest-exact floor((j+½)·⅔) = 0, 1, 1.
    np.testing.assert_array_equal(interpolate(row([1, 2]), size=(1, 3))[0, 0, 0], [1, 1, 2])
    np.testing.assert_array_equal(
        interpolate(row([1, 2]), size=(1, 3), mode="nearest-exact")[0, 0, 0], [1, 2, 2]
    )


def test_bed_of_nails_then_strided_subsampling_is_identity() -> None:
    x = np.random.default_rng(RNG_SEED).standard_normal((2, 3, 3, 4))
    y = interpolate(x, scale_factor=(2, 3), mode="bed_of_nails")
    assert y.shape == (2, 3, 6, 12)
    np.testing.assert_array_equal(y[:, :, ::2, ::3], x)
    y[:, :, ::2, ::3] = 0
    assert not y.any()
    np.testing.assert_array_equal(
        interpolate(row([5, 7]), size=(1, 4), mode="bed_of_nails")[0, 0, 0], [5, 0, 7, 0]
    )


# -- backward ------------------------------------------------------------------------------

CONFIGS: list[dict[str, Any]] = [
    {"mode": "nearest", "scale_factor": 1.7},
    {"mode": "nearest-exact", "size": (2, 7)},
    {"mode": "bilinear", "scale_factor": (2.5, 0.6)},
    {"mode": "bilinear", "size": (5, 3), "align_corners": True},
    {"mode": "bicubic", "scale_factor": 1.5},
    {"mode": "bicubic", "size": (2, 9), "align_corners": True},
    {"mode": "lanczos", "size": (7, 4)},
    {"mode": "bed_of_nails", "scale_factor": 2},
]


def test_configs_cover_every_mode() -> None:
    assert {c["mode"] for c in CONFIGS} == set(MODES)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_backward_is_the_adjoint(kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal((2, 2, 3, 5))
    y = interpolate(x, **kwargs)
    g = rng.standard_normal(y.shape)
    back = interpolate_backward(g, x.shape, **kwargs)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-12)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_backward_matches_finite_differences(kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(RNG_SEED + 1)
    x = rng.standard_normal((1, 2, 3, 4))
    g = rng.standard_normal(interpolate(x, **kwargs).shape)
    numeric = numeric_gradient(lambda v: interpolate(v, **kwargs), x, g)
    np.testing.assert_allclose(
        interpolate_backward(g, x.shape, **kwargs), numeric, rtol=1e-6, atol=1e-8
    )


def test_exact_backward_values() -> None:
    # 2× bilinear of [a, b]: [a, ¾a+¼b, ¼a+¾b, b] ⇒ the gradient of [1, 0, 0, 0] → [1, 0] and
    # of [0, 1, 1, 0] → [1, 1].
    for g, expected in (
        ([1, 0, 0, 0], [1, 0]),
        ([0, 1, 1, 0], [1, 1]),
        ([0, 1, 0, 0], [0.75, 0.25]),
    ):
        back = interpolate_backward(row(g), (1, 1, 1, 2), scale_factor=(1, 2), mode="bilinear")
        np.testing.assert_array_equal(back[0, 0, 0], expected)


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"scale_factor": 2, "align_corners": True},
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "bilinear | bicubic | lanczos",
        ),
        (
            {"size": 4, "scale_factor": 2},
            "interpolate: only one of size or scale_factor should be defined",
        ),
        ({}, "interpolate: either size or scale_factor should be defined"),
        (
            {"scale_factor": 1.5, "mode": "bed_of_nails"},
            "interpolate: bed_of_nails needs an integer factor, got input (2, 2) to (3, 3)",
        ),
        (
            {"size": 3, "mode": "area"},
            "interpolate: mode must be one of nearest, nearest-exact, bilinear, bicubic, "
            "lanczos, bed_of_nails, got 'area'",
        ),
        ({"scale_factor": 0.1}, "interpolate: output size must be positive, got (0, 0)"),
        ({"size": (2, 3, 4)}, "interpolate: size must have 2 entries for 4-D input, got (2, 3, 4)"),
    ],
)
def test_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        interpolate(np.zeros((1, 1, 2, 2)), **kwargs)
    assert str(caught.value) == message


def test_input_rank_and_gradient_shape_errors() -> None:
    with pytest.raises(
        ValueError, match=r"^interpolate: input must be 4-D \(N, C, H, W\), got shape \(2, 2\)$"
    ):
        interpolate(np.zeros((2, 2)), size=3)
    with pytest.raises(
        ValueError, match=r"grad_output must have shape \(1, 1, 4, 4\), got \(1, 1, 3, 3\)"
    ):
        interpolate_backward(np.zeros((1, 1, 3, 3)), (1, 1, 2, 2), scale_factor=2)
