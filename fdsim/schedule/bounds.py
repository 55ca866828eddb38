"""Analytic lower bounds (roofline) per layer × phase: peak unit throughput and DRAM bandwidth.

They are independent of the simulator's unit models, so "simulated cycles ≥ bound" is a real
check: each unit runs one op at a time, so a layer's phase cannot take fewer cycles than any
one unit's share of its work at peak rate, nor than its DRAM bytes at full bandwidth. Work per
phase: fwd/bwd_data/bwd_weight complex MACs (every lane busy), GEMM real MACs (on the CMAC
lanes or on every PE of the systolic array), sinc-projection
MACs (``sinc_projection_macs``), transform samples, streamed elements (the larger of in and
out: a zero-pad or replication writes more than it reads), update values.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from fdsim.schedule.ops import (
    CmacOp,
    DmaOp,
    FftOp,
    GemmOp,
    LayerBound,
    OpKind,
    ProjectOp,
    Schedule,
    StreamOp,
    Unit,
    UpdateOp,
)
from fdsim.schedule.spectral_bins import sinc_projection_macs
from fdsim.spec.hardware import HardwareSpec


def layer_bounds(schedule: Schedule, hardware: HardwareSpec) -> list[LayerBound]:
    """One bound per entry of ``schedule.layers``."""
    # per layer: work of each (unit, peak rate) as an integer, divided by the rate once at
    # the end (exact, and a Fraction per op is slow for a network's 0.7 M ops)
    work: list[defaultdict[tuple[Unit, int], int]] = [defaultdict(int) for _ in schedule.layers]
    dram_bytes = [0] * len(schedule.layers)
    fft, cmac, array = hardware.fft, hardware.cmac, hardware.systolic_array
    streams = {
        Unit.CROP: hardware.crop,
        Unit.ACTIVATION: hardware.activation,
        Unit.UPDATE: hardware.update,
    }
    for op in schedule.ops:
        unit_work = work[op.layer]
        match op:
            case DmaOp():
                dram_bytes[op.layer] += op.bytes
            case FftOp():
                assert fft is not None
                samples = op.maps * (op.points + 1) * op.points
                unit_work[(Unit.FFT, fft.count * fft.samples_per_cycle)] += samples
            case ProjectOp():
                assert cmac is not None
                macs = op.maps * sinc_projection_macs(op.points, op.kernel)
                unit_work[(Unit.CMAC, cmac.lanes)] += macs
            case GemmOp() if op.kind is OpKind.SYSTOLIC:
                assert array is not None
                unit_work[(op.unit, array.rows * array.cols)] += op.real_macs
            case GemmOp():
                assert cmac is not None
                rate = cmac.lanes * cmac.multiplier.real_macs_per_cycle
                unit_work[(Unit.CMAC, rate)] += op.real_macs
            case CmacOp():
                assert cmac is not None
                macs = op.images * op.out_channels * op.in_channels * op.bins
                unit_work[(Unit.CMAC, cmac.lanes)] += macs
            case StreamOp() | UpdateOp():
                stream = streams[op.unit]
                assert stream is not None
                elements = max(op.in_elements, op.out_elements)
                unit_work[(op.unit, stream.elements_per_cycle)] += elements
    bounds = []
    for unit_work, nbytes in zip(work, dram_bytes, strict=True):
        dram = Fraction(nbytes * hardware.clock_hz, hardware.dram.bandwidth_bytes_per_s)
        cycles: dict[Unit, Fraction] = {}
        for (unit, rate), amount in unit_work.items():
            cycles[unit] = cycles.get(unit, Fraction(0)) + Fraction(amount, rate)
        bounds.append(
            LayerBound(
                {unit: _ceil(unit_cycles) for unit, unit_cycles in cycles.items()}, _ceil(dram)
            )
        )
    return bounds


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)
