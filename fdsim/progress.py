"""A dependency-free progress bar for long runs, written to a text stream (stderr by default).

On a terminal it redraws one line in place; elsewhere (a CI log, a pipe) it prints a line at
most every ``min_fraction`` of the work, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 30


@dataclass
class ProgressBar:
    """``update(done)`` after each unit of work out of ``total``; ``close()`` at the end."""

    total: int
    label: str
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    min_fraction: float = 0.25
    _started_s: float = field(default_factory=time.monotonic, init=False)
    _last_printed: float = field(default=-1.0, init=False)

    def update(self, done: int, status: str = "") -> None:
        fraction = done / self.total if self.total else 1.0
        interactive = self.stream.isatty()
        if (
            not interactive
            and fraction - self._last_printed < self.min_fraction
            and done < self.total
        ):
            return
        self._last_printed = fraction
        filled = round(BAR_WIDTH * fraction)
        elapsed_s = time.monotonic() - self._started_s
        line = (
            f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{done}/{self.total} {elapsed_s:5.1f}s {status}"
        ).rstrip()
        self.stream.write(("\r" + line) if interactive else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")
            self.stream.flush()
