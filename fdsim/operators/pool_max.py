"""Spatial max pooling: the maximum of each window; its backward routes each window's gradient
to the window's first maximal input (row-major), through the argmax the forward stashes
(⌈log₂ window⌉ bits per output; a window of one element needs none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from fdsim.operators.base import Array
from fdsim.operators.spatial_pool import SelectingPool


@dataclass(frozen=True)
class MaxPool(SelectingPool):
    """Spatial max pooling."""

    primitive: ClassVar[str] = "max_pool"

    def select(self, flat: Array) -> npt.NDArray[np.int64]:
        return np.asarray(flat.argmax(axis=-1), dtype=np.int64)  # the first maximum
