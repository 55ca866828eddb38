"""Progress for long runs, on a terminal only: tqdm lines on a text stream (stderr by
default), drawn in place and cleared when done. A stream that is not a terminal (a pipe, a
file, a CI log) gets nothing, so logs hold results only (tqdm's ``disable=None``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Never, TextIO

from tqdm import tqdm

if TYPE_CHECKING:
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


class EpochBars:
    """``fdsim train``'s bars: one per arithmetic and epoch over its mini-batches, with the
    loss as status. Pass :meth:`on_batch` and :meth:`on_epoch` to
    :func:`fdsim.training.train_workload`; :meth:`close` clears what is still drawn (after an
    interrupt, so its message starts on a clean line)."""

    def __init__(self, epochs: int) -> None:
        self._epochs = epochs
        self._bars: dict[str, tqdm[Never]] = {}

    def _key(self, arithmetic: str, record: Any) -> str:
        return f"{arithmetic} epoch {record.epoch + 1}/{self._epochs}"

    def on_batch(self, arithmetic: str, record: Any) -> None:
        key = self._key(arithmetic, record)
        if key not in self._bars:
            self._bars[key] = batch_bar(record.batches, key)
        bar = self._bars[key]
        bar.set_postfix_str(f"loss {record.loss:.3f}", refresh=False)
        bar.update(record.batch + 1 - bar.n)

    def on_epoch(self, arithmetic: str, record: Any) -> None:
        bar = self._bars.pop(self._key(arithmetic, record), None)
        if bar is not None:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
