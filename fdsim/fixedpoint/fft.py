"""The bit-true FFT engine: executes an ``FftPlan`` on a batch of complex integer frames.

Data are held transform-axis-first, shape ``(points, rest)`` (the transformed axis, then every
other axis flattened), so each butterfly operand is a long contiguous run, in the plan's
carrier:

* ``complex128`` holding exact integers (chosen by the plan when every intermediate stays below
  ``2**52``): a twiddle pre-scaled by ``2**-(unity + shift)`` rotates and scales in one exact
  complex multiply, ``rint``/``floor`` on the float view round, and only output groups whose
  static range can leave the word are scanned for overflow;
* ``int64`` (re, im) stacked as ``(2, points, rest)``: exact butterfly sums and twiddle
  products, ``shift_right`` by the stage shift plus the twiddle unity, then ``fit``.

Both carriers give the same integers and record the same tallies: per stage, overflow events
at ``site.child("stage<i>")``; the values of a group proven unable to overflow count as checked
with zero events.  Inputs must fit the plan's input width (the core's input word).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint.complex_int import ComplexInt
from fdsim.fixedpoint.fft_plan import Carrier, FftPlan, StagePlan
from fdsim.fixedpoint.formats import IntArray, integer_range
from fdsim.fixedpoint.overflow import OverflowCounter, OverflowSite, fit
from fdsim.fixedpoint.rounding import shift_right
from fdsim.spec.fft_arithmetic import ComplexMultiplyForm, Decimation, FftDirection
from fdsim.spec.numerics import OverflowMode, RoundingMode

ComplexArray = npt.NDArray[np.complex128]


def fft(
    x: ComplexInt, plan: FftPlan, counter: OverflowCounter, site: OverflowSite, axis: int = -1
) -> ComplexInt:
    """Transform ``x`` along ``axis`` (length ``plan.points``, values in the plan's input width,
    natural order); other axes are batch axes.  Returns ``plan.output_width_bits`` integers in
    ``plan.arithmetic.output_order``, as new arrays (non-contiguous views of buffers in which
    the transform axis is outermost)."""
    axis = axis % x.re.ndim
    if x.shape[axis] != plan.points:
        raise ValueError(f"axis {axis} has {x.shape[axis]} points, the plan expects {plan.points}")
    moved_re, moved_im = np.moveaxis(x.re, axis, 0), np.moveaxis(x.im, axis, 0)
    if plan.carrier is Carrier.COMPLEX128:
        z = np.empty(moved_re.shape, dtype=np.complex128)
        z.real, z.imag = moved_re, moved_im
        out = run_complex(z.reshape(plan.points, -1), plan, counter, site).reshape(z.shape)
        re, im = out.real.astype(np.int64), out.imag.astype(np.int64)
    else:
        stacked = np.stack([moved_re, moved_im])
        out_int = _run_int64(stacked.reshape(2, plan.points, -1), plan, counter, site)
        re, im = (part.reshape(moved_re.shape) for part in out_int)
    return ComplexInt(np.moveaxis(re, 0, axis), np.moveaxis(im, 0, axis))


def run_complex(
    z: ComplexArray, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> ComplexArray:
    """The transform on the complex128 carrier: ``z`` has shape ``(points, rest)`` and exact
    integer parts in the plan's input width; returns a new array of the same shape."""
    if plan.carrier is not Carrier.COMPLEX128:
        raise ValueError("run_complex needs a plan whose carrier is complex128")
    if plan.input_permutation is not None:
        z = z[plan.input_permutation]
    for stage in plan.stages:
        z = _stage_complex(z, stage, plan, counter, site.child(f"stage{stage.index}"))
    if plan.output_permutation is not None:
        z = z[plan.output_permutation]
    return z


