"""fdsim.systolic against SCALE-Sim 3.0: values obtained by RUNNING SCALE-Sim.

Reference numbers live in tests/data/scalesim/reference.json (inputs beside it, under
inputs/<case>/); regenerate them with

    /tmp/venv-ss/bin/python tests/scalesim_reference/run_scalesim.py

(PyPI scalesim 3.0.0, numpy 2.3.5, Python 3.11; the script runs SCALE-Sim's API,
``scalesim(save_disk_space=True, config=CFG, topology=TOPO, layout=LAYOUT,
input_type_gemm=...).run_scale(top_path=OUT)``, and stores the three report CSVs' cells). These
tests read the stored file and never import scalesim.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fdsim.spec.hardware import Dataflow
from fdsim.systolic import (
    BANDWIDTH_REPORT_COLUMNS,
    COMPUTE_REPORT_COLUMNS,
    DETAILED_ACCESS_REPORT_COLUMNS,
    ArrayShape,
    ConvShape,
    GemmShape,
    ScratchpadSpec,
    bandwidth_report_row,
    compute_cycles,
    compute_report_row,
    compute_util_pct,
    detailed_access_report_row,
    folds,
    mapping_efficiency_pct,
    simulate_layer,
)
from fdsim.systolic.compute import sram_accesses

DATA = Path(__file__).parent / "data" / "scalesim"
REFERENCE: dict[str, Any] = json.loads((DATA / "reference.json").read_text())


def _layers(case: str) -> list[ConvShape]:
    """The case's topology rows, read from the stored SCALE-Sim input CSV (trailing comma
    dropped, first line skipped, as SCALE-Sim parses it)."""
    folder = DATA / "inputs" / case
    topo = next(p for p in folder.glob("*.csv") if not p.name.endswith("_layout.csv"))
    rows = [r.split(",")[:-1] for r in topo.read_text().splitlines()[1:] if r.strip()]
    if REFERENCE[case]["network"] == "gemm":
        return [ConvShape.from_gemm(*(int(v) for v in r[1:4])) for r in rows]
    return [ConvShape(*(int(v) for v in r[1:8])) for r in rows]


def _setup(case: str) -> tuple[ArrayShape, ScratchpadSpec]:
    ref = REFERENCE[case]
    array = ArrayShape(ref["rows"], ref["cols"], Dataflow(ref["dataflow"]))
    kb = ref["sram_kb"]
    return array, ScratchpadSpec.from_kb(kb, kb, kb, ref["bandwidth"])


LAYER_CASES = [(case, i) for case in REFERENCE for i in range(len(REFERENCE[case]["layers"]))]
CALC_CASES = [c for c in REFERENCE if REFERENCE[c]["bandwidth"] is None]
USER_CASES = [c for c in REFERENCE if REFERENCE[c]["bandwidth"] is not None]


def test_reference_covers_the_brief() -> None:
    """Every dataflow, CALC and USER (Bandwidth 2 and 10), two array shapes, several SRAMs."""
    refs = REFERENCE.values()
    assert {r["dataflow"] for r in refs} == {"ws", "os", "is"}
    assert {r["bandwidth"] for r in refs} >= {None, 2, 10}
    assert {(r["rows"], r["cols"]) for r in refs} >= {(32, 32), (8, 16), (16, 8)}
    assert len({r["sram_kb"] for r in refs}) >= 3


@pytest.mark.parametrize(("case", "layer_id"), LAYER_CASES)
def test_compute_matches_scalesim(case: str, layer_id: int) -> None:
    """Stall-free cycles (Total - Stall), utilisations and SRAM counts, CALC and USER runs."""
    array, _ = _setup(case)
    gemm = _layers(case)[layer_id].gemm
    compute, _, detail = REFERENCE[case]["layers"][layer_id].values()
    assert compute_cycles(gemm, array) == int(compute[2]) - int(compute[3])
    assert str(mapping_efficiency_pct(gemm, array)) == compute[5]
    assert str(compute_util_pct(gemm, array)) == compute[6]
    assert sram_accesses(gemm, array) == (int(detail[3]), int(detail[6]), int(detail[9]))


@pytest.mark.parametrize("case", CALC_CASES + USER_CASES)
def test_reports_match_scalesim(case: str) -> None:
    """Every cell of COMPUTE, BANDWIDTH and DETAILED_ACCESS reports, as SCALE-Sim wrote it, in
    CALC and USER (Bandwidth 2 and 10) mode."""
    array, memory = _setup(case)
    for i, layer in enumerate(_layers(case)):
        report = simulate_layer(layer, array, memory)
        ref = REFERENCE[case]["layers"][i]
        assert list(compute_report_row(i, report)) == ref["compute"]
        assert list(bandwidth_report_row(i, report)) == ref["bandwidth"]
        assert list(detailed_access_report_row(i, report)) == ref["detail"]


@pytest.mark.parametrize(
    ("case", "total_incl_prefetch", "total"),
    [
        ("inc5b_ws_32x32_64k_calc", 81_226, 77_111),
        ("lenet_ws_32x32_64k_calc", 13_508, 8_208),
        ("lenet_os_32x32_64k_calc", 10_605, 5_558),
        ("lenet_is_32x32_64k_calc", 13_769, 8_501),
        ("alexnet_ws_32x32_64k_calc", 1_156_844, 1_136_239),
        ("gemm_ws_32x32_64k_calc", 15_498, 11_199),
    ],
)
def test_peer_simulators_table(case: str, total_incl_prefetch: int, total: int) -> None:
    """The sums of /work/shared/reference/peer-simulators.md §1.5 (bundled scale.cfg)."""
    array, memory = _setup(case)
    reports = [simulate_layer(layer, array, memory) for layer in _layers(case)]
    assert sum(r.total_cycles_incl_prefetch for r in reports) == total_incl_prefetch
    assert sum(r.total_cycles for r in reports) == total


def test_alexnet_conv1_per_layer_values() -> None:
    """§1.5: conv1 116,210 / 112,283, mapping efficiency 363/384 rows, 55×55 output."""
    layer = _layers("alexnet_ws_32x32_64k_calc")[0]
    array, memory = _setup("alexnet_ws_32x32_64k_calc")
    assert (layer.ofmap_height, layer.ofmap_width) == (55, 55)
    report = simulate_layer(layer, array, memory)
    assert (report.total_cycles_incl_prefetch, report.total_cycles) == (116_210, 112_283)
    assert report.stall_cycles == 0
    assert folds(layer.gemm, array) == (12, 3)


def test_lenet_user_bandwidth_2_compute_and_stalls() -> None:
    """§1.5 LeNet WS, USER Bandwidth 2: Total Cycles 8,490 = stall-free 8,208 + 282 stalls."""
    ref = REFERENCE["lenet_ws_32x32_64k_user2"]["layers"]
    assert sum(int(r["compute"][2]) for r in ref) == 8_490
    assert sum(int(r["compute"][3]) for r in ref) == 282
    array, _ = _setup("lenet_ws_32x32_64k_user2")
    assert (
        sum(compute_cycles(layer.gemm, array) for layer in _layers("lenet_ws_32x32_64k_user2"))
        == 8_208
    )


def test_user_mode_stalls_and_negative_offsets() -> None:
    """USER Bandwidth 2 on 8×16 with 2 kB SRAMs: FC1 stalls 604,341 cycles in SCALE-Sim."""
    array, memory = _setup("lenet_ws_8x16_2k_user2")
    report = simulate_layer(_layers("lenet_ws_8x16_2k_user2")[2], array, memory)
    assert (report.total_cycles, report.stall_cycles) == (616_740, 604_341)
    assert report.total_cycles_incl_prefetch == 617_283


def test_report_headers_are_scalesims() -> None:
    assert ", ".join(COMPUTE_REPORT_COLUMNS) == (
        "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
        "Mapping Efficiency %, Compute Util %"
    )
    assert ", ".join(BANDWIDTH_REPORT_COLUMNS) == (
        "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
        "Avg FILTER DRAM BW, Avg OFMAP DRAM BW"
    )
    assert DETAILED_ACCESS_REPORT_COLUMNS[1] == "SRAM IFMAP Start Cycle"
    assert DETAILED_ACCESS_REPORT_COLUMNS[6] == "SRAM Filter Reads"
    assert DETAILED_ACCESS_REPORT_COLUMNS[-1] == "DRAM OFMAP Writes"
    assert len(DETAILED_ACCESS_REPORT_COLUMNS) == 19


def test_gemm_row_mapping() -> None:
    conv = ConvShape.from_gemm(256, 128, 64)
    assert conv.gemm == GemmShape(m=256, k=64, n=128)
    assert conv.macs == 256 * 128 * 64


_DATAFLOWS = st.sampled_from(list(Dataflow))
_GEMMS = st.builds(
    GemmShape,
    m=st.integers(1, 200),
    k=st.integers(1, 200),
    n=st.integers(1, 200),
)
_ARRAYS = st.builds(ArrayShape, st.integers(1, 40), st.integers(1, 40), _DATAFLOWS)


@settings(max_examples=200, deadline=None)
@given(gemm=_GEMMS, array=_ARRAYS)
def test_compute_cycles_respect_the_mac_bound(gemm: GemmShape, array: ArrayShape) -> None:
    """SCALE-Sim's "Total Cycles" is the last demand row's index, so the demand rows
    (cycles + 1) always cover the MAC bound; the cycles themselves do too, except OS on a 1×1
    array (no fill/drain: cycles = bound - 1)."""
    bound = math.ceil(gemm.macs / array.pes)
    cycles = compute_cycles(gemm, array)
    assert cycles + 1 >= bound
    if array.dataflow is not Dataflow.OUTPUT_STATIONARY or array.pes > 1:
        assert cycles >= bound


def _split(gemm: GemmShape, axis: str, at: int) -> tuple[GemmShape, GemmShape]:
    size = getattr(gemm, axis)
    first = {"m": gemm.m, "k": gemm.k, "n": gemm.n} | {axis: at}
    second = first | {axis: size - at}
    return GemmShape(**first), GemmShape(**second)


_FOLD_AXES = {  # the GEMM extents laid along the array's (rows, cols), per dataflow
    Dataflow.WEIGHT_STATIONARY: ("k", "n"),
    Dataflow.OUTPUT_STATIONARY: ("m", "n"),
    Dataflow.INPUT_STATIONARY: ("k", "m"),
}


@settings(max_examples=200, deadline=None)
@given(gemm=_GEMMS, array=_ARRAYS, use_cols=st.booleans(), data=st.data())
def test_tiles_cut_at_fold_boundaries_add_up(
    gemm: GemmShape, array: ArrayShape, use_cols: bool, data: st.DataObject
) -> None:
    """Cut along a fold dimension at a multiple of rows (cols): parts sum to whole - (parts-1)."""
    axis = _FOLD_AXES[array.dataflow][use_cols]
    step = array.cols if use_cols else array.rows
    size = getattr(gemm, axis)
    if size <= step:
        return
    at = step * data.draw(st.integers(1, (size - 1) // step))
    a, b = _split(gemm, axis, at)
    whole = compute_cycles(gemm, array)
    assert compute_cycles(a, array) + compute_cycles(b, array) == whole - 1


@settings(max_examples=100, deadline=None)
@given(gemm=_GEMMS, array=_ARRAYS, data=st.data())
def test_cutting_the_streamed_extent_adds_fill_and_drain(
    gemm: GemmShape, array: ArrayShape, data: st.DataObject
) -> None:
    """Cutting T (WS m, OS k, IS n) is not additive: each extra part pays every fold's L - T."""
    axis = {"ws": "m", "os": "k", "is": "n"}[array.dataflow.value]
    size = getattr(gemm, axis)
    if size < 2:
        return
    a, b = _split(gemm, axis, data.draw(st.integers(1, size - 1)))
    row_folds, col_folds = folds(gemm, array)
    fill_drain = (compute_cycles(gemm, array) + 1) // (row_folds * col_folds) - size
    parts = compute_cycles(a, array) + compute_cycles(b, array)
    assert parts == compute_cycles(gemm, array) - 1 + row_folds * col_folds * fill_drain


def test_ceil_output_rule() -> None:
    layer = ConvShape(9, 11, 3, 2, 3, 5, 2)
    assert (layer.ofmap_height, layer.ofmap_width) == (4, 6)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"ArrayShape\.rows must be >= 1"):
        ArrayShape(0, 4, Dataflow.WEIGHT_STATIONARY)
    with pytest.raises(ValueError, match="filter must fit"):
        ConvShape(3, 3, 5, 5, 1, 1, 1)
    with pytest.raises(ValueError, match="must be >= 100 words"):
        ScratchpadSpec(64, 1024, 1024)
