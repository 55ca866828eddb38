"""The hardware description a user writes: units, buffers, DRAM, numerics and the energy table.

Every quantity carries its unit in its name. Validators check what one spec alone can check
(powers of two, positive sizes, the upper limits below, finite numbers); what needs a workload
too (does a layer fit the buffers?) is checked by the compiler. The limits are far beyond any
real accelerator; they keep every count the simulator derives inside int64 and refuse a typo
(an exponent too many) at its field rather than as an overflow later.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fdsim.spec.fft_arithmetic import FftArithmeticSpec
from fdsim.spec.numerics import QFormat
from fdsim.spec.origin import Located

MAX_CLOCK_HZ = 10**11
MAX_FFT_POINTS = 1 << 16
MAX_PARALLEL_UNITS = 1 << 20
"""Largest count of engines, lanes, elements or samples per cycle, and systolic rows or cols."""
MAX_LATENCY_CYCLES = 10**6
MAX_BUFFER_BYTES = 1 << 40
MAX_BUFFER_BANKS = 1 << 16
MAX_BUFFER_PORTS = 16
MAX_DRAM_QUEUE = 1 << 16
MAX_DRAM_BYTES_PER_S = 10**15
MAX_DRAM_LATENCY_NS = 10**9

_TABLE_NAME = re.compile(r"[A-Za-z0-9_-]+")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


class ComplexMultiplier(StrEnum):
    """How a complex product is built from real multipliers."""

    FOUR_MULT = "four_mult"  # (ac - bd) + j(ad + bc): 4 multiplies, 2 adds
    THREE_MULT = "three_mult"  # Gauss/Karatsuba: 3 multiplies, 5 adds

    @property
    def real_ops(self) -> tuple[int, int]:
        """(real multiplies, real adds) of one complex product."""
        return (4, 2) if self is ComplexMultiplier.FOUR_MULT else (3, 5)

    @property
    def real_macs_per_cycle(self) -> int:
        """Real multiply-accumulates one lane retires per cycle on real operands (GEMM): the
        4-multiplier lane forms two 2-term dot products; the 3-multiplier lane uses two of its
        multipliers independently (the Gauss form's third product needs complex operands)."""
        return 4 if self is ComplexMultiplier.FOUR_MULT else 2


class FftSpec(_Spec):
    """A bank of identical streaming FFT/iFFT engines (forward and inverse share hardware)."""

    count: int = Field(ge=1, description="number of FFT engines working in parallel")
    radix: int = Field(description="butterfly radix, 2 or 4")
    max_points: int = Field(description="largest 1-D transform length; a power of two")
    samples_per_cycle: int = Field(ge=1, description="complex samples in and out per clock")
    multiplier_pipeline_cycles: int = Field(
        ge=0,
        le=MAX_LATENCY_CYCLES,
        description=(
            "pipeline depth of a stage's twiddle multiplier; the engine's latency is derived "
            "from it and the stage structure (fdsim/fixedpoint/fft_timing.py)"
        ),
    )
    complex_multiplier: ComplexMultiplier = ComplexMultiplier.FOUR_MULT
    arithmetic: FftArithmeticSpec | None = Field(
        default=None, description="bit-true arithmetic of the core (needed for --functional)"
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        # The one latency for every size was replaced by the structure it comes from.
        if isinstance(data, dict) and "pipeline_latency_cycles" in data:
            raise ValueError(
                "pipeline_latency_cycles was renamed: use multiplier_pipeline_cycles (the "
                "latency is now derived per transform size from the stage structure)"
            )
        return data

    @field_validator("radix")
    @classmethod
    def _radix(cls, value: int) -> int:
        if value not in (2, 4):
            raise ValueError(f"must be 2 or 4, got {value}")
        return value

    @field_validator("max_points")
    @classmethod
    def _max_points(cls, value: int) -> int:
        if not is_power_of_two(value) or value < 4:
            raise ValueError(f"must be a power of two (at least 4), got {value}")
        if value > MAX_FFT_POINTS:
            raise ValueError(f"must be at most {MAX_FFT_POINTS}, got {value}")
        return value

    @field_validator("count", "samples_per_cycle")
    @classmethod
    def _parallel(cls, value: int) -> int:
        if value > MAX_PARALLEL_UNITS:
            raise ValueError(f"must be at most {MAX_PARALLEL_UNITS}, got {value}")
        return value

    @model_validator(mode="after")
    def _one_core(self) -> FftSpec:
        # The timing and the bit-true arithmetic describe the same core.
        if self.arithmetic is not None and int(self.arithmetic.radix) != self.radix:
            raise ValueError(
                f"arithmetic.radix ({int(self.arithmetic.radix)}) must equal radix ({self.radix})"
            )
        return self


class CmacSpec(_Spec):
    """The complex multiply-accumulate array: one complex MAC per lane per clock."""

    lanes: int = Field(ge=1, le=MAX_PARALLEL_UNITS)
    multiplier: ComplexMultiplier = ComplexMultiplier.FOUR_MULT
    pipeline_latency_cycles: int = Field(default=0, ge=0, le=MAX_LATENCY_CYCLES)


class StreamUnitSpec(_Spec):
    """A unit that streams elements: crop (spectral pooling), activation, weight update."""

    elements_per_cycle: int = Field(ge=1, le=MAX_PARALLEL_UNITS)


class Dataflow(StrEnum):
    WEIGHT_STATIONARY = "ws"
    OUTPUT_STATIONARY = "os"
    INPUT_STATIONARY = "is"


class InterfaceBandwidth(StrEnum):
    """How SCALE-Sim's view of a run (``COMPUTE_REPORT.csv``) sees DRAM."""

    USER = "user"  # the hardware's dram.bandwidth_bytes_per_s, in words per cycle
    CALC = "calc"  # SCALE-Sim's CALC mode: whatever bandwidth a stall-free run needs


class SystolicArraySpec(_Spec):
    """A spatial-domain systolic MAC array (the baseline's compute unit). The last three
    fields shape only the SCALE-Sim view of a run (``COMPUTE_REPORT.csv``: its prefetch and
    stall model), not fdsim's own timing, which always uses ``dram``."""

    rows: int = Field(ge=1, le=MAX_PARALLEL_UNITS)
    cols: int = Field(ge=1, le=MAX_PARALLEL_UNITS)
    dataflow: Dataflow = Dataflow.WEIGHT_STATIONARY
    interface_bandwidth: InterfaceBandwidth = InterfaceBandwidth.USER
    ifmap_fill_words_per_cycle: int = Field(
        default=10,
        ge=1,
        le=MAX_PARALLEL_UNITS,
        description="SCALE-Sim's ifmap read-buffer fill rate in USER mode ([layout] "
        "IfmapSRAMBankBandwidth)",
    )
    filter_fill_words_per_cycle: int = Field(
        default=10,
        ge=1,
        le=MAX_PARALLEL_UNITS,
        description="SCALE-Sim's filter read-buffer fill rate in USER mode ([layout] "
        "FilterSRAMBankBandwidth)",
    )


class BufferSpec(_Spec):
    """One SRAM buffer: capacity, banking and port bandwidth. Each of the ``banks`` banks has
    ``ports`` access ports moving ``bytes_per_cycle / banks`` bytes per cycle each; one op uses
    at most one port per bank (so ``bytes_per_cycle`` at most), and ops of different units
    running at once share the bank ports (see ``sim/engine.py``)."""

    size_bytes: int = Field(gt=0, le=MAX_BUFFER_BYTES)
    banks: int = Field(ge=1, le=MAX_BUFFER_BANKS)
    bytes_per_cycle: int = Field(
        gt=0,
        le=MAX_BUFFER_BYTES,
        description="read+write bandwidth of one port on every bank, all banks together",
    )
    ports: int = Field(
        default=1,
        ge=1,
        le=MAX_BUFFER_PORTS,
        description="access ports per bank (1: single-ported); units running at once share them",
    )
    word_bytes: int = Field(gt=0, le=MAX_BUFFER_BYTES, description="access granularity")
    buffering: int = Field(
        default=2,
        ge=1,
        le=4,
        description="tiles held at once when the compiler sizes tiles (2: double buffering)",
    )

    @model_validator(mode="after")
    def _geometry(self) -> BufferSpec:
        if self.size_bytes % (self.banks * self.word_bytes):
            raise ValueError(
                f"size_bytes ({self.size_bytes}) must be a multiple of banks × word_bytes "
                f"({self.banks} × {self.word_bytes})"
            )
        return self


class BuffersSpec(_Spec):
    """The on-chip SRAMs. Layer outputs go to ``outputs`` when present, else to ``activations``."""

    activations: BufferSpec
    weights: BufferSpec
    gradients: BufferSpec
    outputs: BufferSpec | None = None


class DramSpec(_Spec):
    """The off-chip memory channel: one in-order channel moving whole bursts at
    ``bandwidth_bytes_per_s``; a transfer's data is usable ``latency_ns`` after it has
    streamed, and at most ``queue_depth`` transfers are in flight (issued, data not yet
    usable) at once."""

    bandwidth_bytes_per_s: int = Field(gt=0, le=MAX_DRAM_BYTES_PER_S)
    latency_ns: float = Field(ge=0, le=MAX_DRAM_LATENCY_NS)
    burst_bytes: int = Field(
        default=64,
        ge=1,
        le=MAX_BUFFER_BYTES,
        description="bytes of one burst: a transfer occupies the channel for whole bursts",
    )
    queue_depth: int = Field(
        default=8,
        ge=1,
        le=MAX_DRAM_QUEUE,
        description="DMA transfers in flight at once (issued, data not yet usable)",
    )


class NumericsSpec(_Spec):
    """The stored format of each tensor class."""

    activations: QFormat
    weights: QFormat
    gradients: QFormat
    spectra: QFormat = Field(description="each of the real and imaginary parts of a spectral bin")
    accumulators: QFormat
    twiddles: QFormat
    partial_sums: QFormat | None = Field(
        default=None,
        description=(
            "stored width of CMAC partial sums spilled to SRAM when a reduction is split into "
            "tiles (absent: the accumulator format, i.e. no rounding at a spill)"
        ),
    )
    master_weights: QFormat | None = Field(
        default=None,
        description=(
            "format in which the update unit keeps the weights between steps (absent: the "
            "weights format); compute reads them rounded to the weights format"
        ),
    )


class HardwareSpec(_Spec, Located):
    """A whole accelerator. Unit entries left out mean the accelerator has no such unit."""

    name: str
    description: str = ""
    clock_hz: int = Field(gt=0, le=MAX_CLOCK_HZ)
    fft: FftSpec | None = None
    cmac: CmacSpec | None = None
    crop: StreamUnitSpec | None = None
    activation: StreamUnitSpec | None = None
    update: StreamUnitSpec | None = None
    systolic_array: SystolicArraySpec | None = None
    buffers: BuffersSpec
    dram: DramSpec
    numerics: NumericsSpec
    energy_table: str = Field(
        description=(
            "a shipped energy table by name (28nm, 45nm), or the path of a .yaml table relative "
            "to this file's folder (neither absolute nor climbing out with ..)"
        )
    )

    @field_validator("energy_table")
    @classmethod
    def _energy_table(cls, value: str) -> str:
        if not value:
            raise ValueError("must name a shipped table (e.g. 28nm) or a .yaml file, got ''")
        path = PurePosixPath(value)
        if path.is_absolute() or value.startswith("~"):
            raise ValueError(
                f"must be a shipped table name or a path relative to this file's folder, "
                f"got {value!r}"
            )
        if ".." in path.parts:
            raise ValueError(f"must not climb out of this file's folder (..), got {value!r}")
        return value


def is_energy_table_name(value: str) -> bool:
    """Whether ``energy_table`` names a shipped table (``28nm``) rather than a file path."""
    return _TABLE_NAME.fullmatch(value) is not None
