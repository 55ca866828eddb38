"""Lowering the network graph (:mod:`fdsim.network.lowering`) into steps: the compiler's view.

Each FFT/iFFT of the graph heads a step of its own; a spectral convolution (with its fold)
and a dense layer each head one; cheap elementwise primitives (crops, pools, activations, the
loss) are fused as *tails* into the step that produces their input, so their data never leaves
the chip. A spectral self-convolution needs whole spectra, so it starts a step of its own.
Here the hardware is checked against the graph: every primitive's units (``Primitive.units``)
and the FFT unit's largest transform. ``emit`` turns the steps into tiled ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fdsim.errors import SpecFieldError
from fdsim.geometry import OverlapAddTiles, Rep, next_power_of_two
from fdsim.network.graph import Network, Node
from fdsim.network.lowering import lower_network
from fdsim.operators.base import Primitive, StreamPrimitive
from fdsim.operators.dense import Dense
from fdsim.operators.fold import Fold
from fdsim.operators.loss import SoftmaxCrossEntropy
from fdsim.operators.overlap_add import TileSpectra
from fdsim.operators.spatial_conv import SpatialConv
from fdsim.operators.spectral_conv import SpectralConv
from fdsim.operators.spectral_crop import Crop
from fdsim.operators.spectral_quadratic import SpectralQuadratic
from fdsim.operators.topology_row import TopologyRow
from fdsim.operators.transforms import ToMaps, ToSpectra
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Domain, Workload
from fdsim.vocabulary import Unit


class StepKind(StrEnum):
    MAPS = "maps"  # tiled by whole maps: transforms, standalone elementwise ops, loss
    SPECTRAL_CONV = "spectral_conv"  # tiled by spectral bins (and images, output channels)
    GEMM = "gemm"  # FC or spatial conv on the matrix unit, tiled by output features × images


class TailKind(StrEnum):
    CROP = "crop"  # spectral crop: tracked bin by bin through a convolution step
    STREAM = "stream"  # another elementwise primitive on a stream unit (pool, activation)
    SELF_CONV = "self_conv"  # spectral quadratic activation, on the CMAC array
    LOSS = "loss"


@dataclass(frozen=True)
class Tail:
    """A primitive of workload layer ``layer`` applied to a step's output tile, in the step's
    output buffer, from ``rep_in`` to ``rep_out``."""

    layer: int
    op: Primitive
    rep_in: Rep
    rep_out: Rep

    @property
    def kind(self) -> TailKind:
        if isinstance(self.op, Crop):
            return TailKind.CROP
        if isinstance(self.op, SpectralQuadratic):
            return TailKind.SELF_CONV
        if isinstance(self.op, SoftmaxCrossEntropy):
            return TailKind.LOSS
        return TailKind.STREAM

    @property
    def stream(self) -> StreamPrimitive:
        """The tail's primitive, for a tail on a stream unit."""
        assert isinstance(self.op, StreamPrimitive), self.op
        return self.op


@dataclass(frozen=True)
class GemmGeometry:
    """A matrix step per image as a GEMM: ``out_height`` × ``out_width`` output positions ×
    ``outputs`` outputs, each reduced over ``units`` input units of ``taps`` columns (FC:
    features, 1 tap, 1 × 1 maps; spatial conv: input channels of ``in_height`` × ``in_width``
    maps, k² taps), ``bias`` adding one column of ones (FC). An output row band reads the
    input rows ``stride`` apart under a ``filter_height`` window (:meth:`band_input_rows`)."""

    units: int
    taps: int
    outputs: int
    bias: bool
    in_height: int = 1
    in_width: int = 1
    out_height: int = 1
    out_width: int = 1
    stride: int = 1
    filter_height: int = 1

    @property
    def rows(self) -> int:
        """GEMM rows (output positions) per image."""
        return self.out_height * self.out_width

    @property
    def unit_elements(self) -> int:
        return self.in_height * self.in_width

    @property
    def reduction(self) -> int:
        return self.units * self.taps

    @property
    def in_elements(self) -> int:
        return self.units * self.unit_elements

    @property
    def out_elements(self) -> int:
        return self.rows * self.outputs

    def band_input_rows(self, out_rows: int) -> int:
        """Input rows under ``out_rows`` consecutive output rows (their windows' span)."""
        return min(self.in_height, (out_rows - 1) * self.stride + self.filter_height)


