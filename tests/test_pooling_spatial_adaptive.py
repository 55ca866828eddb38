"""Adaptive average/max pooling and spatial pyramid pooling: torch's bin rule on hand-checked
inputs, equality with the plain pools for divisible sizes, the SPP output layout and length,
finite-difference gradients and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_pooling_spatial_gradcheck import assert_gradient, distinct

from fdsim.pooling import adaptive as ad
from fdsim.pooling.spatial import avg_pool2d, max_pool2d


def test_bins_follow_floor_start_ceil_end() -> None:
    # L=5 → 3 bins: [0,2), [1,4), [3,5) (overlapping); a row vector makes them visible
    x = np.array([[[[1.0, 2.0, 3.0, 4.0, 5.0]]]])
    assert ad.adaptive_avg_pool2d(x, (1, 3)).ravel().tolist() == [1.5, 3.0, 4.5]
    out, idx = ad.adaptive_max_pool2d(x, (1, 3), return_indices=True)
    assert out.ravel().tolist() == [2.0, 4.0, 5.0] and idx.ravel().tolist() == [1, 3, 4]
    # more outputs than inputs repeat cells: L=2 → 3 bins [0,1), [0,2), [1,2)
    two = np.array([[[[2.0, 6.0]]]])
    assert ad.adaptive_avg_pool2d(two, (1, 3)).ravel().tolist() == [2.0, 4.0, 6.0]
    grad = ad.adaptive_avg_pool2d_backward(np.ones((1, 1, 1, 3)), two, (1, 3))
    assert grad.ravel().tolist() == [1.5, 1.5]


def test_output_size_none_keeps_the_input_size_and_ties_go_first() -> None:
    x = np.random.default_rng(30).standard_normal((1, 2, 5, 6))
    assert ad.adaptive_avg_pool2d(x, (None, 2)).shape == (1, 2, 5, 2)
    np.testing.assert_array_equal(ad.adaptive_max_pool2d(x, None), x)
    _, idx = ad.adaptive_max_pool2d(np.ones((1, 1, 4, 4)), 2, return_indices=True)
    assert idx.tolist() == [[[[0, 2], [8, 10]]]]


def test_divisible_sizes_equal_the_plain_pools() -> None:
    x = distinct((2, 3, 8, 12), 31)
    np.testing.assert_allclose(ad.adaptive_avg_pool2d(x, (4, 3)), avg_pool2d(x, (2, 4)), rtol=1e-14)
    out, idx = ad.adaptive_max_pool2d(x, (2, 6), return_indices=True)
    ref, ref_idx = max_pool2d(x, (4, 2), return_indices=True)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(idx, ref_idx)


@pytest.mark.parametrize("size", [3, (2, 4), (None, 5), (8, 3), 1])
def test_adaptive_backwards_match_finite_differences(size: object) -> None:
    x = distinct((1, 2, 7, 6), 32)
    for fwd, bwd in (
        (ad.adaptive_avg_pool2d, ad.adaptive_avg_pool2d_backward),
        (ad.adaptive_max_pool2d, ad.adaptive_max_pool2d_backward),
    ):
        out = np.asarray(fwd(x, size))
        g = np.random.default_rng(33).standard_normal(out.shape)
        assert_gradient(lambda v, f=fwd: np.asarray(f(v, size)), bwd(g, x, size), x, g)


def test_spp_layout_and_length() -> None:
    x = distinct((2, 3, 13, 13), 34)
    out = ad.spatial_pyramid_pool2d(x)
    assert out.shape == (2, 3 * (1 + 4 + 16))
    # level order as given, each level flattened channel-major (c, i, j)
    np.testing.assert_array_equal(out[:, :3], x.max(axis=(2, 3)))
    np.testing.assert_array_equal(
        out[:, 3:15], np.asarray(ad.adaptive_max_pool2d(x, 2)).reshape(2, 12)
    )
    np.testing.assert_array_equal(
        out[:, 15:], np.asarray(ad.adaptive_max_pool2d(x, 4)).reshape(2, 48)
    )
    assert ad.spatial_pyramid_pool2d(x, (6, 3, 2, 1), "avg").shape == (2, 3 * 50)
    q = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert ad.spatial_pyramid_pool2d(q, (1, 2), "avg").tolist() == [[2.5, 1.0, 2.0, 3.0, 4.0]]


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_spp_backward_matches_finite_differences(mode: str) -> None:
    x = distinct((2, 2, 6, 5), 35)
    g = np.random.default_rng(36).standard_normal((2, 2 * (1 + 4 + 9)))
    grad = ad.spatial_pyramid_pool2d_backward(g, x, (1, 2, 3), mode)
    assert_gradient(lambda v: ad.spatial_pyramid_pool2d(v, (1, 2, 3), mode), grad, x, g)


def test_argument_errors() -> None:
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"^adaptive_avg_pool2d: output_size must be positive"):
        ad.adaptive_avg_pool2d(x, 0)
    with pytest.raises(
        ValueError, match=r"^spatial_pyramid_pool2d: mode must be 'max' or 'avg', got 'sum'$"
    ):
        ad.spatial_pyramid_pool2d(x, mode="sum")
    with pytest.raises(ValueError, match=r"^spatial_pyramid_pool2d: levels must be a non-empty"):
        ad.spatial_pyramid_pool2d(x, ())
