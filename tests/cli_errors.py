"""Running the CLI on bad input in tests: the one line it prints, after checking the rule every
user error follows (exit status 2, one line on stderr, nothing on stdout)."""

from __future__ import annotations

import pytest

from fdsim.cli import main


def one_line_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """``fdsim ARGS``'s error line; fails the test unless it exits 2 printing only that line."""
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]
