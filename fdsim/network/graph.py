"""The network graph a workload lowers to (:mod:`fdsim.network.lowering`): its layers, each a
chain of primitive operators (:class:`Node`) with the representations they read and write, and
its trainable parameters (:class:`ParamSpec`). The compiler and the numerical model read it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fdsim.geometry import Rep
from fdsim.operators.base import Primitive
from fdsim.operators.transforms import ToMaps, ToSpectra
from fdsim.spec.workload import Domain, Workload


class LayerKind(StrEnum):
    CONV = "conv"
    POOL = "pool"
    ACTIVATION = "activation"
    FC = "fc"
    LOSS = "loss"
    CONV_ROW = "conv_row"


class ParamRole(StrEnum):
    CONV_WEIGHT = "conv_weight"  # (out, in, G, G//2+1) complex spectra of k×k kernels
    SPATIAL_CONV_WEIGHT = "spatial_conv_weight"  # (out, in, k, k) real kernels
    FC_WEIGHT = "fc_weight"  # (out, in) real
    FC_BIAS = "fc_bias"  # (out,) real


@dataclass(frozen=True)
class ParamSpec:
    """One trainable tensor: its name, owning layer, role and ``to_float`` shape. ``kernel`` and
    ``grid`` describe conv weights (0 otherwise); ``fan_in`` sets the initial scale."""

    name: str
    layer: str
    role: ParamRole
    shape: tuple[int, ...]
    fan_in: int
    kernel: int = 0
    grid: int = 0


@dataclass(frozen=True)
class Node:
    """One primitive of the graph and the representations it reads and writes."""

    op: Primitive
    rep_in: Rep
    rep_out: Rep


@dataclass(frozen=True)
class NetworkLayer:
    """One workload layer: its representation in and out, and the primitives computing it."""

    index: int
    name: str
    kind: LayerKind
    domain: Domain
    rep_in: Rep
    rep_out: Rep
    nodes: tuple[Node, ...]

    @property
    def ops(self) -> tuple[Primitive, ...]:
        return tuple(node.op for node in self.nodes)

    @property
    def affine(self) -> bool:
        """Whether every primitive of the layer is affine in its input."""
        return all(op.affine for op in self.ops)


@dataclass(frozen=True)
class Network:
    """What the accelerator computes for ``workload``: layers in order (the last is the loss)
    and the trainable parameters."""

    workload: Workload
    layers: tuple[NetworkLayer, ...]
    params: tuple[ParamSpec, ...]

    @property
    def classes(self) -> int:
        return self.workload.network_input.classes


def has_transforms(network: Network) -> bool:
    """Whether any primitive of ``network`` is an FFT or iFFT."""
    return any(isinstance(op, ToSpectra | ToMaps) for layer in network.layers for op in layer.ops)
