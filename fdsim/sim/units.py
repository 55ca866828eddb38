"""Unit models: how many cycles an op occupies its unit, and which primitive actions it performs.

Pure functions of (op, hardware). Every formula here is documented in docs/ARCHITECTURE.md
("Unit models") and checked by the golden tests. Actions are counted, never priced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from math import ceil

from fdsim.counts import Arith, ArithKey, Direction, DramKey, SramKey
from fdsim.operators.base import Widths
from fdsim.schedule.ops import (
    Buffer,
    CmacOp,
    ComputeOp,
    DmaOp,
    FftOp,
    GemmOp,
    Op,
    OpKind,
    ProjectOp,
    StreamOp,
    Unit,
    UpdateOp,
    buffer_spec,
)
from fdsim.schedule.spectral_bins import sinc_projection_macs
from fdsim.sim.fft_counts import transform_arith, transform_latency_cycles
from fdsim.spec.hardware import BufferSpec, HardwareSpec
from fdsim.systolic.compute import compute_cycles, demand_accesses
from fdsim.systolic.shapes import ArrayShape, GemmShape


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
    bank_ports: tuple[tuple[Buffer, int], ...] = ()  # held while busy, per buffer (bank_ports)


def dram_transfer_cycles(nbytes: int, hardware: HardwareSpec) -> int:
    """Cycles the DRAM channel needs to move ``nbytes``: whole bursts (the last one padded),
    exact integer ceiling."""
    dram = hardware.dram
    moved = -(-nbytes // dram.burst_bytes) * dram.burst_bytes
    return -(-moved * hardware.clock_hz // dram.bandwidth_bytes_per_s)


def dram_latency_cycles(hardware: HardwareSpec) -> int:
    return ceil(hardware.dram.latency_ns * hardware.clock_hz / 1e9)


def _stash_traffic(
    op: ComputeOp, partial_in_bytes: int = 0
) -> Counter[tuple[Buffer | None, Direction]]:
    """Bytes an op reads and writes in SRAM besides its operands: its stash and the
    ``partial_in_bytes`` of partial sums it reads back from ``dst``."""
    traffic: Counter[tuple[Buffer | None, Direction]] = Counter()
    traffic[(Buffer.GRADIENTS, Direction.WRITE)] += op.stash_write_bytes
    traffic[(Buffer.GRADIENTS, Direction.READ)] += op.stash_read_bytes
    traffic[(op.dst, Direction.READ)] += partial_in_bytes
    return traffic


Traffic = Mapping[tuple[Buffer | None, Direction], int]


def _sram(
    op: ComputeOp, hardware: HardwareSpec, extra: Traffic | None = None
) -> Counter[tuple[Buffer | None, Direction]]:
    """SRAM traffic of a streaming op (and ``extra`` bytes)."""
    traffic = _stash_traffic(op)
    traffic.update(extra or {})
    traffic[(op.src, Direction.READ)] += op.in_elements * op.in_element_bytes
    traffic[(op.dst, Direction.WRITE)] += op.out_elements * op.out_element_bytes
    return traffic


def bank_ports_needed(nbytes: int, compute_cycles: int, spec: BufferSpec) -> int:
    """Bank ports of ``spec`` an op moving ``nbytes`` in ``compute_cycles`` holds: the fewest
    (one per bank at most) whose bandwidth, ``bytes_per_cycle / banks`` each, keeps pace with
    its compute, so that holding them never slows it; all banks when it does no compute."""
    if compute_cycles == 0:
        return spec.banks
    return min(spec.banks, -(-nbytes * spec.banks // (compute_cycles * spec.bytes_per_cycle)))


def _port_cycles(
    hardware: HardwareSpec, traffic: Traffic, compute_cycles: int
) -> tuple[Counter[SramKey], int, tuple[tuple[Buffer, int], ...]]:
    """The SRAM counts of ``traffic``, the cycles the op's bank ports need to move it, and the
    bank ports it holds per buffer (``bank_ports_needed``; the FFT's transpose memory is its
    own, never shared, and holds none)."""
    counts: Counter[SramKey] = Counter()
    per_buffer: Counter[Buffer] = Counter()
    for (buffer, direction), nbytes in traffic.items():
        if buffer is None or nbytes == 0:
            continue
        counts[(buffer, direction)] += nbytes
        per_buffer[buffer] += nbytes
    cycles = 0
    held = []
    for buffer, nbytes in per_buffer.items():
        spec = buffer_spec(hardware, buffer)
        ports = bank_ports_needed(nbytes, compute_cycles, spec)
        if buffer is not Buffer.TRANSPOSE:
            held.append((buffer, ports))
        cycles = max(cycles, -(-nbytes * spec.banks // (ports * spec.bytes_per_cycle)))
    return counts, cycles, tuple(held)


def _finish(
    compute: int,
    latency: int,
    arith: Counter[ArithKey],
    traffic: Traffic,
    hardware: HardwareSpec,
) -> Activity:
    sram, sram_cycles, ports = _port_cycles(hardware, traffic, compute)
    busy = max(compute, sram_cycles) + latency
    return Activity(busy, max(0, sram_cycles - compute), arith, sram, Counter(), 0, ports)


def dma(op: DmaOp, hardware: HardwareSpec) -> Activity:
    loading = op.kind is OpKind.LOAD
    buffer = op.dst if loading else op.src
    transfer = dram_transfer_cycles(op.bytes, hardware)
    # the DMA engine has a port of its own on each buffer (it fills or drains the slot the
    # compute units are not working on): it holds none of theirs
    sram, sram_cycles, _ = _port_cycles(
        hardware, {(buffer, Direction.WRITE if loading else Direction.READ): op.bytes}, transfer
    )
    dram: Counter[DramKey] = Counter(
        {(op.tensor, Direction.READ if loading else Direction.WRITE): op.bytes}
    )
    busy = max(transfer, sram_cycles)
    return Activity(
        busy,
        busy - transfer,
        Counter(),
        sram,
        dram,
        done_delay_cycles=dram_latency_cycles(hardware),
    )


def fft(op: FftOp, hardware: HardwareSpec) -> Activity:
    """Real 2-D transforms by row–column decomposition: two real rows packed into one complex
    FFT (points/2 row transforms) and points/2+1 column transforms, i.e. points+1 1-D
    transforms of ``points`` samples per map, streamed at ``samples_per_cycle`` per engine;
    the row and the column pass each wait the pipeline latency of ``points``-point transforms
    once. Arithmetic stage by stage at each stage's widths (``sim/fft_counts.py``). Between
    the passes each map's P × (P/2 + 1) complex words go through the unit's transpose memory
    (``transpose_spec``): written by the row pass, read by the column pass."""
    spec = hardware.fft
    assert spec is not None
    points = op.points
    stream = -(-(points + 1) * points // spec.samples_per_cycle)
    compute = -(-op.maps // spec.count) * stream
    arith = transform_arith(op.maps, points, op.kind is OpKind.IFFT, hardware)
    # the corner turn: the row pass writes P × (P/2 + 1) complex words, the column pass reads
    turned = op.maps * points * (points // 2 + 1) * 2 * hardware.numerics.spectra.storage_bytes
    extra: dict[tuple[Buffer | None, Direction], int] = {
        (Buffer.TRANSPOSE, Direction.WRITE): turned,
        (Buffer.TRANSPOSE, Direction.READ): turned,
    }
    latency = 2 * transform_latency_cycles(points, hardware)
    return _finish(compute, latency, arith, _sram(op, hardware, extra), hardware)


def _operand_bits(hardware: HardwareSpec, buffer: Buffer | None, data_bits: int) -> int:
    """Width of a multiplier operand read from ``buffer``: weights and gradients have their
    own formats; activation/output buffers hold data (spectra or activations: ``data_bits``)."""
    numerics = hardware.numerics
    if buffer is Buffer.WEIGHTS:
        return numerics.weights.total_bits
    if buffer is Buffer.GRADIENTS:
        return numerics.gradients.total_bits
    return data_bits


def cmac(op: CmacOp, hardware: HardwareSpec) -> Activity:
    """Output-stationary complex MACs: lanes hold (output, bin) accumulators, spread over
    outputs first; each pass streams the reduction axis (``in_channels``). The broadcast input
    (``src``) is read once per output group, every lane reads its own operand (weights, or
    ``operand``), each output is written once; partial sums of a split reduction are read
    back from ``dst``. The three training phases map onto it as (outputs, reduction):
    fwd (out channels, in channels), bwd_data (in channels, out channels), bwd_weight
    (kernels, images). A self-convolution (the spectral quadratic) reads both operands per MAC
    and combines its result with the linear term in the lanes."""
    spec = hardware.cmac
    assert spec is not None
    lanes_out = min(op.out_channels, spec.lanes)
    lanes_bin = spec.lanes // lanes_out
    out_groups = -(-op.out_channels // lanes_out)
    passes = op.images * out_groups * -(-op.bins // lanes_bin)
    compute = passes * op.in_channels
    macs = op.images * op.out_channels * op.in_channels * op.bins
    numerics = hardware.numerics
    self_conv = op.kind is OpKind.SELF_CONV
    weight_buffer = op.operand or (op.src if self_conv else Buffer.WEIGHTS)
    mult_bits = max(
        _operand_bits(hardware, op.src, numerics.spectra.total_bits),
        _operand_bits(hardware, weight_buffer, numerics.spectra.total_bits),
    )
    cmul_mults, cmul_adds = spec.multiplier.real_ops
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): macs * cmul_mults,
            (Arith.ADD, numerics.accumulators.total_bits): macs * (cmul_adds + 2),
        }
    )
    if self_conv:
        # the quadratic's combination per output bin: c1·X + c2·(X ⊛ X)/N² forward,
        # c1·G + 2·c2·(G ⊛ X)/N² backward (real coefficients × complex bins: 2 + 2
        # multiplies, one complex add; /N² is a shift, c0 lands on the DC bin only)
        outputs = op.images * op.out_channels * op.bins
        arith[(Arith.MULT, numerics.spectra.total_bits)] += 4 * outputs
        arith[(Arith.ADD, numerics.spectra.total_bits)] += 2 * outputs
    per_mac = op.images * op.in_channels * op.bins
    x_reads = (per_mac if self_conv else op.in_elements) * out_groups * op.in_element_bytes
    weight_bytes = op.weight_element_bytes or op.in_element_bytes
    traffic = _stash_traffic(op, op.partial_in_bytes)
    traffic[(op.src, Direction.READ)] += x_reads
    traffic[(weight_buffer, Direction.READ)] += macs * weight_bytes
    traffic[(op.dst, Direction.WRITE)] += op.out_elements * op.out_element_bytes
    return _finish(compute, spec.pipeline_latency_cycles, arith, traffic, hardware)


def gemm(op: GemmOp, hardware: HardwareSpec) -> Activity:
    """Real matrix product (FC, spatial conv) on the CMAC lanes: lanes hold (row, output)
    accumulators, spread over outputs first and the lanes left over over rows (``images``),
    each lane retiring ``multiplier.real_macs_per_cycle`` multiply-accumulates per cycle of
    the reduction (``in_channels``); traffic as in ``cmac``. The forward adds each output's bias
    (``bias_elements``: one weights-buffer read and one accumulator-width add each, folded into
    the accumulator's first cycle). bwd_weight maps the weight gradient (out features × (in
    features + bias)) onto the outputs and the images onto the reduction."""
    spec = hardware.cmac
    assert spec is not None
    lanes_out = min(op.out_channels, spec.lanes)
    out_groups = -(-op.out_channels // lanes_out)
    lanes_rows = spec.lanes // lanes_out  # lanes left over take further rows at once
    per_cycle = spec.multiplier.real_macs_per_cycle
    compute = -(-op.images // lanes_rows) * out_groups * -(-op.in_channels // per_cycle)
    numerics = hardware.numerics
    spatial_bits = numerics.activations.total_bits
    mult_bits = max(
        _operand_bits(hardware, op.src, spatial_bits),
        _operand_bits(hardware, op.operand or Buffer.WEIGHTS, spatial_bits),
    )
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): op.real_macs,
            (Arith.ADD, numerics.accumulators.total_bits): op.real_macs + op.bias_elements,
        }
    )
    weight_reads = op.real_macs + op.bias_elements
    traffic = _stash_traffic(op, op.partial_in_bytes)
    traffic[(op.src, Direction.READ)] += op.in_elements * out_groups * op.in_element_bytes
    traffic[(op.operand or Buffer.WEIGHTS, Direction.READ)] += (
        weight_reads * op.weight_element_bytes
    )
    traffic[(op.dst, Direction.WRITE)] += op.out_elements * op.out_element_bytes
    return _finish(compute, spec.pipeline_latency_cycles, arith, traffic, hardware)


def systolic(op: GemmOp, hardware: HardwareSpec) -> Activity:
    """A real matrix product on the systolic array: (``images`` rows) × ``in_channels`` by
    ``in_channels`` × ``out_channels`` as SCALE-Sim 3.0 runs it, fold by fold with its fill,
    skew and drain (``fdsim.systolic.compute_cycles``). SRAM traffic as the array's demand
    streams (``fdsim.systolic.compute.demand_accesses``: the stationary operand read once,
    the streamed ones once per fold of the other axis, outputs once per reduction fold; as in
    SCALE-Sim, the partial sums of one op's folds add up at the array's edge, not by reading
    them back). A tile of a split reduction reads its predecessor's partial sums
    (``partial_in_bytes``). Arithmetic as ``gemm``."""
    spec = hardware.systolic_array
    assert spec is not None
    gemm = GemmShape(op.images, op.in_channels, op.out_channels)
    array = ArrayShape(spec.rows, spec.cols, op.dataflow or spec.dataflow)
    compute = compute_cycles(gemm, array)
    numerics = hardware.numerics
    spatial_bits = numerics.activations.total_bits
    weight_buffer = op.operand or Buffer.WEIGHTS
    mult_bits = max(
        _operand_bits(hardware, op.src, spatial_bits),
        _operand_bits(hardware, weight_buffer, spatial_bits),
    )
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): op.real_macs,
            (Arith.ADD, numerics.accumulators.total_bits): op.real_macs + op.bias_elements,
        }
    )
    x_reads, w_reads, out_writes = demand_accesses(gemm, array)
    traffic = _stash_traffic(op, op.partial_in_bytes)
    traffic[(op.src, Direction.READ)] += x_reads * op.in_element_bytes
    traffic[(weight_buffer, Direction.READ)] += (
        w_reads + op.bias_elements
    ) * op.weight_element_bytes
    traffic[(op.dst, Direction.WRITE)] += out_writes * op.out_element_bytes
    return _finish(compute, 0, arith, traffic, hardware)


def stream(op: StreamOp, hardware: HardwareSpec) -> Activity:
    """Crop, fold, pool, activation, loss and their backwards: ``elements_per_cycle`` elements
    per cycle of the larger of input and output. The arithmetic is the op's primitive's cost
    descriptor (``StreamPrimitive.arith`` in ``fdsim.operators``), at the stored widths of
    spectra (complex parts) and activations."""
    spec = hardware.crop if op.unit is Unit.CROP else hardware.activation
    assert spec is not None
    compute = -(-max(op.in_elements, op.out_elements) // spec.elements_per_cycle)
    numerics = hardware.numerics
    widths = Widths(numerics.spectra.total_bits, numerics.activations.total_bits)
    arith = op.operator.arith(op, widths)
    return _finish(compute, 0, arith, _sram(op, hardware), hardware)


def project(op: ProjectOp, hardware: HardwareSpec) -> Activity:
    """Sinc projection of ``maps`` kernels' weight gradients on the CMAC lanes, all lanes busy:
    ``sinc_projection_macs(points, kernel)`` complex MACs per kernel (the Dirichlet matrix
    is a small constant table: its reads are not counted); reads the gradient tile, writes
    the projected one."""
    spec = hardware.cmac
    assert spec is not None
    macs = op.maps * sinc_projection_macs(op.points, op.kernel)
    numerics = hardware.numerics
    mult_bits = max(numerics.gradients.total_bits, numerics.twiddles.total_bits)
    cmul_mults, cmul_adds = spec.multiplier.real_ops
    arith: Counter[ArithKey] = Counter(
        {
            (Arith.MULT, mult_bits): macs * cmul_mults,
            (Arith.ADD, numerics.accumulators.total_bits): macs * (cmul_adds + 2),
        }
    )
    compute = -(-macs // spec.lanes)
    return _finish(compute, spec.pipeline_latency_cycles, arith, _sram(op, hardware), hardware)


def update(op: UpdateOp, hardware: HardwareSpec) -> Activity:
    """SGD on ``in_elements`` real parameter values at ``elements_per_cycle``. Per value:
    ``w − lr·v`` (1 multiply, 1 add), plus ``momentum·v +`` (1 + 1) with momentum and
    ``+ weight_decay·w`` (1 + 1) with decay, at the stored weight width. Reads w (and v) from
    the weights buffer and g from ``src``; writes w (and v, and the rounded copy)."""
    spec = hardware.update
    assert spec is not None
    n = op.in_elements
    steps = 1 + (op.state_element_bytes > 0) + op.weight_decay
    numerics = hardware.numerics
    bits = (numerics.master_weights or numerics.weights).total_bits
    arith: Counter[ArithKey] = Counter(
        {(Arith.MULT, bits): n * steps, (Arith.ADD, bits): n * steps}
    )
    weights_bytes = n * (op.weight_element_bytes + op.state_element_bytes)
    traffic: Counter[tuple[Buffer | None, Direction]] = Counter()
    traffic[(op.src, Direction.READ)] += n * op.in_element_bytes
    traffic[(op.dst, Direction.READ)] += weights_bytes
    traffic[(op.dst, Direction.WRITE)] += weights_bytes + n * op.out_element_bytes
    compute = -(-n // spec.elements_per_cycle)
    return _finish(compute, 0, arith, traffic, hardware)


def execute(op: Op, hardware: HardwareSpec) -> Activity:
    """The activity of ``op`` on its unit."""
    match op:
        case DmaOp():
            return dma(op, hardware)
        case FftOp():
            return fft(op, hardware)
        case CmacOp():
            return cmac(op, hardware)
        case GemmOp():
            return systolic(op, hardware) if op.kind is OpKind.SYSTOLIC else gemm(op, hardware)
        case ProjectOp():
            return project(op, hardware)
        case StreamOp():
            return stream(op, hardware)
        case UpdateOp():
            return update(op, hardware)


# fields that place an op in the program; its activity depends on none of them
_PLACEMENT = frozenset({"index", "layer", "deps", "allocate", "release"})


def execute_all(ops: Sequence[Op], hardware: HardwareSpec) -> list[Activity]:
    """``execute`` of every op, each distinct tile computed once: a tiled layer repeats the
    same tile many times, so most ops share their activity (one shared ``Activity`` per
    distinct tile, never mutated). Ops equal in every field but their placement in the
    program (``_PLACEMENT``) have equal activities."""
    cost_fields: dict[type, tuple[str, ...]] = {}
    memo: dict[tuple[Hashable, ...], Activity] = {}
    activities = []
    for op in ops:
        names = cost_fields.get(type(op))
        if names is None:
            names = tuple(f.name for f in fields(op) if f.name not in _PLACEMENT)
            cost_fields[type(op)] = names
        key = (type(op), *(getattr(op, name) for name in names))
        activity = memo.get(key)
        if activity is None:
            activity = memo[key] = execute(op, hardware)
        activities.append(activity)
    return activities
