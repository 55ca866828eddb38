"""Fixed-point number formats: what a tensor class is stored and computed in."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator


class RoundingMode(StrEnum):
    """How low bits are dropped when a value is re-quantised."""

    TRUNCATE = "truncate"  # toward minus infinity (drop bits of a two's-complement word)
    HALF_UP = "half_up"  # round half toward plus infinity
    HALF_EVEN = "half_even"  # convergent rounding


class OverflowMode(StrEnum):
    """What happens when a value does not fit the format's integer range."""

    WRAP = "wrap"  # two's-complement wrap-around (events are counted)
    SATURATE = "saturate"  # clamp to the range (events are counted)


class QFormat(BaseModel):
    """A fixed-point format: ``total_bits`` including the sign bit (when signed), of which
    ``fraction_bits`` are below the binary point. A stored integer ``q`` means
    ``q / 2**fraction_bits``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    total_bits: int = Field(ge=2, le=62)
    fraction_bits: int = Field(ge=-64, le=62)
    signed: StrictBool = True  # strict: "on"/"yes" strings are not booleans
    rounding: RoundingMode = RoundingMode.HALF_EVEN
    overflow: OverflowMode = OverflowMode.SATURATE

    @model_validator(mode="after")
    def _fraction_fits(self) -> QFormat:
        if self.fraction_bits > self.total_bits:
            raise ValueError(
                f"fraction_bits ({self.fraction_bits}) must not exceed "
                f"total_bits ({self.total_bits})"
            )
        return self

    @property
    def storage_bytes(self) -> int:
        """Bytes one real value occupies in SRAM/DRAM (whole bytes)."""
        return (self.total_bits + 7) // 8
