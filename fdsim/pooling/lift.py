"""LiftPool: lifting-scheme down/up pooling (Zhao & Snoek, ICLR 2021; pooling.md §3, seed 003).

One 1-D lifting step on a signal x of even length along the lifting axis:

* split ``x_e = x[0::2]``, ``x_o = x[1::2]`` (0-based: the TLP code's convention; the paper's
  1-based "even" samples are these ``x_o``);
* predict ``d = x_o − P(x_e)`` (detail, the high band H);
* update ``s = x_e + U(d)`` (approximation, the low band L; U acts on d).

The inverse (LiftUpPool) is ``x_e = s − U(d)``, ``x_o = d + P(x_e)``, merge — exact for any P, U.
In 2-D the step runs along W first, (s, d), then along H on each: s → (LL, LH), d → (HL, HH),
sharing the one P and U three times (the authors' issue #3 reply). P and U are
:class:`~fdsim.pooling.lift_filter.LiftFilter` parameters (the paper's form) or plain callables; a
callable receives (N, C, A, L/2) arrays with the lifting axis last and must keep the shape.
Backwards need ``LiftFilter`` operators (a callable has neither parameters nor a vjp); they return
the input gradient and the gradients of P and U as ``LiftFilter`` values. torch has no LiftPool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from fdsim.pooling.lift_filter import LiftFilter

Array = npt.NDArray[np.float64]
LiftOperator = LiftFilter | Callable[[Array], Array]
Grads = tuple[Array, LiftFilter, LiftFilter]


def _signal(x: npt.ArrayLike, ndim: int, op: str) -> Array:
    arr = np.asarray(x, dtype=np.float64)
    names = {3: "(N,C,L)", 4: "(N,C,H,W)"}
    if arr.ndim != ndim:
        raise ValueError(f"{op}: input must be {ndim}-D {names[ndim]}, got shape {arr.shape}")
    if any(n % 2 for n in arr.shape[2:]):
        raise ValueError(f"{op}: spatial sizes must be even, got {arr.shape[2:]}")
    return arr


def _filter(f: LiftOperator, name: str, op: str) -> LiftFilter:
    if not isinstance(f, LiftFilter):
        raise ValueError(
            f"{op}: {name} must be a LiftFilter for the backward, got {type(f).__name__}"
        )
    return f


def _down(x: Array, p: LiftOperator, u: LiftOperator) -> tuple[Array, Array]:
    even, odd = x[..., 0::2], x[..., 1::2]
    detail = odd - p(even)
    return even + u(detail), detail


def _up(s: Array, d: Array, p: LiftOperator, u: LiftOperator) -> Array:
    even = s - u(d)
    out = np.empty((*s.shape[:-1], 2 * s.shape[-1]))
    out[..., 0::2] = even
    out[..., 1::2] = d + p(even)
    return out


def _down_vjp(x: Array, gs: Array, gd: Array, p: LiftFilter, u: LiftFilter) -> Grads:
    even, odd = x[..., 0::2], x[..., 1::2]
    detail = odd - p(even)
    g_detail_u, grad_u = u.vjp(detail, gs)
    g_detail = gd + g_detail_u
    g_even_p, grad_p = p.vjp(even, g_detail)
    gx = np.empty_like(x)
    gx[..., 0::2] = gs - g_even_p
    gx[..., 1::2] = g_detail
    return gx, grad_p.scaled(-1.0), grad_u


def _up_vjp(
    s: Array, d: Array, g: Array, p: LiftFilter, u: LiftFilter
) -> tuple[Array, Array, LiftFilter, LiftFilter]:
    even = s - u(d)
    g_even_p, grad_p = p.vjp(even, g[..., 1::2])
    g_even = g[..., 0::2] + g_even_p
    g_d_u, grad_u = u.vjp(d, g_even)
    return g_even, g[..., 1::2] - g_d_u, grad_p, grad_u.scaled(-1.0)


def _t(a: Array) -> Array:
    """Swap H and W so the vertical lifting axis is last."""
    return np.swapaxes(a, -1, -2)


def lift_down_pool1d(
    input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> tuple[Array, Array]:
    """(N,C,L) → the sub-bands (L, H) = (s, d), each (N,C,L/2)."""
    x = _signal(input, 3, "lift_down_pool1d")[:, :, None, :]
    s, d = _down(x, predict, update)
    return s[:, :, 0], d[:, :, 0]


def lift_down_pool1d_backward(
    grad_output: Sequence[Array], input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> Grads:
    """Gradients of :func:`lift_down_pool1d` given ``grad_output = (grad_L, grad_H)`` and the
    saved input: (grad_input, grad_predict, grad_update)."""
    op = "lift_down_pool1d_backward"
    x = _signal(input, 3, op)[:, :, None, :]
    gs, gd = (np.asarray(g, dtype=np.float64)[:, :, None, :] for g in grad_output)
    gx, gp, gu = _down_vjp(
        x, gs, gd, _filter(predict, "predict", op), _filter(update, "update", op)
    )
    return gx[:, :, 0], gp, gu


def lift_up_pool1d(
    low: npt.ArrayLike, high: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> Array:
    """Inverse of :func:`lift_down_pool1d`: (L, H), each (N,C,L/2) → x (N,C,L)."""
    s = np.asarray(low, dtype=np.float64)[:, :, None, :]
    d = np.asarray(high, dtype=np.float64)[:, :, None, :]
    return _up(s, d, predict, update)[:, :, 0]


def lift_up_pool1d_backward(
    grad_output: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
    predict: LiftOperator,
    update: LiftOperator,
) -> tuple[tuple[Array, Array], LiftFilter, LiftFilter]:
    """Gradients of :func:`lift_up_pool1d`: ((grad_L, grad_H), grad_predict, grad_update)."""
    op = "lift_up_pool1d_backward"
    g = np.asarray(grad_output, dtype=np.float64)[:, :, None, :]
    s = np.asarray(low, dtype=np.float64)[:, :, None, :]
    d = np.asarray(high, dtype=np.float64)[:, :, None, :]
    gs, gd, gp, gu = _up_vjp(
        s, d, g, _filter(predict, "predict", op), _filter(update, "update", op)
    )
    return (gs[:, :, 0], gd[:, :, 0]), gp, gu


def lift_down_pool2d(
    input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> tuple[Array, Array, Array, Array]:
    """(N,C,H,W) → the sub-bands (LL, LH, HL, HH), each (N,C,H/2,W/2)."""
    x = _signal(input, 4, "lift_down_pool2d")
    s, d = _down(x, predict, update)
    ll, lh = _down(_t(s), predict, update)
    hl, hh = _down(_t(d), predict, update)
    return _t(ll), _t(lh), _t(hl), _t(hh)


def lift_down_pool2d_backward(
    grad_output: Sequence[Array], input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> Grads:
    """Gradients of :func:`lift_down_pool2d` given ``grad_output = (g_LL, g_LH, g_HL, g_HH)``
    and the saved input: (grad_input, grad_predict, grad_update), P and U summed over their
    three uses."""
    op = "lift_down_pool2d_backward"
    x = _signal(input, 4, op)
    p, u = _filter(predict, "predict", op), _filter(update, "update", op)
    g_ll, g_lh, g_hl, g_hh = (_t(np.asarray(g, dtype=np.float64)) for g in grad_output)
    s, d = _down(x, p, u)
    gs, gp1, gu1 = _down_vjp(_t(s), g_ll, g_lh, p, u)
    gd, gp2, gu2 = _down_vjp(_t(d), g_hl, g_hh, p, u)
    gx, gp3, gu3 = _down_vjp(x, _t(gs), _t(gd), p, u)
    return gx, gp1.plus(gp2).plus(gp3), gu1.plus(gu2).plus(gu3)


def lift_up_pool2d(
    ll: npt.ArrayLike,
    lh: npt.ArrayLike,
    hl: npt.ArrayLike,
    hh: npt.ArrayLike,
    predict: LiftOperator,
    update: LiftOperator,
) -> Array:
    """Inverse of :func:`lift_down_pool2d`: the vertical steps, then the horizontal one."""
    bands = [_t(np.asarray(b, dtype=np.float64)) for b in (ll, lh, hl, hh)]
    s = _t(_up(bands[0], bands[1], predict, update))
    d = _t(_up(bands[2], bands[3], predict, update))
    return _up(s, d, predict, update)


def lift_up_pool2d_backward(
    grad_output: npt.ArrayLike,
    ll: npt.ArrayLike,
    lh: npt.ArrayLike,
    hl: npt.ArrayLike,
    hh: npt.ArrayLike,
    predict: LiftOperator,
    update: LiftOperator,
) -> tuple[tuple[Array, Array, Array, Array], LiftFilter, LiftFilter]:
    """Gradients of :func:`lift_up_pool2d`: ((g_LL, g_LH, g_HL, g_HH), grad_predict,
    grad_update), P and U summed over their three uses."""
    op = "lift_up_pool2d_backward"
    p, u = _filter(predict, "predict", op), _filter(update, "update", op)
    b = [_t(np.asarray(band, dtype=np.float64)) for band in (ll, lh, hl, hh)]
    s, d = _t(_up(b[0], b[1], p, u)), _t(_up(b[2], b[3], p, u))
    gs, gd, gp1, gu1 = _up_vjp(s, d, np.asarray(grad_output, dtype=np.float64), p, u)
    g_ll, g_lh, gp2, gu2 = _up_vjp(b[0], b[1], _t(gs), p, u)
    g_hl, g_hh, gp3, gu3 = _up_vjp(b[2], b[3], _t(gd), p, u)
    grads = (_t(g_ll), _t(g_lh), _t(g_hl), _t(g_hh))
    return grads, gp1.plus(gp2).plus(gp3), gu1.plus(gu2).plus(gu3)
