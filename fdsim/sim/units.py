"""Unit models: how many cycles an op occupies its unit, and which primitive actions it performs.

Pure functions of (op, hardware). Every formula here is documented in docs/ARCHITECTURE.md
("Unit models") and checked by the golden tests. Actions are counted, never priced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from math import ceil

from fdsim.schedule.ops import Buffer, Op, OpKind, Tensor, Unit, buffer_spec
from fdsim.spec.hardware import HardwareSpec


class Arith(StrEnum):
    MULT = "mult"
    ADD = "add"


ArithKey = tuple[Arith, int]  # (operation, operand bits)
SramKey = tuple[Buffer, str]  # (buffer, "read" | "write")
DramKey = tuple[Tensor, str]  # (tensor, "read" | "write")


@dataclass(frozen=True)
class Activity:
    """What one op did: ``busy_cycles`` on its unit, of which ``sram_stall_cycles`` were spent
    only because an SRAM port could not keep up; ``done_delay_cycles`` after the unit is free
    until the result is usable (DRAM latency)."""

    busy_cycles: int
    sram_stall_cycles: int
    arith: Counter[ArithKey]
    sram_bytes: Counter[SramKey]
    dram_bytes: Counter[DramKey]
    done_delay_cycles: int = 0


def dram_transfer_cycles(nbytes: int, hardware: HardwareSpec) -> int:
    """Cycles the DRAM channel needs to move ``nbytes`` (exact integer ceiling)."""
    return -(-nbytes * hardware.clock_hz // hardware.dram.bandwidth_bytes_per_s)


def dram_latency_cycles(hardware: HardwareSpec) -> int:
    return ceil(hardware.dram.latency_ns * hardware.clock_hz / 1e9)


def fft_butterflies(points: int, radix: int) -> tuple[int, int]:
    """(radix-2 butterflies, radix-4 butterflies) of one ``points``-point transform. A radix-4
    engine needs one radix-2 stage when log2(points) is odd."""
    stages = points.bit_length() - 1
    if radix == 2:
        return points // 2 * stages, 0
    return (points // 2 if stages % 2 else 0), points // 4 * (stages // 2)


def _sram(op: Op, hardware: HardwareSpec) -> tuple[Counter[SramKey], int]:
    """SRAM traffic of a streaming op and the cycles its ports need for it."""
    read = op.in_elements * op.in_element_bytes
    write = op.out_elements * op.out_element_bytes
    return _port_cycles(hardware, {(op.src, "read"): read, (op.dst, "write"): write})


def _port_cycles(
    hardware: HardwareSpec, traffic: dict[tuple[Buffer | None, str], int]
) -> tuple[Counter[SramKey], int]:
    counts: Counter[SramKey] = Counter()
    per_buffer: Counter[Buffer] = Counter()
    for (buffer, direction), nbytes in traffic.items():
        if buffer is None or nbytes == 0:
            continue
        counts[(buffer, direction)] += nbytes
        per_buffer[buffer] += nbytes
    cycles = max(
        (-(-n // buffer_spec(hardware, b).bytes_per_cycle) for b, n in per_buffer.items()),
        default=0,
    )
    return counts, cycles


def _finish(
    compute: int,
    latency: int,
    arith: Counter[ArithKey],
    sram: Counter[SramKey],
    sram_cycles: int,
) -> Activity:
    busy = max(compute, sram_cycles) + latency
    return Activity(busy, max(0, sram_cycles - compute), arith, sram, Counter())


def dma(op: Op, hardware: HardwareSpec) -> Activity:
    assert op.tensor is not None
    loading = op.kind is OpKind.LOAD
    buffer = op.dst if loading else op.src
    sram, sram_cycles = _port_cycles(hardware, {(buffer, "write" if loading else "read"): op.bytes})
    transfer = dram_transfer_cycles(op.bytes, hardware)
    dram: Counter[DramKey] = Counter({(op.tensor, "read" if loading else "write"): op.bytes})
    busy = max(transfer, sram_cycles)
    return Activity(
        busy,
        busy - transfer,
        Counter(),
        sram,
        dram,
        done_delay_cycles=dram_latency_cycles(hardware),
    )


def fft(op: Op, hardware: HardwareSpec) -> Activity:
    """Real 2-D transforms by row–column decomposition: two real rows packed into one complex
    FFT (points/2 row transforms) and points/2+1 column transforms, i.e. points+1 1-D
    transforms of ``points`` samples per map, streamed at ``samples_per_cycle`` per engine."""
    spec = hardware.fft
    assert spec is not None
    points = op.points
    per_map = points + 1
    stream = -(-per_map * points // spec.samples_per_cycle)
    compute = -(-op.maps // spec.count) * stream
    radix2, radix4 = fft_butterflies(points, spec.radix)
    cmul_mults, cmul_adds = spec.complex_multiplier.real_ops
    transforms = op.maps * per_map
    numerics = hardware.numerics
    mult_bits = max(numerics.spectra.total_bits, numerics.twiddles.total_bits)
    add_bits = numerics.spectra.total_bits
    complex_mults = transforms * (radix2 + 3 * radix4)
    complex_adds = transforms * (2 * radix2 + 8 * radix4)
    # Separating (or merging) the packed real rows: 4 real adds per stored bin pair.
    split_adds = op.maps * 2 * points * (points // 2 + 1)
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): complex_mults * cmul_mults,
            (Arith.ADD, add_bits): complex_mults * cmul_adds + 2 * complex_adds + split_adds,
        }
    )
    sram, sram_cycles = _sram(op, hardware)
    # Row and column passes each fill the pipeline once per op.
    return _finish(compute, 2 * spec.pipeline_latency_cycles, arith, sram, sram_cycles)


def cmac(op: Op, hardware: HardwareSpec) -> Activity:
    """Output-stationary complex MACs: lanes hold (output channel, bin) accumulators, spread
    over output channels first; each pass streams the input channels. X is broadcast to the
    lanes sharing a bin, every lane reads its own weight, each output is written once."""
    spec = hardware.cmac
    assert spec is not None
    lanes_out = min(op.out_channels, spec.lanes)
    lanes_bin = spec.lanes // lanes_out
    out_groups = -(-op.out_channels // lanes_out)
    passes = op.images * out_groups * -(-op.bins // lanes_bin)
    compute = passes * op.in_channels
    macs = op.images * op.out_channels * op.in_channels * op.bins
    numerics = hardware.numerics
    weight_bits = (numerics.spectra if op.kind is OpKind.SELF_CONV else numerics.weights).total_bits
    mult_bits = max(numerics.spectra.total_bits, weight_bits)
    cmul_mults, cmul_adds = spec.multiplier.real_ops
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): macs * cmul_mults,
            (Arith.ADD, numerics.accumulators.total_bits): macs * (cmul_adds + 2),
        }
    )
    x_reads = op.images * op.in_channels * op.bins * out_groups * op.in_element_bytes
    weight_buffer = op.src if op.kind is OpKind.SELF_CONV else Buffer.WEIGHTS
    weight_bytes = op.in_element_bytes if op.kind is OpKind.SELF_CONV else op.weight_element_bytes
    traffic: dict[tuple[Buffer | None, str], int] = Counter()
    traffic[(op.src, "read")] += x_reads
    traffic[(weight_buffer, "read")] += macs * weight_bytes
    traffic[(op.dst, "write")] += op.out_elements * op.out_element_bytes
    sram, sram_cycles = _port_cycles(hardware, traffic)
    return _finish(compute, spec.pipeline_latency_cycles, arith, sram, sram_cycles)


def gemm(op: Op, hardware: HardwareSpec) -> Activity:
    """Real matrix product (FC) on the CMAC lanes, output features spread over lanes, each lane
    retiring ``multiplier.real_macs_per_cycle`` multiply-accumulates per cycle."""
    spec = hardware.cmac
    assert spec is not None
    lanes_out = min(op.out_channels, spec.lanes)
    out_groups = -(-op.out_channels // lanes_out)
    per_cycle = spec.multiplier.real_macs_per_cycle
    compute = op.images * out_groups * -(-op.in_channels // per_cycle)
    numerics = hardware.numerics
    mult_bits = max(numerics.activations.total_bits, numerics.weights.total_bits)
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): op.real_macs,
            (Arith.ADD, numerics.accumulators.total_bits): op.real_macs,
        }
    )
    traffic: dict[tuple[Buffer | None, str], int] = Counter()
    traffic[(op.src, "read")] += op.images * op.in_channels * out_groups * op.in_element_bytes
    traffic[(Buffer.WEIGHTS, "read")] += op.real_macs * op.weight_element_bytes
    traffic[(op.dst, "write")] += op.out_elements * op.out_element_bytes
    sram, sram_cycles = _port_cycles(hardware, traffic)
    return _finish(compute, spec.pipeline_latency_cycles, arith, sram, sram_cycles)


def stream(op: Op, hardware: HardwareSpec) -> Activity:
    """Crop, fold, pool, activation and loss: ``elements_per_cycle`` input elements per cycle.

    Arithmetic: a fold adds each aliased complex bin into its output (2 real adds), a crop's
    Nyquist average adds the dropped alias (2 real adds), a pool compares or adds each window
    element beyond the first, a spectral affine activation scales both parts of a bin (2
    multiplies), a spatial one multiplies and adds, and the loss does an exponential-and-sum
    per logit (counted as 1 multiply + 2 adds)."""
    spec = hardware.crop if op.unit is Unit.CROP else hardware.activation
    assert spec is not None
    compute = -(-op.in_elements // spec.elements_per_cycle)
    numerics = hardware.numerics
    spectral_bits, spatial_bits = numerics.spectra.total_bits, numerics.activations.total_bits
    dropped = op.in_elements - op.out_elements
    arith: Counter[ArithKey] = Counter()
    if op.kind in (OpKind.FOLD, OpKind.CROP):
        arith[(Arith.ADD, spectral_bits)] += 2 * dropped
    elif op.kind is OpKind.POOL:
        arith[(Arith.ADD, spatial_bits)] += dropped
    elif op.kind is OpKind.LOSS:
        arith[(Arith.MULT, spatial_bits)] += op.in_elements
        arith[(Arith.ADD, spatial_bits)] += 2 * op.in_elements
    elif op.spectral:
        arith[(Arith.MULT, spectral_bits)] += 2 * op.in_elements
    else:
        arith[(Arith.MULT, spatial_bits)] += op.in_elements
        arith[(Arith.ADD, spatial_bits)] += op.in_elements
    sram, sram_cycles = _sram(op, hardware)
    return _finish(compute, 0, arith, sram, sram_cycles)


def execute(op: Op, hardware: HardwareSpec) -> Activity:
    """The activity of ``op`` on its unit."""
    unit = op.unit
    if unit is Unit.DMA:
        return dma(op, hardware)
    if unit is Unit.FFT:
        return fft(op, hardware)
    if op.kind is OpKind.GEMM:
        return gemm(op, hardware)
    if unit is Unit.CMAC:
        return cmac(op, hardware)
    return stream(op, hardware)
