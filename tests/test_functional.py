"""`fdsim run --functional` and `fdsim train`: data through the bit-true datapath, timing
untouched, numerics reported; bad inputs are one line with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fdsim.api import run
from fdsim.cli import main
from fdsim.schedule.ops import Phase

ROOT = Path(__file__).resolve().parents[1]
HARDWARE = ROOT / "hwconfigs" / "fdtrain_28nm.yaml"
LENET = ROOT / "workloads" / "lenet5.yaml"


@pytest.fixture(scope="module")
def timed_and_functional() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    timed = run(HARDWARE, LENET)
    functional = run(HARDWARE, LENET, functional=True, seed=3)
    assert functional.numerics is not None
    return timed.layers, functional.layers, functional.numerics, functional.summary


def test_cycles_do_not_depend_on_data(timed_and_functional) -> None:  # type: ignore[no-untyped-def]
    timed, functional, _, _ = timed_and_functional
    pd.testing.assert_frame_equal(timed, functional)


def test_every_layer_and_parameter_is_measured(timed_and_functional) -> None:  # type: ignore[no-untyped-def]
    _, _, numerics, summary = timed_and_functional
    forward = numerics[(numerics["phase"] == "fwd") & (numerics["tensor"] == "output")]
    layers = [
        "c1", "c1_act", "s2", "c3", "c3_act", "s4", "f5", "f5_act", "f6", "f6_act", "output",
        "loss",
    ]  # fmt: skip
    assert forward["layer"].tolist() == layers
    # 16-bit words through up to twelve layers keep at least 20 dB everywhere.
    assert (forward["sqnr_db"] > 20.0).all(), forward
    grads = numerics[numerics["phase"] == "bwd_weight"]["tensor"].tolist()
    params = ["output.weight", "output.bias", "f6.weight", "f6.bias", "f5.weight", "f5.bias"]
    assert grads == [*params, "c3.weight", "c1.weight"]
    assert summary["numerics"]["overflow_events"] == int(numerics["overflow_events"].sum())
    assert summary["numerics"]["seed"] == 3


def test_functional_numerics_are_deterministic(timed_and_functional) -> None:  # type: ignore[no-untyped-def]
    _, _, numerics, _ = timed_and_functional
    again = run(HARDWARE, LENET, [Phase.FORWARD], functional=True, seed=3).numerics
    assert again is not None
    ours = numerics[numerics["phase"] == "fwd"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, again.reset_index(drop=True))


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_functional_needs_the_fft_arithmetic(golden_files, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hardware, workload = golden_files
    out = tmp_path / "out"
    args = ["run", str(hardware), str(workload), "--functional", "--out", str(out)]
    assert (
        _fails(args, capsys) == f"{hardware}:3: fft.arithmetic: required for --functional, missing"
    )
    assert not out.exists()


def test_train_writes_curves_and_the_step_cost(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "train"
    code = main(["train", "--epochs", "1", "--no-reference", "--quiet", "--out", str(out)])
    assert code == 0
    curves = pd.read_csv(out / "curves.csv")
    assert curves["arithmetic"].tolist() == ["fixed"]
    summary = json.loads((out / "summary.json").read_text())
    # One bit-true epoch on the digits is already far above chance (10 %).
    assert summary["final"]["fixed"]["holdout_accuracy"] > 0.6
    assert summary["train_images"] + summary["holdout_images"] == 1797
    assert (
        summary["training_step"]["cycles"]
        == run(HARDWARE, ROOT / "workloads" / "digits_cnn.yaml").summary["total_cycles"]
    )
    assert (out / "curves.png").stat().st_size > 0
    assert "fixed epoch 1: train loss" in capsys.readouterr().out


def test_train_mnist_needs_its_files(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "train"
    assert _fails(["train", "--dataset", "mnist", "--out", str(out)], capsys) == (
        "--dataset mnist: needs --images and --labels (IDX files)"
    )
    missing = tmp_path / "nothere.idx"
    args = ["train", "--dataset", "mnist", "--images", str(missing), "--labels", str(missing)]
    assert _fails([*args, "--out", str(out)], capsys).startswith(f"{missing}: ")
    assert not out.exists()
