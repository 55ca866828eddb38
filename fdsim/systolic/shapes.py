"""Layer, operand-matrix and array shapes, as SCALE-Sim 3.0 reads them.

A SCALE-Sim topology row is a convolution on a pre-padded IFMAP (no padding column) with one
stride for both axes; its output size follows SCALE-Sim's ceil rule (a partial last window
counts; its out-of-range taps are address -1, never requested). A GEMM row ``M, N, K`` is
mapped to a conv with IFMAP M×K, filter 1×K, one channel, N filters, stride 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.spec.hardware import Dataflow


def _positive(owner: str, **values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{owner}.{name} must be >= 1, got {value}")


@dataclass(frozen=True, slots=True)
class GemmShape:
    """The operand-matrix view of a layer: IFMAP m×k times FILTER k×n gives OFMAP m×n.

    ``m`` = OFMAP pixels, ``k`` = R·S·C (one convolution window), ``n`` = filters. SCALE-Sim
    names the stationary/streamed extents per dataflow (Sr, Sc, T): WS (k, n, m), OS (m, n, k),
    IS (k, m, n).
    """

    m: int
    k: int
    n: int

    def __post_init__(self) -> None:
        _positive("GemmShape", m=self.m, k=self.k, n=self.n)

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n


@dataclass(frozen=True, slots=True)
class ConvShape:
    """One SCALE-Sim topology row in conv form (IFMAP taken as pre-padded)."""

    ifmap_height: int
    ifmap_width: int
    filter_height: int
    filter_width: int
    channels: int
    num_filters: int
    stride: int

    def __post_init__(self) -> None:
        _positive(
            "ConvShape",
            ifmap_height=self.ifmap_height,
            ifmap_width=self.ifmap_width,
            filter_height=self.filter_height,
            filter_width=self.filter_width,
            channels=self.channels,
            num_filters=self.num_filters,
            stride=self.stride,
        )
        if self.filter_height > self.ifmap_height or self.filter_width > self.ifmap_width:
            raise ValueError("ConvShape: the filter must fit in the (pre-padded) IFMAP")

    @property
    def ofmap_height(self) -> int:
        """``ceil((H - R + stride) / stride)``, SCALE-Sim's rule."""
        return -(-(self.ifmap_height - self.filter_height + self.stride) // self.stride)

    @property
    def ofmap_width(self) -> int:
        """``ceil((W - S + stride) / stride)``, SCALE-Sim's rule."""
        return -(-(self.ifmap_width - self.filter_width + self.stride) // self.stride)

    @property
    def window(self) -> int:
        """Taps of one output pixel: R·S·C."""
        return self.filter_height * self.filter_width * self.channels

    @property
    def gemm(self) -> GemmShape:
        return GemmShape(m=self.ofmap_height * self.ofmap_width, k=self.window, n=self.num_filters)

    @property
    def macs(self) -> int:
        return self.gemm.macs

    @classmethod
    def from_gemm(cls, m: int, n: int, k: int) -> ConvShape:
        """SCALE-Sim's GEMM row mapping: IFMAP m×k, filter 1×k, 1 channel, n filters, stride 1."""
        return cls(
            ifmap_height=m,
            ifmap_width=k,
            filter_height=1,
            filter_width=k,
            channels=1,
            num_filters=n,
            stride=1,
        )


@dataclass(frozen=True, slots=True)
class ArrayShape:
    """A systolic array: ``rows`` × ``cols`` PEs (SCALE-Sim ArrayHeight × ArrayWidth)."""

    rows: int
    cols: int
    dataflow: Dataflow

    def __post_init__(self) -> None:
        _positive("ArrayShape", rows=self.rows, cols=self.cols)

    @property
    def pes(self) -> int:
        return self.rows * self.cols
