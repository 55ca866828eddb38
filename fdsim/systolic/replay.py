"""SCALE-Sim 3.0's scratchpad replay, re-derived as event jumps over numpy arrays.

SCALE-Sim walks the demand matrices one row (cycle) at a time through two read buffers and a
write buffer. The same results come from jumping between the few instants where something
happens (a read-buffer epoch closes, an OFMAP drain starts, a write stalls), found with
cumulative sums and searches; the Python loops run once per event, not per cycle or request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

CALC_FILL_WORDS_PER_CYCLE = 10  # SCALE-Sim's CALC-mode read-buffer fill rate


@dataclass(frozen=True, slots=True)
class DramRead:
    """One read buffer's DRAM side: first and last trace cycle, words read."""

    start_cycle: int
    stop_cycle: int
    reads: int


def _epoch_closes(
    addr: NDArray[np.int32], epoch_words: int, num_ids: int, unique: bool
) -> tuple[list[int], int]:
    """Greedy cut of a request stream into epochs of ``epoch_words`` distinct addresses.

    Returns the stream positions where each epoch's last new address arrives, and the number
    of distinct addresses of the final, unfinished epoch. ``unique``: no address repeats.
    """
    n = len(addr)
    if unique:
        every = list(range(epoch_words - 1, n, epoch_words))
        return every, n - epoch_words * len(every)
    stamp = np.full(num_ids, -1, dtype=np.int32)  # epoch in which an address was last new
    first = np.empty(num_ids, dtype=np.int32)
    closes: list[int] = []
    start, epoch, need = 0, 0, epoch_words
    width = max(2 * need, 1 << 16)
    while start < n:
        chunk = addr[start : start + width]
        cand = np.flatnonzero(stamp[chunk] != epoch).astype(np.int32)  # not yet seen
        values = chunk[cand]
        # first position of each candidate address in the chunk (the last write of a repeated
        # fancy-index assignment wins, so write in reverse)
        first[values[::-1]] = cand[::-1]
        new = cand[first[values] == cand]
        if len(new) >= need:
            q = int(new[need - 1])
            closes.append(start + q)
            start += q + 1
            epoch += 1
            need = epoch_words
            width = max(2 * need, 1 << 16)
        else:
            stamp[chunk[new]] = epoch
            need -= len(new)
            start += len(chunk)
            width *= 2  # few new addresses here: look further ahead next time
    return closes, epoch_words - need


