"""Spatial median pooling: the lower median of each window (for w elements, the
⌊(w−1)/2⌋-th smallest, as ``torch.median``), taken at its first occurrence in row-major order;
its
backward routes each window's gradient to that input, through the index the forward stashes
(⌈log₂ window⌉ bits per output), as max pooling does.

Cost: the crop unit ranks each window as a rank-order filter does, comparing every pair of
its elements, w(w−1)/2 compares for a window of w — against w − 1 for max pooling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from fdsim.operators.base import Array
from fdsim.operators.spatial_pool import SelectingPool


@dataclass(frozen=True)
class MedianPool(SelectingPool):
    """Spatial median pooling."""

    primitive: ClassVar[str] = "median_pool"

    def select(self, flat: Array) -> npt.NDArray[np.int64]:
        value = np.sort(flat, axis=-1)[..., (flat.shape[-1] - 1) // 2]
        return np.asarray(np.argmax(flat == value[..., None], axis=-1), dtype=np.int64)

    def reductions(self) -> int:
        sides = np.subtract(self.windows.stops, self.windows.starts)
        elements = np.outer(sides, sides)
        return int((elements * (elements - 1) // 2).sum())
