"""What reports state: critical-path stalls, totals per image and per second, how layer spans
add up to phase spans, the figures and report.md.

Hand-checked values come from the golden case (tests/conftest.py, timeline in
tests/test_golden.py) and from its layer shapes; everything else is checked as an identity
between a run's own numbers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fdsim.api import run
from fdsim.results import RunResult, _union_cycles
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import TRAINING_STEP, Phase
from fdsim.sim.counters import CriticalCause, count
from fdsim.sim.engine import simulate
from fdsim.spec.load import load_hardware, load_workload

REPO = Path(__file__).resolve().parent.parent
LENET = REPO / "workloads" / "lenet5.yaml"
HARDWARE = REPO / "hwconfigs" / "fdtrain_28nm.yaml"


@pytest.fixture(scope="module")
def tiled_hardware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped 28 nm config with every buffer cut to 16 KiB: LeNet-5 then splits into
    thousands of tiles, and its layers overlap on shared units."""
    folder = tmp_path_factory.mktemp("tiled")
    shutil.copytree(REPO / "hwconfigs" / "energy", folder / "energy")
    text = HARDWARE.read_text(encoding="utf-8")
    for size in ("524288", "2097152"):
        text = text.replace(f"size_bytes: {size}", "size_bytes: 16384")
    path = folder / "tiled.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _counts(hardware: Path, workload: Path):  # type: ignore[no-untyped-def]
    hw, wl = load_hardware(hardware).spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw, TRAINING_STEP)
    return schedule, count(schedule, simulate(schedule, hw))


@pytest.mark.parametrize("tiled", [False, True], ids=["lenet5", "lenet5-16KiB-buffers"])
def test_critical_stalls_split_the_span_beyond_the_busiest_unit(
    tiled: bool, tiled_hardware: Path
) -> None:
    schedule, counts = _counts(tiled_hardware if tiled else HARDWARE, LENET)
    if tiled:
        assert len(schedule.ops) > 2000  # the tiled case really is tiled
    totals: dict[CriticalCause, int] = dict.fromkeys(CriticalCause, 0)
    for plan, layer in zip(schedule.layers, counts, strict=True):
        assert layer.busiest is not None, plan.name
        busiest_busy = layer.units[layer.busiest].busy_cycles
        assert busiest_busy == max(u.busy_cycles for u in layer.units.values())
        assert all(n >= 0 for n in layer.critical_stalls.values())
        assert sum(layer.critical_stalls.values()) == layer.cycles - busiest_busy
        for cause, n in layer.critical_stalls.items():
            totals[cause] += n
    if tiled:  # every branch of the attribution rule occurs
        assert all(n > 0 for n in totals.values()), totals


def test_critical_stalls_of_the_golden_forward(golden_files: tuple[Path, Path]) -> None:
    """By hand from the golden timeline (DRAM latency 0, so spans end at the last store):
    conv1 spans 0–364; the DMA channel is busiest with 32 + 40 + 80 + 40 + 80 = 272 busy
    cycles and waits 104 − 32 = 72 for the FFT and 284 − 264 = 20 for the CMAC: 92 cycles of
    dependency = 364 − 272. fc1 spans 364–877: DMA busy 80 + 64 + 128 + 64 + 1 = 337, waits
    588 − 444 = 144 for the iFFT and 876 − 844 = 32 for the GEMM: 176 = 513 − 337. The loss
    spans 877–880: DMA busy 1 + 1, waits 1 for the loss op."""
    layers = run(*golden_files, frozenset({Phase.FORWARD})).layers
    first = layers.drop_duplicates(["layer", "phase"]).set_index("layer")
    assert list(first["busiest_unit"]) == ["dma", "dma", "dma"]
    assert list(first["layer_cycles"]) == [364, 513, 3]
    assert list(first["critical_stall_dependency_cycles"]) == [92, 176, 1]
    others = [f"critical_stall_{c.value}_cycles" for c in CriticalCause if c.value != "dependency"]
    assert first[others].to_numpy().sum() == 0
    dma = layers[(layers["layer"] == "conv1") & (layers["unit"] == "dma")].iloc[0]
    assert dma["busy_cycles"] == 272
    # the layer-level columns repeat on every unit row of the layer
    conv = layers[layers["layer"] == "conv1"]
    assert set(conv["critical_stall_dependency_cycles"]) == {92}


