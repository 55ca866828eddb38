"""Integer word formats and the int64 guard.

A fixed-point value is a numpy ``int64`` integer ``q`` standing for ``q / 2**fraction_bits``.
Every intermediate the library forms must fit a *signed 63-bit* word, one bit short of int64, so
that adding a rounding offset can never overflow the machine word; a request that could exceed
that raises ``Int64WidthError`` before any arithmetic happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from fdsim.errors import FdsimError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

INT64_SAFE_BITS = 63
"""Widest signed intermediate (sign bit included) the int64 kernels form."""

FLOAT64_EXACT_BITS = 53
"""Widest signed intermediate a float64 carrier holds exactly: magnitudes up to ``2**52``, so
adding a rounding offset of at most that much stays within the 53-bit significand."""


class Int64WidthError(FdsimError):
    """A requested format or intermediate could not be held exactly in int64."""


def require_int64_width(bits: int, what: str) -> None:
    """Raise ``Int64WidthError`` naming ``what`` if a ``bits``-wide signed intermediate would
    not fit the 63-bit budget."""
    if bits > INT64_SAFE_BITS:
        raise Int64WidthError(
            f"{what} needs {bits} bits, more than the {INT64_SAFE_BITS}-bit int64 budget; "
            "narrow the operand formats"
        )


class NumberFormat(Protocol):
    """Anything that names an integer word: ``QFormat`` (a stored tensor class) and
    ``FixedFormat`` (an intermediate such as a full-width product)."""

    @property
    def total_bits(self) -> int: ...

    @property
    def fraction_bits(self) -> int: ...

    @property
    def signed(self) -> bool: ...


@dataclass(frozen=True)
class FixedFormat:
    """An intermediate word: ``total_bits`` (sign included when ``signed``), of which
    ``fraction_bits`` are below the binary point.  Unlike ``QFormat`` it carries no rounding or
    overflow policy and may be up to 63 bits wide."""

    total_bits: int
    fraction_bits: int
    signed: bool = True

    def __post_init__(self) -> None:
        if self.total_bits < 1:
            raise ValueError(f"total_bits must be positive, got {self.total_bits}")
        require_int64_width(self.total_bits, "fixed-point format")


def integer_range(total_bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest integer a ``total_bits`` word holds."""
    if signed:
        return -(1 << (total_bits - 1)), (1 << (total_bits - 1)) - 1
    return 0, (1 << total_bits) - 1
