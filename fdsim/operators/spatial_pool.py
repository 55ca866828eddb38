"""What every spatial pooling operator shares: its windows, the crop unit it runs on, and the
forward's cost — one compare (or add) per window element beyond the first.

A pooling method is a subclass registered in :mod:`fdsim.operators.registry`; it adds its
numerics, its backward's cost (:meth:`SpatialPool.arith` for ``OpKind.UNPOOL``) and what its
backward needs stashed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from fdsim.counts import Arith, ArithKey
from fdsim.geometry import PoolWindows
from fdsim.operators.base import NO_STASH, Array, StashNeed, StreamPrimitive, Widths
from fdsim.vocabulary import OpKind, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True)
class SpatialPool(StreamPrimitive):
    """A pool over ``windows`` of spatial maps ``(B, C, n, n)`` → ``(B, C, m, m)``."""

    windows: PoolWindows

    units: ClassVar[tuple[Unit, ...]] = (Unit.CROP,)
    forward_kind: ClassVar[OpKind] = OpKind.POOL
    backward_kind: ClassVar[OpKind] = OpKind.UNPOOL

    def maps(self, op: StreamOp) -> int:
        """Maps one compiled op of this pool covers (its outputs, or backward its inputs,
        hold one ``m``×``m`` map each)."""
        small = op.out_elements if op.kind is self.forward_kind else op.in_elements
        return small // self.windows.out_size**2

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        if op.kind is self.forward_kind:
            reduced = self.maps(op) * self.windows.window_elements - op.out_elements
            return Counter({(Arith.ADD, widths.spatial_bits): reduced})
        return self.backward_arith(op, widths)

    def backward_arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        """The arithmetic of one backward (unpool) op; routing gradients costs none."""
        return Counter()


def argmax_bits(window: int) -> int:
    """⌈log₂ window⌉: the bits that name one of ``window`` positions (0 for a window of 1:
    nothing to choose, so nothing is stashed)."""
    return (window - 1).bit_length()


class SelectingPool(SpatialPool):
    """A pool that selects one input per window (max, min): not affine; its backward routes
    each gradient to the selected input, named by the index the forward stashes
    (⌈log₂ window⌉ bits per output)."""

    @property
    def affine(self) -> bool:
        return False

    def stash(self, activation_bits: int) -> StashNeed:
        bits = argmax_bits(self.windows.largest_window)
        return StashNeed(bits, on_output=True) if bits else NO_STASH


def pool_float(x: Array, windows: PoolWindows, reduce: Callable[[Array], Array]) -> Array:
    """Apply ``reduce`` (over the last two axes) to every window of maps ``(..., n, n)``."""
    if x.shape[-1] != windows.in_size:
        raise ValueError(
            f"pool windows for {windows.in_size}×{windows.in_size} maps, got {x.shape}"
        )
    out = np.empty((*x.shape[:-2], windows.out_size, windows.out_size))
    for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
        for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            out[..., r, c] = reduce(x[..., r0:r1, c0:c1])
    return out


def route_to_first_max_float(g: Array, x: Array, windows: PoolWindows) -> Array:
    """Each window's gradient to its first maximal input (row-major), accumulated where
    windows overlap."""
    dx = np.zeros(x.shape)
    lead = np.indices(x.shape[:-2])
    for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
        for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            block = x[..., r0:r1, c0:c1]
            flat = block.reshape(*block.shape[:-2], -1).argmax(axis=-1)  # first maximum
            rows, cols = np.divmod(flat, c1 - c0)
            dx[(*lead, r0 + rows, c0 + cols)] += g[..., r, c]
    return dx
