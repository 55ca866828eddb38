"""The bit-true FFT engine: executes an ``FftPlan`` on a batch of complex integer frames.

Data are held stacked and transform-axis-first, shape ``(2, points, rest)`` (re/im, then the
transformed axis, then every other axis flattened), so each butterfly operand is a long
contiguous run and each add is one numpy call for both parts.  Per stage: exact butterfly
sums and exact twiddle products, one rounding (``shift_right`` by the stage shift plus the
twiddle unity), then ``fit`` to the stage output width; overflow events are recorded at
``site.child("stage<i>")``.
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
    natural order); other axes are batch axes.  Returns ``plan.output_width_bits`` integers in
    ``plan.arithmetic.output_order``, as new arrays (non-contiguous views of one buffer
    in which the transform axis is outermost)."""
    axis = axis % x.re.ndim
    if x.shape[axis] != plan.points:
        raise ValueError(f"axis {axis} has {x.shape[axis]} points, the plan expects {plan.points}")
    moved_shape = (plan.points, *np.delete(np.array(x.shape), axis).tolist())
    z = np.stack([np.moveaxis(x.re, axis, 0), np.moveaxis(x.im, axis, 0)])
    z = z.reshape(2, plan.points, -1)
    if plan.input_permutation is not None:
        z = z[:, plan.input_permutation]
    for stage in plan.stages:
        z = _run_stage(z, stage, plan, counter, site.child(f"stage{stage.index}"))
    if plan.output_permutation is not None:
        z = z[:, plan.output_permutation]
    z = z.reshape(2, *moved_shape)
    return ComplexInt(np.moveaxis(z[0], 0, axis), np.moveaxis(z[1], 0, axis))


def _run_stage(
    z: IntArray, stage: StagePlan, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    arithmetic = plan.arithmetic
    radix = int(arithmetic.radix)
    points, rest = z.shape[1:]
    span = stage.block_points // radix
    shape = (2, points // stage.block_points, radix, span, rest)
    inputs = [z.reshape(shape)[:, :, m] for m in range(radix)]
    out = np.empty(shape, dtype=np.int64)
    outputs = [out[:, :, q] for q in range(radix)]
    # Twiddle row m-1 broadcasts over (2, block, span, rest).
    cos = stage.twiddle_re[:, :, None]
    sin = stage.twiddle_im[:, :, None]
    form = arithmetic.complex_multiply_form
    width, mode, rounding = stage.output_width_bits, arithmetic.overflow, arithmetic.stage_rounding
    product_shift = stage.twiddle_unity_log2 + stage.shift_bits
    if arithmetic.decimation is Decimation.FREQUENCY:
        sums = _butterfly(inputs, plan.direction, outputs[0])
        shift_right(sums[0], stage.shift_bits, rounding, out=outputs[0])
        for q in range(1, radix):
            if stage.uses_multiplier:
                _rotate(sums[q], cos[q - 1], sin[q - 1], form, outputs[q])
                shift_right(outputs[q], product_shift, rounding, out=outputs[q])
            else:
                # Round first, then rotate exactly by ±1/±j: a negation can overflow again.
                rounded = shift_right(sums[q], stage.shift_bits, rounding, out=sums[q])
                rounded = fit(rounded, width, True, mode, counter, site)
                _rotate(rounded, cos[q - 1], sin[q - 1], form, outputs[q])
    else:
        twiddled = [inputs[0] << stage.twiddle_unity_log2]
        for m in range(1, radix):
            twiddled.append(
                _rotate(inputs[m], cos[m - 1], sin[m - 1], form, np.empty_like(inputs[m]))
            )
        sums = _butterfly(twiddled, plan.direction, outputs[0])
        for q in range(radix):
            shift_right(sums[q], product_shift, rounding, out=outputs[q])
    return fit(out.reshape(2, points, rest), width, True, mode, counter, site)


def _rotate(
    z: IntArray, cos: IntArray, sin: IntArray, form: ComplexMultiplyForm, out: IntArray
) -> IntArray:
    """Exact ``z · (cos + j·sin)`` on stacked data (``cos``/``sin`` broadcast), into ``out``."""
    re, im = z[0], z[1]
    if form is ComplexMultiplyForm.FOUR_MULTIPLIER:
        scratch = im * sin
        np.multiply(re, cos, out=out[0])
        out[0] -= scratch
        np.multiply(im, cos, out=scratch)
        np.multiply(re, sin, out=out[1])
        out[1] += scratch
        return out
    p1 = re * cos
    p2 = im * sin
    p3 = (re + im) * (cos + sin)
    np.subtract(p1, p2, out=out[0])
    np.subtract(p3, p1, out=out[1])
    out[1] -= p2
    return out


def _times_w4(z: IntArray, direction: FftDirection) -> IntArray:
    """``z · W_4`` exactly, in place: ``-j`` forward, ``+j`` inverse."""
    re = z[0].copy()
    z[0] = z[1]
    z[1] = re
    z[1 if direction is FftDirection.FORWARD else 0] *= -1
    return z


def _butterfly(a: list[IntArray], direction: FftDirection, first: IntArray) -> list[IntArray]:
    """Exact radix-2 or radix-4 DFT of the inputs ``a[m]``: ``y_q = Σ_m a_m·W_r^(m·q)``;
    ``y_0`` is written into ``first``."""
    if len(a) == 2:
        return [np.add(a[0], a[1], out=first), a[0] - a[1]]
    t0, t1 = a[0] + a[2], a[0] - a[2]
    t2, t3 = a[1] + a[3], _times_w4(a[1] - a[3], direction)
    return [np.add(t0, t2, out=first), t1 + t3, t0 - t2, t1 - t3]
