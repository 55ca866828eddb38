"""`fdsim run --functional` and `fdsim train`: data through the bit-true datapath, timing
untouched, numerics reported; bad inputs are one line with exit status 2."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
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
    sqnr = numerics.sqnr
    forward = sqnr[(sqnr["phase"] == "fwd") & (sqnr["tensor"] == "output")]
    layers = [
        "c1", "c1_act", "s2", "c3", "c3_act", "s4", "f5", "f5_act", "f6", "f6_act", "output",
        "loss",
    ]  # fmt: skip
    assert forward["layer"].tolist() == layers
    # 16-bit words through up to twelve layers keep at least 20 dB everywhere.
    assert (forward["sqnr_db"] > 20.0).all(), forward
    # bwd_data: the loss gradient, then every layer's input gradient back to c1's activation
    # (c1's own input gradient is never needed, so its bwd_data is not computed).
    backward = sqnr[sqnr["phase"] == "bwd_data"]
    assert backward["tensor"].unique().tolist() == ["input_gradient"]
    assert backward["layer"].tolist() == layers[::-1][:-1]
    grads = sqnr[sqnr["phase"] == "bwd_weight"]["tensor"].tolist()
    params = ["output.weight", "output.bias", "f6.weight", "f6.bias", "f5.weight", "f5.bias"]
    assert grads == [*params, "c3.weight", "c1.weight"]
    overflows = numerics.overflows
    assert summary["numerics"]["overflow_events"] == int(overflows["overflow_events"].sum())
    assert summary["numerics"]["values_checked"] == int(overflows["values_checked"].sum())
    # Each datapath site is one row: no tally is counted twice.
    assert not overflows.duplicated(subset=["site", "overflow_mode"]).any()
    assert summary["numerics"]["seed"] == 3
    assert summary["numerics"]["source"] == "seeded uniform images and labels, seed 3"


def test_lenet_conv_weight_gradients_do_not_saturate(timed_and_functional) -> None:  # type: ignore[no-untyped-def]
    # The unprojected weight-gradient spectrum is stored ⌈log2(N²/k²)⌉ bits coarser than the
    # parameter, so its DC bins (N²/k² times the projected ones) fit; at the parameter's own
    # exponent, 3 of c3's 27,648 bins saturated with this seed (12 with seed 0).
    _, _, numerics, _ = timed_and_functional
    overflows = numerics.overflows
    c3 = overflows[(overflows["layer"] == "c3") & (overflows["phase"] == "bwd_weight")]
    assert int(c3["overflow_events"].sum()) == 0
    sqnr = numerics.sqnr
    assert float(sqnr[sqnr["tensor"] == "c3.weight"]["sqnr_db"].iloc[0]) > 20.0


def test_functional_numerics_are_deterministic(timed_and_functional) -> None:  # type: ignore[no-untyped-def]
    _, _, numerics, _ = timed_and_functional
    again = run(HARDWARE, LENET, [Phase.FORWARD], functional=True, seed=3).numerics
    assert again is not None
    ours = numerics.sqnr[numerics.sqnr["phase"] == "fwd"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, again.sqnr.reset_index(drop=True))


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


def test_train_workload_takes_specs() -> None:
    import fdsim
    from fdsim.nn.datasets import DatasetSource
    from fdsim.training import train_workload

    workload = fdsim.load_workload(ROOT / "workloads" / "digits_cnn.yaml")
    narrow = fdsim.override(fdsim.load_hardware(HARDWARE), {"cmac.lanes": 64})
    trained = train_workload(narrow, workload, DatasetSource(), epochs=1, seed=0, reference=False)
    step = fdsim.simulate(narrow, workload)
    assert trained.summary["training_step"]["cycles"] == step.summary.total_cycles
    assert trained.summary["manifest"]["spec_sha256"] == step.summary.manifest["spec_sha256"]
    assert trained.summary["command"] == (
        f"fdsim train {HARDWARE} {ROOT / 'workloads' / 'digits_cnn.yaml'} --dataset digits "
        "--epochs 1 --seed 0 --no-reference"
    )


def test_train_mnist_needs_its_files(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "train"
    assert _fails(["train", "--dataset", "mnist", "--out", str(out)], capsys) == (
        "--dataset mnist: needs --images and --labels (IDX files)"
    )
    missing = tmp_path / "nothere.idx"
    args = ["train", "--dataset", "mnist", "--images", str(missing), "--labels", str(missing)]
    assert _fails([*args, "--out", str(out)], capsys).startswith(f"{missing}: ")
    assert not out.exists()


def test_functional_run_writes_numerics_and_overflows(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    workload = ROOT / "workloads" / "digits_cnn.yaml"
    args = ["run", str(HARDWARE), str(workload), "--functional", "--dataset", "digits"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bit-true vs float64, lowest SQNR per phase: fwd " in printed
    sqnr = pd.read_csv(out / "numerics.csv")
    assert sqnr.columns.tolist() == [
        "layer", "phase", "tensor", "sqnr_db", "sqnr_varying_db", "reference_max_abs"
    ]  # fmt: skip
    # Parameter gradients and updated parameters have no batch axis: NaN in the CSV.
    batched = sqnr["phase"].isin(["fwd", "bwd_data"])
    assert sqnr.loc[~batched, "sqnr_varying_db"].isna().all()
    assert sqnr.loc[batched, "sqnr_varying_db"].notna().all()
    overflows = pd.read_csv(out / "overflows.csv")
    assert overflows.columns.tolist() == [
        "layer", "phase", "site", "tensor_class", "overflow_mode", "overflow_events",
        "values_checked", "underflow_events",
    ]  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["numerics"]["values_checked"] == int(overflows["values_checked"].sum())
    assert summary["numerics"]["source"] == (
        "sklearn digits, the first 32 hold-out images of split seed 0"
    )
    assert "## Numerics (functional run)" in (out / "report.md").read_text()


def test_bad_options_are_one_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _fails(["run", "--seed", "x", "--out", str(out)], capsys) == (
        "fdsim run: argument --seed: invalid int value: 'x' (see fdsim run --help)"
    )
    # (argparse words the list of choices differently across Python versions)
    wrong = _fails(["train", "--dataset", "cifar", "--out", str(out)], capsys)
    assert wrong.startswith("fdsim train: argument --dataset: invalid choice: 'cifar' (choose")
    assert wrong.endswith(" (see fdsim train --help)")
    assert _fails(["train", "--epochs", "0", "--out", str(out)], capsys) == (
        "--epochs: must be at least 1, got 0"
    )
    assert _fails(["run", "--dataset", "digits", "--out", str(out)], capsys) == (
        "--dataset: feeds the bit-true datapath: add --functional"
    )
    assert _fails(["train", "--images", "x.idx", "--out", str(out)], capsys) == (
        "--images: only --dataset mnist reads IDX files"
    )
    assert not out.exists()


def _hardware_variant(tmp_path: Path, name: str, replace: dict[str, str]) -> Path:
    """The default hardware with some lines replaced (key: old text, value: new text)."""
    text = HARDWARE.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace(
        "energy_table: energy/28nm.yaml", f"energy_table: {ROOT}/hwconfigs/energy/28nm.yaml"
    )
    path = tmp_path / name
    path.write_text(text)
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_datapaths_the_bit_true_model_cannot_compute_are_user_errors(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    # A radix-4 core has no 32-point transform (log2 32 = 5 is odd): the timing model runs it,
    # the bit-true model names the field.
    radix4 = _hardware_variant(
        tmp_path,
        "radix4.yaml",
        {
            "  radix: 2 ": "  radix: 4 ",  # both fft.radix and fft.arithmetic.radix
            "repeating_bits: [1, 0]": "repeating_bits: [1]",
        },
    )
    assert main(["run", str(radix4), "--quiet", "--out", str(tmp_path / "timed")]) == 0
    line = _line_of(radix4, "    radix: 4 ")
    assert _fails(["run", str(radix4), "--functional", "--out", str(out)], capsys) == (
        f"{radix4}:{line}: fft.arithmetic.radix: a radix-4 core cannot transform 32 points "
        "(log2 32 = 5 is not a multiple of 2)"
    )
    # 32-bit spectra with 40-bit accumulators need 67-bit sums: more than int64 holds.
    wide = _hardware_variant(
        tmp_path,
        "wide.yaml",
        {
            "  spectra:       # assumption: Q7.8 + sign per real/imag part; spectral magnitudes "
            "grow with map size (DC bin = N²·mean)\n    total_bits: 16\n    fraction_bits: 8": (
                "  spectra:\n    total_bits: 32\n    fraction_bits: 24"
            )
        },
    )
    line = _line_of(wide, "numerics:")
    assert _fails(["run", str(wide), "--functional", "--out", str(out)], capsys) == (
        f"{wide}:{line}: numerics: the bit-true datapath cannot be simulated: accumulator sum "
        "needs 67 bits, more than the 63-bit int64 budget; narrow the operand formats"
    )
    assert not out.exists()


def test_a_grid_that_is_not_a_power_of_two_runs_bit_true(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Crop to 6 bins, then an FC: the iFFT pads the 6-grid to 8 points and scales by 64/36
    # (×2 as an exponent, then 32/36 rounded to the weights format on the activation unit).
    workload = tmp_path / "pool6.yaml"
    workload.write_text(
        "name: pool6\ninput: {channels: 1, height: 8, width: 8, classes: 10}\nbatch_size: 4\n"
        "layers:\n  - {name: c1, kind: conv, out_channels: 2, kernel: 3}\n"
        "  - {name: p1, kind: pool, method: spectral, output_size: 6}\n"
        "  - {name: f1, kind: fc, out_features: 10}\n  - {name: loss, kind: loss}\n"
    )
    numerics = run(HARDWARE, workload, functional=True).numerics
    assert numerics is not None
    sqnr = numerics.sqnr.set_index(["layer", "phase", "tensor"])["sqnr_db"]
    # 16-bit words: the interpolated maps keep more than 30 dB, the gradients more than 20.
    assert sqnr[("f1", "fwd", "output")] > 30.0
    assert sqnr[("c1", "bwd_weight", "c1.weight")] > 20.0


def test_linear_networks_are_named(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    summary = run(HARDWARE, LENET, [Phase.FORWARD]).summary
    # LeNet-5's spectral part (c1 … s4, linear sigmoids and crops) and f5 are one affine map.
    assert summary["linearity"] == {
        "linear_classifier": False,
        "affine_spans": [{"first": "c1", "last": "f5", "layers": 7}],
    }
    workload = tmp_path / "linear.yaml"
    workload.write_text(
        "name: linear\ninput: {channels: 1, height: 8, width: 8, classes: 2}\nbatch_size: 1\n"
        "layers:\n  - {name: c1, kind: conv, out_channels: 2, kernel: 3}\n"
        "  - {name: a1, kind: activation, function: linear_sigmoid}\n"
        "  - {name: f1, kind: fc, out_features: 2}\n  - {name: loss, kind: loss}\n"
    )
    assert main(["run", str(HARDWARE), str(workload), "--out", str(tmp_path / "out")]) == 0
    assert (
        "note: no layer is nonlinear, so the whole network is one affine map of its input: a "
        "linear classifier however deep (add relu on a hybrid or spatial layer, max pooling, "
        "or a quadratic activation)"
    ) in capsys.readouterr().out.splitlines()
    assert "## Linearity" in (tmp_path / "out" / "report.md").read_text()


def test_bit_true_results_follow_the_schedules_tiling(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A 4 KiB gradients buffer makes the compiler split conv1's batch reduction (bwd_weight)
    # into two image tiles whose partial sums are spilled at 24 bits (12 fraction) and read
    # back: the bit-true weight gradient is the one of that tiling, not of one long sum.
    from fdsim.api import compile_specs
    from fdsim.model.backend import TensorClass
    from fdsim.model.fixed_backend import FixedBackend
    from fdsim.model.passes import backward, forward, initial_param_values
    from fdsim.network.lowering import lower_network
    from fdsim.nn.fixed.datapath import untiled
    from fdsim.sim.functional import reduction_tiles_of, seeded_batch
    from fdsim.spec.load import load_hardware, load_workload

    small = _hardware_variant(
        tmp_path,
        "small.yaml",
        {
            "  gradients:\n    size_bytes: 524288": "  gradients:\n    size_bytes: 4096",
            "numerics:\n": "numerics:\n  partial_sums: {total_bits: 24, fraction_bits: 12}\n",
        },
    )
    hardware = load_hardware(small)
    workload = load_workload(ROOT / "workloads" / "digits_cnn.yaml")
    schedule = compile_specs(hardware.spec, workload.spec)
    plans = {(plan.name, plan.phase.value): plan.reduction_tiles for plan in schedule.layers}
    assert plans[("conv1", "bwd_weight")] == (16, 16)
    model = lower_network(workload.spec)
    batch = seeded_batch(workload.spec, 0)
    values = initial_param_values(model, 0)

    def weight_gradient(tiles):  # type: ignore[no-untyped-def]
        backend = FixedBackend(hardware.spec, workload.spec.batch_size, tiles)
        params = {n: backend.from_float(n, v, TensorClass.WEIGHTS) for n, v in values.items()}
        x = backend.from_float("input", batch.images, TensorClass.ACTIVATIONS)
        _, cache = forward(model, backend, params, x)
        return backward(model, backend, params, cache, batch.labels)[1]["conv1.weight"]

    compiled = weight_gradient(reduction_tiles_of(schedule))
    explicit = weight_gradient(
        lambda layer, phase, length: (
            (16, 16) if (layer, phase) == ("conv1", Phase.BACKWARD_WEIGHT) else None
        )
    )
    one_sum = weight_gradient(untiled)
    assert compiled.layout == explicit.layout == one_sum.layout
    assert all(np.array_equal(a, b) for a, b in zip(compiled.parts, explicit.parts, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(compiled.parts, one_sum.parts, strict=True))


def test_the_timing_and_the_arithmetic_describe_one_fft_core(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    mixed = _hardware_variant(
        tmp_path,
        "mixed.yaml",
        {
            "  arithmetic:\n    radix: 2 ": "  arithmetic:\n    radix: 4 ",
            "repeating_bits: [1, 0]": "repeating_bits: [1]",
        },
    )
    line = _line_of(mixed, "fft:")
    assert _fails(["run", str(mixed), "--out", str(out)], capsys) == (
        f"{mixed}:{line}: fft: arithmetic.radix (4) must equal radix (2)"
    )
    assert not out.exists()


def test_a_crop_of_a_cropped_grid_is_named_when_computed_bit_true(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # cifar10_rippel crops 32 → 27 → 22: timed fine, but the bit-true crop needs a
    # power-of-two input grid.
    workload = ROOT / "workloads" / "cifar10_rippel.yaml"
    out = tmp_path / "out"
    line = _line_of(workload, "output_size: 22")
    assert _fails(
        ["run", str(HARDWARE), str(workload), "--functional", "--out", str(out)], capsys
    ) == (
        f"{workload}:{line}: layers[5].output_size: the bit-true spectral crop needs a "
        "power-of-two input grid, got 27 (left by an earlier crop); only the timing model runs "
        "this layer"
    )
    assert not out.exists()


def test_negative_seeds_are_refused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _fails(["train", "--seed", "-1", "--out", str(out)], capsys) == (
        "fdsim train: argument --seed: must be at least 0, got -1 (see fdsim train --help)"
    )


def test_exact_tensors_are_null_in_the_summary() -> None:
    from fdsim.numerics import FunctionalNumerics
    from fdsim.results import numerics_summary
    from fdsim.sim.functional import OVERFLOW_COLUMNS, SQNR_COLUMNS
    from fdsim.summary import InformationLost, LostTensor, LowestSqnr, NumericsTotals

    sqnr = pd.DataFrame(
        [
            ("a", "fwd", "output", float("inf"), float("-inf"), 1.0),
            ("b", "fwd", "output", float("nan"), float("nan"), 0.0),
        ],
        columns=SQNR_COLUMNS,
    )
    overflows = pd.DataFrame(
        [
            ("a", "fwd", "a.fwd.x", "spectra", "wrap", 1, 9, 0),
            ("a", "fwd", "a.fwd.x", "spectra", "saturate", 2, 9, 4),
        ],
        columns=OVERFLOW_COLUMNS,
    )
    numerics = numerics_summary(FunctionalNumerics(sqnr, overflows, "test", 0))
    assert numerics.lowest_sqnr_by_phase == {"fwd": LowestSqnr("a", "output", None)}
    assert numerics.overflow_events_by_site == {"a.fwd.x": 3}
    assert (numerics.overflow_events, numerics.values_checked) == (3, 18)
    assert (numerics.underflow_events, numerics.underflow_events_by_site) == (4, {"a.fwd.x": 4})
    # Nothing of a's varying part survives (−∞ dB): flagged, null in JSON; b's NaN is not.
    assert numerics.information_lost == InformationLost(
        10.0, [LostTensor("a", "fwd", "output", None)]
    )
    as_json = asdict(numerics)
    assert as_json["information_lost"]["tensors"] == [
        {"layer": "a", "phase": "fwd", "tensor": "output", "sqnr_varying_db": None}
    ]
    json.dumps(as_json, allow_nan=False)
    assert NumericsTotals.from_json(as_json) == numerics
