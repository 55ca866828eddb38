"""What ``fdsim run`` prints about a result on the terminal (the files say more)."""

from __future__ import annotations

from fdsim.report.notes import linearity_note, overlap_add_note
from fdsim.report.table import format_phase_totals, format_table, layer_table, step_line
from fdsim.results import RunResult
from fdsim.summary import NumericsTotals


def run_text(result: RunResult) -> str:
    """The layer table, the per-phase totals, the step's line, for a functional run the
    numerics in three lines, and the linearity note when there is one."""
    summary = result.summary
    lines = [format_table(layer_table(result.layers)), "", format_phase_totals(summary.phases)]
    lines += ["", step_line(summary)]
    if summary.numerics is not None:
        lines += _numerics_lines(summary.numerics)
    note = linearity_note(summary.linearity) if summary.linearity is not None else None
    if note:
        lines.append(f"note: {note}")
    tiled = overlap_add_note(summary.tiles)
    if tiled:
        lines.append(f"note: {tiled}")
    return "\n".join(lines)


def _numerics_lines(numerics: NumericsTotals) -> list[str]:
    worst = ", ".join(
        f"{phase} {_db(low.sqnr_db)} ({low.tensor} of {low.layer})"
        for phase, low in numerics.lowest_sqnr_by_phase.items()
    )
    lines = [f"bit-true vs float64, lowest SQNR per phase: {worst}"]
    sites = numerics.overflow_events_by_site
    lines.append(
        f"{numerics.overflow_events:,} overflow events of "
        f"{numerics.values_checked:,} values fitted"
        + (f", at {', '.join(f'{s} ({n:,})' for s, n in sites.items())}" if sites else "")
        + f"; {numerics.underflow_events:,} underflow events (nonzero rounded to zero)"
    )
    lost = numerics.information_lost
    if lost.tensors:
        lines.append(
            f"information lost: varying-part SQNR below {lost.threshold_db:g} dB in "
            + ", ".join(f"{t.layer} ({t.phase} {t.tensor})" for t in lost.tensors)
            + " (report.md)"
        )
    return lines


def _db(value: float | None) -> str:
    return "exact" if value is None else f"{value:.1f} dB"
