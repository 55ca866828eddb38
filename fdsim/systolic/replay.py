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


class WriteBuffer:
    """SCALE-Sim's OFMAP ``write_buffer``: half the SRAM drains while the other half fills.

    Each write lands in lines of ``drain_words_per_cycle`` words. Once more than half the
    buffer holds data and no drain is running, the lines written so far (the open one cut
    short) drain, ``ceil(half / line)`` lines at a line per cycle; a write that finds the buffer
    full while a drain runs stalls until it ends, delaying every later row. Words written are
    counted per drain as its lines times the line width, less the empty tail of its last line
    only (SCALE-Sim's count). After the last row the rest drains, one drain after another.
    ``advance`` replays writes up to a row, jumping from event to event.
    """

    def __init__(self, writes_per_row: IntArray, sram_words: int, drain_words_per_cycle: int):
        self.total = sram_words
        self.drain = sram_words - -(-sram_words // 2)
        self.active = sram_words - self.drain
        self.width = drain_words_per_cycle
        self.lines_per_drain = -(-self.drain // self.width)
        self.cum = np.cumsum(writes_per_row)
        self.n = int(self.cum[-1]) if len(self.cum) else 0
        self.num_rows = len(writes_per_row)
        self.free = sram_words
        self.pending = 0  # words stored since the last flush of lines
        self.lines = 0
        self.partial: dict[int, int] = {}
        self.drain_start = 0
        self.drain_end = 0
        self.e0 = 0  # next write to replay
        self.first_cycle: int | None = None
        self.last_cycle = 0
        self.written = 0
        self.stall_rows: list[int] = []
        self.stall_amounts: list[int] = []

    def _row_of(self, e: int) -> int:
        return int(np.searchsorted(self.cum, e, side="right"))

    def _flush(self) -> None:
        if self.pending:
            self.lines += -(-self.pending // self.width)
            if self.pending % self.width:
                self.partial[self.lines - 1] = self.pending % self.width
            self.pending = 0

    def _drain_from(self, cycle: int) -> int:
        count = min(self.lines_per_drain, self.lines - self.drain_start)
        if count <= 0:
            raise RuntimeError("write buffer: a drain found no lines (outside SCALE-Sim's model)")
        last = self.drain_start + count - 1
        words = count * self.width - (self.width - self.partial.get(last, self.width))
        self.written += words
        self.free += words
        self.drain_start += count
        self.first_cycle = cycle if self.first_cycle is None else min(self.first_cycle, cycle)
        self.last_cycle = max(self.last_cycle, cycle + count - 1)
        return cycle + count - 1

    def _store(self, count: int) -> None:
        self.pending += count
        self.free -= count
        self.e0 += count

    def advance(self, end_row: int, delta: int) -> int:
        """Replay the writes of rows < ``end_row``, row r at cycle r + delta (+ its own stalls);
        returns delta plus the stalls met."""
        limit = int(self.cum[end_row - 1]) if end_row > 0 else 0
        while self.e0 < limit:
            e0 = self.e0
            target_row = self.drain_end - delta  # first row whose cycle reaches the drain's end
            if target_row > self.num_rows:
                e_cycle = self.n
            else:
                e_cycle = int(self.cum[target_row - 1]) if target_row > 0 else 0
            e_cycle = max(e0, e_cycle)
            e_full = e0 + max(self.free, 1) - 1  # storing it leaves the buffer full
            if e_full < e_cycle and e_full < limit:
                row = self._row_of(e_full)
                stall = self.drain_end - (row + delta)
                self._store(e_full - e0 + 1)
                delta += stall
                self.stall_rows.append(row)
                self.stall_amounts.append(stall)
                continue
            e_drain = max(e_cycle, e0 + self.free - self.active, e0)
            if e_drain >= limit:
                self._store(limit - e0)
                break
            self._store(e_drain - e0 + 1)
            self._flush()
            self.drain_end = self._drain_from(self._row_of(e_drain) + delta)
        return delta

    def finish(self, last_row_cycle: int) -> None:
        """Drain everything left, from the last row's cycle, one drain after another."""
        self._flush()
        cycle = last_row_cycle
        while self.drain_start < self.lines:
            cycle = self._drain_from(cycle) + 1


def write_buffer(
    writes_per_row: IntArray, sram_words: int, drain_words_per_cycle: int
) -> WriteReplay:
    """The whole OFMAP replay with no other stall source (CALC mode): see ``WriteBuffer``."""
    buffer = WriteBuffer(writes_per_row, sram_words, drain_words_per_cycle)
    delta = buffer.advance(buffer.num_rows, 0)
    last_row_cycle = buffer.num_rows - 1 + delta
    buffer.finish(last_row_cycle)
    return WriteReplay(
        stall_rows=np.asarray(buffer.stall_rows, dtype=np.int64),
        stall_cycles=np.asarray(buffer.stall_amounts, dtype=np.int64),
        dram_start_cycle=buffer.first_cycle if buffer.first_cycle is not None else 0,
        dram_stop_cycle=buffer.last_cycle,
        writes=buffer.written,
        last_row_cycle=last_row_cycle,
    )
