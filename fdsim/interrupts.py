"""Interrupts (Ctrl-C's SIGINT, and SIGTERM) as exceptions the CLI turns into one line, and a
window in which they wait, so cleanup and the final move of an output run whole.

Only the main thread can set signal handlers; called from another thread, both context
managers change nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like ``KeyboardInterrupt`` is for SIGINT, so the
    same cleanup runs (Python's default ends the process at once, leaving staging behind)."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside, SIGTERM raises :class:`Terminated`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM arriving inside are held back and delivered, to the handlers set
    before, on leaving."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        held.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for arrived in dict.fromkeys(held):
            signal.raise_signal(arrived)
