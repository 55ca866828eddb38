"""SCALE-Sim 3.0's USER-bandwidth read buffers (``read_buffer``), re-derived.

In USER mode each read buffer holds its operand's *prefetch matrix* (SCALE-Sim's DRAM order),
cut into hashed lines of ``ceil(words/100)`` valid entries. A window of the first
``ceil(active/line)`` lines is fetched before cycle 0 (``ceil(active/bw)`` fetch rows of ``bw``
words); a request whose address is in no window line slides the window by the prefetch
half's lines (circularly), fetching ``ceil(prefetch/bw)`` rows after the last fetch, and moves
the request: with ``p`` = last fetch cycle - the request's cycle, by ``2p`` if ``p > 0``, else
to the last fetch cycle (``p`` <= 0: a negative stall, as SCALE-Sim does). Misses depend only
on addresses, so they are found first (vectorised per window position); their timing is
resolved with the OFMAP write buffer in one pass over the rows with events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fdsim.spec.hardware import Dataflow
from fdsim.systolic.compute import FoldPlan
from fdsim.systolic.demand import RequestStream
from fdsim.systolic.replay import WriteBuffer

IntArray = NDArray[np.int64]


def _diagonal_order(matrix: NDArray[np.int32]) -> NDArray[np.int32]:
    """SCALE-Sim's anti-diagonal flattening: by row + column, then column ascending."""
    rows, cols = matrix.shape
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    order = np.lexsort((c.ravel(), (r + c).ravel()))
    return matrix.ravel()[order]


def _stack(blocks: list[NDArray[np.int32]], width: int) -> NDArray[np.int32]:
    padded = [np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=-1) for b in blocks]
    return np.concatenate(padded, axis=0)


