"""Vocabulary shared by the compiler, the simulator and the numerical model, as enums: a layer
below all of them, importing nothing of fdsim, so ``nn/`` names a phase without importing the
compiler. (Only :class:`Phase` lives here so far; ``fdsim.schedule.ops`` re-exports it.)"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """A training phase, in the order a training step runs them. Each phase needs the results
    of every phase before it (``needs``): a selection of phases must be such a prefix."""

    FORWARD = "fwd"
    BACKWARD_DATA = "bwd_data"
    BACKWARD_WEIGHT = "bwd_weight"
    UPDATE = "update"

    @property
    def needs(self) -> tuple[Phase, ...]:
        """The phases whose results this one consumes (directly or not)."""
        order = list(Phase)
        return tuple(order[: order.index(self)])
