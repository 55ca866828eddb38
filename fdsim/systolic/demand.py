"""SCALE-Sim 3.0's operand address matrices and per-cycle demand streams, vectorised.

SCALE-Sim lays each fold's operand block into demand-matrix rows (one row per cycle, one
column per array edge port), skewed for the systolic wavefront, and concatenates the folds
(col folds outer, row folds inner). This module rebuilds only what the scratchpad replay
needs: for IFMAP and FILTER the valid (non -1) requests in service order (row, then column)
with their demand row; for OFMAP the number of writes per demand row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from fdsim.spec.hardware import Dataflow
from fdsim.systolic.compute import FoldPlan, plan
from fdsim.systolic.shapes import ArrayShape, ConvShape, GemmShape

IntArray = NDArray[np.int64]
Layout = Callable[[tuple[int, ...]], tuple[int, int, int, bool]]


def ifmap_addresses(layer: ConvShape) -> NDArray[np.int32]:
    """The M×K IFMAP operand matrix (im2col of the HWC IFMAP), -1 where a ceil-rule window
    runs past the edge."""
    ew = layer.ofmap_width
    s, c = layer.filter_width, layer.channels
    i = np.arange(layer.gemm.m, dtype=np.int64)[:, None]
    j = np.arange(layer.window, dtype=np.int64)[None, :]
    orow, ocol = np.divmod(i, ew)
    irow, icol = orow * layer.stride, ocol * layer.stride
    crow, rem = np.divmod(j, s * c)
    ccol, ch = np.divmod(rem, c)
    y, x = crow + irow, ccol + icol
    valid = (y < layer.ifmap_height) & (x < layer.ifmap_width)
    return np.where(valid, (y * layer.ifmap_width + x) * c + ch, -1).astype(np.int32)


def filter_addresses(gemm: GemmShape) -> NDArray[np.int32]:
    """The K×N FILTER operand matrix: filter n's tap k at n·K + k."""
    k = np.arange(gemm.k, dtype=np.int32)[:, None]
    return np.arange(gemm.n, dtype=np.int32)[None, :] * gemm.k + k


@dataclass(frozen=True, slots=True)
class RequestStream:
    """One operand's valid requests in service order: addresses, and the demand row of each
    (kept per fold, not per request: ``row(i)``)."""

    addr: NDArray[np.int32]
    num_ids: int  # addresses are in [0, num_ids)
    fold_starts: IntArray  # index of each fold's first request
    fold_local_rows: tuple[IntArray, ...]  # per fold, the rows of its requests within the fold
    fold_rows: int  # demand rows per fold

    def row(self, i: int) -> int:
        """The demand row of request ``i`` (negative ``i`` counts from the end)."""
        if i < 0:
            i += len(self.addr)
        f = int(np.searchsorted(self.fold_starts, i, side="right")) - 1
        return int(self.fold_local_rows[f][i - int(self.fold_starts[f])]) + f * self.fold_rows


@dataclass(frozen=True, slots=True)
class Streams:
    """Demand of one layer: IFMAP and FILTER requests, OFMAP writes per demand row."""

    ifmap: RequestStream
    filter: RequestStream
    ofmap_writes_per_row: IntArray  # one entry per demand row (cycle)


@lru_cache(maxsize=256)
def _order(off: int, sa: int, sb: int, a: int, b: int, col_is_a: bool) -> tuple[IntArray, IntArray]:
    """Service order of an a×b block laid at row ``off + sa·i + sb·j`` (column j, or i when
    ``col_is_a``): (flat indices into the block, their rows), sorted by (row, column)."""
    ii, jj = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
    row = (off + sa * ii + sb * jj).ravel()
    col = (ii if col_is_a else jj).ravel()
    order = np.lexsort((col, row))
    return order.astype(np.int64), row[order].astype(np.int64)


