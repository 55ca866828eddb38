"""SCALE-Sim 3.0 topology CSVs and .cfg files read as fdsim specs (fdsim/spec/scalesim.py), and
``fdsim run scale.cfg topology.csv`` on them. The parsing rules mirror SCALE-Sim's
``topology_utils.py`` and ``scale_config.py`` (see the module docstring)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_errors import one_line_error

from fdsim.cli import main
from fdsim.errors import ConfigError
from fdsim.spec.hardware import Dataflow
from fdsim.spec.load import detect_and_load, load_hardware, load_workload
from fdsim.spec.workload import ConvRowLayer

SCALE_CFG = """\
[general]
run_name = scale_example_run_32x32_ws

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:    64
FilterSramSzkB:   64
OfmapSramSzkB:    64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : ws
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
FilterCustomLayout: False

[sparsity]
SparsitySupport : false

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

ALEXNET = """\
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1,224,224,11,11,3,96,4,
Conv2,27,27,5,5,96,256,1,
Conv3,13,13,3,3,256,384,1,
Conv4,13,13,3,3,384,384,1,
Conv5,13,13,3,3,384,256,1,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_conv_topology_rows(tmp_path: Path) -> None:
    workload = load_workload(_write(tmp_path, "alexnet.csv", ALEXNET)).spec
    assert workload.topology and workload.input is None and workload.batch_size == 1
    first = workload.layers[0]
    assert isinstance(first, ConvRowLayer)
    assert (first.name, first.ifmap_height, first.filter_width, first.channels) == (
        "Conv1",
        224,
        11,
        3,
    )
    # SCALE-Sim's output size counts a partial last window: ceil((224 − 11 + 4) / 4) = 55
    assert (first.ofmap_height, first.ofmap_width) == (55, 55)
    assert first.macs == 55 * 55 * 11 * 11 * 3 * 96
    assert [layer.name for layer in workload.layers] == [f"Conv{i}" for i in range(1, 6)]


def test_topology_quirks(tmp_path: Path) -> None:
    """A BOM, blank lines, a row without the trailing comma (read whole), a 1:1 sparsity cell
    and a depthwise row (a name with DP: one single-channel row per channel)."""
    text = (
        "\ufeffLayer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides, Sparsity,\n"
        "\n"
        "First,8,6,3,3,2,4,1,1:1,\n"
        "Conv_DP,8,8,3,3,3,1,2\n"
    )
    workload = load_workload(_write(tmp_path, "t.csv", text)).spec
    names = [layer.name for layer in workload.layers]
    assert names == ["First", "Conv_DPChannel_0", "Conv_DPChannel_1", "Conv_DPChannel_2"]
    first, depthwise = workload.layers[0], workload.layers[1]
    assert isinstance(first, ConvRowLayer) and isinstance(depthwise, ConvRowLayer)
    assert (first.ofmap_height, first.ofmap_width) == (6, 4)
    assert (depthwise.channels, depthwise.stride, depthwise.ofmap_height) == (1, 2, 4)


def test_gemm_topology_rows(tmp_path: Path) -> None:
    """A GEMM row (M, N, K) is SCALE-Sim's M × K ifmap, 1 × K filter, 1 channel, N filters."""
    text = "Layer Name, M, N, K,\nmatmul,256,128,64,\n"
    layer = load_workload(_write(tmp_path, "g.csv", text)).spec.layers[0]
    assert isinstance(layer, ConvRowLayer)
    fields = ("ifmap_height", "ifmap_width", "filter_height", "filter_width", "channels")
    assert [getattr(layer, f) for f in fields] == [256, 64, 1, 64, 1]
    assert (layer.num_filters, layer.stride, layer.ofmap_height, layer.ofmap_width) == (
        128,
        1,
        256,
        1,
    )
    assert layer.macs == 256 * 128 * 64


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Conv1,32,32,5,5,x,6,1,", "4: Channels: expected a whole number, got 'x'"),
        (
            "Conv1,32,32,5,5,1,6,",
            "4: expected 8 cells (Layer name, IFMAP Height, IFMAP Width, "
            "Filter Height, Filter Width, Channels, Num Filter, Strides) and an optional sparsity "
            "N:M, got 7",
        ),
        (
            "Conv1,32,32,5,5,1,6,1,2:4,",
            "4: Sparsity: '2:4' is not modelled (fdsim has no sparse dataflow); use 1:1",
        ),
        (",32,32,5,5,1,6,1,", "4: Layer name: empty"),
        ("Conv1,4,4,5,5,1,6,1,", "4: layers[1]: the 5×5 filter is larger than the 4×4 ifmap"),
    ],
)
def test_topology_errors_name_the_line(tmp_path: Path, row: str, message: str) -> None:
    text = (
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\nok,8,8,3,3,1,1,1,\n\n" + row + "\n"
    )
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ConfigError) as raised:
        load_workload(path)
    assert str(raised.value) == f"{path}:{message}"


