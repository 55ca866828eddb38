"""What every spatial pooling operator shares: its windows, the crop unit it runs on, and the
forward's cost — one compare (or add) per window element beyond the first.

A pooling method is a subclass registered in :mod:`fdsim.operators.registry`; it adds its
numerics, its backward's cost (:meth:`SpatialPool.arith` for ``OpKind.UNPOOL``) and what its
backward needs stashed."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

from fdsim.counts import Arith, ArithKey
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed.spatial import selection_pool_backward_fixed, selection_pool_fixed
from fdsim.operators.base import (
    NO_STASH,
    Array,
    FixedGrads,
    FloatGrads,
    StashNeed,
    StreamPrimitive,
    Widths,
)
from fdsim.vocabulary import OpKind, Phase, Unit

if TYPE_CHECKING:
    from fdsim.nn.fixed.datapath import Datapath
    from fdsim.nn.fixed.tensor import FixedTensor
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
            return Counter({(Arith.ADD, widths.spatial_bits): self.maps(op) * self.reductions()})
        return self.backward_arith(op, widths)

    def reductions(self) -> int:
        """Compares (or adds) the forward makes per map: one per window element beyond the
        first."""
        return self.windows.window_elements - self.windows.out_size**2

    def backward_arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        """The arithmetic of one backward (unpool) op; routing gradients costs none."""
        return Counter()


def argmax_bits(window: int) -> int:
    """⌈log₂ window⌉: the bits that name one of ``window`` positions (0 for a window of 1:
    nothing to choose, so nothing is stashed)."""
    return (window - 1).bit_length()


class PickingPool(SpatialPool):
    """A pool that keeps the mean of the k inputs :meth:`picks` names in each window (one for
    max, min and median; the two largest for k-max): not affine; its backward sends ``1/k``
    of each window's gradient to each picked input."""

    @abstractmethod
    def picks(self, flat: Array) -> npt.NDArray[np.int64]:
        """For windows flattened row-major on the last axis, the indices of the kept
        elements, on a new last axis."""

    @property
    def affine(self) -> bool:
        return False

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        def mean_of_picks(block: Array) -> Array:
            flat = block.reshape(*block.shape[:-2], -1)
            picked = np.take_along_axis(flat, self.picks(flat), axis=-1)
            return np.asarray(picked.mean(axis=-1), dtype=np.float64)

        return pool_float(x, self.windows, mean_of_picks)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        dx = np.zeros(x.shape)
        lead = tuple(np.indices(x.shape[:-2])[..., None])  # broadcast over the k picks
        windows = self.windows
        for r, (r0, r1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
            for c, (c0, c1) in enumerate(zip(windows.starts, windows.stops, strict=True)):
                block = x[..., r0:r1, c0:c1]
                picked = self.picks(block.reshape(*block.shape[:-2], -1))
                rows, cols = np.divmod(picked, c1 - c0)
                share = g[..., r, c, None] / picked.shape[-1]
                np.add.at(dx, (*lead, r0 + rows, c0 + cols), share)
        return dx, {}


class SelectingPool(PickingPool):
    """A pool that keeps one input per window (max, min, median), the one :meth:`select`
    picks; its backward routes each gradient to it, named by the index the forward stashes
    (⌈log₂ window⌉ bits per output). A subclass gives :meth:`select`, its name for event
    sites and, if it compares more than once per element, its forward cost."""

    primitive: ClassVar[str]
    """The name the bit-true datapath's overflow events carry (``max_pool``, …)."""

    @abstractmethod
    def select(self, flat: Array) -> npt.NDArray[np.int64]:
        """For windows flattened row-major on the last axis, the index of the kept element."""

    def picks(self, flat: Array) -> npt.NDArray[np.int64]:
        return self.select(flat)[..., None]

    def stash(self, activation_bits: int) -> StashNeed:
        bits = argmax_bits(self.windows.largest_window)
        return StashNeed(bits, on_output=True) if bits else NO_STASH

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return selection_pool_fixed(x, self.windows, self.picks)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        if not input_grad:
            return None, {}
        site = path.site("gradients", name, Phase.BACKWARD_DATA, self.primitive)
        dx = selection_pool_backward_fixed(g, x, self.windows, self.picks, path.counter, site)
        return dx, {}


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
