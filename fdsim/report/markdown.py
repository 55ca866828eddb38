"""``report.md``: summary, per-layer table, mapping and figures of one run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from fdsim.report.figures import cycles_with_stalls, energy_by_unit
from fdsim.report.notes import linearity_note
from fdsim.report.table import layer_table, phase_totals
from fdsim.results import RunResult


def write_report(result: RunResult, directory: Path) -> None:
    """Write ``report.md`` and its two PNG figures into ``directory``."""
    energy_by_unit(result.layers, directory / "energy_by_unit.png")
    cycles_with_stalls(result.layers, directory / "cycles.png")
    summary = result.summary
    manifest = summary["manifest"]
    table = layer_table(result.layers)
    dram_mib = (summary["dram_read_bytes"] + summary["dram_write_bytes"]) / 2**20
    lines = [
        f"# fdsim run {manifest['run_id']}",
        "",
        f"- hardware: `{manifest['inputs']['hardware']}`",
        f"- workload: `{manifest['inputs']['workload']}`",
        f"- energy table: `{manifest['inputs']['energy_table']}`",
        f"- fdsim {manifest['fdsim_version']}",
        "",
        f"## Totals: one training step ({', '.join(summary['phases'])})",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| cycles | {summary['total_cycles']:,} |",
        f"| time | {summary['time_s'] * 1e3:.4f} ms |",
        f"| energy | {summary['energy_pj'] / 1e6:.3f} µJ |",
        f"| of which compute / SRAM / DRAM / leakage | "
        f"{summary['compute_energy_pj'] / 1e6:.3f} / {summary['sram_energy_pj'] / 1e6:.3f} / "
        f"{summary['dram_energy_pj'] / 1e6:.3f} / {summary['leakage_energy_pj'] / 1e6:.3f} µJ |",
        f"| DRAM traffic | {dram_mib:.2f} MiB |",
        f"| area | {summary['total_area_mm2']:.3f} mm² |",
        "",
        "## Per phase",
        "",
        "Spans of consecutive phases may overlap where DMA prefetches the next phase's data; "
        "energy is dynamic energy plus all units' leakage over the phase's span.",
        "",
        *_markdown_table(phase_totals(summary["phases"])),
        "",
        *_linearity_section(summary["linearity"]),
        "## Per layer and phase",
        "",
        *_markdown_table(table),
        "",
        "![energy by unit per layer](energy_by_unit.png)",
        "",
        "![cycles per layer](cycles.png)",
        "",
        *_numerics_section(result),
        "## Mapping chosen per layer and phase",
        "",
        *[
            f"- **{layer}** ({phase}): {text or '—'}"
            for phase, layers in summary["mapping"].items()
            for layer, text in layers.items()
        ],
        "",
        "Full data: `layers.csv` (one row per layer × phase × unit), `traffic.csv`, "
        "`summary.json`"
        + (", `numerics.csv`, `overflows.csv`." if result.numerics is not None else "."),
        "",
    ]
    (directory / "report.md").write_text("\n".join(lines), encoding="utf-8")


def _linearity_section(linearity: dict[str, Any]) -> list[str]:
    note = linearity_note(linearity)
    return ["## Linearity", "", note[0].upper() + note[1:] + ".", ""] if note else []


def _numerics_section(result: RunResult) -> list[str]:
    """Functional runs: SQNR of the bit-true datapath against the float64 reference per
    layer, phase and tensor, in all and of the part that varies between images; the tensors
    whose varying part is lost; the datapath sites where values overflowed or underflowed."""
    if result.numerics is None:
        return []
    numerics = result.summary["numerics"]
    overflows = result.numerics.overflows
    saturated = overflows[overflows["overflow_events"] > 0]
    underflowed = overflows[overflows["underflow_events"] > 0]
    lost = numerics["information_lost"]
    threshold = f"{lost['threshold_db']:g} dB"
    lines = [
        "## Numerics (functional run)",
        "",
        f"One mini-batch ({numerics['source']}; parameters drawn with seed "
        f"{numerics['seed']}) through the bit-true datapath, with the schedule's reduction "
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
    if lost["tensors"]:
        lines += [
            f"**Information lost**: {len(lost['tensors'])} tensors keep less than {threshold} "
            "of SQNR in their varying part: the datapath no longer tells the images apart "
            "there, whatever `sqnr_db` says.",
            "",
            *_markdown_table(
                pd.DataFrame(
                    [
                        (t["layer"], t["phase"], t["tensor"], _db_cell(t["sqnr_varying_db"]))
                        for t in lost["tensors"]
                    ],
                    columns=["layer", "phase", "tensor", "sqnr_varying_db"],
                )
            ),
            "",
        ]
    else:
        lines += [f"No tensor's varying part is below {threshold} of SQNR.", ""]
    lines += [
        f"Overflow events: {numerics['overflow_events']:,} of {numerics['values_checked']:,} "
        "values fitted to their formats"
        + (", at these datapath sites (all sites in `overflows.csv`):" if len(saturated) else "."),
        "",
    ]
    if len(saturated):
        lines += [*_markdown_table(saturated.drop(columns=["layer", "phase"])), ""]
    lines += [
        f"Underflow events (values nonzero before a rounding step, zero after): "
        f"{numerics['underflow_events']:,} at {len(underflowed)} sites"
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
