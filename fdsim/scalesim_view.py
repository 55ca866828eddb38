"""SCALE-Sim's view of a run on a systolic array: the ``COMPUTE_REPORT.csv`` and
``BANDWIDTH_REPORT.csv`` SCALE-Sim 3.0 writes for the same array, memories, dataflow and
layers (:mod:`fdsim.systolic`'s model of it), and ``scalesim_topology.csv``, the topology that
reproduces them in SCALE-Sim, for diffing the two side by side.

One row per forward matrix product, in layer order. A topology row is itself. A spatial conv
of batch 1 whose windows tile its padded map is the conv row of that padded map; any other
(a batch, or a stride leaving a partial last window, which SCALE-Sim's ceil rule would count)
and every fc layer is SCALE-Sim's GEMM row of the same product, M = images × output positions,
K = reduction, N = outputs. The memories: the activations buffer as the ifmap SRAM, weights as
the filter SRAM, outputs (else activations) as the ofmap SRAM, each in words of the element it
holds; DRAM in words per cycle, or SCALE-Sim's CALC mode (``systolic_array.interface_bandwidth``).
The view is SCALE-Sim's model — a stall-free array fed by double-buffered scratchpads — not
fdsim's event model of the tiled schedule (``layers.csv``), whose tiles have their own fills.
"""

from __future__ import annotations

from collections.abc import Iterator

from fdsim.network.graph import Network
from fdsim.network.lowering import lower_network
from fdsim.operators.dense import Dense
from fdsim.operators.spatial_conv import SpatialConv
from fdsim.operators.topology_row import TopologyRow
from fdsim.schedule.links import ElementBytes
from fdsim.spec.hardware import HardwareSpec, InterfaceBandwidth
from fdsim.spec.workload import Workload
from fdsim.systolic.memory import MIN_SRAM_WORDS, ScratchpadSpec
from fdsim.systolic.report import (
    BANDWIDTH_REPORT_COLUMNS,
    COMPUTE_REPORT_COLUMNS,
    DETAILED_ACCESS_REPORT_COLUMNS,
    bandwidth_report_row,
    compute_report_row,
    detailed_access_report_row,
    simulate_layer,
)
from fdsim.systolic.shapes import ArrayShape, ConvShape

SCALESIM_FILES = (
    "COMPUTE_REPORT.csv",
    "BANDWIDTH_REPORT.csv",
    "DETAILED_ACCESS_REPORT.csv",
    "scalesim_topology.csv",
)
"""What :func:`scalesim_files` returns, by file name."""

TOPOLOGY_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)


def scalesim_rows(network: Network, batch: int) -> Iterator[tuple[str, ConvShape]]:
    """(layer name, SCALE-Sim row) of every matrix product of the forward, in order."""
    for layer in network.layers:
        for node in layer.nodes:
            op = node.op
            if isinstance(op, TopologyRow):
                yield (
                    layer.name,
                    ConvShape(
                        op.ifmap_height,
                        op.ifmap_width,
                        op.filter_height,
                        op.filter_width,
                        op.channels,
                        op.num_filters,
                        op.stride,
                    ),
                )
            elif isinstance(op, SpatialConv):
                padded = node.rep_in.size + 2 * op.padding
                channels, outputs = node.rep_in.channels, node.rep_out.channels
                if batch == 1 and (padded - op.kernel) % op.stride == 0:
                    yield (
                        layer.name,
                        ConvShape(
                            padded, padded, op.kernel, op.kernel, channels, outputs, op.stride
                        ),
                    )
                else:
                    rows = batch * node.rep_out.size**2
                    yield layer.name, ConvShape.from_gemm(rows, outputs, channels * op.kernel**2)
            elif isinstance(op, Dense):
                features = node.rep_in.channels * node.rep_in.size**2
                yield layer.name, ConvShape.from_gemm(batch, node.rep_out.channels, features)


def _sram_words(hardware: HardwareSpec) -> tuple[int, int, int]:
    element = ElementBytes.of(hardware)
    buffers = hardware.buffers
    ofmap = buffers.outputs or buffers.activations
    return (
        buffers.activations.size_bytes // element.spatial,
        buffers.weights.size_bytes // element.weight,
        ofmap.size_bytes // element.spatial,
    )


def scratchpad(hardware: HardwareSpec) -> ScratchpadSpec:
    """The hardware's memories as SCALE-Sim's: SRAM words and DRAM words per cycle."""
    array = hardware.systolic_array
    assert array is not None
    element = ElementBytes.of(hardware)
    ifmap, filters, ofmap = _sram_words(hardware)
    words_per_cycle = hardware.dram.bandwidth_bytes_per_s // (hardware.clock_hz * element.spatial)
    calc = array.interface_bandwidth is InterfaceBandwidth.CALC
    return ScratchpadSpec(
        ifmap_sram_words=ifmap,
        filter_sram_words=filters,
        ofmap_sram_words=ofmap,
        bandwidth_words_per_cycle=None if calc else max(1, words_per_cycle),
        ifmap_fill_words_per_cycle=array.ifmap_fill_words_per_cycle,
        filter_fill_words_per_cycle=array.filter_fill_words_per_cycle,
    )


def scalesim_files(workload: Workload, hardware: HardwareSpec) -> dict[str, str]:
    """The files of :data:`SCALESIM_FILES` by name (empty: no systolic array, no matrix
    product to report, or an SRAM under :data:`MIN_SRAM_WORDS` words)."""
    array = hardware.systolic_array
    if array is None:
        return {}
    rows = list(scalesim_rows(lower_network(workload), workload.batch_size))
    if not rows:
        return {}
    shape = ArrayShape(array.rows, array.cols, array.dataflow)
    if min(_sram_words(hardware)) < MIN_SRAM_WORDS:
        return {}
    memory = scratchpad(hardware)
    reports = [simulate_layer(row, shape, memory) for _name, row in rows]
    tables = {
        "COMPUTE_REPORT.csv": (COMPUTE_REPORT_COLUMNS, compute_report_row),
        "BANDWIDTH_REPORT.csv": (BANDWIDTH_REPORT_COLUMNS, bandwidth_report_row),
        "DETAILED_ACCESS_REPORT.csv": (DETAILED_ACCESS_REPORT_COLUMNS, detailed_access_report_row),
    }
    # SCALE-Sim's format: ", " between cells and a comma ending every line
    files = {
        name: "".join(
            ", ".join(cells) + ",\n"
            for cells in [columns, *(row(i, report) for i, report in enumerate(reports))]
        )
        for name, (columns, row) in tables.items()
    }
    topology = [TOPOLOGY_HEADER]
    for name, row in rows:
        cells = (
            row.ifmap_height,
            row.ifmap_width,
            row.filter_height,
            row.filter_width,
            row.channels,
            row.num_filters,
            row.stride,
        )
        topology.append(f"{name}," + ",".join(str(cell) for cell in cells) + ",")
    files["scalesim_topology.csv"] = "\n".join(topology) + "\n"
    return files
