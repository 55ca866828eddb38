"""Lowering a workload's layers into steps: what each layer computes, in which representation.

The walk tracks the representation between layers (spatial maps, or spectra on an FFT grid),
inserts the FFT/iFFT transitions a domain change needs, and fuses cheap elementwise spectral
layers (crop pooling, affine activations) into the step that produces their input, so their
data never leaves the chip. ``emit`` turns the resulting steps into tiled ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fdsim.errors import FieldPath, SpecFieldError
from fdsim.schedule.spectral_bins import next_power_of_two
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import (
    ActivationFunction,
    ActivationLayer,
    ConvLayer,
    Domain,
    FcLayer,
    LossLayer,
    PoolLayer,
    PoolMethod,
    Workload,
)


@dataclass(frozen=True)
class Rep:
    """A tensor between layers, per image: ``channels`` maps of ``size``×``size`` values, held
    as spectra on a ``grid``×``grid`` FFT grid (``grid`` > 0) or as spatial values (``grid`` 0).
    A flat vector (after FC) is ``channels`` features of size 1."""

    channels: int
    size: int
    grid: int = 0

    @property
    def spectral(self) -> bool:
        return self.grid > 0

    @property
    def shape(self) -> tuple[int, ...]:
        return (
            (self.channels,)
            if self.size == 1 and not self.spectral
            else (
                self.channels,
                self.size,
            )
        )


class StepKind(StrEnum):
    MAPS = "maps"  # tiled by whole maps: transforms, standalone elementwise ops, loss
    SPECTRAL_CONV = "spectral_conv"  # tiled by spectral bins (and images, output channels)
    GEMM = "gemm"  # FC, tiled by output features (and images)


class TailKind(StrEnum):
    CROP = "crop"
    POOL = "pool"
    ACTIVATE = "activate"
    SELF_CONV = "self_conv"
    LOSS = "loss"


@dataclass(frozen=True)
class Tail:
    """An elementwise layer applied to a step's output tile, in the step's output buffer."""

    kind: TailKind
    layer: int
    grid_in: int = 0  # spectral crop: from this grid ...
    grid_out: int = 0  # ... to this one
    spatial_in: int = 0  # spatial pool/activation: map side in
    spatial_out: int = 0


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
    tails: list[Tail] = field(default_factory=list)


@dataclass(frozen=True)
class Lowered:
    steps: tuple[StepPlan, ...]
    layer_reps: tuple[tuple[Rep, Rep], ...]  # (input, output) per workload layer
    layer_domains: tuple[Domain, ...]


def _layer_field(index: int, name: str) -> FieldPath:
    return ("layers", index, name)


class _Walker:
    def __init__(self, workload: Workload, hardware: HardwareSpec) -> None:
        self.workload = workload
        self.hardware = hardware
        source = workload.input
        self.rep = Rep(source.channels, source.height)
        self.steps: list[StepPlan] = []
        self.fusable = False  # may the next elementwise layer join the last step?

    # --- requirements ------------------------------------------------------------------
    def _need(self, unit: str, layer: int) -> None:
        if getattr(self.hardware, unit) is None:
            name = self.workload.layers[layer].name
            raise SpecFieldError(
                "hardware", (unit,), f"required field missing: layer {name} needs a {unit} unit"
            )

    def _transform_points(self, points: int, layer: int) -> int:
        self._need("fft", layer)
        fft = self.hardware.fft
        assert fft is not None
        if points > fft.max_points:
            name = self.workload.layers[layer].name
            raise SpecFieldError(
                "hardware",
                ("fft", "max_points"),
                f"too small for layer {name}: needs {points}-point transforms, "
                f"got {fft.max_points}",
            )
        return points

    # --- representation changes --------------------------------------------------------
    def to_spectral(self, layer: int, grid: int) -> None:
        """Make the current tensor a spectrum on ``grid`` (an FFT of spatial maps)."""
        if self.rep.spectral and self.rep.grid == grid:
            return
        if self.rep.spectral:
            self.to_spatial(layer)
        points = self._transform_points(grid, layer)
        # The maps are zero-padded into the grid; on it they are grid×grid circular maps.
        out = Rep(self.rep.channels, grid, grid)
        self.steps.append(StepPlan(StepKind.MAPS, layer, "fft", self.rep, out, points=points))
        self.rep = out
        self.fusable = True

    def to_spatial(self, layer: int) -> None:
        """Make the current tensor spatial maps (an iFFT of the spectra)."""
        if not self.rep.spectral:
            return
        points = self._transform_points(next_power_of_two(self.rep.grid), layer)
        # A grid that is not a power of two is zero-padded in frequency to the transform size:
        # the maps come back interpolated to that size.
        size = self.rep.size if points == self.rep.grid else points
        out = Rep(self.rep.channels, size)
        self.steps.append(StepPlan(StepKind.MAPS, layer, "ifft", self.rep, out, points=points))
        self.rep = out
        self.fusable = True

    def add_tail(self, tail: Tail, rep_out: Rep) -> None:
        if self.fusable and self.steps:
            self.steps[-1].tails.append(tail)
        else:
            self.steps.append(StepPlan(StepKind.MAPS, tail.layer, "", self.rep, self.rep))
            self.steps[-1].tails.append(tail)
        self.rep = rep_out
        self.fusable = True

    # --- layers ------------------------------------------------------------------------
    def conv(self, index: int, layer: ConvLayer, domain: Domain) -> None:
        self._need("cmac", index)
        if domain is Domain.SPECTRAL:
            # Circular convolution on the FFT grid: padding has no meaning here.
            grid = self.rep.grid if self.rep.spectral else next_power_of_two(self.rep.size)
            self.to_spectral(index, grid)
            size_out_full = self.rep.size
        else:
            # Linear convolution: a grid at least as large as the padded map keeps the wrap-around
            # out of every output the layer keeps.
            self.to_spatial(index)
            padded = self.rep.size + 2 * layer.padding
            if layer.kernel > padded:
                raise SpecFieldError(
                    "workload",
                    _layer_field(index, "kernel"),
                    f"larger than the padded input map ({padded}), got {layer.kernel}",
                )
            self.to_spectral(index, next_power_of_two(padded))
            size_out_full = (padded - layer.kernel) // layer.stride + 1
        grid = self.rep.grid
        if grid % layer.stride:
            raise SpecFieldError(
                "workload",
                _layer_field(index, "stride"),
                f"must divide the spectral grid ({grid}), got {layer.stride}",
            )
        if layer.stride > 1:
            self._need("crop", index)
        grid_out = grid // layer.stride
        size_out = grid_out if domain is Domain.SPECTRAL else size_out_full
        out = Rep(layer.out_channels, size_out, grid_out)
        self.steps.append(
            StepPlan(StepKind.SPECTRAL_CONV, index, "cmac", self.rep, out, stride=layer.stride)
        )
        self.rep = out
        self.fusable = True

    def pool(self, index: int, layer: PoolLayer, domain: Domain) -> None:
        size_in = self.rep.size
        size_out = layer.output_size_for(size_in)
        if not 1 <= size_out <= size_in:
            raise SpecFieldError(
                "workload",
                _layer_field(index, "output_size" if layer.output_size else "kernel"),
                f"gives a {size_out}×{size_out} output from a {size_in}×{size_in} input",
            )
        self._need("crop", index)
        if domain is Domain.SPECTRAL:
            self.to_spectral(index, self.rep.grid or next_power_of_two(size_in))
            grid = self.rep.grid
            tail = Tail(TailKind.CROP, index, grid_in=grid, grid_out=size_out)
            self.add_tail(tail, Rep(self.rep.channels, size_out, size_out))
            return
        if layer.method is PoolMethod.SPECTRAL:
            raise SpecFieldError(
                "workload",
                _layer_field(index, "method"),
                "spectral pooling runs in the spectral domain; use max or average here",
            )
        self.to_spatial(index)
        tail = Tail(TailKind.POOL, index, spatial_in=self.rep.size, spatial_out=size_out)
        self.add_tail(tail, Rep(self.rep.channels, size_out))

    def activation(self, index: int, layer: ActivationLayer, domain: Domain) -> None:
        self._need("activation", index)
        if domain is Domain.SPECTRAL and self.rep.size > 1:
            if layer.function is ActivationFunction.RELU:
                raise SpecFieldError(
                    "workload",
                    _layer_field(index, "function"),
                    "relu has no spectral-domain form; set domain: hybrid on this layer",
                )
            self.to_spectral(index, self.rep.grid or next_power_of_two(self.rep.size))
            if layer.function is ActivationFunction.QUADRATIC:
                self._need("cmac", index)
                tail = Tail(TailKind.SELF_CONV, index, grid_in=self.rep.grid)
                # The self-convolution needs whole spectra: it starts a step of its own.
                self.fusable = False
                self.add_tail(tail, self.rep)
                return
            tail = Tail(TailKind.ACTIVATE, index, grid_in=self.rep.grid)
            self.add_tail(tail, self.rep)
            return
        self.to_spatial(index)
        tail = Tail(TailKind.ACTIVATE, index, spatial_in=self.rep.size, spatial_out=self.rep.size)
        self.add_tail(tail, self.rep)

    def fc(self, index: int, layer: FcLayer) -> None:
        self._need("cmac", index)
        self.to_spatial(index)
        out = Rep(layer.out_features, 1)
        self.steps.append(StepPlan(StepKind.GEMM, index, "gemm", self.rep, out))
        self.rep = out
        self.fusable = True

    def loss(self, index: int, layer: LossLayer) -> None:
        self._need("activation", index)
        self.to_spatial(index)
        features = self.rep.channels * self.rep.size * self.rep.size
        classes = self.workload.input.classes
        if features != classes:
            raise SpecFieldError(
                "workload",
                ("layers", index),
                f"the loss compares {features} features with input.classes = {classes}",
            )
        self.fusable = False
        tail = Tail(TailKind.LOSS, index)
        self.add_tail(tail, Rep(1, 1))


def lower(workload: Workload, hardware: HardwareSpec) -> Lowered:
    """Plan the forward pass of ``workload`` on ``hardware`` as a sequence of steps."""
    walker = _Walker(workload, hardware)
    reps: list[tuple[Rep, Rep]] = []
    domains: list[Domain] = []
    for index, layer in enumerate(workload.layers):
        domain = workload.domain_of(layer)
        before = walker.rep
        if domain is Domain.SPATIAL and isinstance(layer, ConvLayer):
            where: FieldPath = _layer_field(index, "domain") if layer.domain else ("domain",)
            raise SpecFieldError(
                "workload",
                where,
                f"layer {layer.name}: spatial-domain convolution (the systolic baseline) is not "
                "modelled yet; use spectral or hybrid",
            )
        if isinstance(layer, ConvLayer):
            walker.conv(index, layer, domain)
        elif isinstance(layer, PoolLayer):
            walker.pool(index, layer, domain)
        elif isinstance(layer, ActivationLayer):
            walker.activation(index, layer, domain)
        elif isinstance(layer, FcLayer):
            walker.fc(index, layer)
        else:
            walker.loss(index, layer)
        reps.append((before, walker.rep))
        domains.append(domain)
    return Lowered(tuple(walker.steps), tuple(reps), tuple(domains))
