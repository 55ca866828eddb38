"""Bad input: one line naming file, line and field; exit status 2; nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_errors import one_line_error as _fails

from fdsim.cli import main
from fdsim.spec.load import SHIPPED_ENERGY_TABLES

REPO = Path(__file__).resolve().parent.parent


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def run_args(golden_files: tuple[Path, Path], tmp_path: Path) -> list[str]:
    hardware, workload = golden_files
    return ["run", str(hardware), str(workload), "--out", str(tmp_path / "out")]


def test_wrong_type(golden_files, run_args, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "clock_hz: 1000000000", "clock_hz: fast")
    assert _fails(run_args, capsys) == f"{hardware}:2: clock_hz: expected an integer, got 'fast'"
    assert not (tmp_path / "out").exists()


def test_unknown_key(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "radix: 2,", "radix: 2, radixx: 4,")
    assert _fails(run_args, capsys) == f"{hardware}:3: fft.radixx: unknown field"


def test_fft_size_not_power_of_two(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "max_points: 8", "max_points: 12")
    assert _fails(run_args, capsys) == (
        f"{hardware}:3: fft.max_points: must be a power of two (at least 4), got 12"
    )


def test_fft_too_short_for_workload(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, workload = golden_files
    _edit(workload, "height: 8, width: 8", "height: 16, width: 16")
    assert _fails(run_args, capsys) == (
        f"{hardware}:3: fft.max_points: too small for layer conv1: needs 16-point transforms, "
        "got 8; spectra kept in the frequency domain (spectral mode: circular convolution on "
        "the whole map) cannot be overlap-add tiled: use domain: hybrid or a larger "
        "fft.max_points"
    )


def test_buffer_too_small(golden_files, run_args, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "weights: {size_bytes: 65536", "weights: {size_bytes: 4")
    assert _fails(run_args, capsys) == (
        f"{hardware}:10: buffers.weights.size_bytes: too small for layer conv1: one bin of one "
        "output channel's weights needs 2 × 4 bytes (double-buffered), the buffer holds 4"
    )
    assert not (tmp_path / "out").exists()


def test_missing_file(golden_files, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    missing = tmp_path / "nope.yaml"
    assert _fails(["run", str(missing), str(workload)], capsys) == f"{missing}: file not found"


def test_malformed_yaml(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    _edit(workload, "batch_size: 1", "batch_size: [1")
    message = _fails(run_args, capsys)
    assert message.startswith(f"{workload}:4: malformed YAML: ")


def test_duplicate_key(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    _edit(workload, "batch_size: 1\n", "batch_size: 1\nbatch_size: 2\n")
    assert _fails(run_args, capsys) == (
        f"{workload}:4: batch_size: duplicate key (each key may appear once)"
    )


def test_yaml_1_2_semantics(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    """``on`` is a string in YAML 1.2 (PyYAML would read true), so a bool field rejects it."""
    hardware, _ = golden_files
    _edit(
        hardware,
        "activations: {total_bits: 16, fraction_bits: 8}",
        "activations: {total_bits: 16, fraction_bits: 8, signed: on}",
    )
    assert _fails(run_args, capsys) == (
        f"{hardware}:14: numerics.activations.signed: expected true or false, got 'on'"
    )


def test_bad_layer_kind(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    _edit(workload, "kind: fc", "kind: dense")
    assert _fails(run_args, capsys) == (
        f"{workload}:6: layers[1].kind: must be one of 'conv', 'pool', 'activation', 'fc', "
        "'loss', 'conv_row', got 'dense'"
    )


def test_missing_field_in_layer(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    _edit(workload, "out_channels: 2, kernel: 3", "out_channels: 2")
    assert _fails(run_args, capsys) == f"{workload}:5: layers[0].kernel: required field missing"


def test_relu_in_spectral_domain(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    _edit(
        workload,
        "  - {name: fc1",
        "  - {name: act, kind: activation, function: relu}\n  - {name: fc1",
    )
    assert _fails(run_args, capsys) == (
        f"{workload}:6: layers[1].function: relu has no spectral-domain form; "
        "set domain: hybrid on this layer"
    )


def test_empty_file(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    _, workload = golden_files
    workload.write_text("")
    assert _fails(run_args, capsys) == (
        f"{workload}: expected a mapping of fields at the top level, got an empty file"
    )


def test_validate_reports_kind(golden_files, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, workload = golden_files
    assert main(["validate", str(hardware), str(workload)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{hardware}: valid hardware",
        f"{workload}: valid workload",
    ]


def test_unknown_phase(run_args, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _fails([*run_args, "--phases", "fwd,bwd"], capsys) == (
        "--phases: unknown phase 'bwd', expected some of fwd, bwd_data, bwd_weight, update"
    )
    assert not (tmp_path / "out").exists()


def test_phase_without_the_phases_it_needs(run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    assert _fails([*run_args, "--phases", "fwd,update"], capsys) == (
        "--phases: update needs bwd_data, bwd_weight too"
    )


def test_gradients_buffer_too_small_for_a_backward_tile(
    golden_files, run_args, capsys, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The forward does not use the gradients buffer; the backward's weight-gradient tile does."""
    hardware, _ = golden_files
    _edit(hardware, "gradients: {size_bytes: 65536", "gradients: {size_bytes: 4")
    assert _fails(run_args, capsys) == (
        f"{hardware}:11: buffers.gradients.size_bytes: too small for layer fc1: one image's "
        "gradient needs 2 × 4 bytes (double-buffered), the buffer holds 4"
    )
    assert not (tmp_path / "out").exists()
    assert main([*run_args, "--phases", "fwd", "--quiet"]) == 0  # inference still runs


