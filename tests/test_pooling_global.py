"""Global average/max pooling and covariance (second-order) pooling: equality with the plain
mean/max, the square root squaring back to the covariance, Newton–Schulz converging to the exact
root, hand-checked tiny cases, finite-difference gradients and the argument errors."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from fdsim.pooling.global_pool import (
    covariance_pool2d,
    covariance_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_max_pool2d,
    global_max_pool2d_backward,
)


def numeric_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, g: np.ndarray) -> Any:
    """Central differences of ⟨f(x), g⟩ with respect to every element of x."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        grad[i] = (np.vdot(f(x + step), g) - np.vdot(f(x - step), g)) / 2e-6
    return grad


def test_global_pools_equal_mean_and_max() -> None:
    x = np.random.default_rng(21).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(global_avg_pool2d(x)[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-15)
    out = global_max_pool2d(x)
    assert isinstance(out, np.ndarray) and out.shape == (2, 3, 1, 1)
    np.testing.assert_array_equal(out[:, :, 0, 0], x.max(axis=(2, 3)))


def test_global_pools_exact_values_and_first_tie() -> None:
    x = np.array([[[[1.0, 5.0], [5.0, -3.0]]]])
    assert global_avg_pool2d(x)[0, 0, 0, 0] == 2.0
    value, idx = global_max_pool2d(x, return_indices=True)
    assert value[0, 0, 0, 0] == 5.0 and idx[0, 0, 0, 0] == 1
    np.testing.assert_array_equal(
        global_max_pool2d_backward(np.full((1, 1, 1, 1), 2.0), x)[0, 0], [[0, 2], [0, 0]]
    )
    np.testing.assert_array_equal(
        global_avg_pool2d_backward(np.full((1, 1, 1, 1), 2.0), x.shape)[0, 0],
        [[0.5, 0.5], [0.5, 0.5]],
    )


def test_global_pool_gradients() -> None:
    rng = np.random.default_rng(22)
    x = rng.permutation(24).reshape(2, 3, 2, 2) / 7.0  # distinct values: no ties near the max
    g = rng.standard_normal((2, 3, 1, 1))
    np.testing.assert_allclose(
        global_avg_pool2d_backward(g, x.shape), numeric_gradient(global_avg_pool2d, x, g), rtol=1e-6
    )
    numeric = numeric_gradient(lambda v: np.asarray(global_max_pool2d(v)), x, g)
    np.testing.assert_allclose(global_max_pool2d_backward(g, x), numeric, rtol=1e-6, atol=1e-9)


def covariance(x: np.ndarray) -> np.ndarray:
    return np.stack([np.cov(sample.reshape(x.shape[1], -1), bias=True) for sample in x])


def test_eig_root_squares_to_the_covariance() -> None:
    x = np.random.default_rng(23).standard_normal((2, 4, 3, 3))
    root = covariance_pool2d(x, method="eig", eps=0.0)
    np.testing.assert_allclose(root, root.transpose(0, 2, 1), atol=1e-15)
    np.testing.assert_allclose(root @ root, covariance(x), rtol=0, atol=1e-13)
    assert np.linalg.eigvalsh(root).min() > 0
    with_eps = covariance_pool2d(x, method="eig", eps=0.1)
    np.testing.assert_allclose(with_eps @ with_eps, covariance(x) + 0.1 * np.eye(4), atol=1e-13)


def test_newton_schulz_converges_to_the_eig_root() -> None:
    x = np.random.default_rng(24).standard_normal((1, 3, 4, 4))
    exact = covariance_pool2d(x, method="eig")
    errors = [np.abs(covariance_pool2d(x, iterations=n) - exact).max() for n in range(1, 13)]
    # strictly decreasing until round-off (reached at about 7 steps here)
    assert all(later < earlier for earlier, later in itertools.pairwise(errors[:7]))
    assert errors[0] > 0.1 and errors[4] < 1e-3 * np.abs(exact).max() and errors[-1] < 1e-14


def test_covariance_exact_values() -> None:
    # channel 0 = ±1 (variance 1), channel 1 = ±2 (variance 4), uncorrelated: root = diag(1, 2).
    x = np.array([[[[1.0, -1.0], [1.0, -1.0]], [[2.0, 2.0], [-2.0, -2.0]]]])
    np.testing.assert_allclose(
        covariance_pool2d(x, method="eig", eps=0.0)[0], np.diag([1.0, 2.0]), atol=1e-15
    )
    # One channel: Σ/trΣ = 1 is a fixed point of Newton–Schulz, so the result is the std exactly.
    single = np.array([[[[1.0, 3.0]]]])
    assert covariance_pool2d(single, iterations=1, eps=0.0)[0, 0, 0] == 1.0
    # Two channels: A = Σ/tr Σ = diag(0.2, 0.8); one step Y₁ = A·(3I − A)/2, times √tr Σ = √5.
    one_step = covariance_pool2d(x, iterations=1, eps=0.0)[0]
    np.testing.assert_allclose(one_step, np.sqrt(5.0) * np.diag([0.2 * 1.4, 0.8 * 1.1]), atol=1e-15)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "eig"},
        {"method": "eig", "eps": 0.0},
        {"method": "newton_schulz"},
        {"iterations": 2, "eps": 0.5},
    ],
)
def test_covariance_gradient_matches_finite_differences(kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(25)
    x = rng.standard_normal((2, 3, 2, 3))
    g = rng.standard_normal((2, 3, 3))
    numeric = numeric_gradient(lambda v: covariance_pool2d(v, **kwargs), x, g)
    np.testing.assert_allclose(
        covariance_pool2d_backward(g, x, **kwargs), numeric, rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"method": "svd"},
            "covariance_pool2d: method must be 'eig' or 'newton_schulz', got 'svd'",
        ),
        ({"iterations": 0}, "covariance_pool2d: iterations must be a positive int, got 0"),
        ({"eps": -1.0}, "covariance_pool2d: eps must be non-negative, got -1.0"),
    ],
)
def test_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        covariance_pool2d(np.ones((1, 2, 2, 2)), **kwargs)
    assert str(caught.value) == message
    with pytest.raises(ValueError, match=r"^global_max_pool2d: input must be 4-D"):
        global_max_pool2d(np.ones((2, 2, 2)))


def test_constant_input() -> None:
    # eig: a zero covariance has the zero root and (both roots zero) a zero gradient.
    flat = np.full((1, 2, 2, 2), 3.0)
    assert not covariance_pool2d(flat, method="eig", eps=0.0).any()
    g = np.ones((1, 2, 2))
    assert not covariance_pool2d_backward(g, flat, method="eig", eps=0.0).any()
    message = r"^covariance_pool2d: newton_schulz needs a covariance with positive trace"
    with pytest.raises(ValueError, match=message):
        covariance_pool2d(flat, eps=0.0)
    np.testing.assert_allclose(covariance_pool2d(flat, eps=0.04), 0.2 * np.eye(2)[None], atol=1e-15)
