"""What every operator of the network graph provides (:class:`Primitive`), and what an
elementwise one running on a stream unit adds (:class:`StreamPrimitive`).

Numerics: ``forward_*(name, params, x)`` returns the output for the forward input ``x``;
``backward_*(name, params, x, g, input_grad)`` gets the saved forward input ``x`` and the
output gradient ``g`` and returns the input gradient (None when ``input_grad`` is False:
nothing upstream needs it, so the hardware skips that phase) and the gradients of the
operator's parameters, keyed by parameter name. ``name`` is the workload layer's name, which
the bit-true datapath uses for per-layer formats, tiles and event sites. Layouts are those of
:mod:`fdsim.model.backend`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy.typing as npt

from fdsim.counts import ArithKey
from fdsim.vocabulary import OpKind, Unit

if TYPE_CHECKING:
    from fdsim.nn.fixed.datapath import Datapath
    from fdsim.nn.fixed.tensor import FixedTensor
    from fdsim.schedule.ops import StreamOp

Array = npt.NDArray[Any]
FloatGrads = dict[str, Array]
FixedGrads = dict[str, "FixedTensor"]
Coefficients = tuple[float, float, float]
"""Polynomial activation ``c0 + c1·x + c2·x²``, ascending powers (an affine one has c2 = 0)."""


@dataclass(frozen=True)
class Widths:
    """Operand widths of the stream units' arithmetic: a complex bin's parts, a real value."""

    spectral_bits: int
    spatial_bits: int


@dataclass(frozen=True)
class StashNeed:
    """Bits per element a backward needs of a value made inside its forward step (a mask, an
    argmax, an input), counted on the operator's output elements or its input elements."""

    bits: int = 0
    on_output: bool = False


NO_STASH = StashNeed()


class Primitive(ABC):
    """One node of the network graph. Subclasses are frozen dataclasses (their fields are the
    operator's static parameters) and implement the four numerics methods."""

    units: ClassVar[tuple[Unit, ...]] = ()
    """Hardware units the operator runs on; the compiler refuses hardware without them."""

    matrix: ClassVar[bool] = False
    """Whether the operator is a real matrix product, run on the hardware's matrix unit: the
    systolic array if it has one, else the CMAC lanes (``fdsim.schedule.lower.matrix_unit``)."""

    @property
    def affine(self) -> bool:
        """Whether the operator is an affine map of its input."""
        return True

    @property
    def params(self) -> tuple[str, ...]:
        """Names of the parameters the operator trains."""
        return ()

    def stash(self, activation_bits: int) -> StashNeed:
        """What the backward needs of a value the forward made inside its step."""
        return NO_STASH

    @abstractmethod
    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array: ...

    @abstractmethod
    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]: ...

    @abstractmethod
    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor: ...

    @abstractmethod
    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]: ...


class StreamPrimitive(Primitive):
    """An operator compiled to ops on a stream unit (crop or activation): in the forward one
    ``forward_kind`` op per tile, in the backward one ``backward_kind`` op, each reading and
    writing its tile in a buffer. ``arith`` is its cost descriptor."""

    forward_kind: ClassVar[OpKind]
    backward_kind: ClassVar[OpKind]

    @abstractmethod
    def arith(self, op: StreamOp, widths: Widths) -> Counter[ArithKey]:
        """The arithmetic one compiled op of this operator performs (``op.kind`` is its
        ``forward_kind`` or ``backward_kind``), as (operation, operand bits) counts."""
