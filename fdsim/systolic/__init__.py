"""A pure model of a SCALE-Sim 3.0 systolic array (the spatial baseline's numbers).

Re-derives SCALE-Sim's semantics (github.com/scalesim-project/scale-sim-v3, PyPI ``scalesim``
3.0.0) as closed forms and vectorised numpy: ``compute`` gives the stall-free cycle counts,
folds and utilisations; ``report.simulate_layer`` replays the double-buffered scratchpad and
gives every value of SCALE-Sim's COMPUTE, BANDWIDTH and DETAILED_ACCESS reports. No simpy,
no file I/O; CALC and USER bandwidth modes; see docs/ARCHITECTURE.md, "Systolic baseline".
"""

from fdsim.systolic.compute import compute_cycles, compute_util_pct, folds, mapping_efficiency_pct
from fdsim.systolic.memory import ScratchpadSpec
from fdsim.systolic.report import (
    BANDWIDTH_REPORT_COLUMNS,
    COMPUTE_REPORT_COLUMNS,
    DETAILED_ACCESS_REPORT_COLUMNS,
    LayerReport,
    bandwidth_report_row,
    compute_report_row,
    detailed_access_report_row,
    simulate_layer,
)
from fdsim.systolic.shapes import ArrayShape, ConvShape, GemmShape

__all__ = [
    "BANDWIDTH_REPORT_COLUMNS",
    "COMPUTE_REPORT_COLUMNS",
    "DETAILED_ACCESS_REPORT_COLUMNS",
    "ArrayShape",
    "ConvShape",
    "GemmShape",
    "LayerReport",
    "ScratchpadSpec",
    "bandwidth_report_row",
    "compute_cycles",
    "compute_report_row",
    "compute_util_pct",
    "detailed_access_report_row",
    "folds",
    "mapping_efficiency_pct",
    "simulate_layer",
]
