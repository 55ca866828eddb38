"""Results that keep their counts: save → load round-trips, re-pricing under another energy
table equals a fresh run with it (to the last bit), ``fdsim reprice`` and its refusals, and
``results`` priced without the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_errors import one_line_error

from fdsim.api import run
from fdsim.bandwidth import BANDWIDTH_COLUMNS
from fdsim.cli import main
from fdsim.counts import COUNT_COLUMNS
from fdsim.results import SCHEMA_VERSION, RunResult, reprice
from fdsim.run_folder import load_result
from fdsim.spec.load import SHIPPED_ENERGY_TABLES, load_energy_table
from fdsim.summary import Summary

REPO = Path(__file__).resolve().parent.parent
HARDWARE = REPO / "hwconfigs/fdtrain_28nm.yaml"
LENET5 = REPO / "workloads/lenet5.yaml"
ENERGY_KEYS = (
    "energy_pj",
    "compute_energy_pj",
    "sram_energy_pj",
    "dram_energy_pj",
    "leakage_energy_pj",
    "energy_per_image_pj",
    "performed_gops_per_w",
    "spatial_equivalent_gops_per_w",
    "area_mm2",
    "total_area_mm2",
    "leakage_mw",
)
ENERGY_COLUMNS = [
    "compute_energy_pj",
    "sram_energy_pj",
    "dram_energy_pj",
    "leakage_energy_pj",
    "energy_pj",
]


@pytest.fixture(scope="module")
def lenet5_28nm() -> RunResult:
    return run(HARDWARE, LENET5)


@pytest.fixture(scope="module")
def lenet5_45nm(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A fresh run of the same hardware but for its energy table: the shipped 45 nm one."""
    text = HARDWARE.read_text(encoding="utf-8")
    hardware = tmp_path_factory.mktemp("hw") / "fdtrain_45nm.yaml"
    hardware.write_text(text.replace("energy_table: 28nm", "energy_table: 45nm"), "utf-8")
    return run(hardware, LENET5)


def _assert_same(loaded: RunResult, saved: RunResult) -> None:
    for name in ("layers", "traffic", "counts", "bandwidth"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(saved, name))
    assert loaded.summary == saved.summary
    assert loaded.hardware == saved.hardware
    assert loaded.workload == saved.workload
    assert loaded.energy_table == saved.energy_table


def test_counts_keep_every_width_and_add_up_to_the_layer_table(lenet5_28nm: RunResult) -> None:
    counts, layers = lenet5_28nm.counts, lenet5_28nm.layers
    assert list(counts.columns) == COUNT_COLUMNS
    assert lenet5_28nm.summary.schema_version == SCHEMA_VERSION == 1
    assert lenet5_28nm.summary["schema_version"] == 1  # the JSON's keys read too
    arith = counts[counts["kind"] == "arith"]
    # the layer table sums widths; counts keep them apart (the FFT adds at several widths)
    fft_adds = arith[(arith["unit"] == "fft") & (arith["action"] == "add")]
    assert fft_adds["bits"].nunique() > 1
    for action, column in (("mult", "mults"), ("add", "adds")):
        assert arith[arith["action"] == action]["count"].sum() == layers[column].sum()
    for level in ("sram", "dram"):
        for direction in ("read", "write"):
            rows = counts[(counts["kind"] == level) & (counts["action"] == direction)]
            assert rows["count"].sum() == layers[f"{level}_{direction}_bytes"].sum()


def test_the_typed_summary_is_summary_json(lenet5_28nm: RunResult, tmp_path: Path) -> None:
    summary = lenet5_28nm.summary
    assert Summary.from_json(summary.to_json()) == summary
    assert summary.phases["fwd"].cycles == summary.to_json()["phases"]["fwd"]["cycles"] > 0
    assert "numerics" not in summary.to_json() and summary.numerics is None
    folder = lenet5_28nm.save(tmp_path / "run")
    assert json.loads((folder / "summary.json").read_text()) == summary.to_json()


