"""One layer through SCALE-Sim 3.0's model: every value of its three per-layer reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fdsim.spec.hardware import Dataflow
from fdsim.systolic.compute import (
    compute_cycles,
    compute_util_pct,
    mapping_efficiency_pct,
    plan,
    sram_accesses,
)
from fdsim.systolic.demand import Streams, build_streams, filter_addresses, ifmap_addresses
from fdsim.systolic.memory import ScratchpadSpec
from fdsim.systolic.replay import DramRead, calc_read_buffer, write_buffer
from fdsim.systolic.shapes import ArrayShape, ConvShape
from fdsim.systolic.user_mode import prefetch_orders, user_misses, user_timing

COMPUTE_REPORT_COLUMNS: tuple[str, ...] = (
    "LayerID",
    "Total Cycles (incl. prefetch)",
    "Total Cycles",
    "Stall Cycles",
    "Overall Util %",
    "Mapping Efficiency %",
    "Compute Util %",
)
BANDWIDTH_REPORT_COLUMNS: tuple[str, ...] = (
    "LayerID",
    "Avg IFMAP SRAM BW",
    "Avg FILTER SRAM BW",
    "Avg OFMAP SRAM BW",
    "Avg IFMAP DRAM BW",
    "Avg FILTER DRAM BW",
    "Avg OFMAP DRAM BW",
)
DETAILED_ACCESS_REPORT_COLUMNS: tuple[str, ...] = (
    "LayerID",
    *(
        f"{level} {operand} {item}"
        for level in ("SRAM", "DRAM")
        for operand in ("IFMAP", "Filter", "OFMAP")
        for item in ("Start Cycle", "Stop Cycle", "Writes" if operand == "OFMAP" else "Reads")
    ),
)


@dataclass(frozen=True, slots=True)
class LayerReport:
    """SCALE-Sim's per-layer report values. Cycles are integers; bandwidths in words/cycle.

    ``total_cycles`` is the last demand row's service cycle (stalls included);
    ``total_cycles_incl_prefetch`` runs from the first DRAM prefetch (negative cycles) to the
    last OFMAP drain. SRAM start/stop cycles are those of the first and last demand row with a
    request; DRAM ones those of the first and last DRAM trace row.
    """

    total_cycles_incl_prefetch: int
    total_cycles: int
    stall_cycles: int
    overall_util_pct: float
    mapping_efficiency_pct: float
    compute_util_pct: float
    avg_ifmap_sram_bw: float
    avg_filter_sram_bw: float
    avg_ofmap_sram_bw: float
    avg_ifmap_dram_bw: float
    avg_filter_dram_bw: float
    avg_ofmap_dram_bw: float
    ifmap_sram_start_cycle: int
    ifmap_sram_stop_cycle: int
    ifmap_sram_reads: int
    filter_sram_start_cycle: int
    filter_sram_stop_cycle: int
    filter_sram_reads: int
    ofmap_sram_start_cycle: int
    ofmap_sram_stop_cycle: int
    ofmap_sram_writes: int
    ifmap_dram_start_cycle: int
    ifmap_dram_stop_cycle: int
    ifmap_dram_reads: int
    filter_dram_start_cycle: int
    filter_dram_stop_cycle: int
    filter_dram_reads: int
    ofmap_dram_start_cycle: int
    ofmap_dram_stop_cycle: int
    ofmap_dram_writes: int


def simulate_layer(layer: ConvShape, array: ArrayShape, memory: ScratchpadSpec) -> LayerReport:
    """``layer`` on ``array`` behind ``memory``, as SCALE-Sim 3.0 reports it, in CALC mode
    (``bandwidth_words_per_cycle`` None) or USER mode (no sparsity, no custom layout, no
    Ramulator, one SRAM bank): every value equal to SCALE-Sim's on the stored reference runs
    (tests/test_systolic_scalesim.py). "Total Cycles" - "Stall Cycles" = ``compute_cycles``
    (in USER mode unless the very last demand row stalls on a read: it never did in the runs)."""
    gemm = layer.gemm
    streams = build_streams(layer, array)
    if memory.bandwidth_words_per_cycle is not None:
        return _simulate_user(layer, array, memory, streams, memory.bandwidth_words_per_cycle)
    drain_width = array.cols  # CALC mode drains the OFMAP at the array width
    writes = write_buffer(streams.ofmap_writes_per_row, memory.ofmap_sram_words, drain_width)

    def before(row: int) -> int:
        """The cycle of demand row ``row``: the row plus the stalls of earlier rows."""
        return row + int(writes.stall_cycles[writes.stall_rows < row].sum())

    def after(row: int) -> int:
        return row + int(writes.stall_cycles[writes.stall_rows <= row].sum())

    i_s, f_s = streams.ifmap, streams.filter
    ifmap = calc_read_buffer(
        i_s.addr, lambda i: before(i_s.row(i)), memory.ifmap_sram_words, i_s.num_ids
    )
    filt = calc_read_buffer(
        f_s.addr,
        lambda i: before(f_s.row(i)),
        memory.filter_sram_words,
        f_s.num_ids,
        unique=array.dataflow is Dataflow.WEIGHT_STATIONARY,
    )
    written_rows = np.flatnonzero(streams.ofmap_writes_per_row)
    o_first, o_last = int(written_rows[0]), int(written_rows[-1])

    total = writes.last_row_cycle
    stall = int(writes.stall_cycles.sum())
    assert total == compute_cycles(gemm, array) + stall
    ifmap_reads, filter_reads, ofmap_writes = sram_accesses(gemm, array)
    return _report(
        total=total,
        stall=stall,
        layer=layer,
        array=array,
        sram=(ifmap_reads, filter_reads, ofmap_writes),
        ifmap_sram=(before(i_s.row(0)) + 1, before(i_s.row(-1)) + 1),
        filter_sram=(before(f_s.row(0)) + 1, before(f_s.row(-1)) + 1),
        ofmap_sram=(after(o_first), after(o_last)),
        ifmap=ifmap,
        filt=filt,
        ofmap=DramRead(writes.dram_start_cycle, writes.dram_stop_cycle, writes.writes),
    )


def _report(
    *,
    total: int,
    stall: int,
    layer: ConvShape,
    array: ArrayShape,
    sram: tuple[int, int, int],
    ifmap_sram: tuple[int, int],
    filter_sram: tuple[int, int],
    ofmap_sram: tuple[int, int],
    ifmap: DramRead,
    filt: DramRead,
    ofmap: DramRead,
) -> LayerReport:
    gemm = layer.gemm
    ifmap_reads, filter_reads, ofmap_writes = sram

    def bw(d: DramRead) -> float:
        return d.reads / (d.stop_cycle - d.start_cycle + 1)

    return LayerReport(
        total_cycles_incl_prefetch=ofmap.stop_cycle - min(ifmap.start_cycle, filt.start_cycle),
        total_cycles=total,
        stall_cycles=stall,
        overall_util_pct=(gemm.macs * 100) / (total * array.pes),
        mapping_efficiency_pct=mapping_efficiency_pct(gemm, array),
        compute_util_pct=compute_util_pct(gemm, array),
        avg_ifmap_sram_bw=ifmap_reads / total,
        avg_filter_sram_bw=filter_reads / total,
        avg_ofmap_sram_bw=ofmap_writes / total,
        avg_ifmap_dram_bw=bw(ifmap),
        avg_filter_dram_bw=bw(filt),
        avg_ofmap_dram_bw=bw(ofmap),
        ifmap_sram_start_cycle=ifmap_sram[0],
        ifmap_sram_stop_cycle=ifmap_sram[1],
        ifmap_sram_reads=ifmap_reads,
        filter_sram_start_cycle=filter_sram[0],
        filter_sram_stop_cycle=filter_sram[1],
        filter_sram_reads=filter_reads,
        ofmap_sram_start_cycle=ofmap_sram[0],
        ofmap_sram_stop_cycle=ofmap_sram[1],
        ofmap_sram_writes=ofmap_writes,
        ifmap_dram_start_cycle=ifmap.start_cycle,
        ifmap_dram_stop_cycle=ifmap.stop_cycle,
        ifmap_dram_reads=ifmap.reads,
        filter_dram_start_cycle=filt.start_cycle,
        filter_dram_stop_cycle=filt.stop_cycle,
        filter_dram_reads=filt.reads,
        ofmap_dram_start_cycle=ofmap.start_cycle,
        ofmap_dram_stop_cycle=ofmap.stop_cycle,
        ofmap_dram_writes=ofmap.reads,
    )


def _cycle(value: int) -> str:
    # SCALE-Sim takes these from float trace matrices: it prints them as floats
    return str(float(value))


def compute_report_row(layer_id: int, report: LayerReport) -> tuple[str, ...]:
    """A COMPUTE_REPORT.csv row's cells, formatted as SCALE-Sim writes them (``str``)."""
    return (
        str(layer_id),
        str(report.total_cycles_incl_prefetch),
        str(report.total_cycles),
        str(report.stall_cycles),
        str(report.overall_util_pct),
        str(report.mapping_efficiency_pct),
        str(report.compute_util_pct),
    )


