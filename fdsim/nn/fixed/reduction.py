"""The accumulator datapath shared by every multiply-accumulate reduction in ``fdsim.nn.fixed``.

Hardware semantics, implemented exactly:

1. each term (an exact full-width product) is rounded to the accumulator's fraction bits with
   the accumulator's rounding mode (appended zeros when it is coarser — no rounding); a
   nonzero term that rounds to zero is an underflow event at ``site.child("accumulator")``;
2. it is added to the accumulator, which is fitted (saturate or wrap, counted at
   ``site.child("accumulator")``) after **every** addition — terms are taken one at a time in
   ascending reduction index, so saturation depends on the order, as in the CMAC array;
3. the reduction may be split into tiles (``reduce_tiles``, sizes summing to the reduction
   length): at every tile boundary but the last, the partial sum is spilled to SRAM at the
   partial-sum format (rounded with its rounding mode and fitted at
   ``site.child("partial_sums")``) and the next tile reloads that stored value into the
   accumulator (fitted again).  Without a partial-sum format the spill is the accumulator word
   itself, so tiling changes nothing.

The accumulator and the partial sums share one exponent (``acc_exponent``, for products the sum
of the operand exponents), so an accumulator integer ``q`` means ``q·2**(acc_exponent −
accumulator.fraction_bits)``.  The caller rounds the result once more to its output layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fdsim.fixedpoint import (
    IntArray,
    OverflowCounter,
    OverflowSite,
    fit,
    lost_to_zero,
    require_int64_width,
    shift_right,
)
from fdsim.nn.fixed.tensor import FixedTensor, Parts, TensorFormat, rescale
from fdsim.spec.hardware import NumericsSpec
from fdsim.spec.numerics import QFormat


@dataclass(frozen=True)
class ReductionNumerics:
    """Formats of a reduction's accumulator and of its spilled partial sums (``None``: spilled
    at the accumulator format, without rounding)."""

    accumulator: QFormat
    partial_sums: QFormat | None = None

    @classmethod
    def from_numerics(cls, numerics: NumericsSpec) -> ReductionNumerics:
        return cls(numerics.accumulators, numerics.partial_sums)


def check_tiles(reduce_tiles: Sequence[int] | None, length: int) -> tuple[int, ...]:
    """The tile sizes (``None``: one tile of ``length``); ``ValueError`` unless they are
    positive and sum to ``length``."""
    tiles = (length,) if reduce_tiles is None else tuple(reduce_tiles)
    if length == 0 and reduce_tiles is None:
        return ()
    if any(t < 1 for t in tiles) or sum(tiles) != length:
        raise ValueError(
            f"reduce_tiles {tiles} must be positive sizes summing to the reduction length {length}"
        )
    return tiles


def accumulate(
    term: Callable[[int], Parts],
    term_lsb_exponent: int,
    term_bits: int,
    length: int,
    acc_exponent: int,
    numerics: ReductionNumerics,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
    initial: FixedTensor | None = None,
) -> FixedTensor:
    """``Σ_r term(r)`` for ``r = 0 … length−1`` through the accumulator datapath.

    ``term(r)`` returns the exact parts (one real or two complex) of term ``r``, each integer
    worth ``2**term_lsb_exponent`` and at most ``term_bits`` wide; all terms share one shape.
    ``initial`` (e.g. a bias, broadcast to that shape) is loaded into the accumulator first,
    rounded and fitted like a term.  Returns the accumulator as a tensor in
    ``TensorFormat(numerics.accumulator, acc_exponent)``.
    """
    acc_layout = TensorFormat(numerics.accumulator, acc_exponent)
    acc_fmt = numerics.accumulator
    acc_site = site.child("accumulator")
    tiles = check_tiles(reduce_tiles, length)
    drop = acc_layout.lsb_exponent - term_lsb_exponent
    aligned_bits = term_bits + 1 if drop >= 0 else term_bits - drop
    require_int64_width(max(aligned_bits, acc_fmt.total_bits) + 1, "accumulator sum")

    def add(acc: Parts, r: int) -> Parts:
        # A term whose every bit falls below the accumulator's LSB is an underflow event.
        sums = []
        for a, exact in zip(acc, term(r), strict=True):
            aligned = _align(exact, drop, acc_fmt)
            lost = lost_to_zero(exact, aligned) if drop > 0 else 0
            bits, signed, mode = acc_fmt.total_bits, acc_fmt.signed, acc_fmt.overflow
            sums.append(fit(a + aligned, bits, signed, mode, counter, acc_site, lost))
        return tuple(sums)

    acc: Parts | None = None
    if initial is not None:
        # Preloaded into every accumulator of the output (so overflow counts per output).
        shape = np.broadcast_shapes(initial.shape, term(0)[0].shape) if length else initial.shape
        acc = tuple(
            rescale(
                np.broadcast_to(p, shape).copy(),
                initial.lsb_exponent,
                initial.fmt.total_bits,
                acc_layout,
                counter,
                acc_site,
            )
            for p in initial.parts
        )
    r = 0
    for index, size in enumerate(tiles):
        for _ in range(size):
            if acc is None:
                acc = tuple(np.zeros_like(p) for p in term(r))
            acc = add(acc, r)
            r += 1
        if acc is not None and index < len(tiles) - 1 and numerics.partial_sums is not None:
            acc = _spill_and_reload(acc, acc_layout, numerics.partial_sums, counter, site)
    if acc is None:
        raise ValueError("an empty reduction needs an initial value to give its shape")
    return FixedTensor.from_parts(acc, acc_layout)


def _align(values: IntArray, drop: int, acc_fmt: QFormat) -> IntArray:
    """A term aligned to the accumulator LSB: ``drop`` low bits rounded away by the
    accumulator's rounding mode, or ``−drop`` zeros appended."""
    if drop >= 0:
        return shift_right(values, drop, acc_fmt.rounding)
    return values << -drop


def _spill_and_reload(
    acc: Parts,
    acc_layout: TensorFormat,
    partial_sums: QFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> Parts:
    """The partial sum stored to SRAM at ``partial_sums`` and read back into the accumulator."""
    spill_layout = TensorFormat(partial_sums, acc_layout.exponent)
    bits = acc_layout.fmt.total_bits
    spilled = [
        rescale(p, acc_layout.lsb_exponent, bits, spill_layout, counter, site.child("partial_sums"))
        for p in acc
    ]
    return tuple(
        rescale(
            p,
            spill_layout.lsb_exponent,
            partial_sums.total_bits,
            acc_layout,
            counter,
            site.child("accumulator"),
        )
        for p in spilled
    )