def test_scale_cfg_as_hardware(tmp_path: Path) -> None:
    hardware = load_hardware(_write(tmp_path, "scale.cfg", SCALE_CFG)).spec
    array = hardware.systolic_array
    assert array is not None
    assert (array.rows, array.cols, array.dataflow) == (32, 32, Dataflow.WEIGHT_STATIONARY)
    assert hardware.name == "scale_example_run_32x32_ws"
    assert hardware.buffers.activations.size_bytes == 64 * 1024
    assert hardware.buffers.weights.size_bytes == 64 * 1024
    assert hardware.buffers.outputs is not None
    assert hardware.buffers.outputs.size_bytes == 64 * 1024
    # CALC: the array's peak operand rate, 32 + 2 · 32 one-byte words per cycle at 1 GHz
    assert hardware.dram.bandwidth_bytes_per_s == 96 * 10**9
    assert hardware.numerics.activations.total_bits == 8
    user = SCALE_CFG.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER")
    user_hw = load_hardware(_write(tmp_path, "user.cfg", user)).spec
    assert user_hw.dram.bandwidth_bytes_per_s == 10 * 10**9


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "ArrayHeight:    32\n",
            "",
            "4: [architecture_presets] ArrayHeight: required field missing",
        ),
        (
            "Dataflow : ws",
            "Dataflow : rs",
            "14: [architecture_presets] Dataflow: expected ws, os or is, got 'rs'",
        ),
        (
            "ArrayWidth:     32",
            "ArrayWidth:     0",
            "6: [architecture_presets] ArrayWidth: must be at least 1, got 0",
        ),
        (
            "SparsitySupport : false",
            "SparsitySupport : true",
            "24: [sparsity] SparsitySupport: sparsity is not modelled by fdsim; set it False",
        ),
        (
            "InterfaceBandwidth: CALC",
            "InterfaceBandwidth: FAST",
            "27: [run_presets] InterfaceBandwidth: expected USER or CALC, got 'FAST'",
        ),
    ],
)
def test_cfg_errors_name_the_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SCALE_CFG
    path = _write(tmp_path, "bad.cfg", SCALE_CFG.replace(old, new))
    with pytest.raises(ConfigError) as raised:
        load_hardware(path)
    assert str(raised.value) == f"{path}:{message}"


def test_fdsim_run_scalesim_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(tmp_path, "scale.cfg", SCALE_CFG)
    topology = _write(tmp_path, "alexnet.csv", ALEXNET)
    out = tmp_path / "out"
    assert main(["run", str(cfg), str(topology), "--out", str(out), "--quiet"]) == 0
    assert (out / "layers.csv").is_file()
    assert detect_and_load(cfg) == "hardware"
    assert detect_and_load(topology) == "workload"


def test_scalesim_inputs_swapped_or_computed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _write(tmp_path, "scale.cfg", SCALE_CFG)
    topology = _write(tmp_path, "alexnet.csv", ALEXNET)
    out = str(tmp_path / "out")
    assert one_line_error(["run", str(topology), str(cfg), "--out", out], capsys) == (
        f"{topology}: is a workload (SCALE-Sim), expected a hardware config (arguments go "
        "hardware first, then workload: fdsim run|train HARDWARE WORKLOAD)"
    )
    line = one_line_error(["run", str(cfg), str(topology), "--out", out, "--functional"], capsys)
    assert line == (
        f"{topology}:1: layers: a topology (conv_row layers) has no input values or loss, so "
        "it is timed and priced only: --functional needs a network"
    )
    assert not Path(out).exists()
