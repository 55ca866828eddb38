"""``report.md``: summary, per-layer table, mapping and figures of one run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from fdsim.report.columns import dictionary_lines
from fdsim.report.figures import TOP_LAYERS, cycles_with_stalls, energy_by_component
from fdsim.report.notes import linearity_note, overlap_add_note
from fdsim.report.table import (
    energy_unit,
    format_bytes,
    format_energy,
    format_rate,
    layer_table,
    phase_totals,
    unit_energy_table,
    unit_time_table,
)
from fdsim.results import RunResult
from fdsim.summary import Summary


def write_report(result: RunResult, directory: Path) -> None:
    """Write ``report.md`` and its two PNG figures into ``directory``."""
    energy_by_component(result.layers, directory / "energy.png")
    cycles_with_stalls(result.layers, directory / "cycles.png")
    summary = result.summary
    manifest = summary.manifest
    table = layer_table(result.layers)
    dram_bytes = summary.dram_read_bytes + summary.dram_write_bytes
    lines = [
        f"# fdsim run {manifest['run_id']}",
        "",
        f"- hardware: `{manifest['inputs']['hardware']}`",
        f"- workload: `{manifest['inputs']['workload']}`",
        f"- energy table: `{manifest['inputs']['energy_table']}`",
        f"- fdsim {manifest['fdsim_version']}",
        "",
        f"## Totals: one training step ({', '.join(summary.phases)})",
        "",
        *_totals_table(summary),
        f"| DRAM traffic | {format_bytes(dram_bytes)} |",
        f"| area | {summary.total_area_mm2:.3f} mm² |",
        "",
        "Performed ops are the real multiplies and adds the hardware counted (FFTs, spectral "
        "products, streaming units, update). Spatial-equivalent ops are 2 per multiply-"
        "accumulate of the direct spatial-domain convolutions and matrix products that give "
        "the same outputs as the conv and fc layers, in each of fwd, bwd_data and bwd_weight "
        "simulated (pooling, activation, loss, bias and update not counted). GOPS: ops per "
        "second of step time / 10⁹; GOPS/W: ops per joule of step energy / 10⁹.",
        "",
        "## Per phase",
        "",
        "Energy is dynamic energy plus all units' leakage over the phase's span. Layer spans "
        "overlap (a layer's prefetch runs during the previous layer) and may leave gaps "
        "(another phase's layers run there), so the sum of a phase's layer cycles is not its "
        "span: `layer_cycles_sum − overlap + gap = cycles`.",
        "",
        *_markdown_table(phase_totals(summary.phases)),
        "",
        *[
            f"- {phase}: {t.layer_cycles_sum:,} layer cycles − {t.overlap_cycles:,} "
            f"cycles covered by more than one layer + {t.gap_cycles:,} cycles covered by "
            f"none = {t.cycles:,} cycles"
            for phase, t in summary.phases.items()
        ],
        f"- the step: {summary.phase_cycles_sum:,} phase cycles − "
        f"{summary.phase_overlap_cycles:,} cycles covered by more than one phase + "
        f"{summary.phase_gap_cycles:,} covered by none = {summary.total_cycles:,} cycles",
        "",
        *_unit_energy_section(result),
        *_bandwidth_section(result),
        "## Time per unit",
        "",
        "Summed over the step's layers, per unit (its ops never overlap): busy cycles, their "
        "share of the step's cycles, and the unit's own stalls by cause (`sram_bandwidth` "
        "cycles are part of busy time, not extra).",
        "",
        *_markdown_table(unit_time_table(result.layers, summary.total_cycles)),
        "",
        *_linearity_section(summary.linearity),
        "## Per layer and phase",
        "",
        "`cycles` is the layer's span; `critical_stall` the cycles of it beyond its busiest "
        "unit's busy time (so at most `cycles`), `main_cause` the largest of its causes (all "
        "causes: `critical_stall_*_cycles` in `layers.csv`). Per-unit stalls "
        "(`unit_stall_*_cycles`) are per unit: units wait in parallel, so they are not summed "
        "here.",
        "",
        *_markdown_table(table),
        "",
        f"Figures: one panel per phase, the {TOP_LAYERS} largest layers of each and the rest "
        "summed as `other`.",
        "",
        "![energy per layer by component](energy.png)",
        "",
        "![cycles per layer](cycles.png)",
        "",
        *_numerics_section(result),
        *_scalesim_section(result),
        "## Mapping chosen per layer and phase",
        "",
        *_overlap_add_lines(summary.tiles),
        *[
            f"- **{layer}** ({phase}): {text or '—'}"
            for phase, layers in summary.mapping.items()
            for layer, text in layers.items()
        ],
        "",
        "## Column dictionary",
        "",
        "Full data: `layers.csv` (one row per layer × phase × unit), `traffic.csv`, "
        "`summary.json`"
        + (", `numerics.csv`, `overflows.csv`." if result.numerics is not None else "."),
        "",
        *dictionary_lines(),
    ]
    (directory / "report.md").write_text("\n".join(lines), encoding="utf-8")


def _totals_table(summary: Summary) -> list[str]:
    """The totals' rows (header included) on energy, time and throughput."""
    scale, unit = energy_unit(summary.energy_pj)
    components = (
        summary.compute_energy_pj,
        summary.sram_energy_pj,
        summary.dram_energy_pj,
        summary.leakage_energy_pj,
    )
    parts = " / ".join(f"{energy / scale:.3f}" for energy in components)
    rows = [
        "| quantity | value |",
        "|---|---|",
        f"| batch size | {summary.batch_size} images |",
        f"| cycles | {summary.total_cycles:,} |",
        f"| time | {summary.time_s * 1e3:.4f} ms |",
        f"| images per second | {format_rate(summary.images_per_s)} |",
        f"| energy | {format_energy(summary.energy_pj)} |",
        f"| energy per image | {format_energy(summary.energy_per_image_pj)} |",
        f"| of which compute / SRAM access / DRAM access / leakage | {parts} {unit} |",
    ]
    for label, ops, gops, gops_per_w in (
        (
            "spatial-equivalent",
            summary.spatial_equivalent_ops,
            summary.spatial_equivalent_gops,
            summary.spatial_equivalent_gops_per_w,
        ),
        ("performed", summary.performed_ops, summary.performed_gops, summary.performed_gops_per_w),
    ):
        rows.append(f"| {label} ops | {ops:,}: {gops:.2f} GOPS, {gops_per_w:.2f} GOPS/W |")
    return rows