def prefetch_orders(
    p: FoldPlan, ifm: NDArray[np.int32], fil: NDArray[np.int32]
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """The IFMAP and FILTER prefetch matrices, flattened in SCALE-Sim's fetch order (-1 kept)."""
    r, c = p.rows, p.cols
    if p.dataflow is Dataflow.WEIGHT_STATIONARY:
        i = _diagonal_order(_stack([ifm[:, f * r : f * r + r] for f in range(p.row_folds)], r))
        w = _stack([fil[:, f * c : f * c + c] for f in range(p.col_folds)], c).ravel()
    elif p.dataflow is Dataflow.OUTPUT_STATIONARY:
        ifm_t = ifm.T
        i = _diagonal_order(_stack([ifm_t[:, f * r : f * r + r] for f in range(p.row_folds)], r))
        w = _diagonal_order(_stack([fil[:, f * c : f * c + c] for f in range(p.col_folds)], c))
    else:
        ifm_t = ifm.T
        i = _stack([ifm_t[:, f * c : f * c + c] for f in range(p.col_folds)], c).ravel()
        w = _diagonal_order(_stack([fil[f * r : f * r + r, :].T for f in range(p.row_folds)], r))
    return i, w


@dataclass(frozen=True, slots=True)
class UserMisses:
    """One USER read buffer's misses: request index and window slides, in request order."""

    requests: IntArray
    slides: IntArray
    initial_fetch_rows: int
    rows_per_slide: int
    words_per_row: int

    def dram(self, last_fetch_cycle: int) -> tuple[int, int, int]:
        """(DRAM start cycle, stop cycle, words read); ``last_fetch_cycle`` after all slides."""
        total = int(self.slides.sum())
        reads = (self.initial_fetch_rows + total * self.rows_per_slide) * self.words_per_row
        return -self.initial_fetch_rows, last_fetch_cycle, reads


def user_misses(
    order: NDArray[np.int32], requests: NDArray[np.int32], num_ids: int, words: int, bw: int
) -> UserMisses:
    """Which requests miss SCALE-Sim's USER read buffer, and by how many window slides."""
    active = -(-words // 2)
    prefetch = words - active
    per_line = -(-words // 100)
    valid = order[order >= 0]
    line = np.arange(len(valid), dtype=np.int64) // per_line
    num_lines = len(valid) // per_line + 1
    active_lines = min(-(-active // per_line), num_lines)
    slide_lines = min(-(-prefetch // per_line), num_lines - active_lines)
    fetch_rows = -(-len(order) // bw)
    initial = min(-(-active // bw), fetch_rows)
    # address -> its lines (CSR)
    pairs = np.unique(valid.astype(np.int64) * num_lines + line)
    pair_addr, pair_line = np.divmod(pairs, num_lines)
    starts = np.searchsorted(pair_addr, np.arange(num_ids + 1))

    def hits(idx: NDArray[np.int32], window: int) -> NDArray[np.bool_]:
        lo, hi = starts[idx], starts[idx + 1]
        degree = hi - lo
        if (degree == 0).any():
            raise RuntimeError(
                "USER read buffer: a requested address is not in its prefetch matrix"
            )
        flat = np.repeat(lo - np.cumsum(np.concatenate(([0], degree[:-1]))), degree) + np.arange(
            int(degree.sum())
        )
        inside = (pair_line[flat] - window) % num_lines < active_lines
        return np.logical_or.reduceat(inside, np.concatenate(([0], np.cumsum(degree)[:-1])))

    miss_at: list[int] = []
    miss_slides: list[int] = []
    pos, slide, n = 0, 0, len(requests)
    chunk = 4096
    while pos < n:
        window = (slide * slide_lines) % num_lines
        part = requests[pos : pos + chunk]
        ok = hits(part, window)
        if ok.all():
            pos += len(part)
            chunk = min(chunk * 2, 1 << 20)
            continue
        first = int(np.argmin(ok))
        at = requests[pos + first : pos + first + 1]
        k = 0
        while True:
            k += 1
            if slide_lines == 0:
                raise RuntimeError("USER read buffer: a miss with nothing to slide")
            if hits(at, ((slide + k) * slide_lines) % num_lines)[0]:
                break
        miss_at.append(pos + first)
        miss_slides.append(k)
        slide += k
        pos += first + 1
        chunk = 4096
    return UserMisses(
        requests=np.asarray(miss_at, dtype=np.int64),
        slides=np.asarray(miss_slides, dtype=np.int64),
        initial_fetch_rows=initial,
        rows_per_slide=-(-prefetch // bw),
        words_per_row=bw,
    )


@dataclass(frozen=True, slots=True)
class UserTiming:
    """The merged timing of a USER-mode layer."""

    total_cycles: int  # last row's OFMAP service cycle
    stall_cycles: int
    ifmap_dram: tuple[int, int, int]
    filter_dram: tuple[int, int, int]
    ofmap_dram: tuple[int, int, int]
    ifmap_sram: tuple[int, int]
    filter_sram: tuple[int, int]
    ofmap_sram: tuple[int, int]


def _per_row(misses: UserMisses, stream: RequestStream) -> dict[int, list[int]]:
    rows: dict[int, list[int]] = {}
    for i, k in zip(misses.requests.tolist(), misses.slides.tolist(), strict=True):
        rows.setdefault(stream.row(i), []).append(k)
    return rows


def user_timing(
    ifmap: tuple[UserMisses, RequestStream],
    filt: tuple[UserMisses, RequestStream],
    writes_per_row: IntArray,
    ofmap_words: int,
    bandwidth: int,
) -> UserTiming:
    """Rows in order: a row's cycle is its index plus the stalls of earlier rows; a row stalls
    by the largest of its IFMAP, FILTER (offset - 1 each, possibly negative) and OFMAP stalls."""
    buffer = WriteBuffer(writes_per_row, ofmap_words, bandwidth)
    num_rows = len(writes_per_row)
    slides = [_per_row(m, s) for m, s in (ifmap, filt)]
    last_fetch = [-1, -1]
    events = sorted(set(slides[0]) | set(slides[1]) | {num_rows - 1})
    increments: list[tuple[int, int]] = []  # (row, stall added after it)
    read_offsets: dict[int, tuple[int, int]] = {}
    ofmap_offsets: dict[int, int] = {}
    delta = 0
    last_row_cycle = 0
    for r in events:
        seen = len(buffer.stall_rows)
        delta = buffer.advance(r, delta)
        for row, amount in zip(buffer.stall_rows[seen:], buffer.stall_amounts[seen:], strict=True):
            increments.append((row, amount))
            ofmap_offsets[row] = ofmap_offsets.get(row, 0) + amount
        cycle = r + delta
        offsets = []
        for b, (misses, _) in enumerate((ifmap, filt)):
            offset = 1
            for k in slides[b].get(r, []):
                for _ in range(k):
                    last_fetch[b] += misses.rows_per_slide + 1
                    p = last_fetch[b] - (cycle + offset)
                    offset += 2 * p if p > 0 else p
            offsets.append(offset)
        own = buffer.advance(r + 1, delta) - delta
        ofmap_offsets[r] = own
        read_offsets[r] = (offsets[0], offsets[1])
        increment = max(offsets[0] - 1, offsets[1] - 1, own)
        if r == num_rows - 1:
            last_row_cycle = cycle + own
        increments.append((r, increment))
        delta += increment

    inc_rows = np.asarray([row for row, _ in increments], dtype=np.int64)
    inc_cum = np.cumsum([0] + [amount for _, amount in increments])

    def before(row: int) -> int:
        return row + int(inc_cum[np.searchsorted(inc_rows, row, side="left")])

    def read_out(row: int, b: int) -> int:
        return before(row) + read_offsets.get(row, (1, 1))[b]

    (mi, si), (mf, sf) = ifmap, filt
    written = np.flatnonzero(writes_per_row)
    o_first, o_last = int(written[0]), int(written[-1])
    buffer.finish(last_row_cycle)
    return UserTiming(
        total_cycles=last_row_cycle,
        stall_cycles=delta,
        ifmap_dram=mi.dram(last_fetch[0]),
        filter_dram=mf.dram(last_fetch[1]),
        ofmap_dram=(
            buffer.first_cycle if buffer.first_cycle is not None else 0,
            buffer.last_cycle,
            buffer.written,
        ),
        ifmap_sram=(read_out(si.row(0), 0), read_out(si.row(-1), 0)),
        filter_sram=(read_out(sf.row(0), 1), read_out(sf.row(-1), 1)),
        ofmap_sram=(
            before(o_first) + ofmap_offsets.get(o_first, 0),
            before(o_last) + ofmap_offsets.get(o_last, 0),
        ),
    )
