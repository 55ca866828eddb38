"""max_unpool2d / max_unpool2d_backward: unpooling a max-pool puts every maximum back in place,
hand-checked scatters (including a re-read output_size), the gather backward (adjoint and finite
differences) and the argument errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fdsim.pooling.unpool import max_unpool2d, max_unpool2d_backward


def local_max_pool2d(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping k×k max pooling with torch's flat per-plane indices (test-only helper)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5)
    flat = windows.reshape(n, c, h // k, w // k, k * k)
    arg = flat.argmax(axis=-1)
    rows = np.arange(h // k)[:, None] * k + arg // k
    cols = np.arange(w // k)[None, :] * k + arg % k
    return flat.max(axis=-1), rows * w + cols


def test_unpool_of_max_pool_puts_each_max_in_place() -> None:
    x = np.random.default_rng(3).permutation(2 * 3 * 36).reshape(2, 3, 6, 6).astype(float)
    pooled, idx = local_max_pool2d(x, 2)
    y = max_unpool2d(pooled, idx, 2)
    window_max = np.repeat(np.repeat(pooled, 2, axis=2), 2, axis=3)
    np.testing.assert_array_equal(y, np.where(x == window_max, x, 0.0))
    assert np.count_nonzero(y) == pooled.size


def test_exact_scatter_and_default_size() -> None:
    values = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    idx = np.array([[[[0, 3], [9, 14]]]])
    y = max_unpool2d(values, idx, kernel_size=2)
    expected = np.zeros(16)
    expected[[0, 3, 9, 14]] = [1, 2, 3, 4]
    np.testing.assert_array_equal(y[0, 0], expected.reshape(4, 4))
    # (2 − 1)·1 − 2·1 + 3 = 2 per axis with stride 1 and padding 1
    assert max_unpool2d(values, np.array([[[[0, 1], [2, 3]]]]), 3, 1, 1).shape == (1, 1, 2, 2)


def test_other_output_size_rereads_flat_indices() -> None:
    # flat index 5 is (1, 1) in a 4-wide plane but (1, 0) in a 5-wide one (pooling.md §5.14).
    value, idx = np.array([[[[7.0]]]]), np.array([[[[5]]]])
    assert max_unpool2d(value, idx, kernel_size=4)[0, 0, 1, 1] == 7
    wide = max_unpool2d(value, idx, kernel_size=4, output_size=(1, 1, 4, 5))
    assert wide.shape == (1, 1, 4, 5) and wide[0, 0, 1, 0] == 7 and wide.sum() == 7


def test_backward_gathers_and_is_the_adjoint() -> None:
    rng = np.random.default_rng(4)
    idx = np.stack([rng.choice(20, size=6, replace=False) for _ in range(6)]).reshape(2, 3, 2, 3)
    x = rng.standard_normal(idx.shape)
    kwargs: dict[str, Any] = {"kernel_size": (2, 3), "stride": (2, 1), "padding": 0}
    y = max_unpool2d(x, idx, **kwargs)
    assert y.shape == (2, 3, 4, 5)
    g = rng.standard_normal(y.shape)
    back = max_unpool2d_backward(g, idx)
    np.testing.assert_array_equal(
        back, np.take_along_axis(g.reshape(2, 3, 20), idx.reshape(2, 3, 6), 2).reshape(idx.shape)
    )
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-13)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        diff = max_unpool2d(x + step, idx, **kwargs) - max_unpool2d(x - step, idx, **kwargs)
        numeric[i] = np.vdot(diff, g) / 2e-6
    np.testing.assert_allclose(back, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 0}, "max_unpool2d: kernel_size must be positive, got 0"),
        ({"kernel_size": 2, "padding": -1}, "max_unpool2d: padding must be at least 0, got -1"),
        (
            {"kernel_size": 2, "output_size": (6, 4)},
            "max_unpool2d: output_size[0] must be between 2 and 6 (exclusive), got 6",
        ),
        ({"kernel_size": 1}, "max_unpool2d: indices must lie in [0, 4), got 0..15"),
    ],
)
def test_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        max_unpool2d(np.ones((1, 1, 2, 2)), np.array([[[[0, 3], [9, 15]]]]), **kwargs)
    assert str(caught.value) == message
