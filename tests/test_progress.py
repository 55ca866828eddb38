"""Progress shows on a terminal and nowhere else."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from fdsim.cli import main
from fdsim.progress import batch_bar


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal (of tqdm's default width)."""

    def isatty(self) -> bool:
        return True


def _run(golden_files: tuple[Path, Path], out: Path, *extra: str) -> int:
    hardware, workload = golden_files
    return main(["run", str(hardware), str(workload), "--out", str(out), *extra])


def test_a_piped_run_prints_no_progress(golden_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert _run(golden_files, tmp_path / "out") == 0
    assert capsys.readouterr().err == ""


def test_a_terminal_sees_the_stages_then_a_cleared_line(
    golden_files, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert _run(golden_files, tmp_path / "out") == 0
    drawn = terminal.getvalue()
    shown = [stage for stage in ("compile", "functional", "simulate", "price") if stage in drawn]
    assert shown == ["compile", "simulate", "price"]  # no functional stage without --functional
    assert drawn.index("fdsim run: compile") < drawn.index("fdsim run: simulate")
    assert drawn.index("fdsim run: simulate") < drawn.index("fdsim run: price")
    assert drawn.endswith("\r") and drawn.rsplit("\r", 2)[-2].strip() == ""  # cleared


def test_quiet_shows_nothing_on_a_terminal(golden_files, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert _run(golden_files, tmp_path / "out", "--quiet") == 0
    assert terminal.getvalue() == ""


@pytest.mark.parametrize("stream", [FakeTerminal(), io.StringIO()], ids=["terminal", "pipe"])
def test_batch_bar(stream: io.StringIO) -> None:
    bar = batch_bar(4, "fixed epoch 1/2", stream)
    for _ in range(4):
        bar.set_postfix_str("loss 0.250", refresh=False)
        bar.update(1)
    bar.refresh()  # draws now (tqdm otherwise redraws at most every 0.1 s)
    bar.close()
    drawn = stream.getvalue()
    if stream.isatty():
        assert "fixed epoch 1/2" in drawn
        assert "4/4" in drawn
        assert "loss 0.250" in drawn
    else:
        assert drawn == ""