def test_golden_spatial_equivalent_and_per_image_totals(golden_files: tuple[Path, Path]) -> None:
    """Forward only, batch 1, 880 cycles at 1 GHz. conv1: 1 → 2 channels, 3×3 kernel, 8×8
    output maps: 1 · 2 · 9 · 64 = 1152 MACs; fc1: 2 · 8 · 8 = 128 inputs × 2 outputs = 256
    MACs; 2 ops per MAC: 2 · 1408 = 2816 ops, so 2816 / 880 ns = 3.2 GOPS; 1 / 880 ns images/s.
    The whole step adds conv1 bwd_weight (1152) and fc1 bwd_data and bwd_weight (2 · 256),
    the first layer having no bwd_data: 2 · (2 · 1152 + 3 · 256) = 6144 ops."""
    forward = run(*golden_files, frozenset({Phase.FORWARD})).summary
    assert forward["batch_size"] == 1
    assert forward["spatial_equivalent_ops"] == 2816
    assert forward["spatial_equivalent_gops"] == pytest.approx(3.2, rel=1e-12)
    assert forward["images_per_s"] == pytest.approx(1e9 / 880, rel=1e-12)
    assert run(*golden_files).summary["spatial_equivalent_ops"] == 6144


@pytest.fixture(scope="module")
def lenet() -> RunResult:
    return run(HARDWARE, LENET)


def test_totals_follow_from_the_summary_itself(lenet: RunResult) -> None:
    result = lenet
    summary, layers = result.summary, result.layers
    batch = summary["batch_size"]
    assert batch == 32  # workloads/lenet5.yaml
    assert summary["energy_per_image_pj"] == summary["energy_pj"] / batch
    assert summary["images_per_s"] == batch / summary["time_s"]
    assert summary["performed_ops"] == int(layers["mults"].sum() + layers["adds"].sum())
    joules = summary["energy_pj"] * 1e-12
    for name in ("performed", "spatial_equivalent"):
        ops = summary[f"{name}_ops"]
        assert summary[f"{name}_gops"] == ops / summary["time_s"] / 1e9
        assert summary[f"{name}_gops_per_w"] == ops / joules / 1e9


def test_layer_spans_add_up_to_phase_spans(lenet: RunResult) -> None:
    result = lenet
    for phase, totals in result.summary["phases"].items():
        rows = result.layers[result.layers["phase"] == phase].drop_duplicates("layer")
        assert totals["layer_cycles_sum"] == int(rows["layer_cycles"].sum())
        assert totals["overlap_cycles"] >= 0 and totals["gap_cycles"] >= 0
        assert (
            totals["layer_cycles_sum"] - totals["overlap_cycles"] + totals["gap_cycles"]
            == totals["cycles"]
        )
    # LeNet-5's forward layers overlap (DMA prefetch) but leave no gap
    assert result.summary["phases"]["fwd"]["overlap_cycles"] > 0
    assert result.summary["phases"]["fwd"]["gap_cycles"] == 0


def test_union_of_cycle_intervals() -> None:
    assert _union_cycles([]) == 0
    assert _union_cycles([(0, 10), (5, 12), (20, 25), (21, 22)]) == 12 + 5
    assert _union_cycles([(3, 3), (0, 4)]) == 4


def test_per_unit_stalls_are_named_per_unit(lenet: RunResult) -> None:
    layers = lenet.layers
    assert not any(c.startswith("stall_") for c in layers.columns)
    per_unit = [c for c in layers.columns if c.startswith("unit_stall_")]
    assert per_unit == [
        "unit_stall_dram_cycles",
        "unit_stall_dependency_cycles",
        "unit_stall_buffer_full_cycles",
        "unit_stall_sram_bandwidth_cycles",
    ]
    # SRAM-port stalls are inside busy time, never more than it
    assert (layers["unit_stall_sram_bandwidth_cycles"] <= layers["busy_cycles"]).all()
