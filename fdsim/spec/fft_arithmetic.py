"""What an FFT unit computes, bit for bit: its arithmetic (``FftArithmeticSpec``) and, for a
concrete pipelined core, its size, widths and timing (``FftCoreSpec``).

Semantics (the contract ``fdsim.fixedpoint`` implements):

* The transform is a sequence of ``log_radix(points)`` radix-``radix`` stages, decimation
  in frequency (DIF, natural-order input, twiddles after the butterfly) or in time (DIT,
  digit-reversed input, twiddles before the butterfly).  Functions always take input in natural
  order; ``output_order`` says how the bins come out.
* Stage ``s`` grows the word by ``growth_bits`` (from ``stage_growth_bits``).  The exact sum of
  ``radix`` inputs needs ``log2(radix)`` more bits, so the stage divides its exact result by
  ``2**(log2(radix) - growth_bits)``: a stage that grows fully has unity gain, a stage that does
  not grow halves (radix 2).  That division is the stage's only rounding
  (``stage_rounding``); the result is then fitted to the stage output width (``overflow``).
* Twiddles are integers ``round(unity * cos θ)``, ``round(unity * sin θ)`` with
  ``θ = ∓2π·k/block_points`` (minus for forward) and ``unity = 2**(width - twiddle_integer_bits)``;
  ``twiddle_rounding`` is applied in float64 to the C ``cos``/``sin`` values, and a word that
  does not fit (``+unity`` when ``twiddle_integer_bits`` is 1) saturates.  DIF multiplies
  butterfly outputs ``1 .. radix-1`` by ``W_S^(j·q)``, DIT multiplies inputs ``1 .. radix-1``
  by ``W_S^(j·m)``; output/input 0 is never multiplied.  Products are exact; the stage rounding
  divides them by ``unity`` as well.
* Stages whose block is smaller than ``multiplier_min_block_points`` have only the trivial
  twiddles ±1, ±j and apply them as exact swaps/negations *after* rounding (DIF) instead of
  through the multiplier; the negation is fitted to the output width again.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fdsim.spec.numerics import OverflowMode, RoundingMode


class Radix(IntEnum):
    """Points per butterfly."""

    TWO = 2
    FOUR = 4

    @property
    def log2(self) -> int:
        """Bits an exact butterfly sum grows by."""
        return int(self).bit_length() - 1


class Decimation(StrEnum):
    """Which index the FFT splits: frequency (Sande-Tukey) or time (Cooley-Tukey)."""

    FREQUENCY = "frequency"
    TIME = "time"


class OutputOrder(StrEnum):
    """Order of the returned bins: natural, or digit-reversed in base ``radix`` (bit-reversed
    for radix 2), which a DIF pipeline produces without a reorder buffer."""

    NATURAL = "natural"
    DIGIT_REVERSED = "digit_reversed"


class FftDirection(StrEnum):
    """Forward uses ``exp(-j·2πkn/N)``, inverse ``exp(+j·2πkn/N)``; neither divides by N (any
    scaling comes from the stage growth schedule)."""

    FORWARD = "forward"
    INVERSE = "inverse"


class TwiddleRounding(StrEnum):
    """How the float64 twiddle ``unity·cos θ`` becomes an integer (ROM contents)."""

    HALF_AWAY_FROM_ZERO = "half_away_from_zero"  # C llround()
    HALF_EVEN = "half_even"
    HALF_UP = "half_up"  # ties toward +infinity
    TRUNCATE = "truncate"  # toward -infinity


class ComplexMultiplyForm(StrEnum):
    """How the exact complex product is built.  Both give the same integers (no intermediate
    rounding); the 3-multiplier form needs one more intermediate bit."""

    FOUR_MULTIPLIER = "four_multiplier"  # re = ar·br - ai·bi, im = ar·bi + ai·br
    THREE_MULTIPLIER = "three_multiplier"  # p1 = cr·dr, p2 = ci·di, p3 = (cr+ci)(dr+di)


class TwiddleWidthRule(StrEnum):
    """How wide each multiplying stage's twiddle ROM words are."""

    INPUT_WIDTH_PLUS_EXTRA = "input_width_plus_extra"
    FIXED = "fixed"
    PER_MULTIPLY_STAGE = "per_multiply_stage"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TwiddleWidthInputPlusExtra(_Frozen):
    """Twiddle width = that stage's input data width + ``extra_bits`` (grows with the data)."""

    rule: Literal[TwiddleWidthRule.INPUT_WIDTH_PLUS_EXTRA]
    extra_bits: int = Field(ge=0, le=40)

    def width_bits(self, multiply_stage_index: int, stage_input_width_bits: int) -> int:
        return stage_input_width_bits + self.extra_bits


