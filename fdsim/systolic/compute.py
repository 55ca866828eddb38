"""Placeholder compute cycles (WS form for every dataflow; replaced by the systolic model)."""

from __future__ import annotations

from fdsim.systolic.shapes import ArrayShape, GemmShape


def compute_cycles(gemm: GemmShape, array: ArrayShape) -> int:
    folds = -(-gemm.k // array.rows) * -(-gemm.n // array.cols)
    return folds * (gemm.m + 2 * array.rows + array.cols - 2) - 1