def test_save_then_load_round_trips(lenet5_28nm: RunResult, tmp_path: Path) -> None:
    folder = lenet5_28nm.save(str(tmp_path / "run"))
    assert sorted(path.name for path in folder.iterdir()) == [
        ".fdsim-output",
        "bandwidth.csv",
        "counts.csv",
        "energy_table.json",
        "hardware.json",
        "layers.csv",
        "summary.json",
        "traffic.csv",
        "workload.json",
    ]
    loaded = load_result(str(folder))
    _assert_same(loaded, lenet5_28nm)
    assert loaded.numerics is None


def test_a_folder_saved_before_the_bandwidth_table_loads_without_it(
    lenet5_28nm: RunResult, tmp_path: Path
) -> None:
    folder = lenet5_28nm.save(tmp_path / "run")
    (folder / "bandwidth.csv").unlink()
    summary = json.loads((folder / "summary.json").read_text())
    del summary["bandwidth"]
    (folder / "summary.json").write_text(json.dumps(summary))
    loaded = load_result(folder)
    assert loaded.bandwidth.empty and list(loaded.bandwidth.columns) == BANDWIDTH_COLUMNS
    assert loaded.summary.bandwidth == []
    pd.testing.assert_frame_equal(loaded.layers, lenet5_28nm.layers)


def test_a_functional_run_round_trips_with_its_numerics(tmp_path: Path) -> None:
    result = run(HARDWARE, LENET5, functional=True, seed=3)
    loaded = load_result(result.save(tmp_path / "run"))
    _assert_same(loaded, result)
    assert result.numerics is not None and loaded.numerics is not None
    pd.testing.assert_frame_equal(loaded.numerics.sqnr, result.numerics.sqnr)
    pd.testing.assert_frame_equal(loaded.numerics.overflows, result.numerics.overflows)
    assert (loaded.numerics.source, loaded.numerics.seed) == (result.numerics.source, 3)


def test_reprice_equals_a_fresh_run_with_that_table(
    lenet5_28nm: RunResult, lenet5_45nm: RunResult, tmp_path: Path
) -> None:
    table = load_energy_table(SHIPPED_ENERGY_TABLES / "45nm.yaml").spec
    stored = load_result(lenet5_28nm.save(tmp_path / "run"))
    repriced = reprice(stored, table)
    assert repriced.summary.energy_pj != lenet5_28nm.summary.energy_pj
    # exactly: every column (energies included) and every summary energy, to the last bit
    pd.testing.assert_frame_equal(repriced.layers, lenet5_45nm.layers, check_exact=True)
    pd.testing.assert_frame_equal(repriced.traffic, lenet5_45nm.traffic, check_exact=True)
    pd.testing.assert_frame_equal(repriced.counts, lenet5_45nm.counts, check_exact=True)
    # bandwidth does not depend on prices: kept as stored, equal to the fresh run's
    pd.testing.assert_frame_equal(repriced.bandwidth, lenet5_45nm.bandwidth, check_exact=True)
    assert repriced.summary.bandwidth == lenet5_45nm.summary.bandwidth
    for key in ENERGY_KEYS:
        assert getattr(repriced.summary, key) == getattr(lenet5_45nm.summary, key), key
    assert repriced.summary.phases == lenet5_45nm.summary.phases
    hashes = repriced.summary.manifest["spec_sha256"]
    assert hashes["energy_table"] == lenet5_45nm.summary.manifest["spec_sha256"]["energy_table"]
    assert repriced.energy_table == lenet5_45nm.energy_table
    # and back: the original table gives the original energies
    back = reprice(repriced, lenet5_28nm.energy_table)
    pd.testing.assert_frame_equal(back.layers, lenet5_28nm.layers, check_exact=True)
    assert back.summary.energy_pj == lenet5_28nm.summary.energy_pj