def _unit_energy_section(result: RunResult) -> list[str]:
    """Energy per unit by component, in one unit chosen by the largest total."""
    energy = unit_energy_table(result.layers)
    energy = energy[energy["total"] > 0]
    scale, unit = energy_unit(float(energy["total"].max()))
    # three decimals: a unit at a thousandth of the largest stays visible
    shown = (energy / scale).map("{:.3f}".format)
    shown = shown.reset_index().rename(columns={"unit": f"unit (energy in {unit})"})
    return [
        "## Energy by unit and component",
        "",
        "Each unit's SRAM and DRAM accesses are its own components; the dma engine's DRAM "
        "access is the DRAM side of its transfers, its SRAM access their buffer side; sram "
        "buffers carry only the buffers' leakage.",
        "",
        *_markdown_table(shown),
        "",
    ]


def _bandwidth_section(result: RunResult) -> list[str]:
    """Per memory (DRAM, each SRAM buffer, all SRAM): the step's bytes, average and peak
    bandwidth, and its busiest layer."""
    memories = result.summary.bandwidth
    if not memories:
        return []
    frame = result.bandwidth
    step = frame[(frame["layer"] == "") & (frame["direction"] == "all")]
    moved = {
        (level, memory): int(nbytes)
        for level, memory, nbytes in zip(step["level"], step["memory"], step["bytes"], strict=True)
    }
    rows = [
        (
            m.level.upper() + ("" if m.level == "dram" else f" {m.memory}"),
            format_bytes(moved.get((m.level, m.memory), 0)),
            f"{m.average_gb_per_s:.3f}",
            f"{m.peak_gb_per_s:.3f}",
            f"{m.busiest_layer} ({m.busiest_phase}): {m.busiest_average_gb_per_s:.3f} GB/s",
        )
        for m in memories
    ]
    columns = ["memory", "bytes", "average GB/s", "peak GB/s", "busiest layer (its average)"]
    return [
        "## Bandwidth per memory",
        "",
        "Bytes read and written in the step; the average is over the step's cycles; the peak "
        "spreads each op's bytes uniformly over its busy interval and takes the largest sum "
        "of the rates of the ops busy at one instant; the busiest layer is the layer × phase "
        "with the highest average over its own span. Per layer, tensor and direction: "
        "`bandwidth.csv`.",
        "",
        *_markdown_table(pd.DataFrame(rows, columns=columns)),
        "",
    ]


