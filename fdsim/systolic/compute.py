"""Stall-free compute of a SCALE-Sim 3.0 systolic array, in closed form.

SCALE-Sim builds, per fold, a demand matrix whose row count is the fold's cycle count (fill,
skew and drain included) and concatenates the folds (col folds outer, row folds inner). With
the array ``R × C`` and the dataflow's extents (Sr, Sc, T) (see ``GemmShape``), a fold lasts

    WS, IS:  L = 2R + C + T - 2        OS:  L = R + C + T - 2

cycles, there are ``ceil(Sr/R) · ceil(Sc/C)`` folds, and SCALE-Sim's stall-free "Total Cycles"
is the last demand row's index: ``folds · L - 1``.

Additivity for tiles: cutting the GEMM into parts along a *fold* dimension at fold boundaries —
Sr at multiples of R, Sc at multiples of C; that is WS: k at multiples of rows, n at multiples
of cols; OS: m at rows, n at cols; IS: k at rows, m at cols — keeps L, so the parts' fold
counts add up and ``sum(compute_cycles(part)) == compute_cycles(whole) - (parts - 1)`` exactly
(each part drops its own "- 1"). Cutting the streamed extent T (WS m, OS k, IS n) adds the
fill/drain ``L - T`` of every fold once per extra part and is not additive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fdsim.spec.hardware import Dataflow
from fdsim.systolic.shapes import ArrayShape, GemmShape


@dataclass(frozen=True, slots=True)
class FoldPlan:
    """SCALE-Sim's view of one layer on one array: extents, folds and per-fold cycle count.

    ``sr`` runs along the array rows, ``sc`` along the columns, ``t`` is streamed in time.
    """

    sr: int
    sc: int
    t: int
    rows: int
    cols: int
    dataflow: Dataflow

    @property
    def row_folds(self) -> int:
        return -(-self.sr // self.rows)

    @property
    def col_folds(self) -> int:
        return -(-self.sc // self.cols)

    @property
    def num_folds(self) -> int:
        return self.row_folds * self.col_folds

    @property
    def fold_cycles(self) -> int:
        """Demand rows of one fold (L)."""
        if self.dataflow is Dataflow.OUTPUT_STATIONARY:
            return self.rows + self.cols + self.t - 2
        return 2 * self.rows + self.cols + self.t - 2

    @property
    def util_fold_cycles(self) -> int:
        """The per-fold cycle count SCALE-Sim divides by in "Compute Util %"."""
        if self.dataflow is Dataflow.OUTPUT_STATIONARY:
            return self.fold_cycles
        return self.fold_cycles + self.cols - 1

    def used(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Rows and columns in use, per fold, in SCALE-Sim's fold order (col folds outer)."""
        fr = np.arange(self.row_folds, dtype=np.int64)
        fc = np.arange(self.col_folds, dtype=np.int64)
        used_r = np.minimum(self.rows, self.sr - fr * self.rows)
        used_c = np.minimum(self.cols, self.sc - fc * self.cols)
        return np.tile(used_r, self.col_folds), np.repeat(used_c, self.row_folds)


def plan(gemm: GemmShape, array: ArrayShape) -> FoldPlan:
    """The (Sr, Sc, T) SCALE-Sim assigns to ``gemm`` under ``array.dataflow``."""
    if array.dataflow is Dataflow.WEIGHT_STATIONARY:
        sr, sc, t = gemm.k, gemm.n, gemm.m
    elif array.dataflow is Dataflow.OUTPUT_STATIONARY:
        sr, sc, t = gemm.m, gemm.n, gemm.k
    else:
        sr, sc, t = gemm.k, gemm.m, gemm.n
    return FoldPlan(sr=sr, sc=sc, t=t, rows=array.rows, cols=array.cols, dataflow=array.dataflow)


def folds(gemm: GemmShape, array: ArrayShape) -> tuple[int, int]:
    """(row folds, col folds) as SCALE-Sim counts them: ceil(Sr/rows), ceil(Sc/cols)."""
    p = plan(gemm, array)
    return p.row_folds, p.col_folds


def compute_cycles(gemm: GemmShape, array: ArrayShape) -> int:
    """SCALE-Sim 3.0's stall-free "Total Cycles": ``folds · L - 1`` (module docstring)."""
    p = plan(gemm, array)
    return p.num_folds * p.fold_cycles - 1


def _sequential_mean(values: NDArray[np.float64]) -> float:
    # SCALE-Sim averages with Python's left-to-right sum(); a sequential cumsum reproduces its
    # rounding bit for bit (np.sum's pairwise summation would not).
    return float(np.cumsum(values)[-1]) / len(values)


def mapping_efficiency_pct(gemm: GemmShape, array: ArrayShape) -> float:
    """ "Mapping Efficiency %": the mean over folds of used PEs / all PEs, times 100."""
    p = plan(gemm, array)
    used_r, used_c = p.used()
    per_fold = (used_r * used_c) / (p.rows * p.cols)
    return _sequential_mean(per_fold) * 100


def compute_util_pct(gemm: GemmShape, array: ArrayShape) -> float:
    """ "Compute Util %": the mean over folds of used PEs · T / (all PEs · fold cycles), × 100.

    The fold cycles are SCALE-Sim's: L for OS, L + cols - 1 for WS and IS.
    """
    p = plan(gemm, array)
    used_r, used_c = p.used()
    per_fold = (used_r * used_c * p.t) / (p.rows * p.cols * p.util_fold_cycles)
    return _sequential_mean(per_fold) * 100


def demand_accesses(gemm: GemmShape, array: ArrayShape) -> tuple[int, int, int]:
    """The array's SRAM demand streams (IFMAP reads, FILTER reads, OFMAP writes) in elements:
    the stationary operand read once, each streamed one once per fold of the other axis, and
    outputs written once per fold of the reduction (WS, IS) or once (OS)."""
    p = plan(gemm, array)
    m, k, n = gemm.m, gemm.k, gemm.n
    if array.dataflow is Dataflow.WEIGHT_STATIONARY:
        return p.col_folds * m * k, k * n, p.row_folds * m * n
    if array.dataflow is Dataflow.OUTPUT_STATIONARY:
        return p.col_folds * k * m, p.row_folds * k * n, m * n
    return k * m, p.col_folds * n * k, p.row_folds * n * m


def sram_accesses(gemm: GemmShape, array: ArrayShape) -> tuple[int, int, int]:
    """SCALE-Sim's SRAM (IFMAP reads, FILTER reads, OFMAP writes), counted as it counts them:
    the demand streams (:func:`demand_accesses`; IFMAP blocks include the -1 taps of partial
    windows), and for OS ``rows + cols`` more OFMAP writes per fold (a quirk of SCALE-Sim's
    count, kept)."""
    ifmap, filters, ofmap = demand_accesses(gemm, array)
    if array.dataflow is Dataflow.OUTPUT_STATIONARY:
        p = plan(gemm, array)
        ofmap += p.num_folds * (p.rows + p.cols)
    return ifmap, filters, ofmap
