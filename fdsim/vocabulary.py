"""Vocabulary shared by the specs, the compiler, the simulator, the numerical model and the
results, as enums: a layer below all of them, importing nothing of fdsim, so each names a
phase, unit, buffer, tensor, direction or domain without importing another's modules.
(``fdsim.schedule.ops``, ``fdsim.counts`` and ``fdsim.spec.workload`` re-export them.)"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """A training phase, in the order a training step runs them. Each phase needs the results
    of every phase before it (``needs``): a selection of phases must be such a prefix."""

    FORWARD = "fwd"
    BACKWARD_DATA = "bwd_data"
    BACKWARD_WEIGHT = "bwd_weight"
    UPDATE = "update"

    @property
    def needs(self) -> tuple[Phase, ...]:
        """The phases whose results this one consumes (directly or not)."""
        order = list(Phase)
        return tuple(order[: order.index(self)])


class TimingModel(StrEnum):
    """How a schedule is timed (``--model``): the event loop (the reference), or the analytic
    max-plus recurrence without buffer-full waits (``fdsim.sim.analytic``)."""

    EVENT = "event"
    ANALYTIC = "analytic"


class Domain(StrEnum):
    """Where a layer computes (see docs/ARCHITECTURE.md, "Domains")."""

    SPECTRAL = "spectral"  # stays in the frequency domain between layers (DAC 2017 scheme)
    HYBRID = "hybrid"  # FFT convolution, spatial activation/pooling (Mathieu et al. 2013)
    SPATIAL = "spatial"  # the spatial-domain baseline


class Unit(StrEnum):
    """A hardware unit that executes ops, one at a time, in program order."""

    DMA = "dma"
    FFT = "fft"
    CMAC = "cmac"
    CROP = "crop"
    ACTIVATION = "activation"
    UPDATE = "update"
    SYSTOLIC_ARRAY = "systolic_array"  # the spatial baseline's MAC array (spec field of that name)


class Buffer(StrEnum):
    """An on-chip SRAM (see ``BuffersSpec``)."""

    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    GRADIENTS = "gradients"
    OUTPUTS = "outputs"
    # the FFT unit's own corner-turn memory between its row and column passes (not a tile
    # buffer: the compiler never allocates it; priced and sized from the fft spec)
    TRANSPOSE = "transpose"


class Tensor(StrEnum):
    """What moves, for traffic accounting."""

    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    GRADIENTS = "gradients"
    STASH = "stash"  # forward values the backward needs (inputs re-read, masks, argmax)
    VELOCITY = "velocity"  # SGD momentum state


class Direction(StrEnum):
    """Which way bytes move, seen from the unit: read from a memory, or written to it."""

    READ = "read"
    WRITE = "write"


class OpKind(StrEnum):
    """What a compiled op does; its unit is ``fdsim.schedule.ops.UNIT_OF_KIND[kind]``."""

    LOAD = "load"  # DRAM -> SRAM
    STORE = "store"  # SRAM -> DRAM
    FFT = "fft"  # real 2-D maps -> Hermitian half-spectra
    IFFT = "ifft"  # Hermitian half-spectra -> real 2-D maps
    # complex MACs over bins: fwd Σ_i X·conj(W), bwd_data Σ_o G·W, bwd_weight Σ_b X·conj(G)
    CMAC = "cmac"
    SELF_CONV = "self_conv"  # spectral self-convolution (x² term of an activation, or its backward)
    GEMM = "gemm"  # real matrix product (FC, and both of its backward products)
    SYSTOLIC = "systolic"  # a real matrix product on the systolic array (spatial conv, FC)
    PROJECT = "project"  # sinc projection of a weight gradient onto the k×k kernel support
    FOLD = "fold"  # strided convolution: sum aliased spectral blocks
    UNFOLD = "unfold"  # fold backward: replicate each bin to its aliases
    OVERLAP_ADD = "overlap_add"  # overlap-add tiling: sum the tiles' windows into the maps
    OVERLAP_SPLIT = "overlap_split"  # overlap-add backward: each window's slice of the gradient
    CROP = "crop"  # spectral pooling: select the kept bins
    PAD = "pad"  # crop backward: scatter kept bins back (the rest are zero)
    POOL = "pool"  # spatial pooling: one value per window (the operator says which)
    UNPOOL = "unpool"  # spatial pooling backward: gradients back to the window inputs
    ACTIVATE = "activate"  # elementwise activation (spectral affine or spatial)
    ACTIVATE_BWD = "activate_bwd"  # activation backward: G·f'(x) (affine: a·G)
    LOSS = "loss"  # softmax cross-entropy on logits
    LOSS_GRAD = "loss_grad"  # dL/dlogits = softmax(logits) − one-hot(label)
    UPDATE = "update"  # SGD step on a stream of parameters
