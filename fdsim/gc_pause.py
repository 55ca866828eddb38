"""Pausing CPython's cyclic garbage collector while the pipeline builds its bulk objects.

Compiling, simulating and counting a large network creates millions of long-lived objects
(ops, their dependency tuples, timings, activities) and almost no reference cycles. The cyclic
collector runs a full (generation 2) pass each time the surviving objects grow by a quarter,
re-traversing every one of them: about 30 % of a VGG-16 (224) training step's run time,
for nothing collected. Reference counting frees these objects either way; only cycles wait
for the collector, which runs as usual after the pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; on exit restore the state it had (a
    nested pause, or a caller that disabled it, stays disabled)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
