"""SCALE-Sim's view of a run (fdsim/scalesim_view.py): ``fdsim run scale.cfg topology.csv`` on
SCALE-Sim's own inputs writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
DETAILED_ACCESS_REPORT.csv whose every cell is the one SCALE-Sim 3.0 wrote for them.

The reference cells are stored runs of SCALE-Sim (tests/data/scalesim/reference.json, made by
``/tmp/venv-ss/bin/python tests/scalesim_reference/run_scalesim.py``, see its docstring): 29
runs of LeNet-5, AlexNet conv1–5, a 256×128×256 GEMM, Inc5b and two odd shapes, over the three
dataflows, three array shapes, SRAMs of 1–64 kB, CALC and USER bandwidths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fdsim.cli import main
from fdsim.scalesim_view import scalesim_files
from fdsim.spec.load import load_hardware, load_workload

DATA = Path(__file__).parent / "data" / "scalesim"
REFERENCE = json.loads((DATA / "reference.json").read_text())
TABLES = {
    "compute": "COMPUTE_REPORT.csv",
    "bandwidth": "BANDWIDTH_REPORT.csv",
    "detail": "DETAILED_ACCESS_REPORT.csv",
}


def _inputs(run: str) -> tuple[Path, Path]:
    folder = DATA / "inputs" / run
    topology = next(p for p in folder.glob("*.csv") if not p.stem.endswith("_layout"))
    return folder / "scale.cfg", topology


def _rows(text: str) -> list[list[str]]:
    """A SCALE-Sim report's data rows as cells (", " apart, a comma ending each line)."""
    return [line.rstrip(",").split(", ") for line in text.splitlines()[1:]]


@pytest.mark.parametrize("run", sorted(REFERENCE))
def test_every_report_cell_is_scalesims(run: str) -> None:
    config, topology = _inputs(run)
    files = scalesim_files(load_workload(topology).spec, load_hardware(config).spec)
    for key, name in TABLES.items():
        expected = [layer[key] for layer in REFERENCE[run]["layers"]]
        assert _rows(files[name]) == expected, name


def test_fdsim_run_on_scalesims_inputs_writes_its_reports(tmp_path: Path) -> None:
    config, topology = _inputs("lenet_ws_32x32_64k_user10")
    out = tmp_path / "run"
    assert main(["run", str(config), str(topology), "--out", str(out), "--quiet"]) == 0
    compute = (out / "COMPUTE_REPORT.csv").read_text()
    assert compute.splitlines()[0] == (
        "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
        "Mapping Efficiency %, Compute Util %,"
    )
    expected = [layer["compute"] for layer in REFERENCE["lenet_ws_32x32_64k_user10"]["layers"]]
    assert _rows(compute) == expected
    # the topology that reproduces them in SCALE-Sim, row for row
    assert (out / "scalesim_topology.csv").read_text().splitlines()[1] == "Conv1,32,32,5,5,1,6,1,"


def test_no_view_without_a_systolic_array() -> None:
    hardware = load_hardware(Path("hwconfigs/fdtrain_28nm.yaml")).spec
    assert scalesim_files(load_workload(Path("workloads/lenet5.yaml")).spec, hardware) == {}


def test_the_shipped_scalesim_inputs_reproduce_scalesims_alexnet() -> None:
    """hwconfigs/scale.cfg and workloads/alexnet_topology.csv are SCALE-Sim's defaults."""
    files = scalesim_files(
        load_workload(Path("workloads/alexnet_topology.csv")).spec,
        load_hardware(Path("hwconfigs/scale.cfg")).spec,
    )
    expected = [layer["compute"] for layer in REFERENCE["alexnet_ws_32x32_64k_calc"]["layers"]]
    assert _rows(files["COMPUTE_REPORT.csv"]) == expected