def calc_read_buffer(
    addr: NDArray[np.int32],
    cycle_of: Callable[[int], int],
    sram_words: int,
    num_ids: int,
    unique: bool = False,
) -> DramRead:
    """The DRAM side of SCALE-Sim's CALC-mode read buffer (``ReadBufferEstimateBw``).

    The buffer is 100 sets of ``floor(words/100)`` words, half active. Requests that miss the
    current epoch's sets are collected; when half the sets (an epoch) hold distinct
    addresses, the next half is "prefetched" over the cycles the previous epoch was used. The
    first fetch ends 2 cycles before the first request at 10 words/cycle; the last one ends a
    cycle after the last epoch closed. Reads = all epoch sizes.
    """
    set_words = sram_words // 100
    epoch = 50 * set_words
    closes, rest = _epoch_closes(addr, epoch, num_ids, unique)
    if not closes:
        sets = -(-rest // set_words)
        fill = -(-(sets * set_words) // CALC_FILL_WORDS_PER_CYCLE)
        return DramRead(start_cycle=-fill, stop_cycle=-1, reads=rest)
    first_request = cycle_of(0)
    fill = -(-epoch // CALC_FILL_WORDS_PER_CYCLE)
    return DramRead(
        start_cycle=first_request - fill,
        stop_cycle=cycle_of(closes[-1]) + 1,
        reads=epoch * len(closes) + rest,
    )


@dataclass(frozen=True, slots=True)
class WriteReplay:
    """The OFMAP write buffer's outcome: stalls per row, DRAM drain cycles, words written."""

    stall_rows: IntArray  # rows where a write stalled, ascending
    stall_cycles: IntArray  # the stall there
    dram_start_cycle: int
    dram_stop_cycle: int
    writes: int
    last_row_cycle: int  # the last demand row's service cycle ("Total Cycles")


def write_buffer(
    writes_per_row: IntArray, sram_words: int, drain_words_per_cycle: int
) -> WriteReplay:
    """SCALE-Sim's OFMAP ``write_buffer``: half the SRAM drains while the other half fills.

    Each write lands in lines of ``drain_words_per_cycle`` words. Once more than half the
    buffer holds data and no drain is running, the lines written so far (the open one cut
    short) drain, ``ceil(half / line)`` lines at a line per cycle; a write that finds the buffer
    full while a drain runs stalls until it ends, delaying every later row. Words written are
    counted per drain as its lines times the line width, less the empty tail of its last line
    only (SCALE-Sim's count). After the last row the rest drains, one drain after another.
    """
    total = sram_words
    drain = total - -(-total // 2)
    active = total - drain
    width = drain_words_per_cycle
    lines_per_drain = -(-drain // width)
    cum = np.cumsum(writes_per_row)
    n = int(cum[-1]) if len(cum) else 0
    num_rows = len(writes_per_row)

    free = total
    pending = 0  # words stored since the last flush of lines
    lines = 0
    partial: dict[int, int] = {}
    drain_start = 0
    drain_end = 0
    delta = 0
    stall_rows: list[int] = []
    stall_amounts: list[int] = []
    first_cycle: int | None = None
    last_cycle = 0
    written = 0

    def row_of(e: int) -> int:
        return int(np.searchsorted(cum, e, side="right"))

    def flush() -> None:
        nonlocal pending, lines
        if pending:
            lines += -(-pending // width)
            if pending % width:
                partial[lines - 1] = pending % width
            pending = 0

    def drain_from(cycle: int) -> int:
        nonlocal drain_start, written, free, first_cycle, last_cycle
        count = min(lines_per_drain, lines - drain_start)
        if count <= 0:
            raise RuntimeError("write buffer: a drain found no lines (outside SCALE-Sim's model)")
        last = drain_start + count - 1
        words = count * width - (width - partial.get(last, width))
        written += words
        free += words
        drain_start += count
        first_cycle = cycle if first_cycle is None else min(first_cycle, cycle)
        last_cycle = max(last_cycle, cycle + count - 1)
        return cycle + count - 1

    e0 = 0
    while e0 < n:
        # first element whose cycle reaches the running drain's end
        target_row = drain_end - delta
        e_cycle = n if target_row > num_rows else int(cum[target_row - 1]) if target_row > 0 else 0
        e_cycle = max(e0, e_cycle)
        e_full = e0 + max(free, 1) - 1  # storing it leaves the buffer full (free <= 0)
        if e_full < e_cycle and e_full < n:
            row = row_of(e_full)
            stall = drain_end - (row + delta)
            pending += e_full - e0 + 1
            free -= e_full - e0 + 1
            delta += stall
            stall_rows.append(row)
            stall_amounts.append(stall)
            e0 = e_full + 1
            continue
        e_drain = max(e_cycle, e0 + free - active, e0)
        if e_drain >= n:
            pending += n - e0
            free -= n - e0
            break
        pending += e_drain - e0 + 1
        free -= e_drain - e0 + 1
        flush()
        drain_end = drain_from(row_of(e_drain) + delta)
        e0 = e_drain + 1

    last_row_cycle = num_rows - 1 + delta
    flush()
    cycle = last_row_cycle
    while drain_start < lines:
        cycle = drain_from(cycle) + 1
    return WriteReplay(
        stall_rows=np.asarray(stall_rows, dtype=np.int64),
        stall_cycles=np.asarray(stall_amounts, dtype=np.int64),
        dram_start_cycle=first_cycle if first_cycle is not None else 0,
        dram_stop_cycle=last_cycle,
        writes=written,
        last_row_cycle=last_row_cycle,
    )
