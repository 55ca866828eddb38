"""Comparison metrics of pooling methods, generic over the operator: any callable mapping
(N, C, H, W) to (N, C, h, w). :func:`pooling_metrics` is the one call a report needs; the parts
live in :mod:`.metrics_information` (information kept), :mod:`.metrics_shift` (circular shift
invariance) and :mod:`.metrics_images` (1/f test images)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fdsim.pooling._metrics_signal import Pool
from fdsim.pooling.metrics_images import natural_like_images
from fdsim.pooling.metrics_information import (
    InformationKept,
    Reconstruct,
    information_kept,
    reconstruct_images,
)
from fdsim.pooling.metrics_shift import (
    DEFAULT_SHIFTS,
    Readout,
    ShiftInvariance,
    energy_invariance,
    gap_argmax,
    gap_invariance,
    shift_consistency,
    shift_equivariance_error,
    shift_invariance,
)

__all__ = [
    "DEFAULT_SHIFTS",
    "InformationKept",
    "PoolingMetrics",
    "ShiftInvariance",
    "energy_invariance",
    "gap_argmax",
    "gap_invariance",
    "information_kept",
    "natural_like_images",
    "pooling_metrics",
    "reconstruct_images",
    "shift_consistency",
    "shift_equivariance_error",
    "shift_invariance",
]


@dataclass(frozen=True)
class PoolingMetrics:
    """Information kept (under one reconstructor) and shift invariance of one operator."""

    information: InformationKept
    shift: ShiftInvariance


def pooling_metrics(
    pool: Pool,
    images: npt.ArrayLike,
    *,
    seed: int | np.random.Generator,
    reconstruct: Reconstruct = "spectral",
    shifts: Sequence[int | Sequence[int]] = DEFAULT_SHIFTS,
    readout: Readout | None = None,
) -> PoolingMetrics:
    """:func:`information_kept` with ``reconstruct`` and :func:`shift_invariance` over
    ``shifts`` (consistency drawn with ``seed``, read out by ``readout``)."""
    return PoolingMetrics(
        information=information_kept(pool, images, reconstruct),
        shift=shift_invariance(pool, images, seed=seed, shifts=shifts, readout=readout),
    )
