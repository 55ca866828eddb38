"""What reports state: critical-path stalls, totals per image and per second, how layer spans
add up to phase spans, the figures and report.md.

Hand-checked values come from the golden case (tests/conftest.py, timeline in
tests/test_golden.py) and from its layer shapes; everything else is checked as an identity
between a run's own numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fdsim.api import run
from fdsim.cli import main
from fdsim.counts import CriticalCause
from fdsim.report.columns import BANDWIDTH_COLUMNS, LAYERS_COLUMNS, TRAFFIC_COLUMNS
from fdsim.report.figures import cycles_with_stalls, energy_by_component
from fdsim.report.markdown import write_report
from fdsim.report.table import (
    ENERGY_COMPONENTS,
    cycle_parts,
    energy_components,
    energy_unit,
    format_bytes,
    format_energy,
    format_rate,
    layer_table,
    phase_totals,
    step_line,
    top_layers,
    unit_energy_table,
    unit_time_table,
)
from fdsim.results import RunResult
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import TRAINING_STEP, Phase
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate
from fdsim.spec.load import load_hardware, load_workload
from fdsim.step_totals import union_cycles
from fdsim.summary import Summary

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
    """By hand from the golden timeline of tests/test_golden.py (DRAM latency 0, so spans end
    at the last store): conv1 spans 0–424; the DMA channel is busiest with 32 + 40 + 80 + 40 +
    80 = 272 busy cycles and waits 164 − 32 = 132 for the FFT and 344 − 324 = 20 for the CMAC:
    152 cycles of unit busy (the FFT and the CMAC computing what the DMA waits for; none of
    dependency, as both had started when the wait began) = 424 − 272. fc1 spans 424–998: DMA
    busy 80 + 64 + 129 + 64 + 1 = 338, waits 708 − 504 = 204 for the iFFT and 997 − 965 = 32
    for the GEMM: 236 = 574 − 338. The loss spans 998–1001: DMA busy 1 + 1, waits 1 for the
    loss op."""
    layers = run(*golden_files, frozenset({Phase.FORWARD})).layers
    first = layers.drop_duplicates(["layer", "phase"]).set_index("layer")
    assert list(first["busiest_unit"]) == ["dma", "dma", "dma"]
    assert list(first["layer_cycles"]) == [424, 574, 3]
    assert list(first["critical_stall_unit_busy_cycles"]) == [152, 236, 1]
    others = [f"critical_stall_{c.value}_cycles" for c in CriticalCause if c.value != "unit_busy"]
    assert first[others].to_numpy().sum() == 0
    dma = layers[(layers["layer"] == "conv1") & (layers["unit"] == "dma")].iloc[0]
    assert dma["busy_cycles"] == 272
    # the layer-level columns repeat on every unit row of the layer
    conv = layers[layers["layer"] == "conv1"]
    assert set(conv["critical_stall_unit_busy_cycles"]) == {152}


def test_golden_spatial_equivalent_and_per_image_totals(golden_files: tuple[Path, Path]) -> None:
    """Forward only, batch 1, 1001 cycles at 1 GHz (tests/test_golden.py). conv1: 1 → 2
    channels, 3×3 kernel, 8×8 output maps: 1 · 2 · 9 · 64 = 1152 MACs; fc1: 2 · 8 · 8 = 128
    inputs × 2 outputs = 256 MACs; 2 ops per MAC: 2 · 1408 = 2816 ops, so 2816 / 1001 ns =
    2.8132 GOPS; 1 / 1001 ns images/s.
    The whole step adds conv1 bwd_weight (1152) and fc1 bwd_data and bwd_weight (2 · 256),
    the first layer having no bwd_data: 2 · (2 · 1152 + 3 · 256) = 6144 ops."""
    forward = run(*golden_files, frozenset({Phase.FORWARD})).summary
    assert forward["batch_size"] == 1
    assert forward["spatial_equivalent_ops"] == 2816
    assert forward["spatial_equivalent_gops"] == pytest.approx(2816 / 1001, rel=1e-12)
    assert forward["images_per_s"] == pytest.approx(1e9 / 1001, rel=1e-12)
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
    phases, summary = result.summary["phases"], result.summary
    assert summary["phase_cycles_sum"] == sum(p["cycles"] for p in phases.values())
    assert (
        summary["phase_cycles_sum"] - summary["phase_overlap_cycles"] + summary["phase_gap_cycles"]
        == summary["total_cycles"]
    )
    assert all(p["end_cycle"] - p["start_cycle"] == p["cycles"] for p in phases.values())
    # bwd_data and bwd_weight interleave layer by layer
    assert summary["phase_overlap_cycles"] > 0
    # LeNet-5's forward layers overlap (DMA prefetch) but leave no gap
    assert result.summary["phases"]["fwd"]["overlap_cycles"] > 0
    assert result.summary["phases"]["fwd"]["gap_cycles"] == 0


def test_union_of_cycle_intervals() -> None:
    assert union_cycles([]) == 0
    assert union_cycles([(0, 10), (5, 12), (20, 25), (21, 22)]) == 12 + 5
    assert union_cycles([(3, 3), (0, 4)]) == 4


def test_per_unit_stalls_are_named_per_unit(lenet: RunResult) -> None:
    layers = lenet.layers
    assert not any(c.startswith("stall_") for c in layers.columns)
    per_unit = [c for c in layers.columns if c.startswith("unit_stall_")]
    assert per_unit == [
        "unit_stall_dram_bandwidth_cycles",
        "unit_stall_dram_latency_cycles",
        "unit_stall_dependency_cycles",
        "unit_stall_unit_busy_cycles",
        "unit_stall_buffer_full_cycles",
        "unit_stall_sram_bank_cycles",
        "unit_stall_sram_bandwidth_cycles",
    ]
    # SRAM-port stalls are inside busy time, never more than it
    assert (layers["unit_stall_sram_bandwidth_cycles"] <= layers["busy_cycles"]).all()


def test_energy_units_follow_magnitude() -> None:
    assert energy_unit(999_999.0) == (1e3, "nJ")
    assert energy_unit(1e6) == (1e6, "µJ")
    assert energy_unit(2.5e9) == (1e9, "mJ")
    assert energy_unit(12.0) == (1e3, "nJ")
    assert format_energy(658_349_695.5) == "658.350 µJ"
    assert format_energy(3.2e10) == "32.000 mJ"
    assert format_energy(7.846e12) == "7.846 J"
    assert format_rate(104_557.4) == "104,557"
    assert format_bytes(3_269_848) == "3.12 MiB"
    assert format_bytes(3 << 30) == "3.00 GiB"
    assert format_bytes(512) == "0.50 KiB"
    assert format_rate(9.2249) == "9.22"


def test_energy_components_and_unit_table_keep_the_totals(lenet: RunResult) -> None:
    layers = lenet.layers
    energy = energy_components(layers)
    per_layer = layers.groupby(["layer", "phase"], sort=False)["energy_pj"].sum()
    parts = energy.set_index(["layer", "phase"])[list(ENERGY_COMPONENTS.values())]
    assert parts.sum(axis=1).to_numpy() == pytest.approx(per_layer.to_numpy(), rel=1e-12)
    units = unit_energy_table(layers)
    assert list(units.index) == [
        "dma engine", "fft", "cmac", "crop", "activation", "update", "sram buffers"
    ]  # fmt: skip
    # DRAM access energy is the dma engine's only; the buffers only leak
    assert units.loc["dma engine", "DRAM access"] == lenet.summary["dram_energy_pj"]
    assert units.drop(index="dma engine")["DRAM access"].sum() == 0
    assert units.loc["sram buffers", "total"] == units.loc["sram buffers", "leakage"]
    assert units["total"].sum() == pytest.approx(layers["energy_pj"].sum(), rel=1e-12)


def test_cycle_parts_stack_to_the_span_without_double_counting(lenet: RunResult) -> None:
    frame = cycle_parts(lenet.layers)
    parts = frame.drop(columns=["layer", "phase", "cycles", "bound"])
    assert (parts.sum(axis=1) == frame["cycles"]).all()
    assert (parts >= 0).all().all()
    table = layer_table(lenet.layers)
    assert (table["critical_stall"] <= table["cycles"]).all()
    stalls = parts.filter(like="stall: ").sum(axis=1)
    assert (table["critical_stall"] == stalls).all()


def test_top_layers_sums_the_rest_into_one_bar(lenet: RunResult) -> None:
    frame = cycle_parts(lenet.layers)
    forward = frame[frame["phase"] == "fwd"]  # 12 layers
    shown = top_layers(forward, "cycles", 3)
    assert list(shown["label"]) == ["c1", "s2", "f5", "other (9 layers)"]
    assert shown["cycles"].sum() == forward["cycles"].sum()
    assert shown["bound"].sum() == forward["bound"].sum()
    assert list(top_layers(forward, "cycles", 11)["label"]) == list(forward["layer"])


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[16:24]
    return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")


def test_figures_have_a_bounded_size_however_many_layers(lenet: RunResult, tmp_path: Path) -> None:
    """Five copies of LeNet-5's layers (165 bars before grouping): one panel per phase of at
    most 12 + 1 bars, 10 in × 120 dpi wide and 1 + 4 × 2.6 in tall."""
    copies = [lenet.layers.assign(layer=lenet.layers["layer"] + f"_{i}") for i in range(5)]
    layers = pd.concat(copies, ignore_index=True)
    energy_by_component(layers, tmp_path / "energy.png")
    cycles_with_stalls(layers, tmp_path / "cycles.png")
    expected = (1200, round((1 + 4 * 2.6) * 120))
    assert _png_size(tmp_path / "energy.png") == expected
    assert _png_size(tmp_path / "cycles.png") == expected


def test_column_dictionary_names_every_column(lenet: RunResult) -> None:
    assert list(LAYERS_COLUMNS) == list(lenet.layers.columns)
    assert list(TRAFFIC_COLUMNS) == list(lenet.traffic.columns)
    assert list(BANDWIDTH_COLUMNS) == list(lenet.bandwidth.columns)


def test_report_states_totals_overlap_and_columns(lenet: RunResult, tmp_path: Path) -> None:
    write_report(lenet, tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    summary = lenet.summary
    forward = summary["phases"]["fwd"]
    assert (
        f"- fwd: {forward['layer_cycles_sum']:,} layer cycles − {forward['overlap_cycles']:,} "
        f"cycles covered by more than one layer + {forward['gap_cycles']:,} cycles covered by "
        f"none = {forward['cycles']:,} cycles"
    ) in text
    assert "| batch size | 32 images |" in text
    assert f"| energy per image | {format_energy(summary['energy_per_image_pj'])} |" in text
    for column in [*LAYERS_COLUMNS, *TRAFFIC_COLUMNS, *BANDWIDTH_COLUMNS]:
        assert f"| `{column}` |" in text
    # the bandwidth section: DRAM's bytes, average and peak over the step, its busiest layer
    dram = summary.bandwidth[0]
    step = lenet.bandwidth[lenet.bandwidth["layer"] == ""].set_index(
        ["level", "memory", "direction"]
    )
    assert (
        f"| DRAM | {format_bytes(int(step.loc[('dram', 'all', 'all'), 'bytes']))} | "
        f"{dram.average_gb_per_s:.3f} | {dram.peak_gb_per_s:.3f} | {dram.busiest_layer} "
        f"({dram.busiest_phase}): {dram.busiest_average_gb_per_s:.3f} GB/s |"
    ) in text
    assert (tmp_path / "energy.png").exists() and (tmp_path / "cycles.png").exists()


def test_terminal_final_lines(golden_files: tuple[Path, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Batch 1: the energy per image is the step's energy; 3115 cycles is the golden step
    (tests/test_golden_training.py)."""
    out = tmp_path / "out"
    assert main(["run", str(golden_files[0]), str(golden_files[1]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    line = next(text for text in printed if text.startswith("training step"))
    # summary.json sorts the phases' keys; the line names them in run order
    assert line.startswith("training step (fwd, bwd_data, bwd_weight, update), batch 1: ")
    assert line.split(", batch ")[1] == step_line(Summary.from_json(summary)).split(", batch ")[1]
    energy = format_energy(summary["energy_pj"])
    assert f"batch 1: 3,115 cycles (0.0031 ms), {energy} ({energy} per image)" in line


def test_time_per_unit_sums_each_units_ops(lenet: RunResult) -> None:
    layers, total = lenet.layers, lenet.summary["total_cycles"]
    table = unit_time_table(layers, total).set_index("unit")
    assert "sram buffers" not in table.index
    cmac = layers[layers["unit"] == "cmac"]
    assert table.loc["cmac", "busy_cycles"] == cmac["busy_cycles"].sum()
    assert (
        table.loc["cmac", "stall_dram_bandwidth"] == cmac["unit_stall_dram_bandwidth_cycles"].sum()
    )
    assert table.loc["cmac", "stall_dram_latency"] == cmac["unit_stall_dram_latency_cycles"].sum()
    assert table.loc["cmac", "busy_share"] == cmac["busy_cycles"].sum() / total
    causes = ["stall_dram_bandwidth", "stall_dram_latency", "stall_dependency", "stall_buffer_full"]
    stalls = table[causes].sum(axis=1)
    assert (table["busy_cycles"] + stalls <= total).all()  # one unit's ops tile its time line


def test_a_layer_without_ops_has_no_busiest_unit_and_no_stall() -> None:
    """A plan with no ops: every unit row is zero and ``busiest_unit`` is empty."""
    zero = {
        "layer": "idle", "phase": "fwd", "kind": "pool", "domain": "spectral",
        "layer_cycles": 0, "bound_cycles": 0, "busiest_unit": "",
        **{f"critical_stall_{c.value}_cycles": 0 for c in CriticalCause},
        "unit": "dma", "busy_cycles": 0, "unit_stall_sram_bandwidth_cycles": 0,
        "utilisation": 0.0, "energy_pj": 0.0, "dram_read_bytes": 0, "dram_write_bytes": 0,
    }  # fmt: skip
    row = layer_table(pd.DataFrame([zero])).iloc[0]
    assert (row["cycles"], row["critical_stall"], row["main_cause"]) == (0, 0, "—")
    assert cycle_parts(pd.DataFrame([zero])).iloc[0]["busy"] == 0


def test_tables_name_their_energy_unit_by_magnitude(lenet: RunResult) -> None:
    assert "energy_uj" in layer_table(lenet.layers).columns  # LeNet-5's largest: 124 µJ
    larger = lenet.layers.assign(energy_pj=lenet.layers["energy_pj"] * 1000)
    table = layer_table(larger)
    assert "energy_mj" in table.columns
    assert table["energy_mj"].sum() == pytest.approx(larger["energy_pj"].sum() / 1e9, rel=1e-12)
    assert "energy_uj" in phase_totals(lenet.summary.phases).columns
