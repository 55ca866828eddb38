"""LiftPool's two constraint losses and their backward (pooling.md §3.1, seed 003).

Per lifting step: ``c_u = ‖s − x_o‖₂ = ‖x_e + U(d) − x_o‖₂`` (the approximation should resemble
the signal) and ``c_p = ‖d‖₂ = ‖x_o − P(x_e)‖₂`` (the detail should be small), plain ℓ2 norms over
the whole batch, as the TLP code computes them; the training loss adds ``λ_u·c_u + λ_p·c_p``.
For (N,C,L) input this is the one 1-D step; for (N,C,H,W) the values of the three steps of
:func:`~fdsim.pooling.lift.lift_down_pool2d` (horizontal on x, vertical on s and on d) are summed.
The norm has no gradient at 0 (pooling.md §3.2); the backward returns 0 there (a subgradient).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from fdsim.pooling.lift import Grads, LiftOperator, _down, _down_vjp, _filter, _signal, _t
from fdsim.pooling.lift_filter import LiftFilter

Array = npt.NDArray[np.float64]


def _step(v: Array, p: LiftOperator, u: LiftOperator) -> tuple[Array, Array, Array, Array]:
    s, d = _down(v, p, u)
    return s - v[..., 1::2], d, s, d


def _unit(v: Array) -> Array:
    norm = float(np.sqrt(np.sum(v * v)))
    return v / norm if norm > 0.0 else np.zeros_like(v)


def _step_vjp(
    v: Array, p: LiftFilter, u: LiftFilter, g_u: float, g_p: float, gs: Array, gd: Array
) -> Grads:
    """Gradient of ``g_u·c_u + g_p·c_p + Σ gs·s + Σ gd·d`` for one step on ``v``."""
    resid, detail, _, _ = _step(v, p, u)
    r_hat = g_u * _unit(resid)
    gv, gp, gu = _down_vjp(v, gs + r_hat, gd + g_p * _unit(detail), p, u)
    gv[..., 1::2] -= r_hat  # c_u also reads x_o directly
    return gv, gp, gu


def lift_constraint_losses(
    input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> tuple[float, float]:
    """(c_u, c_p) of the lifting decomposition of (N,C,L) or (N,C,H,W) ``input``."""
    x = np.asarray(input, dtype=np.float64)
    op = "lift_constraint_losses"
    if x.ndim == 3:
        resid, detail, _, _ = _step(_signal(x, 3, op)[:, :, None, :], predict, update)
        return float(np.linalg.norm(resid)), float(np.linalg.norm(detail))
    resid, detail, s, d = _step(_signal(x, 4, op), predict, update)
    c_u, c_p = float(np.linalg.norm(resid)), float(np.linalg.norm(detail))
    for band in (s, d):
        r, dd, _, _ = _step(_t(band), predict, update)
        c_u, c_p = c_u + float(np.linalg.norm(r)), c_p + float(np.linalg.norm(dd))
    return c_u, c_p


def lift_constraint_losses_backward(
    grad_output: Sequence[float], input: npt.ArrayLike, predict: LiftOperator, update: LiftOperator
) -> Grads:
    """Gradients of ``grad_output[0]·c_u + grad_output[1]·c_p`` (pass (λ_u, λ_p)) with respect
    to the input, P and U: (grad_input, grad_predict, grad_update)."""
    op = "lift_constraint_losses_backward"
    p, u = _filter(predict, "predict", op), _filter(update, "update", op)
    g_u, g_p = float(grad_output[0]), float(grad_output[1])
    x = np.asarray(input, dtype=np.float64)
    if x.ndim == 3:
        v = _signal(x, 3, op)[:, :, None, :]
        zeros = np.zeros_like(v[..., 0::2])
        gv, gp, gu = _step_vjp(v, p, u, g_u, g_p, zeros, zeros)
        return gv[:, :, 0], gp, gu
    x = _signal(x, 4, op)
    s, d = _down(x, p, u)
    zeros = np.zeros_like(_t(s)[..., 0::2])
    gs, gp1, gu1 = _step_vjp(_t(s), p, u, g_u, g_p, zeros, zeros)
    gd, gp2, gu2 = _step_vjp(_t(d), p, u, g_u, g_p, zeros, zeros)
    gx, gp3, gu3 = _step_vjp(x, p, u, g_u, g_p, _t(gs), _t(gd))
    return gx, gp1.plus(gp2).plus(gp3), gu1.plus(gu2).plus(gu3)