def _scalesim_section(result: RunResult) -> list[str]:
    """On a systolic array: where SCALE-Sim's view of the layers is, and what it is."""
    if result.hardware.systolic_array is None:
        return []
    return [
        "## SCALE-Sim's view",
        "",
        "`COMPUTE_REPORT.csv`, `BANDWIDTH_REPORT.csv` and `DETAILED_ACCESS_REPORT.csv` are the "
        "reports SCALE-Sim 3.0 writes for this array, its memories and dataflow and each "
        "forward matrix product (one row per product, `scalesim_topology.csv` reproduces "
        "them in SCALE-Sim): a stall-free array fed by double-buffered scratchpads. The "
        "tables above are fdsim's event model of the tiled schedule, whose tiles pay their "
        "own fills and drains. (No view when an SRAM holds fewer than 100 words.)",
        "",
    ]


def _overlap_add_lines(tiles: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    note = overlap_add_note(tiles)
    return [note[0].upper() + note[1:] + ".", ""] if note else []


def _linearity_section(linearity: dict[str, Any] | None) -> list[str]:
    note = linearity_note(linearity) if linearity is not None else ""
    return ["## Linearity", "", note[0].upper() + note[1:] + ".", ""] if note else []


def _numerics_section(result: RunResult) -> list[str]:
    """Functional runs: SQNR of the bit-true datapath against the float64 reference per
    layer, phase and tensor, in all and of the part that varies between images; the tensors
    whose varying part is lost; the datapath sites where values overflowed or underflowed."""
    if result.numerics is None:
        return []
    numerics = result.summary.numerics
    assert numerics is not None  # with_numerics sets both
    overflows = result.numerics.overflows
    saturated = overflows[overflows["overflow_events"] > 0]
    underflowed = overflows[overflows["underflow_events"] > 0]
    lost = numerics.information_lost
    threshold = f"{lost.threshold_db:g} dB"
    lines = [
        "## Numerics (functional run)",
        "",
        f"One mini-batch ({numerics.source}; parameters drawn with seed "
        f"{numerics.seed}) through the bit-true datapath, with the schedule's reduction "
        "tiles, against the float64 reference. SQNR compares each layer's forward output, each "
        "layer's input gradient (bwd_data), each parameter gradient (bwd_weight) and each "
        "updated parameter (update); `sqnr_varying_db` is the SQNR of the part that varies "
        "between images (reference and error minus their batch mean per element; — for "
        "tensors without a batch axis or a batch of one), which a good `sqnr_db` can hide; "
        "`reference_max_abs` is the largest magnitude of the reference tensor.",
        "",
        *_markdown_table(
            result.numerics.sqnr.assign(
                sqnr_varying_db=result.numerics.sqnr["sqnr_varying_db"].map(
                    lambda v: "—" if math.isnan(v) else f"{v:.2f}"
                ),
                reference_max_abs=result.numerics.sqnr["reference_max_abs"].map("{:.3g}".format),
            )
        ),
        "",
    ]
    if lost.tensors:
        lines += [
            f"**Information lost**: {len(lost.tensors)} tensors keep less than {threshold} "
            "of SQNR in their varying part: the datapath no longer tells the images apart "
            "there, whatever `sqnr_db` says.",
            "",
            *_markdown_table(
                pd.DataFrame(
                    [
                        (t.layer, t.phase, t.tensor, _db_cell(t.sqnr_varying_db))
                        for t in lost.tensors
                    ],
                    columns=["layer", "phase", "tensor", "sqnr_varying_db"],
                )
            ),
            "",
        ]
    else:
        lines += [f"No tensor's varying part is below {threshold} of SQNR.", ""]
    lines += [
        f"Overflow events: {numerics.overflow_events:,} of {numerics.values_checked:,} "
        "values fitted to their formats"
        + (", at these datapath sites (all sites in `overflows.csv`):" if len(saturated) else "."),
        "",
    ]
    if len(saturated):
        lines += [*_markdown_table(saturated.drop(columns=["layer", "phase"])), ""]
    lines += [
        f"Underflow events (values nonzero before a rounding step, zero after): "
        f"{numerics.underflow_events:,} at {len(underflowed)} sites"
        + (
            f"; the {min(len(underflowed), _TOP_SITES)} with the most (all in `overflows.csv`):"
            if len(underflowed)
            else "."
        ),
        "",
    ]
    if len(underflowed):
        top = underflowed.sort_values("underflow_events", ascending=False, kind="stable")
        columns = ["site", "tensor_class", "values_checked", "underflow_events"]
        lines += [*_markdown_table(top[columns].head(_TOP_SITES)), ""]
    return lines


_TOP_SITES = 5


def _db_cell(value: float | None) -> str:
    return "−∞" if value is None else f"{value:.2f}"


def _markdown_table(frame: pd.DataFrame) -> list[str]:
    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return [header, rule, *body]