class TwiddleWidthFixed(_Frozen):
    """The same twiddle width in every multiplying stage."""

    rule: Literal[TwiddleWidthRule.FIXED]
    width_bits_all_stages: int = Field(ge=2, le=62)

    def width_bits(self, multiply_stage_index: int, stage_input_width_bits: int) -> int:
        return self.width_bits_all_stages


class TwiddleWidthPerMultiplyStage(_Frozen):
    """One width per multiplying stage, in stage order (non-multiplying stages have none)."""

    rule: Literal[TwiddleWidthRule.PER_MULTIPLY_STAGE]
    width_bits_by_stage: tuple[Annotated[int, Field(ge=2, le=62)], ...] = Field(min_length=1)

    def width_bits(self, multiply_stage_index: int, stage_input_width_bits: int) -> int:
        if multiply_stage_index >= len(self.width_bits_by_stage):
            raise ValueError(
                f"twiddle_width.width_bits_by_stage has {len(self.width_bits_by_stage)} entries "
                f"but multiplying stage {multiply_stage_index} needs one"
            )
        return self.width_bits_by_stage[multiply_stage_index]


TwiddleWidth = Annotated[
    TwiddleWidthInputPlusExtra | TwiddleWidthFixed | TwiddleWidthPerMultiplyStage,
    Field(discriminator="rule"),
]


class StageGrowthSchedule(_Frozen):
    """Bits each stage's output grows over its input: ``leading_bits`` for the first stages,
    then ``repeating_bits`` cycled for the rest.  ``{leading: [], repeating: [1]}`` is full
    growth; ``{leading: [1], repeating: [1, 0]}`` is dblclockfft's alternating schedule; a
    leading list as long as the transform with no repeating part is an explicit schedule."""

    leading_bits: tuple[Annotated[int, Field(ge=0, le=2)], ...] = ()
    repeating_bits: tuple[Annotated[int, Field(ge=0, le=2)], ...] = ()

    def growth_bits(self, stage_count: int) -> tuple[int, ...]:
        """Growth of stages ``0 .. stage_count-1``; raises ``ValueError`` when undefined."""
        lead = self.leading_bits[:stage_count]
        rest = stage_count - len(lead)
        if rest and not self.repeating_bits:
            raise ValueError(
                f"stage_growth_bits defines {len(self.leading_bits)} stages and has no "
                f"repeating part, but the transform has {stage_count} stages"
            )
        cycle = self.repeating_bits
        return lead + tuple(cycle[i % len(cycle)] for i in range(rest))