def _stream(
    p: FoldPlan,
    block_of: Callable[[int, int], NDArray[np.int32]],
    key_of: Callable[[int, int], int],
    layout: Layout,
    num_ids: int,
) -> RequestStream:
    """The valid requests of every fold, in order; folds slicing the same block (the same
    ``key_of(fr, fc)``) share one computation."""
    addr_out: list[NDArray[np.int32]] = []
    local_rows: list[IntArray] = []
    done: dict[int, tuple[IntArray, NDArray[np.int32]]] = {}
    for fc in range(p.col_folds):
        for fr in range(p.row_folds):
            key = key_of(fr, fc)
            if key not in done:
                block = np.ascontiguousarray(block_of(fr, fc))
                off, sa, sb, col_is_a = layout(block.shape)
                order, rows = _order(off, sa, sb, block.shape[0], block.shape[1], col_is_a)
                values = block.ravel()[order]
                keep = values >= 0
                done[key] = (rows[keep], values[keep])
            rows, values = done[key]
            local_rows.append(rows)
            addr_out.append(values)
    sizes = np.array([len(a) for a in addr_out], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return RequestStream(
        addr=np.concatenate(addr_out),
        num_ids=num_ids,
        fold_starts=starts,
        fold_local_rows=tuple(local_rows),
        fold_rows=p.fold_cycles,
    )


def _writes(p: FoldPlan, layout: Callable[[int, int], tuple[int, int, int, int, int]]) -> IntArray:
    """OFMAP writes per demand row: every fold's block, laid as ``layout`` says."""
    n_fold = p.fold_cycles
    counts = np.zeros(p.num_folds * n_fold, dtype=np.int64)
    used_r, used_c = p.used()
    for f, (ur, uc) in enumerate(zip(used_r.tolist(), used_c.tolist(), strict=True)):
        off, sa, sb, a, b = layout(ur, uc)
        _, rows = _order(off, sa, sb, a, b, False)
        counts[f * n_fold : (f + 1) * n_fold] += np.bincount(rows, minlength=n_fold)[:n_fold]
    return counts


def _lay(off: int, sa: int, sb: int, col_is_a: bool) -> Layout:
    """A block layout: element (i, j) at fold row ``off + sa·i + sb·j``."""
    return lambda shape: (off, sa, sb, col_is_a)


def _fr(fr: int, fc: int) -> int:
    return fr


def _fc(fr: int, fc: int) -> int:
    return fc


def _both(fr: int, fc: int) -> int:
    return fr * 1_000_003 + fc


def build_streams(layer: ConvShape, array: ArrayShape) -> Streams:
    """The demand streams of ``layer`` on ``array`` (SCALE-Sim's demand matrices, compressed)."""
    gemm = layer.gemm
    p = plan(gemm, array)
    r, c, t = p.rows, p.cols, p.t
    ifm = ifmap_addresses(layer)
    fil = filter_addresses(gemm)
    ni = layer.ifmap_height * layer.ifmap_width * layer.channels
    nf = gemm.k * gemm.n
    df = array.dataflow
    if df is Dataflow.WEIGHT_STATIONARY:
        ifmap = _stream(
            p, lambda fr, fc: ifm[:, fr * r : fr * r + r], _fr, _lay(r, 1, 1, False), ni
        )
        filt = _stream(
            p,
            lambda fr, fc: fil[fr * r : fr * r + r, fc * c : fc * c + c],
            _both,
            _lay(r - 1, -1, 0, False),
            nf,
        )
        writes = _writes(p, lambda ur, uc: (2 * r - 1, 1, 1, t, uc))
    elif df is Dataflow.OUTPUT_STATIONARY:
        ifm_t = ifm.T
        ifmap = _stream(
            p, lambda fr, fc: ifm_t[:, fr * r : fr * r + r], _fr, _lay(0, 1, 1, False), ni
        )
        filt = _stream(p, lambda fr, fc: fil[:, fc * c : fc * c + c], _fc, _lay(0, 1, 1, False), nf)
        writes = _writes(p, lambda ur, uc: (t - 1 + r - 1, -1, 1, ur, uc))
    else:
        ifm_t = ifm.T
        fil_t = fil.T
        ifmap = _stream(
            p,
            lambda fr, fc: ifm_t[fr * r : fr * r + r, fc * c : fc * c + c],
            _both,
            _lay(r - 1, -1, 0, False),
            ni,
        )
        filt = _stream(
            p, lambda fr, fc: fil_t[:, fr * r : fr * r + r], _fr, _lay(r, 1, 1, False), nf
        )
        writes = _writes(p, lambda ur, uc: (2 * r - 1, 1, 1, t, uc))
    return Streams(
        ifmap=ifmap,
        filter=filt,
        ofmap_writes_per_row=writes,
    )