def _stage_complex(
    z: ComplexArray, stage: StagePlan, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> ComplexArray:
    arithmetic = plan.arithmetic
    radix = int(arithmetic.radix)
    points, rest = z.shape
    span = stage.block_points // radix
    shape = (points // stage.block_points, radix, span, rest)
    inputs = [z.reshape(shape)[:, m] for m in range(radix)]
    out = np.empty(shape, dtype=np.complex128)
    outputs = [out[:, q] for q in range(radix)]
    width, mode, rounding = stage.output_width_bits, arithmetic.overflow, arithmetic.stage_rounding
    shift = stage.shift_bits
    # Twiddle row m-1 broadcasts over (block, span, rest); power-of-two scalings are exact.
    scaled = (stage.twiddle_complex * 2.0 ** -(stage.twiddle_unity_log2 + shift))[:, :, None]
    if arithmetic.decimation is Decimation.FREQUENCY:
        _butterfly_complex(inputs, plan.direction, outputs)
        if stage.uses_multiplier:
            for q in range(1, radix):
                outputs[q] *= scaled[q - 1]
            if shift:
                outputs[0] *= 2.0**-shift
                _round_complex(out, rounding)
            else:
                _round_complex(out[:, 1:], rounding)
        else:
            if shift:
                out *= 2.0**-shift
                _round_complex(out, rounding)
            for q in range(1, radix):
                events = _fit_complex(outputs[q], width, mode, stage.check_rotations[q])
                counter.record(site, mode, events, 2 * outputs[q].size)
                if np.any(stage.twiddle_complex[q - 1] != 1):
                    outputs[q] *= stage.twiddle_complex[q - 1][:, None]
    else:
        rotated: list[ComplexArray] = [np.multiply(inputs[0], 2.0**-shift) if shift else inputs[0]]
        rotated += [inputs[m] * scaled[m - 1] for m in range(1, radix)]
        _butterfly_complex(rotated, plan.direction, outputs)
        if stage.uses_multiplier or shift:
            _round_complex(out, rounding)
    events = sum(
        _fit_complex(outputs[q], width, mode, stage.check_outputs[q]) for q in range(radix)
    )
    counter.record(site, mode, events, 2 * out.size)
    return out.reshape(points, rest)


def _butterfly_complex(
    a: list[ComplexArray], direction: FftDirection, out: list[ComplexArray]
) -> None:
    """Exact radix-2 or radix-4 DFT ``out[q] = Σ_m a[m]·W_r^(m·q)`` (``out`` may not alias
    ``a``)."""
    if len(a) == 2:
        np.add(a[0], a[1], out=out[0])
        np.subtract(a[0], a[1], out=out[1])
        return
    t0, t1 = a[0] + a[2], a[0] - a[2]
    t2, t3 = a[1] + a[3], a[1] - a[3]
    t3 *= -1j if direction is FftDirection.FORWARD else 1j  # exact: a swap and a negation
    np.add(t0, t2, out=out[0])
    np.add(t1, t3, out=out[1])
    np.subtract(t0, t2, out=out[2])
    np.subtract(t1, t3, out=out[3])


def _round_complex(z: ComplexArray, mode: RoundingMode) -> None:
    """Round exact dyadic parts to integers in place (values already divided by the shift);
    on the float64 view, where ``rint`` (ties to even) is several times faster than on
    complex128."""
    parts = z.view(np.float64)
    if mode is RoundingMode.HALF_EVEN:
        np.rint(parts, out=parts)
        return
    if mode is RoundingMode.HALF_UP:
        parts += 0.5
    np.floor(parts, out=parts)


def _fit_complex(z: ComplexArray, width: int, mode: OverflowMode, needed: bool) -> int:
    """Bring the integer parts of ``z`` into a signed ``width`` word in place; returns the
    number of parts that did not fit (0 without looking when ``needed`` is false)."""
    if not needed or z.size == 0:
        return 0
    parts = z.view(np.float64)
    low, high = integer_range(width, signed=True)
    if parts.min() >= low and parts.max() <= high:
        return 0
    events = int(np.count_nonzero((parts < low) | (parts > high)))
    if mode is OverflowMode.SATURATE:
        np.clip(parts, low, high, out=parts)
    else:
        # Two's-complement wrap, exact in float64: subtract the multiple of 2**width that
        # brings the value into [low, high].
        parts -= np.ldexp(np.floor(np.ldexp(parts - low, -width)), width)
    return events


def _run_int64(
    z: IntArray, plan: FftPlan, counter: OverflowCounter, site: OverflowSite
) -> IntArray:
    if plan.input_permutation is not None:
        z = z[:, plan.input_permutation]
    for stage in plan.stages:
        z = _stage_int64(z, stage, plan, counter, site.child(f"stage{stage.index}"))
    if plan.output_permutation is not None:
        z = z[:, plan.output_permutation]
    return z


def _stage_int64(
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
        sums = _butterfly_int64(inputs, plan.direction, outputs[0])
        shift_right(sums[0], stage.shift_bits, rounding, out=outputs[0])
        for q in range(1, radix):
            if stage.uses_multiplier:
                _rotate_int64(sums[q], cos[q - 1], sin[q - 1], form, outputs[q])
                shift_right(outputs[q], product_shift, rounding, out=outputs[q])
            else:
                # Round first, then rotate exactly by ±1/±j: a negation can overflow again.
                rounded = shift_right(sums[q], stage.shift_bits, rounding, out=sums[q])
                rounded = fit(rounded, width, True, mode, counter, site)
                _rotate_int64(rounded, cos[q - 1], sin[q - 1], form, outputs[q])
    else:
        twiddled = [inputs[0] << stage.twiddle_unity_log2]
        for m in range(1, radix):
            twiddled.append(
                _rotate_int64(inputs[m], cos[m - 1], sin[m - 1], form, np.empty_like(inputs[m]))
            )
        sums = _butterfly_int64(twiddled, plan.direction, outputs[0])
        for q in range(radix):
            shift_right(sums[q], product_shift, rounding, out=outputs[q])
    return fit(out.reshape(2, points, rest), width, True, mode, counter, site)


def _rotate_int64(
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


def _butterfly_int64(a: list[IntArray], direction: FftDirection, first: IntArray) -> list[IntArray]:
    """Exact radix-2 or radix-4 DFT of the inputs ``a[m]``: ``y_q = Σ_m a_m·W_r^(m·q)``;
    ``y_0`` is written into ``first``."""
    if len(a) == 2:
        return [np.add(a[0], a[1], out=first), a[0] - a[1]]
    t0, t1 = a[0] + a[2], a[0] - a[2]
    t2, t3 = a[1] + a[3], _times_w4(a[1] - a[3], direction)
    return [np.add(t0, t2, out=first), t1 + t3, t0 - t2, t1 - t3]