def test_fdsim_reprice_writes_a_new_run_folder(
    lenet5_28nm: RunResult,
    lenet5_45nm: RunResult,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)  # a shipped table is named relative to the current folder
    stored = lenet5_28nm.save(tmp_path / "run")
    before = {path.name: path.read_bytes() for path in stored.iterdir()}
    assert main(["reprice", str(stored), "45nm"]) == 0
    out = tmp_path / "run-45nm"
    priced, wrote = capsys.readouterr().out.splitlines()[-2:]
    assert priced.startswith(f"{stored} priced by fdsim/data/energy/45nm.yaml: ")
    assert wrote == (
        f"wrote {out}/report.md, energy.png, cycles.png, layers.csv, traffic.csv, "
        "bandwidth.csv, counts.csv, summary.json and the specs as JSON"
    )
    assert {path.name: path.read_bytes() for path in stored.iterdir()} == before
    repriced = load_result(out)
    pd.testing.assert_frame_equal(repriced.layers, lenet5_45nm.layers, check_exact=True)
    assert repriced.summary.energy_pj == lenet5_45nm.summary.energy_pj
    assert (out / "report.md").is_file()
    # a table by path, into --out
    table = SHIPPED_ENERGY_TABLES / "28nm.yaml"
    assert main(["reprice", str(out), str(table), "--out", str(tmp_path / "back")]) == 0
    back = load_result(tmp_path / "back")
    assert back.summary.energy_pj == lenet5_28nm.summary.energy_pj


def test_fdsim_reprice_of_the_current_folder_writes_beside_it(
    lenet5_28nm: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = lenet5_28nm.save(tmp_path / "run")
    monkeypatch.chdir(stored)
    assert main(["reprice", ".", "45nm"]) == 0
    assert load_result(tmp_path / "run-45nm").energy_table.name == "horowitz_45nm"


def _edit_summary(folder: Path, change: dict[str, Any]) -> None:
    path = folder / "summary.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}), encoding="utf-8")


def test_fdsim_reprice_refuses_what_is_not_a_complete_run(
    lenet5_28nm: RunResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert one_line_error(["reprice", str(missing), "45nm"], capsys) == (
        f"{missing}: no such folder: expected an fdsim run folder"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "layers.csv").write_text("layer\n")
    assert one_line_error(["reprice", str(plain), "45nm"], capsys) == (
        f"{plain}: is not an fdsim run folder (no fdsim run marker)"
    )
    incomplete = lenet5_28nm.save(tmp_path / "incomplete")
    (incomplete / "counts.csv").unlink()
    assert one_line_error(["reprice", str(incomplete), "45nm"], capsys) == (
        f"{incomplete / 'counts.csv'}: missing: the run folder is incomplete"
    )
    old = lenet5_28nm.save(tmp_path / "old")
    _edit_summary(old, {"schema_version": 0})
    assert one_line_error(["reprice", str(old), "45nm"], capsys) == (
        f"{old / 'summary.json'}: schema_version: 0, expected 1 "
        "(saved by another fdsim version: run it again)"
    )
    _edit_summary(old, {"schema_version": None})
    assert one_line_error(["reprice", str(old), "45nm"], capsys) == (
        f"{old / 'summary.json'}: schema_version: missing, expected 1 "
        "(saved by another fdsim version: run it again)"
    )
    _edit_summary(old, {"schema_version": 1, "total_time_s": 1.0})
    assert one_line_error(["reprice", str(old), "45nm"], capsys) == (
        f"{old / 'summary.json'}: not a run summary: "
        "Summary.__init__() got an unexpected keyword argument 'total_time_s'"
    )
    good = lenet5_28nm.save(tmp_path / "good")
    assert one_line_error(["reprice", str(good), "7nm"], capsys) == (
        "7nm: no shipped energy table named '7nm' (shipped: 28nm, 45nm)"
    )
    missing_table = tmp_path / "no-such-table.yaml"
    assert one_line_error(["reprice", str(good), str(missing_table)], capsys) == (
        f"{missing_table}: file not found"
    )
    inside = good / "priced"
    assert one_line_error(["reprice", str(good), "45nm", "--out", str(inside)], capsys) == (
        f"{inside}: is inside RUN_DIR, which reprice never modifies"
    )
    assert not inside.exists() and not (tmp_path / "good-45nm").exists()


def test_results_do_not_import_the_simulator() -> None:
    code = (
        "import sys, fdsim.results, fdsim.run_folder, fdsim.cost.pricing; "
        "print(sorted(m for m in sys.modules if m.startswith(('fdsim.sim', 'simpy'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout == "[]\n"
