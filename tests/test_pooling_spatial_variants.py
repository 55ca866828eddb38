"""The fdsim-extension window pools (GeM, median, k-max, mixed, SoftPool, stochastic, LIP):
each one's defining property, hand-checked values, finite-difference gradients (input and
parameters) and a few argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_pooling_spatial_gradcheck import assert_gradient, distinct, numeric_gradient

from fdsim.pooling import spatial_mean as sm
from fdsim.pooling import spatial_rank as sr
from fdsim.pooling import spatial_stochastic as ss
from fdsim.pooling.spatial import avg_pool2d, max_pool2d

Q = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])


def _g(shape: tuple[int, ...], seed: int = 11) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# --- GeM -----------------------------------------------------------------------------------


def test_gem_values_and_global_default() -> None:
    assert sm.gem_pool2d(Q, 2.0).item() == pytest.approx(np.sqrt(7.5), rel=1e-15)
    assert sm.gem_pool2d(np.ones((2, 3, 4, 5))).shape == (2, 3, 1, 1)
    # values below eps are clamped to eps before the power
    assert sm.gem_pool2d(np.zeros((1, 1, 2, 2)), 3.0, eps=1e-3).item() == pytest.approx(1e-3)


def test_gem_at_p_one_is_avg_and_large_p_approaches_max() -> None:
    x = distinct((1, 2, 6, 6), 12, low=0.1)
    np.testing.assert_allclose(sm.gem_pool2d(x, 1.0, 2), avg_pool2d(x, 2), rtol=1e-14)
    peak = np.asarray(max_pool2d(x, 2))
    big = sm.gem_pool2d(x, 400.0, 2)
    # (mean x^p)^(1/p) lies between max·(1/4)^(1/p) and max
    assert np.all(big <= peak * (1 + 1e-12)) and np.all(big >= peak * 0.25 ** (1 / 400))


def test_gem_backward_input_and_p() -> None:
    x = distinct((1, 2, 6, 6), 13, low=0.2)
    for args in ((3.0, 2), (2.5, 3, 2), (3.0, None)):
        out = sm.gem_pool2d(x, *args)
        g = _g(out.shape)
        grad_x, grad_p = sm.gem_pool2d_backward(g, x, *args)
        assert_gradient(lambda v, a=args: sm.gem_pool2d(v, *a), grad_x, x, g)
        p, rest = args[0], args[1:]
        numeric = numeric_gradient(
            lambda q, g=g, r=rest: float(np.sum(g * sm.gem_pool2d(x, float(q[0]), *r))),
            np.array([p]),
        )
        assert grad_p == pytest.approx(numeric[0], rel=1e-6)
    with pytest.raises(ValueError, match=r"^gem_pool2d: p must be finite and non-zero, got 0.0$"):
        sm.gem_pool2d(x, 0.0)


# --- median and k-max ----------------------------------------------------------------------


def test_median_is_the_lower_middle_and_ties_go_to_the_first() -> None:
    x = np.array([[[[3.0, 1.0, 2.0, 2.0], [1.0, 1.0, 5.0, 2.0]]]])
    out, idx = sr.median_pool2d(x, 2, return_indices=True)
    # windows [3,1,1,1] → lower median 1 first at flat index 1; [2,2,5,2] → 2 first at index 2
    assert out.tolist() == [[[[1.0, 2.0]]]] and idx.tolist() == [[[[1, 2]]]]
    odd = np.array([[[[5.0, 9.0, 1.0], [7.0, 3.0, 8.0], [2.0, 6.0, 4.0]]]])
    assert sr.median_pool2d(odd, 3).item() == 5.0
    assert sr.median_pool2d(odd, (1, 3), dilation=1).ravel().tolist() == [5.0, 7.0, 4.0]


def test_median_backward() -> None:
    x = distinct((1, 2, 7, 7), 14)
    for args in ((3,), ((2, 3), (1, 2)), (2, 2, 2)):
        out = np.asarray(sr.median_pool2d(x, *args))
        g = _g(out.shape)
        grad = sr.median_pool2d_backward(g, x, *args)
        assert_gradient(lambda v, a=args: np.asarray(sr.median_pool2d(v, *a)), grad, x, g)


def test_kmax_endpoints_values_and_backward() -> None:
    x = distinct((1, 2, 7, 6), 15)
    np.testing.assert_array_equal(sr.kmax_pool2d(x, 1, 3, 2), max_pool2d(x, 3, 2))
    np.testing.assert_allclose(sr.kmax_pool2d(x, 9, 3, 2), avg_pool2d(x, 3, 2), rtol=1e-14)
    assert sr.kmax_pool2d(Q, 2, 2).item() == 3.5
    ties = np.array([[[[2.0, 5.0], [2.0, 1.0]]]])
    grad = sr.kmax_pool2d_backward(np.ones((1, 1, 1, 1)), ties, 2, 2)
    assert grad.tolist() == [[[[0.5, 0.5], [0.0, 0.0]]]]  # the first of the tied 2s
    g = _g((1, 2, 3, 2))
    assert_gradient(
        lambda v: sr.kmax_pool2d(v, 3, 3, 2), sr.kmax_pool2d_backward(g, x, 3, 3, 2), x, g
    )
    with pytest.raises(ValueError, match=r"^kmax_pool2d: k must be an int in \[1, 4\], got 5$"):
        sr.kmax_pool2d(Q, 5, 2)


# --- mixed ---------------------------------------------------------------------------------


def test_mixed_endpoints_and_backward() -> None:
    x = distinct((1, 2, 7, 7), 16)
    args = (3, 2, 1, True)
    np.testing.assert_array_equal(
        sm.mixed_pool2d(x, *args, alpha=1.0), max_pool2d(x, *args[:3], 1, True)
    )
    np.testing.assert_array_equal(sm.mixed_pool2d(x, *args, alpha=0.0), avg_pool2d(x, *args))
    assert sm.mixed_pool2d(Q, 2, alpha=0.25).item() == 0.25 * 4 + 0.75 * 2.5
    g = _g(sm.mixed_pool2d(x, *args).shape)
    grad_x, grad_a = sm.mixed_pool2d_backward(g, x, *args, alpha=0.3)
    assert_gradient(lambda v: sm.mixed_pool2d(v, *args, alpha=0.3), grad_x, x, g)
    numeric = numeric_gradient(
        lambda a: float(np.sum(g * sm.mixed_pool2d(x, *args, alpha=float(a[0])))), np.array([0.3])
    )
    assert grad_a == pytest.approx(numeric[0], rel=1e-6)
    with pytest.raises(ValueError, match=r"^mixed_pool2d: alpha must lie in \[0, 1\], got 1.5$"):
        sm.mixed_pool2d(x, 2, alpha=1.5)


# --- SoftPool ------------------------------------------------------------------------------


def test_soft_pool_values_constant_and_no_overflow() -> None:
    x = np.array([[[[0.0, np.log(3.0)]]]])
    assert sm.soft_pool2d(x, (1, 2)).item() == pytest.approx(0.75 * np.log(3.0), rel=1e-15)
    np.testing.assert_allclose(sm.soft_pool2d(np.full((1, 1, 5, 5), 1000.0), 3, 2), 1000.0)
    np.testing.assert_allclose(sm.soft_pool2d(np.full((1, 2, 6, 6), -2.0), 2), -2.0, rtol=1e-15)
    assert sm.soft_pool2d(np.zeros((1, 1, 8, 8)), 3, 2).shape == (1, 1, 3, 3)  # torch's rule


def test_soft_pool_backward() -> None:
    x = np.random.default_rng(17).standard_normal((1, 2, 7, 7))
    for args in ((2,), (3, 2), ((2, 3), (1, 2))):
        g = _g(sm.soft_pool2d(x, *args).shape)
        grad = sm.soft_pool2d_backward(g, x, *args)
        assert_gradient(lambda v, a=args: sm.soft_pool2d(v, *a), grad, x, g)


# --- stochastic ----------------------------------------------------------------------------


def test_stochastic_test_mode_is_the_probability_weighted_average() -> None:
    x = distinct((1, 2, 6, 6), 18, low=0.1)
    out = ss.stochastic_pool2d(x, 2, training=False)
    view = x.reshape(1, 2, 3, 2, 3, 2)
    expected = (view**2).sum(axis=(3, 5)) / view.sum(axis=(3, 5))
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    assert ss.stochastic_pool2d(Q, 2, training=False).item() == 30.0 / 10.0
    zero = np.zeros((1, 1, 2, 2))
    assert ss.stochastic_pool2d(zero, 2, training=False).item() == 0.0
    assert not ss.stochastic_pool2d_backward(np.ones((1, 1, 1, 1)), zero, 2, training=False).any()
    g = _g(out.shape)
    grad = ss.stochastic_pool2d_backward(g, x, 2, training=False)
    assert_gradient(lambda v: np.asarray(ss.stochastic_pool2d(v, 2, training=False)), grad, x, g)


def test_stochastic_training_is_reproducible_and_routes_to_the_sample() -> None:
    x = distinct((2, 2, 6, 6), 19, low=0.0) + 1.0
    first, idx = ss.stochastic_pool2d(x, 2, seed=5, return_indices=True)
    again, idx2 = ss.stochastic_pool2d(x, 2, seed=np.random.default_rng(5), return_indices=True)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(idx, idx2)
    picked = np.take_along_axis(x.reshape(2, 2, -1), idx.reshape(2, 2, -1), -1)
    np.testing.assert_array_equal(picked.reshape(first.shape), first)
    assert not np.array_equal(idx, ss.stochastic_pool2d(x, 2, seed=6, return_indices=True)[1])
    g = _g(first.shape)
    grad = ss.stochastic_pool2d_backward(g, x, 2, indices=idx)
    assert grad.sum() == pytest.approx(g.sum()) and np.count_nonzero(grad) == g.size
    # an all-zero window outputs 0 and points at its first cell; zero cells are never drawn
    zero = np.array([[[[0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]]]])
    out, where = ss.stochastic_pool2d(zero, 2, return_indices=True)
    assert out.tolist() == [[[[0.0, 2.0]]]] and where.tolist() == [[[[0, 3]]]]


def test_stochastic_sample_frequencies_match_the_probabilities() -> None:
    n = 20000
    x = np.tile(np.array([[1.0, 2.0], [3.0, 0.0]]), (n, 1, 1, 1))
    _, idx = ss.stochastic_pool2d(x, 2, seed=1, return_indices=True)
    freq = np.bincount(idx.ravel(), minlength=4) / n
    p = np.array([1.0, 2.0, 3.0, 0.0]) / 6.0
    # 5 binomial standard deviations: a false failure has probability < 1e-5 per cell
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n))
    assert freq[3] == 0.0


def test_stochastic_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"^stochastic_pool2d: input must be non-negative"):
        ss.stochastic_pool2d(-Q, 2)
    with pytest.raises(ValueError, match=r"^stochastic_pool2d_backward: indices \(from the"):
        ss.stochastic_pool2d_backward(np.ones((1, 1, 1, 1)), Q, 2)


# --- LIP -----------------------------------------------------------------------------------


def test_lip_with_zero_importance_is_avg_pool_without_pad_counting() -> None:
    x = np.random.default_rng(20).standard_normal((1, 2, 7, 6))
    np.testing.assert_allclose(
        sm.lip_pool2d(x, np.zeros_like(x), 3, 2, 1),
        avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        rtol=1e-14,
    )
    weights = np.log(np.array([[[[1.0, 1.0], [2.0, 4.0]]]]))
    assert sm.lip_pool2d(Q, weights, 2).item() == pytest.approx((1 + 2 + 6 + 16) / 8.0, rel=1e-15)
    with pytest.raises(ValueError, match=r"^lip_pool2d: importance must have the input's shape"):
        sm.lip_pool2d(Q, np.zeros((1, 1, 1, 2)), 2)


def test_lip_backward_input_and_importance() -> None:
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((1, 2, 7, 6)), rng.standard_normal((1, 2, 7, 6))
    for args in ((2,), (3, 2, 1), ((3, 2), (2, 1), (1, 0))):
        g = _g(sm.lip_pool2d(x, w, *args).shape)
        grad_x, grad_w = sm.lip_pool2d_backward(g, x, w, *args)
        assert_gradient(lambda v, a=args: sm.lip_pool2d(v, w, *a), grad_x, x, g)
        assert_gradient(lambda v, a=args: sm.lip_pool2d(x, v, *a), grad_w, w, g)