class FftArithmeticSpec(_Frozen):
    """The arithmetic of a fixed-point FFT datapath (independent of its size); see the module
    docstring for the exact semantics of each field."""

    radix: Radix
    decimation: Decimation
    output_order: OutputOrder
    stage_growth_bits: StageGrowthSchedule
    stage_rounding: RoundingMode
    overflow: OverflowMode
    twiddle_width: TwiddleWidth
    twiddle_integer_bits: int = Field(
        ge=1, le=8, description="bits above the binary point, sign included; unity = 2**(w - this)"
    )
    twiddle_rounding: TwiddleRounding
    complex_multiply_form: ComplexMultiplyForm
    multiplier_min_block_points: int = Field(
        ge=2, le=8, description="stages with smaller blocks rotate by ±1/±j without multiplying"
    )

    @model_validator(mode="after")
    def _consistent(self) -> FftArithmeticSpec:
        m = self.multiplier_min_block_points
        if m & (m - 1):
            raise ValueError(f"multiplier_min_block_points must be 2, 4 or 8, got {m}")
        for g in self.stage_growth_bits.leading_bits + self.stage_growth_bits.repeating_bits:
            if g > self.radix.log2:
                raise ValueError(
                    f"stage_growth_bits entry {g} exceeds log2(radix) = {self.radix.log2}"
                )
        return self

    def stage_count(self, points: int) -> int:
        """Stages of a ``points``-point transform; raises ``ValueError`` unless ``points`` is a
        power of the radix (at least one stage)."""
        count, rest = 0, points
        while rest > 1 and rest % self.radix == 0:
            rest //= self.radix
            count += 1
        if rest != 1 or count == 0:
            raise ValueError(f"points ({points}) must be a power of the radix ({int(self.radix)})")
        return count

    def stage_block_points(self, points: int) -> tuple[int, ...]:
        """Block size of each stage, in execution order (DIF: N, N/r, ..; DIT: r, r², ..)."""
        count = self.stage_count(points)
        sizes = tuple(points // self.radix**s for s in range(count))
        return sizes if self.decimation is Decimation.FREQUENCY else sizes[::-1]

    def stage_output_widths_bits(self, points: int, input_width_bits: int) -> tuple[int, ...]:
        """Output width of each stage for data entering at ``input_width_bits``."""
        widths, width = [], input_width_bits
        for growth in self.stage_growth_bits.growth_bits(self.stage_count(points)):
            width += growth
            widths.append(width)
        return tuple(widths)

    def stage_uses_multiplier(self, block_points: int) -> bool:
        """Whether a stage with blocks of ``block_points`` twiddles through the multiplier."""
        return block_points >= self.multiplier_min_block_points

    def stage_twiddle_widths_bits(
        self, points: int, input_width_bits: int
    ) -> tuple[int | None, ...]:
        """Twiddle width of each stage (``None`` for stages without a multiplier); raises
        ``ValueError`` when the rule does not fit the transform."""
        blocks = self.stage_block_points(points)
        outputs = self.stage_output_widths_bits(points, input_width_bits)
        inputs = (input_width_bits, *outputs[:-1])
        widths: list[int | None] = []
        multiply_stages = 0
        for block, width_in in zip(blocks, inputs, strict=True):
            if not self.stage_uses_multiplier(block):
                widths.append(None)
                continue
            width = self.twiddle_width.width_bits(multiply_stages, width_in)
            if width <= self.twiddle_integer_bits:
                raise ValueError(
                    f"twiddle width {width} leaves no fraction bits above "
                    f"twiddle_integer_bits ({self.twiddle_integer_bits})"
                )
            widths.append(width)
            multiply_stages += 1
        if isinstance(self.twiddle_width, TwiddleWidthPerMultiplyStage):
            listed = len(self.twiddle_width.width_bits_by_stage)
            if listed != multiply_stages:
                raise ValueError(
                    f"twiddle_width.width_bits_by_stage has {listed} entries for "
                    f"{multiply_stages} multiplying stages"
                )
        return tuple(widths)


class FftCoreSpec(_Frozen):
    """One pipelined FFT core: size, direction, I/O widths, streaming rate, latency and the
    arithmetic.  ``latency_clocks`` is the datasheet/measured number; the structural model of
    ``fdsim.fixedpoint.fft_timing`` derives one from the stages to compare with it."""

    points: int = Field(ge=2, le=1 << 20)
    direction: FftDirection
    input_width_bits: int = Field(ge=2, le=62)
    output_width_bits: int = Field(ge=2, le=62)
    samples_per_clock: int = Field(ge=1, description="complex samples in (and out) per clock")
    latency_clocks: int = Field(
        ge=0, le=10**6, description="clocks from registering input sample 0 to bin 0 on the output"
    )
    arithmetic: FftArithmeticSpec

    @model_validator(mode="after")
    def _consistent(self) -> FftCoreSpec:
        widths = self.arithmetic.stage_output_widths_bits(self.points, self.input_width_bits)
        if widths[-1] != self.output_width_bits:
            raise ValueError(
                f"output_width_bits is {self.output_width_bits} but the stage growth schedule "
                f"gives {widths[-1]} (stage widths {list(widths)})"
            )
        self.arithmetic.stage_twiddle_widths_bits(self.points, self.input_width_bits)
        if self.points % self.samples_per_clock:
            raise ValueError(
                f"samples_per_clock ({self.samples_per_clock}) must divide points ({self.points})"
            )
        return self
