"""``fdsim modes``: one network in the spectral, hybrid and spatial domains (fdsim/modes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_errors import one_line_error

from fdsim.api import simulate
from fdsim.cli import main
from fdsim.modes import in_mode, study_modes
from fdsim.report.modes import MODES_FILES, modes_table
from fdsim.schedule.ops import Phase
from fdsim.spec.load import load_hardware, load_workload
from fdsim.spec.workload import Domain, PoolLayer

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")
BASELINE = Path("hwconfigs/spatial_systolic_32x32.yaml")
LENET = Path("workloads/lenet5.yaml")
FORWARD = frozenset({Phase.FORWARD})


def test_the_rewrite_changes_the_domain_and_the_spectral_pools_only() -> None:
    lenet = load_workload(LENET).spec
    assert in_mode(lenet, Domain.SPECTRAL, "average") == lenet  # already spectral
    spatial = in_mode(lenet, Domain.SPATIAL, "max")
    assert spatial.domain is Domain.SPATIAL
    pools = [layer for layer in spatial.layers if isinstance(layer, PoolLayer)]
    assert [(p.method, p.output_size) for p in pools] == [("max", 16), ("max", 8)]
    same = [
        (a, b)
        for a, b in zip(lenet.layers, spatial.layers, strict=True)
        if not isinstance(a, PoolLayer)
    ]
    assert all(a == b for a, b in same)


def test_every_case_is_the_pipeline_on_the_rewritten_network() -> None:
    hardware, baseline = load_hardware(HARDWARE).spec, load_hardware(BASELINE).spec
    lenet = load_workload(LENET).spec
    study = study_modes(hardware, lenet, baseline, phases=FORWARD)
    table = modes_table(study)
    assert list(zip(table["mode"], table["hardware"], strict=True)) == [
        ("spectral", "fdtrain_28nm"),
        ("hybrid", "fdtrain_28nm"),
        ("spatial", "fdtrain_28nm"),
        ("spatial", "spatial_systolic_32x32"),
    ]
    for case, (mode, hw) in zip(
        study.cases,
        [
            (Domain.SPECTRAL, hardware),
            (Domain.HYBRID, hardware),
            (Domain.SPATIAL, hardware),
            (Domain.SPATIAL, baseline),
        ],
        strict=True,
    ):
        alone = simulate(hw, in_mode(lenet, mode, "average"), phases=FORWARD)
        assert case.result is not None
        assert case.result.summary["total_cycles"] == alone.summary["total_cycles"]
        assert case.result.summary["energy_pj"] == alone.summary["energy_pj"]


def test_a_refused_mode_is_kept_with_its_reason(tmp_path: Path) -> None:
    """A ReLU on maps has no spectral form: the spectral case is refused, the others run."""
    text = LENET.read_text().replace("function: linear_sigmoid", "function: relu", 1)
    workload = tmp_path / "relu.yaml"
    workload.write_text(text)
    study = study_modes(
        load_hardware(HARDWARE).spec, load_workload(workload).spec, None, phases=FORWARD
    )
    spectral, hybrid, spatial = study.cases
    assert spectral.result is None
    assert "relu" in spectral.refused
    assert hybrid.result is not None and spatial.result is not None


def test_fdsim_modes_writes_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "modes"
    args = ["modes", str(HARDWARE), str(LENET), "--phases", "fwd", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*MODES_FILES, ".fdsim-output"])
    text = (out / "report.md").read_text()
    assert "| spatial on spatial_systolic_32x32 |" in text
    capsys.readouterr()
    line = one_line_error([*args[:-1], "--no-baseline", "--baseline", str(BASELINE)], capsys)
    assert line == "--no-baseline: contradicts --baseline: give one of them"


def test_training_each_mode_gives_its_accuracy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One epoch on digits per case: the accuracies are train_workload's for that case."""
    from fdsim.nn.datasets import DatasetSource
    from fdsim.training import train_workload

    hardware = load_hardware(HARDWARE).spec
    digits = load_workload(Path("workloads/digits_cnn.yaml")).spec
    study = study_modes(hardware, digits, None, epochs=1)
    spatial = study.cases[2]
    assert spatial.mode is Domain.SPATIAL and spatial.accuracy_bit_true is not None
    alone = train_workload(
        hardware, in_mode(digits, Domain.SPATIAL, "average"), DatasetSource(), epochs=1, seed=0
    )
    assert spatial.accuracy_bit_true == alone.summary["final"]["fixed"]["holdout_accuracy"]
    assert spatial.accuracy_float64 == alone.summary["final"]["float"]["holdout_accuracy"]
    line = one_line_error(["modes", "--dataset", "digits", "--out", str(tmp_path / "m")], capsys)
    assert line == "--dataset: trains the cases: add --epochs N"
