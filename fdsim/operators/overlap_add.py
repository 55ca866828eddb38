"""Overlap-add tiling of a hybrid convolution larger than the FFT engine
(:class:`fdsim.geometry.OverlapAddTiles`): the FFT of the tiles (:class:`TileSpectra`, on the
FFT unit) and the overlap-add of the tiles' iFFT windows into the output maps
(:class:`OverlapAdd`, on the crop unit). Between them the convolution and the iFFT are the
layer's usual :class:`~fdsim.operators.spectral_conv.SpectralConv` and
:class:`~fdsim.operators.transforms.ToMaps` on the tiles' P-point grid, the tiles riding the
batch axis (images × tiles), so the weight gradient sums the tiles' correlations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fdsim.counts import Arith, ArithKey
from fdsim.geometry import OverlapAddTiles
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.overlap_add import (
    cut_backward_fixed,
    cut_fixed,
    overlap_add_backward_fixed,
    overlap_add_fixed,
)
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.overlap_add import cut, cut_backward, overlap_add, overlap_add_backward
from fdsim.operators.base import Array, FixedGrads, FloatGrads, StreamPrimitive, Widths
from fdsim.operators.transforms import ToSpectra
from fdsim.vocabulary import OpKind, Phase, Unit

if TYPE_CHECKING:
    from fdsim.schedule.ops import StreamOp


@dataclass(frozen=True, kw_only=True)
class TileSpectra(ToSpectra):
    """FFT of overlap-add tiles: maps ``(B, C, n, n)`` cut into ``tiling.tiles`` tiles per map,
    each ``size`` = L samples square at ``offset`` = k − 1 of a ``grid`` = P map →
    ``(B·T², C, P, P//2+1)``; the backward reassembles the tiles' gradients."""

    tiling: OverlapAddTiles

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return super().forward_float(name, params, cut(x, self.tiling))

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        tiles, grads = super().backward_float(name, params, x, g, input_grad)
        return (None if tiles is None else cut_backward(tiles, self.tiling)), grads

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return super().forward_fixed(path, name, params, cut_fixed(x, self.tiling))

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        tiles, grads = super().backward_fixed(path, name, params, x, g, input_grad)
        return (None if tiles is None else cut_backward_fixed(tiles, self.tiling)), grads


@dataclass(frozen=True)
class OverlapAdd(StreamPrimitive):
    """The tiles' iFFT windows ``(B·T², C, W, W)`` added into the outputs ``(B, C, out, out)``
    (stride and padding as the untiled layer); backward: each window's slice of the gradient."""

    tiling: OverlapAddTiles

    units: ClassVar[tuple[Unit, ...]] = (Unit.CROP,)
    forward_kind: ClassVar[OpKind] = OpKind.OVERLAP_ADD
    backward_kind: ClassVar[OpKind] = OpKind.OVERLAP_SPLIT

    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        """Forward: :meth:`OverlapAddTiles.overlap_adds` per output map, in an adder as wide
        as the stored word plus the growth of the largest overlap; backward: none (copies)."""
        if op.kind is not self.forward_kind:
            return Counter()
        tiling = self.tiling
        maps = op.out_elements // (tiling.out_size * tiling.out_size)
        reach = max(tiling.cover_counts())
        bits = widths.spatial_bits + (reach * reach - 1).bit_length()
        return Counter({(Arith.ADD, bits): maps * tiling.overlap_adds()})

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        return overlap_add(x, self.tiling)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        return (overlap_add_backward(g, self.tiling) if input_grad else None), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        site = path.site("activations", name, Phase.FORWARD, "overlap_add")
        return overlap_add_fixed(x, self.tiling, path.counter, site)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        return (overlap_add_backward_fixed(g, self.tiling) if input_grad else None), {}
