"""``fdsim pooling``: the comparison's folder and its numbers (the accelerator columns are the
simulator's own, exactly), its user errors, and the catalogue it measures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import one_line_error

import fdsim
from fdsim.cli import main
from fdsim.geometry import PoolWindows
from fdsim.operators.registry import SPATIAL_POOLS, pool_method_names
from fdsim.pooling.catalogue import CATALOGUE
from fdsim.report.pooling import POOLING_FILES

ROOT = Path(__file__).parent.parent
HARDWARE = ROOT / "hwconfigs" / "fdtrain_28nm.yaml"
DIGITS = ROOT / "workloads" / "digits_cnn.yaml"
METHODS = "max,asm_dct,spectral"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pooling") / "out"
    args = ["pooling", str(HARDWARE), str(DIGITS), "--methods", METHODS, "--epochs", "1"]
    assert main([*args, "--trials", "20", "--out", str(out), "--quiet"]) == 0
    return out


def test_the_folder_holds_every_file_and_the_table_one_row_per_method(trained: Path) -> None:
    assert {p.name for p in trained.iterdir()} == {*POOLING_FILES, ".fdsim-output"}
    table = pd.read_csv(trained / "pooling.csv")
    assert list(table["method"]) == ["spectral", "asm_dct", "max"]  # catalogue order
    assert list(table["on_accelerator"]) == [True, False, True]
    asm = table.set_index("method").loc["asm_dct"]
    assert asm["note"] == "no bit-true form: not a workload method"
    assert pd.isna(asm["cycles"]) and pd.isna(asm["holdout_accuracy_bit_true"])
    assert len(pd.read_csv(trained / "asm_rmse.csv")) == 15  # n = 0 … 14
    assert len(pd.read_csv(trained / "chain.csv")) == 6  # 2 input kinds × 3 nonlinearities


def test_accelerator_columns_are_the_simulators_numbers(trained: Path) -> None:
    table = pd.read_csv(trained / "pooling.csv").set_index("method")
    hardware, digits = fdsim.load_hardware(HARDWARE), fdsim.load_workload(DIGITS)
    for method in ("spectral", "max"):
        result = fdsim.simulate(hardware, fdsim.override(digits, {"layers[2].method": method}))
        assert table.loc[method, "cycles"] == result.summary.total_cycles
        assert table.loc[method, "energy_pj"] == pytest.approx(result.summary.energy_pj, rel=1e-12)
    # the round trip (iFFT 8×8 → max → fc) costs more than the crop
    assert table.loc["max", "energy_pj"] > table.loc["spectral", "energy_pj"]
    for column in ("holdout_accuracy_bit_true", "holdout_accuracy_float64"):
        assert 0.1 < table.loc["max", column] <= 1.0  # one epoch: far better than chance


def test_measures_do_not_depend_on_training(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "untrained"
    args = ["pooling", str(HARDWARE), str(DIGITS), "--methods", METHODS, "--no-train"]
    assert main([*args, "--trials", "20", "--out", str(out), "--quiet"]) == 0
    with_training, without = (pd.read_csv(d / "pooling.csv") for d in (trained, out))
    measured = ["relative_error", "kept_fraction", "equivariance_error", "consistency", "cycles"]
    assert with_training[measured].equals(without[measured])
    assert without["holdout_accuracy_bit_true"].isna().all()
    assert (out / "asm_rmse.csv").read_bytes() == (trained / "asm_rmse.csv").read_bytes()


def test_the_report_states_its_command_and_the_chain_answer(trained: Path) -> None:
    report = (trained / "report.md").read_text(encoding="utf-8")
    summary = json.loads((trained / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["methods"] == ["spectral", "asm_dct", "max"]
    command = summary["settings"]["command"]
    assert command.endswith(f"--epochs 1 --trials 20 --methods {METHODS} --seed 0")
    assert f"Command: `{command}`" in report
    assert summary["chain_answer"].startswith("Without nonlinearities the chain equals one")
    assert summary["chain_answer"] in report


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    line = one_line_error(["pooling", "--methods", "max,fractional", "--out", str(out)], capsys)
    assert line.startswith("--methods: unknown pooling method 'fractional'; expected some of: ")
    lenet = ROOT / "workloads" / "lenet5.yaml"
    line = one_line_error(["pooling", str(HARDWARE), str(lenet), "--out", str(out)], capsys)
    assert line == (
        "sklearn digits: images are 1×8×8 (channels×height×width) but the workload input is "
        "1×32×32 (--no-train compares without training)"
    )
    no_pool = tmp_path / "no_pool.yaml"
    no_pool.write_text(
        "name: flat\ninput: {channels: 1, height: 8, width: 8, classes: 10}\nbatch_size: 4\n"
        "layers:\n  - {name: fc, kind: fc, out_features: 10}\n  - {name: loss, kind: loss}\n",
        encoding="utf-8",
    )
    args = ["pooling", str(HARDWARE), str(no_pool), "--no-train", "--out", str(out)]
    assert one_line_error(args, capsys) == f"{no_pool}: has no pool layer: nothing to compare"
    assert one_line_error(["pooling", "--epochs", "0"], capsys) == (
        "--epochs: must be at least 1, got 0"
    )
    assert not out.exists()


def test_every_catalogued_method_pools_two_times_per_axis() -> None:
    x = np.random.default_rng(0).random((2, 3, 16, 16))
    names = [entry.name for entry in CATALOGUE]
    assert len(set(names)) == len(names)
    assert set(pool_method_names()) <= set(names)
    for entry in CATALOGUE:
        assert entry.pool(x).shape == (2, 3, 8, 8), entry.name


def test_the_library_computes_what_the_accelerators_operators_compute() -> None:
    x = np.random.default_rng(1).random((2, 3, 16, 16))
    pools = {entry.name: entry.pool for entry in CATALOGUE}
    for name, operator in SPATIAL_POOLS.items():
        expected = operator(PoolWindows.sliding(16, 2, 2)).forward_float("p", {}, x)
        np.testing.assert_allclose(pools[name](x), expected, rtol=0, atol=1e-15, err_msg=name)