def test_arguments_in_the_wrong_order(golden_files, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hardware, workload = golden_files
    out = tmp_path / "out"
    assert _fails(["run", str(workload), str(hardware), "--out", str(out)], capsys) == (
        f"{workload}: is a workload, expected a hardware config (arguments go hardware first, "
        "then workload: fdsim run|train HARDWARE WORKLOAD)"
    )
    assert _fails(["run", str(hardware), str(hardware), "--out", str(out)], capsys) == (
        f"{hardware}: is a hardware config, expected a workload (arguments go hardware first, "
        "then workload: fdsim run|train HARDWARE WORKLOAD)"
    )
    table = tmp_path / "energy/45nm.yaml"
    assert _fails(["run", str(table), str(workload), "--out", str(out)], capsys) == (
        f"{table}: is an energy table, expected a hardware config"
    )
    assert not out.exists()
    # the same files and message for fdsim train
    assert _fails(["train", str(workload), str(hardware), "--out", str(out)], capsys) == (
        f"{workload}: is a workload, expected a hardware config (arguments go hardware first, "
        "then workload: fdsim run|train HARDWARE WORKLOAD)"
    )


def test_energy_table_missing_names_the_hardware_line(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "energy_table: energy/45nm.yaml", "energy_table: energy/7nm.yaml")
    assert _fails(run_args, capsys) == (
        f"{hardware}:20: energy_table: file not found: {hardware.parent}/energy/7nm.yaml (a path "
        "is relative to this file's folder; shipped tables by name: 28nm, 45nm)"
    )
    assert _fails(["validate", str(hardware)], capsys).startswith(f"{hardware}:20: energy_table: ")


def test_energy_table_unknown_name(golden_files, run_args, capsys) -> None:  # type: ignore[no-untyped-def]
    hardware, _ = golden_files
    _edit(hardware, "energy_table: energy/45nm.yaml", "energy_table: 7nm")
    assert _fails(run_args, capsys) == (
        f"{hardware}:20: energy_table: no shipped energy table named '7nm' (shipped: 28nm, 45nm)"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "../energy/45nm.yaml",
            "must not climb out of this file's folder (..), got '../energy/45nm.yaml'",
        ),
        (
            "energy/../../x.yaml",
            "must not climb out of this file's folder (..), got 'energy/../../x.yaml'",
        ),
        (
            "/etc/energy.yaml",
            "must be a shipped table name or a path relative to this file's folder, "
            "got '/etc/energy.yaml'",
        ),
        (
            "~/energy.yaml",
            "must be a shipped table name or a path relative to this file's folder, "
            "got '~/energy.yaml'",
        ),
        ("''", "must name a shipped table (e.g. 28nm) or a .yaml file, got ''"),
    ],
)
def test_energy_table_paths_stay_in_the_config_folder(  # type: ignore[no-untyped-def]
    golden_files, run_args, capsys, value, problem
) -> None:
    hardware, _ = golden_files
    _edit(hardware, "energy_table: energy/45nm.yaml", f"energy_table: {value}")
    assert _fails(run_args, capsys) == f"{hardware}:20: energy_table: {problem}"


def test_an_error_in_the_energy_table_names_the_table(
    golden_files, run_args, capsys, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    table = tmp_path / "energy/45nm.yaml"
    _edit(table, "technology_node_nm: 45", "technology_node_nm: 0")
    assert _fails(run_args, capsys) == (
        f"{table}:9: technology_node_nm: must be greater than 0, got 0"
    )


def test_a_copied_hardware_config_finds_its_shipped_table(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``energy_table: 28nm`` resolves to the packaged table wherever the config is copied."""
    hardware = tmp_path / "my_hw.yaml"
    shutil.copy(REPO / "hwconfigs/fdtrain_28nm.yaml", hardware)
    workload = REPO / "workloads/lenet5.yaml"
    out = tmp_path / "out"
    assert (
        main(["run", str(hardware), str(workload), "--out", str(out), "--phases", "fwd", "--quiet"])
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    table = Path(summary["manifest"]["inputs"]["energy_table"])
    assert table.resolve() == SHIPPED_ENERGY_TABLES / "28nm.yaml"
