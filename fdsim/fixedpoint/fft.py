"""The bit-true FFT engine: executes an ``FftPlan`` on a batch of complex integer frames.

Data are held stacked, shape ``(2, batch, points, trailing)`` (re/im first, the transformed
axis third), so each butterfly add is one numpy call for both parts and a transform along any
axis needs no transpose.  Per stage: exact butterfly sums and exact twiddle products, one
rounding (``shift_right`` by the stage shift plus the twiddle unity), then ``fit`` to the
stage output width; overflow events are recorded at ``site.child("stage<i>")``.
"""

from __future__ import annotations

import numpy as np

from fdsim.fixedpoint.complex_int import ComplexInt
from fdsim.fixedpoint.fft_plan import FftPlan, StagePlan
from fdsim.fixedpoint.formats import IntArray
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite, fit
from fdsim.fixedpoint.rounding import shift_right
from fdsim.spec.fft_arithmetic import ComplexMultiplyForm, Decimation, FftDirection


def fft(
    x: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite, axis: int = -1
) -> ComplexInt:
    """Transform ``x`` along ``axis`` (length ``plan.points``, values in the plan's input width,
    natural order); other axes are batch axes.  Returns integers of
    ``plan.output_width_bits`` in ``plan.arithmetic.output_order``."""
    axis = axis % x.re.ndim
    shape = x.shape
    if shape[axis] != plan.points:
        raise ValueError(f"axis {axis} has {shape[axis]} points, the plan expects {plan.points}")
    batch = int(np.prod(shape[:axis], dtype=np.int64))
    trailing = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    z = np.stack([x.re, x.im]).reshape(2, batch, plan.points, trailing)
    if plan.input_permutation is not None:
        z = z[:, :, plan.input_permutation, :]
    for stage in plan.stages:
        z = _run_stage(z, stage, plan, counter, site.child(f"stage{stage.index}"))
    if plan.output_permutation is not None:
        z = z[:, :, plan.output_permutation, :]
    z = z.reshape(2, *shape)
    return ComplexInt(z[0], z[1])


def _run_stage(
    z: IntArray, stage: StagePlan, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    arithmetic = plan.arithmetic
    radix = int(arithmetic.radix)
    batch, points, trailing = z.shape[1:]
    span = stage.block_points // radix
    blocks = z.reshape(2, batch, points // stage.block_points, radix, span, trailing)
    inputs = [blocks[:, :, :, m] for m in range(radix)]
    # Twiddle rows broadcast over (2, batch, block, [span], trailing).
    cos = stage.twiddle_re[:, :, None]
    sin = stage.twiddle_im[:, :, None]
    form = arithmetic.complex_multiply_form
    width, mode, rounding = stage.output_width_bits, arithmetic.overflow, arithmetic.stage_rounding
    out = np.empty_like(blocks)
    if arithmetic.decimation is Decimation.FREQUENCY:
        sums = _butterfly(inputs, plan.direction)
        out[:, :, :, 0] = shift_right(sums[0], stage.shift_bits, rounding)
        for q in range(1, radix):
            if stage.uses_multiplier:
                product = _rotate(sums[q], cos[q - 1], sin[q - 1], form)
                out[:, :, :, q] = shift_right(
                    product, stage.twiddle_unity_log2 + stage.shift_bits, rounding
                )
            else:
                # Round first, then rotate exactly by ±1/±j: a negation can overflow again.
                rounded = shift_right(sums[q], stage.shift_bits, rounding)
                rounded = fit(rounded, width, True, mode, counter, site)
                out[:, :, :, q] = _rotate(rounded, cos[q - 1], sin[q - 1], form)
    else:
        twiddled = [inputs[0] << stage.twiddle_unity_log2]
        twiddled += [_rotate(inputs[m], cos[m - 1], sin[m - 1], form) for m in range(1, radix)]
        sums = _butterfly(twiddled, plan.direction)
        for q in range(radix):
            out[:, :, :, q] = shift_right(
                sums[q], stage.twiddle_unity_log2 + stage.shift_bits, rounding
            )
    flat = out.reshape(2, batch, points, trailing)
    return fit(flat, width, True, mode, counter, site)


def _rotate(z: IntArray, cos: IntArray, sin: IntArray, form: ComplexMultiplyForm) -> IntArray:
    """Exact ``z · (cos + j·sin)`` on stacked data (``cos``/``sin`` broadcast)."""
    re, im = z[0], z[1]
    out = np.empty_like(z)
    if form is ComplexMultiplyForm.FOUR_MULTIPLIER:
        np.subtract(re * cos, im * sin, out=out[0])
        np.add(re * sin, im * cos, out=out[1])
        return out
    p1 = re * cos
    p2 = im * sin
    p3 = (re + im) * (cos + sin)
    np.subtract(p1, p2, out=out[0])
    np.subtract(p3, p1, out=out[1])
    out[1] -= p2
    return out


def _times_w4(z: IntArray, direction: FftDirection) -> IntArray:
    """``z · W_4`` exactly: ``-j`` forward, ``+j`` inverse."""
    if direction is FftDirection.FORWARD:
        return np.stack([z[1], -z[0]])
    return np.stack([-z[1], z[0]])


def _butterfly(a: list[IntArray], direction: FftDirection) -> list[IntArray]:
    """Exact radix-2 or radix-4 DFT of the inputs ``a[m]``: ``y_q = Σ_m a_m·W_r^(m·q)``."""
    if len(a) == 2:
        return [a[0] + a[1], a[0] - a[1]]
    t0, t1 = a[0] + a[2], a[0] - a[2]
    t2, t3 = a[1] + a[3], _times_w4(a[1] - a[3], direction)
    return [t0 + t2, t1 + t3, t0 - t2, t1 - t3]