def bandwidth_report_row(layer_id: int, report: LayerReport) -> tuple[str, ...]:
    """A BANDWIDTH_REPORT.csv row's cells, formatted as SCALE-Sim writes them."""
    values = (
        report.avg_ifmap_sram_bw,
        report.avg_filter_sram_bw,
        report.avg_ofmap_sram_bw,
        report.avg_ifmap_dram_bw,
        report.avg_filter_dram_bw,
        report.avg_ofmap_dram_bw,
    )
    return (str(layer_id), *(str(v) for v in values))


def detailed_access_report_row(layer_id: int, report: LayerReport) -> tuple[str, ...]:
    """A DETAILED_ACCESS_REPORT.csv row's cells (cycles print as floats, counts as ints)."""
    r = report
    cells: list[str] = [str(layer_id)]
    for start, stop, count in (
        (r.ifmap_sram_start_cycle, r.ifmap_sram_stop_cycle, r.ifmap_sram_reads),
        (r.filter_sram_start_cycle, r.filter_sram_stop_cycle, r.filter_sram_reads),
        (r.ofmap_sram_start_cycle, r.ofmap_sram_stop_cycle, r.ofmap_sram_writes),
        (r.ifmap_dram_start_cycle, r.ifmap_dram_stop_cycle, r.ifmap_dram_reads),
        (r.filter_dram_start_cycle, r.filter_dram_stop_cycle, r.filter_dram_reads),
        (r.ofmap_dram_start_cycle, r.ofmap_dram_stop_cycle, r.ofmap_dram_writes),
    ):
        cells += [_cycle(start), _cycle(stop), str(count)]
    return tuple(cells)


