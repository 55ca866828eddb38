"""A functional run's measurements (bit-true datapath against the float64 reference), as kept
in a run's results: measured by ``sim/functional.py``, kept and reloaded by ``results``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

INFORMATION_LOST_DB = 10.0
"""A varying part below 10 dB (error power above a tenth of the image-to-image signal power)
is flagged "information lost"."""


@dataclass(frozen=True)
class FunctionalNumerics:
    """A functional run's measurements: ``sqnr`` one row per (layer, phase, tensor) compared
    with the float64 reference (``SQNR_COLUMNS`` of ``sim/functional.py``); ``overflows`` one
    row per datapath site and overflow mode (``OVERFLOW_COLUMNS``), events out of values
    fitted there; the data's ``source`` and the parameters' ``seed``."""

    sqnr: pd.DataFrame
    overflows: pd.DataFrame
    source: str
    seed: int

    def information_lost(self) -> pd.DataFrame:
        """The ``sqnr`` rows whose varying part is below :data:`INFORMATION_LOST_DB` (NaN rows,
        tensors without a batch axis, never are)."""
        flagged = self.sqnr[self.sqnr["sqnr_varying_db"] < INFORMATION_LOST_DB]
        return flagged.reset_index(drop=True)