@dataclass
class StepPlan:
    """One pipelined step. ``head_layer`` owns the loads and the head op; tails own theirs."""

    kind: StepKind
    head_layer: int
    head: str  # "fft", "ifft", "cmac", "gemm", or "" for a MAPS step made only of tails
    rep_in: Rep
    rep_head: Rep  # what the head op produces (for a step of tails only: its input)
    stride: int = 1
    points: int = 0  # transform size for fft/ifft heads
    transforms: int = 1  # fft/ifft heads: transforms per map (its overlap-add tiles)
    fold: Fold | None = None  # a strided convolution's fold
    gemm: GemmGeometry | None = None  # a GEMM step's geometry
    tiling: OverlapAddTiles | None = None  # an fft head's overlap-add tiles
    tails: list[Tail] = field(default_factory=list)


@dataclass(frozen=True)
class Lowered:
    steps: tuple[StepPlan, ...]
    layer_reps: tuple[tuple[Rep, Rep], ...]  # (input, output) per workload layer
    layer_domains: tuple[Domain, ...]


def lower(workload: Workload, hardware: HardwareSpec, network: Network | None = None) -> Lowered:
    """Plan the forward pass of ``workload`` (lowered to ``network`` unless given) on
    ``hardware`` as a sequence of steps; ``SpecFieldError`` for hardware the graph cannot run on."""
    graph = network or lower_network(workload, transform_limit(hardware))
    walk = _Steps(hardware, workload)
    for layer in graph.layers:
        # The layer's own primitives name their units first, then its transitions.
        ops = sorted(layer.ops, key=lambda op: isinstance(op, ToSpectra | ToMaps))
        for op in ops:
            for unit in op.units:
                walk.need(unit.value, layer.index)
            if op.matrix and matrix_unit(hardware) is None:
                name = workload.layers[layer.index].name
                raise SpecFieldError(
                    "hardware",
                    (Unit.SYSTOLIC_ARRAY.value,),
                    f"required field missing: layer {name} needs a systolic_array or a cmac unit",
                )
        nodes = list(layer.nodes)
        for position, node in enumerate(nodes):
            following = nodes[position + 1] if position + 1 < len(nodes) else None
            walk.node(layer.index, node, following)
    reps = tuple((layer.rep_in, layer.rep_out) for layer in graph.layers)
    return Lowered(tuple(walk.steps), reps, tuple(layer.domain for layer in graph.layers))


def transform_limit(hardware: HardwareSpec) -> int | None:
    """The FFT engine's largest transform, which sets the graph's overlap-add tiling (None:
    no FFT unit, nothing to tile for)."""
    return hardware.fft.max_points if hardware.fft is not None else None


def matrix_unit(hardware: HardwareSpec) -> Unit | None:
    """Where real matrix products run: the systolic array if there is one, else the CMAC lanes."""
    if hardware.systolic_array is not None:
        return Unit.SYSTOLIC_ARRAY
    return Unit.CMAC if hardware.cmac is not None else None


