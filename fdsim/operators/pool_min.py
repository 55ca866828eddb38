"""Spatial min pooling: the minimum of each window; its backward routes each window's gradient
to the window's first minimal input (row-major), through the argmin the forward stashes
(⌈log₂ window⌉ bits per output)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from fdsim.operators.base import Array
from fdsim.operators.spatial_pool import SelectingPool


@dataclass(frozen=True)
class MinPool(SelectingPool):
    """Spatial min pooling."""

    primitive: ClassVar[str] = "min_pool"

    def select(self, flat: Array) -> npt.NDArray[np.int64]:
        return np.asarray(flat.argmin(axis=-1), dtype=np.int64)  # the first minimum
