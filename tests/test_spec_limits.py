"""Every spec field's bounds: an absurd size, a meaningless zero or negative, a non-finite
number is refused while validating, at the field of the file the user wrote (never later by
the compiler, as a buffer problem of the other file). The limits table: docs/ARCHITECTURE.md,
"Inputs and limits". Lines are those of the golden files (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fdsim.cli import main
from fdsim.errors import ConfigError
from fdsim.spec.load import Origin, validate
from fdsim.spec.workload import MAX_LAYERS, Workload


def _refused(golden: tuple[Path, Path], capsys: pytest.CaptureFixture[str], out: Path) -> str:
    """The one stderr line of ``fdsim run`` on the golden files; nothing written to ``out``."""
    hardware, workload = golden
    code = main(["run", str(hardware), str(workload), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert not out.exists()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        (
            "channels: 1,",
            "channels: 1099511627776,",
            2,
            "input.channels",
            "must be less than or equal to 65536, got 1099511627776",
        ),
        (
            "batch_size: 1",
            "batch_size: 1000000000",
            3,
            "batch_size",
            "must be less than or equal to 65536, got 1000000000",
        ),
        (
            "height: 8, width: 8",
            "height: 100000, width: 100000",
            2,
            "input.height",
            "must be less than or equal to 65536, got 100000",
        ),
        (
            "classes: 2",
            "classes: 2000000",
            2,
            "input.classes",
            "must be less than or equal to 1048576, got 2000000",
        ),
        (
            "out_channels: 2",
            "out_channels: 0",
            5,
            "layers[0].out_channels",
            "must be greater than or equal to 1, got 0",
        ),
        (
            "out_features: 2",
            "out_features: 4294967296",
            6,
            "layers[1].out_features",
            "must be less than or equal to 1048576, got 4294967296",
        ),
        (
            "kernel: 3",
            "kernel: 3, padding: -1",
            5,
            "layers[0].padding",
            "must be greater than or equal to 0, got -1",
        ),
    ],
)
def test_absurd_workload_sizes_name_the_workload_field(  # type: ignore[no-untyped-def]
    golden_files, capsys, tmp_path, old, new, line, field, problem
) -> None:
    """Refused while validating the workload, not by the compiler as a hardware buffer problem."""
    _, workload = golden_files
    _edit(workload, old, new)
    assert (
        _refused(golden_files, capsys, tmp_path / "out") == f"{workload}:{line}: {field}: {problem}"
    )


def test_too_many_layers() -> None:
    """The layer cap holds for specs built in Python too (a file that long is over the size
    limit, tests/test_fuzz_inputs.py)."""
    fc = [{"name": f"fc{i}", "kind": "fc", "out_features": 2} for i in range(MAX_LAYERS)]
    data = {
        "name": "long",
        "input": {"channels": 1, "height": 8, "width": 8, "classes": 2},
        "batch_size": 1,
        "layers": [*fc, {"name": "loss", "kind": "loss"}],
    }
    with pytest.raises(ConfigError) as caught:
        validate(data, Workload, Origin("long.yaml", {(): 1, ("layers",): 4}))
    assert str(caught.value) == ("long.yaml:4: layers: at most 10,000 entries allowed, got 10001")


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        (
            "activations: {size_bytes: 65536, banks: 1,",
            "activations: {size_bytes: 65536, banks: 0,",
            9,
            "buffers.activations.banks",
            "must be greater than or equal to 1, got 0",
        ),
        (
            "bandwidth_bytes_per_s: 4000000000",
            "bandwidth_bytes_per_s: -1",
            12,
            "dram.bandwidth_bytes_per_s",
            "must be greater than 0, got -1",
        ),
        (
            "lanes: 4",
            "lanes: true",
            4,
            "cmac.lanes",
            "expected a number, got true",
        ),
        (
            "latency_ns: 0",
            "latency_ns: 1" + "0" * 99,
            12,
            "dram.latency_ns",
            "must be less than or equal to 1000000000, got 1" + "0" * 59 + "… (100 characters)",
        ),
        (
            "clock_hz: 1000000000",
            "clock_hz: 1000000000000",
            2,
            "clock_hz",
            "must be less than or equal to 100000000000, got 1000000000000",
        ),
        (
            "latency_ns: 0",
            "latency_ns: .inf",
            12,
            "dram.latency_ns",
            "must be a finite number, got inf",
        ),
        (
            "latency_ns: 0",
            "latency_ns: .nan",
            12,
            "dram.latency_ns",
            "must be a finite number, got nan",
        ),
        (
            "lanes: 4",
            "lanes: 1099511627776",
            4,
            "cmac.lanes",
            "must be less than or equal to 1048576, got 1099511627776",
        ),
        (
            "max_points: 8",
            "max_points: 1048576",
            3,
            "fft.max_points",
            "must be at most 65536, got 1048576",
        ),
        ("count: 1", "count: 4194304", 3, "fft.count", "must be at most 1048576, got 4194304"),
        (
            "burst_bytes: 4}",
            "burst_bytes: 0}",
            12,
            "dram.burst_bytes",
            "must be greater than or equal to 1, got 0",
        ),
        (
            "burst_bytes: 4}",
            "burst_bytes: 4, queue_depth: 70000}",
            12,
            "dram.queue_depth",
            "must be less than or equal to 65536, got 70000",
        ),
        (
            "activations: {size_bytes: 65536, banks: 1,",
            "activations: {size_bytes: 65536, banks: 1, ports: 0,",
            9,
            "buffers.activations.ports",
            "must be greater than or equal to 1, got 0",
        ),
        (
            "size_bytes: 65536, banks: 1, bytes_per_cycle: 4096, word_bytes: 4}\n  weights",
            "size_bytes: 2199023255552, banks: 1, bytes_per_cycle: 4096, word_bytes: 4}\n  weights",
            9,
            "buffers.activations.size_bytes",
            "must be less than or equal to 1099511627776, got 2199023255552",
        ),
    ],
)
def test_hardware_limits(  # type: ignore[no-untyped-def]
    golden_files, capsys, tmp_path, old, new, line, field, problem
) -> None:
    hardware, _ = golden_files
    _edit(hardware, old, new)
    assert (
        _refused(golden_files, capsys, tmp_path / "out") == f"{hardware}:{line}: {field}: {problem}"
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        ("exponent: 2", "exponent: 0", 15, "int_mult.exponent", "must be greater than 0, got 0"),
        (
            "energy_pj: 0.2 ",
            "energy_pj: -0.2 ",
            21,
            "int_mult.entries[0].energy_pj",
            "must be greater than 0, got -0.2",
        ),
        (
            "energy_pj: 0.2 ",
            "energy_pj: .inf ",
            21,
            "int_mult.entries[0].energy_pj",
            "must be a finite number, got inf",
        ),
        (
            "energy_pj: 0.2 ",
            "energy_pj: 1e308 ",
            21,
            "int_mult.entries[0].energy_pj",
            "must be less than or equal to 1000000, got 1e+308",
        ),
    ],
)
def test_energy_table_bounds(  # type: ignore[no-untyped-def]
    golden_files, capsys, tmp_path, old, new, line, field, problem
) -> None:
    table = tmp_path / "energy/45nm.yaml"
    _edit(table, old, new)
    assert _refused(golden_files, capsys, tmp_path / "out") == f"{table}:{line}: {field}: {problem}"