def _simulate_user(
    layer: ConvShape, array: ArrayShape, memory: ScratchpadSpec, streams: Streams, bandwidth: int
) -> LayerReport:
    gemm = layer.gemm
    p = plan(gemm, array)
    i_order, f_order = prefetch_orders(p, ifmap_addresses(layer), filter_addresses(gemm))
    i_s, f_s = streams.ifmap, streams.filter
    mi = user_misses(
        i_order, i_s.addr, i_s.num_ids, memory.ifmap_sram_words, memory.ifmap_fill_words_per_cycle
    )
    mf = user_misses(
        f_order, f_s.addr, f_s.num_ids, memory.filter_sram_words, memory.filter_fill_words_per_cycle
    )
    t = user_timing(
        (mi, i_s), (mf, f_s), streams.ofmap_writes_per_row, memory.ofmap_sram_words, bandwidth
    )
    return _report(
        total=t.total_cycles,
        stall=t.stall_cycles,
        layer=layer,
        array=array,
        sram=sram_accesses(gemm, array),
        ifmap_sram=t.ifmap_sram,
        filter_sram=t.filter_sram,
        ofmap_sram=t.ofmap_sram,
        ifmap=DramRead(*t.ifmap_dram),
        filt=DramRead(*t.filter_dram),
        ofmap=DramRead(*t.ofmap_dram),
    )