class _Steps:
    def __init__(self, hardware: HardwareSpec, workload: Workload) -> None:
        self.hardware = hardware
        self.workload = workload
        self.steps: list[StepPlan] = []
        self.fusable = False  # may the next elementwise primitive join the last step?

    def need(self, unit: str, layer: int) -> None:
        if getattr(self.hardware, unit) is None:
            name = self.workload.layers[layer].name
            raise SpecFieldError(
                "hardware", (unit,), f"required field missing: layer {name} needs a {unit} unit"
            )

    def _transform_points(self, points: int, layer: int) -> int:
        fft = self.hardware.fft
        assert fft is not None
        if points > fft.max_points:
            # Hybrid convs larger than the engine were overlap-add tiled by the lowering; what
            # is left are spectra kept in the frequency domain, which cannot be tiled.
            name = self.workload.layers[layer].name
            raise SpecFieldError(
                "hardware",
                ("fft", "max_points"),
                f"too small for layer {name}: needs {points}-point transforms, "
                f"got {fft.max_points}; spectra kept in the frequency domain (spectral mode: "
                "circular convolution on the whole map) cannot be overlap-add tiled: use "
                "domain: hybrid or a larger fft.max_points",
            )
        return points

    def head(self, plan: StepPlan) -> None:
        self.steps.append(plan)
        self.fusable = True

    def node(self, layer: int, node: Node, following: Node | None) -> None:
        op, rep_in, rep_out = node.op, node.rep_in, node.rep_out
        if isinstance(op, ToSpectra):
            points = self._transform_points(op.grid, layer)
            self.head(
                StepPlan(
                    StepKind.MAPS,
                    layer,
                    "fft",
                    rep_in,
                    rep_out,
                    points=points,
                    transforms=rep_out.tiles,
                    tiling=op.tiling if isinstance(op, TileSpectra) else None,
                )
            )
        elif isinstance(op, ToMaps):
            # A grid that is not a power of two is zero-padded in frequency to the transform
            # size: the maps come back interpolated to that size.
            points = self._transform_points(next_power_of_two(op.grid), layer)
            self.head(
                StepPlan(
                    StepKind.MAPS,
                    layer,
                    "ifft",
                    rep_in,
                    rep_out,
                    points=points,
                    transforms=rep_in.tiles,
                )
            )
        elif isinstance(op, SpectralConv):
            pin = getattr(self.workload.layers[layer], "mapping", None)
            # tile_size (overlap-add) was taken by the lowering; GEMM pins do not apply
            if pin is not None and set(pin.model_dump(exclude_none=True)) - {"tile_size"}:
                raise SpecFieldError(
                    "workload",
                    ("layers", layer, "mapping"),
                    "pins the GEMM tiles of a spatial-domain conv or fc layer; a spectral "
                    "conv is tiled by bins, chosen by the compiler",
                )
            fold = following.op if following is not None else None
            if isinstance(fold, Fold):
                assert following is not None
                self.head(
                    StepPlan(
                        StepKind.SPECTRAL_CONV,
                        layer,
                        "cmac",
                        rep_in,
                        following.rep_out,
                        stride=fold.stride,
                        fold=fold,
                    )
                )
            else:
                self.head(StepPlan(StepKind.SPECTRAL_CONV, layer, "cmac", rep_in, rep_out))
        elif isinstance(op, Fold):
            return  # part of its convolution's step
        elif isinstance(op, Dense):
            units = rep_in.channels * rep_in.size * rep_in.size
            geometry = GemmGeometry(units, 1, rep_out.channels, True)
            self.head(StepPlan(StepKind.GEMM, layer, "gemm", rep_in, rep_out, gemm=geometry))
        elif isinstance(op, SpatialConv):
            geometry = GemmGeometry(
                rep_in.channels,
                op.kernel * op.kernel,
                rep_out.channels,
                False,
                rep_in.size,
                rep_in.size,
                rep_out.size,
                rep_out.size,
                op.stride,
                op.kernel,
            )
            self.head(StepPlan(StepKind.GEMM, layer, "gemm", rep_in, rep_out, gemm=geometry))
        elif isinstance(op, TopologyRow):
            geometry = GemmGeometry(
                op.channels,
                op.filter_height * op.filter_width,
                op.num_filters,
                False,
                op.ifmap_height,
                op.ifmap_width,
                op.ofmap_height,
                op.ofmap_width,
                op.stride,
                op.filter_height,
            )
            self.head(StepPlan(StepKind.GEMM, layer, "gemm", rep_in, rep_out, gemm=geometry))
        else:
            # The self-convolution needs whole spectra, and the loss its whole logits: each
            # starts a step of its own.
            alone = isinstance(op, SpectralQuadratic | SoftmaxCrossEntropy)
            # A GEMM step's output tile is outputs × positions: it takes elementwise tails only
            # (a pool needs whole windows of positions).
            last = self.steps[-1] if self.steps else None
            resizes = rep_out != rep_in and last is not None and last.kind is StepKind.GEMM
            tail = Tail(layer, op, rep_in, rep_out)
            if self.fusable and last is not None and not alone and not resizes:
                self.steps[-1].tails.append(tail)
            else:
                self.steps.append(StepPlan(StepKind.MAPS, layer, "", rep_in, rep_in, tails=[tail]))
            self.fusable = True
