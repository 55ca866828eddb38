"""LiftPool: perfect reconstruction, the Haar and LeGall 5/3 reference cases (pooling.md §3.3),
hand-checked sub-bands, finite-difference gradients of every backward (input and P/U
parameters), and argument errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from fdsim.pooling.lift import (
    lift_down_pool1d,
    lift_down_pool1d_backward,
    lift_down_pool2d,
    lift_down_pool2d_backward,
    lift_up_pool1d,
    lift_up_pool1d_backward,
    lift_up_pool2d,
    lift_up_pool2d_backward,
)
from fdsim.pooling.lift_constraints import lift_constraint_losses, lift_constraint_losses_backward
from fdsim.pooling.lift_filter import LiftFilter

FIELDS = ("weight1", "bias1", "weight2", "bias2")


def _filters(seed: int, channels: int = 2, tanh: bool = True) -> tuple[LiftFilter, LiftFilter]:
    rng = np.random.default_rng(seed)
    p = replace(LiftFilter.random(channels, 3, rng), tanh=tanh)
    return p, replace(LiftFilter.random(channels, 3, rng), tanh=tanh)


def haar_predict(e: np.ndarray) -> np.ndarray:
    return e


def haar_update(d: np.ndarray) -> np.ndarray:
    return d / 2


def legall_predict(e: np.ndarray) -> np.ndarray:
    return (e + np.roll(e, -1, axis=-1)) / 2  # P(e)[n] = (e[n] + e[n+1]) / 2, periodic


def legall_update(d: np.ndarray) -> np.ndarray:
    return (np.roll(d, 1, axis=-1) + d) / 4  # U(d)[n] = (d[n-1] + d[n]) / 4, periodic


def test_perfect_reconstruction_random_filters_and_callables() -> None:
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 3, 10)), rng.standard_normal((2, 3, 6, 8))
    p, u = _filters(1, 3)
    odd_p: Callable[[np.ndarray], np.ndarray] = lambda v: np.sin(3 * v) + v**2  # noqa: E731
    odd_u: Callable[[np.ndarray], np.ndarray] = lambda v: np.cos(v) * 2.0  # noqa: E731
    for pp, uu in ((p, u), (odd_p, odd_u)):
        np.testing.assert_allclose(
            lift_up_pool1d(*lift_down_pool1d(x1, pp, uu), pp, uu), x1, atol=1e-12
        )
        bands = lift_down_pool2d(x2, pp, uu)
        assert all(b.shape == (2, 3, 3, 4) for b in bands)
        np.testing.assert_allclose(lift_up_pool2d(*bands, pp, uu), x2, atol=1e-12)


def test_haar_reference_case() -> None:
    x = np.array([[[1.0, 3.0, 2.0, 6.0]]])
    low, high = lift_down_pool1d(x, haar_predict, haar_update)
    np.testing.assert_array_equal(low, [[[2.0, 4.0]]])  # pairwise means
    np.testing.assert_array_equal(high, [[[2.0, 4.0]]])  # odd minus even
    # 2-D Haar on [[1, 2], [3, 5]]: LL = mean, LH = vertical difference of row means,
    # HL = mean of the horizontal differences, HH = difference of the horizontal differences.
    ll, lh, hl, hh = lift_down_pool2d(
        np.array([[[[1.0, 2.0], [3.0, 5.0]]]]), haar_predict, haar_update
    )
    assert (ll.item(), lh.item(), hl.item(), hh.item()) == (2.75, 2.5, 1.5, 1.0)


def test_legall_53_reference_case() -> None:
    # A ramp: interior details vanish (5/3 predicts linear signals exactly); the periodic
    # wrap-around at the end sees the jump 7 → 0.  e = [0,2,4,6], o = [1,3,5,7]
    # P(e) = [1,3,5,3] → d = [0,0,0,4];  U(d) = [1,0,0,1] → s = [1,2,4,7].
    x = np.arange(8.0)[None, None]
    low, high = lift_down_pool1d(x, legall_predict, legall_update)
    np.testing.assert_array_equal(high, [[[0.0, 0.0, 0.0, 4.0]]])
    np.testing.assert_array_equal(low, [[[1.0, 2.0, 4.0, 7.0]]])
    y = np.random.default_rng(2).standard_normal((1, 2, 8, 8))
    bands = lift_down_pool2d(y, legall_predict, legall_update)
    np.testing.assert_allclose(lift_up_pool2d(*bands, legall_predict, legall_update), y, atol=1e-14)


def test_zero_pointwise_weights_is_a_split_with_constant_offset() -> None:
    # TLP's initialisation (zero 1×1 weights): P = U = tanh(bias2), a constant per channel.
    rng = np.random.default_rng(3)
    p, u = _filters(4)
    p, u = replace(p, weight2=np.zeros((2, 2))), replace(u, weight2=np.zeros((2, 2)))
    x = rng.standard_normal((1, 2, 6))
    low, high = lift_down_pool1d(x, p, u)
    np.testing.assert_allclose(high, x[..., 1::2] - np.tanh(p.bias2)[None, :, None], atol=1e-15)
    np.testing.assert_allclose(low, x[..., 0::2] + np.tanh(u.bias2)[None, :, None], atol=1e-15)


def _fd(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        grad[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _check_params(
    scalar: Callable[[LiftFilter, LiftFilter], float],
    p: LiftFilter,
    u: LiftFilter,
    grad_p: LiftFilter,
    grad_u: LiftFilter,
) -> None:
    for name in FIELDS:
        fd_p = _fd(lambda a, n=name: scalar(replace(p, **{n: a}), u), getattr(p, name))
        fd_u = _fd(lambda a, n=name: scalar(p, replace(u, **{n: a})), getattr(u, name))
        np.testing.assert_allclose(getattr(grad_p, name), fd_p, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(getattr(grad_u, name), fd_u, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("tanh", [True, False])
def test_gradients_1d(tanh: bool) -> None:
    rng = np.random.default_rng(5)
    p, u = _filters(6, tanh=tanh)
    x = rng.standard_normal((2, 2, 8))
    g_low, g_high = rng.standard_normal((2, 2, 2, 4))

    def down(xx: np.ndarray, pp: LiftFilter, uu: LiftFilter) -> float:
        low, high = lift_down_pool1d(xx, pp, uu)
        return float(np.sum(low * g_low) + np.sum(high * g_high))

    gx, gp, gu = lift_down_pool1d_backward((g_low, g_high), x, p, u)
    np.testing.assert_allclose(gx, _fd(lambda a: down(a, p, u), x), rtol=1e-6, atol=1e-8)
    _check_params(lambda pp, uu: down(x, pp, uu), p, u, gp, gu)

    low, high = lift_down_pool1d(x, p, u)
    g = rng.standard_normal(x.shape)

    def up(s: np.ndarray, d: np.ndarray, pp: LiftFilter, uu: LiftFilter) -> float:
        return float(np.sum(lift_up_pool1d(s, d, pp, uu) * g))

    (gs, gd), gp, gu = lift_up_pool1d_backward(g, low, high, p, u)
    np.testing.assert_allclose(gs, _fd(lambda a: up(a, high, p, u), low), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gd, _fd(lambda a: up(low, a, p, u), high), rtol=1e-6, atol=1e-8)
    _check_params(lambda pp, uu: up(low, high, pp, uu), p, u, gp, gu)


def test_gradients_2d() -> None:
    rng = np.random.default_rng(7)
    p, u = _filters(8)
    x = rng.standard_normal((1, 2, 4, 4))
    gb = tuple(rng.standard_normal((1, 2, 2, 2)) for _ in range(4))

    def down(xx: np.ndarray, pp: LiftFilter, uu: LiftFilter) -> float:
        return float(
            sum(np.sum(b * g) for b, g in zip(lift_down_pool2d(xx, pp, uu), gb, strict=True))
        )

    gx, gp, gu = lift_down_pool2d_backward(gb, x, p, u)
    np.testing.assert_allclose(gx, _fd(lambda a: down(a, p, u), x), rtol=1e-6, atol=1e-8)
    _check_params(lambda pp, uu: down(x, pp, uu), p, u, gp, gu)

    bands = lift_down_pool2d(x, p, u)
    g = rng.standard_normal(x.shape)
    grads, gp, gu = lift_up_pool2d_backward(g, *bands, p, u)
    for i in range(4):

        def up_i(a: np.ndarray, i: int = i) -> float:
            b = list(bands)
            b[i] = a
            return float(np.sum(lift_up_pool2d(*b, p, u) * g))

        np.testing.assert_allclose(grads[i], _fd(up_i, bands[i]), rtol=1e-6, atol=1e-8)
    _check_params(lambda pp, uu: float(np.sum(lift_up_pool2d(*bands, pp, uu) * g)), p, u, gp, gu)


@pytest.mark.parametrize("shape", [(2, 2, 8), (1, 2, 4, 4)])
def test_constraint_losses_values_and_gradients(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(9)
    p, u = _filters(10)
    x = rng.standard_normal(shape)
    lam = (0.01, 0.1)

    def loss(xx: np.ndarray, pp: LiftFilter, uu: LiftFilter) -> float:
        c_u, c_p = lift_constraint_losses(xx, pp, uu)
        return lam[0] * c_u + lam[1] * c_p

    gx, gp, gu = lift_constraint_losses_backward(lam, x, p, u)
    np.testing.assert_allclose(gx, _fd(lambda a: loss(a, p, u), x), rtol=1e-6, atol=1e-9)
    _check_params(lambda pp, uu: loss(x, pp, uu), p, u, gp, gu)


def test_constraint_losses_exact_values() -> None:
    # Haar on [1, 3, 2, 6]: s = [2, 4], x_o = [3, 6] → c_u = ‖[-1, -2]‖ = √5; d = [2, 4] → √20.
    c_u, c_p = lift_constraint_losses(np.array([[[1.0, 3.0, 2.0, 6.0]]]), haar_predict, haar_update)
    assert c_u == pytest.approx(np.sqrt(5.0), rel=1e-15)
    assert c_p == pytest.approx(np.sqrt(20.0), rel=1e-15)


def test_bad_arguments() -> None:
    p, u = _filters(11)
    with pytest.raises(
        ValueError, match=r"^lift_down_pool1d: spatial sizes must be even, got \(5,\)$"
    ):
        lift_down_pool1d(np.zeros((1, 2, 5)), p, u)
    with pytest.raises(ValueError, match=r"^lift_down_pool2d: input must be 4-D \(N,C,H,W\)"):
        lift_down_pool2d(np.zeros((1, 2, 4)), p, u)
    with pytest.raises(
        ValueError,
        match=r"^lift_down_pool1d_backward: predict must be a LiftFilter for the backward",
    ):
        lift_down_pool1d_backward((np.zeros((1, 2, 2)),) * 2, np.zeros((1, 2, 4)), haar_predict, u)
    with pytest.raises(ValueError, match=r"^LiftFilter: kernel size must be odd, got 2$"):
        LiftFilter(np.zeros((2, 2)), np.zeros(2), np.zeros((2, 2)), np.zeros(2))
