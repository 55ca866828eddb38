"""Progress for long runs, on a terminal only: tqdm lines on a text stream (stderr by
default), drawn in place and cleared when done. A stream that is not a terminal (a pipe, a
file, a CI log) gets nothing, so logs hold results only (tqdm's ``disable=None``).
"""

from __future__ import annotations

import sys
from typing import Never, TextIO

from tqdm import tqdm

from fdsim.api import Stage


def batch_bar(total: int, label: str, stream: TextIO | None = None) -> tqdm[Never]:
    """A bar over ``total`` mini-batches; ``update(1)`` after each, ``set_postfix_str`` for a
    status such as the loss, ``close()`` at the end (the line is cleared)."""
    return tqdm(
        total=total,
        desc=label,
        unit="batch",
        file=sys.stderr if stream is None else stream,
        disable=None,
        leave=False,
        dynamic_ncols=True,
    )


class StageProgress:
    """One line naming the pipeline stage under way and the time since the start: pass
    :meth:`show` as ``on_stage`` to :func:`fdsim.api.simulate`; :meth:`close` at the end clears it.
    The simulation reports no progress of its own, so the line moves stage by stage."""

    def __init__(self, label: str, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._label = label
        self._bar: tqdm[Never] = tqdm(
            desc=label,
            bar_format="{desc} [{elapsed}]",
            file=sys.stderr if stream is None else stream,
            disable=True if quiet else None,
            leave=False,
        )

    def show(self, stage: Stage) -> None:
        # Drawn at once, whatever tqdm's minimum interval.
        self._bar.set_description_str(f"{self._label}: {stage.value}")

    def close(self) -> None:
        self._bar.close()
