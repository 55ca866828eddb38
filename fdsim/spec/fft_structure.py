"""The stage structure of a streaming FFT engine (``FftSpec``): what each stage of one 1-D
transform computes and at which word widths. The cost model counts and prices from it
(``sim/units.py``, ``cost/area.py``) and the latency model times it (``fixedpoint/fft_timing``).

With ``fft.arithmetic`` the stages are those of the bit-true core: block sizes in execution
order, each stage's input/output width from the growth schedule, its twiddle width from the
twiddle rule, and ``multiplier_min_block_points`` deciding which stages multiply.

Without it (a timing-only spec) the documented fallback is: DIF stages of ``radix`` points
(radix 4 on an odd log₂ size ends with one radix-2 stage), every stage at the spectra width
with no growth, twiddles at the twiddles width, and only the stages whose blocks are a single
butterfly (block = the butterfly's radix: its only twiddle is W⁰ = 1) multiplier-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.spec.fft_arithmetic import Decimation, FftArithmeticSpec, OutputOrder
from fdsim.spec.hardware import FftSpec, NumericsSpec

# As fixedpoint/spectral_maps.py: a complex frame enters the core one bit wider than its word.
GUARD_BITS = 1


@dataclass(frozen=True)
class FftStage:
    """One stage of a ``points``-point transform: ``block_points`` per block, butterflies of
    ``radix`` points, data entering at ``input_bits`` and leaving at ``output_bits``;
    ``twiddle_bits`` is None for a multiplier-free stage."""

    block_points: int
    radix: int
    input_bits: int
    output_bits: int
    twiddle_bits: int | None

    @property
    def multiplies(self) -> bool:
        return self.twiddle_bits is not None

    @property
    def sum_bits(self) -> int:
        """Width of the exact butterfly sums (the stage's adders)."""
        return self.input_bits + self.radix.bit_length() - 1

    @property
    def multiply_bits(self) -> int:
        """Operand width of the twiddle multiplier: the wider of the exact butterfly
        difference and the twiddle word (0 for a multiplier-free stage)."""
        return max(self.sum_bits, self.twiddle_bits or 0)

    @property
    def rotates(self) -> bool:
        """A multiplier-free radix-2 stage of 4-point blocks rotates its odd outputs by ∓j
        (a swap and a negation); 2-point blocks and radix-4 butterflies (whose ∓j folds into
        their adders) do not."""
        return not self.multiplies and self.radix == 2 and self.block_points == 4


def _radices(points: int, radix: int) -> list[int]:
    """Butterfly radix of each DIF stage (radix 4 on an odd log₂ size: last stage radix 2)."""
    stages = points.bit_length() - 1
    if radix == 2:
        return [2] * stages
    return [4] * (stages // 2) + [2] * (stages % 2)


def _power_of_radix(points: int, arithmetic: FftArithmeticSpec) -> bool:
    try:
        arithmetic.stage_count(points)
    except ValueError:
        return False
    return True


def core_stages(
    arithmetic: FftArithmeticSpec, points: int, input_bits: int
) -> tuple[FftStage, ...]:
    """The stages of the bit-true core ``arithmetic`` for a ``points``-point transform entering
    at ``input_bits``; raises ``ValueError`` when the core cannot transform that size."""
    blocks = arithmetic.stage_block_points(points)
    outputs = arithmetic.stage_output_widths_bits(points, input_bits)
    twiddles = arithmetic.stage_twiddle_widths_bits(points, input_bits)
    inputs = (input_bits, *outputs[:-1])
    radix = int(arithmetic.radix)
    return tuple(
        FftStage(block, radix, width_in, width_out, twiddle)
        for block, width_in, width_out, twiddle in zip(
            blocks, inputs, outputs, twiddles, strict=True
        )
    )


def fft_stages(
    spec: FftSpec, numerics: NumericsSpec, points: int, input_bits: int
) -> tuple[FftStage, ...]:
    """The stages of one ``points``-point transform, in execution order. ``input_bits`` is the
    width the data enters the core at; the fallback (no ``fft.arithmetic``, or a size the
    core's radix cannot transform) ignores it and runs every stage at the spectra width."""
    arithmetic = spec.arithmetic
    if arithmetic is not None and _power_of_radix(points, arithmetic):
        return core_stages(arithmetic, points, input_bits)
    bits = numerics.spectra.total_bits
    stages, block = [], points
    for radix in _radices(points, spec.radix):
        twiddle = None if block == radix else numerics.twiddles.total_bits
        stages.append(FftStage(block, radix, bits, bits, twiddle))
        block //= radix
    return tuple(stages)


def reorders_output(spec: FftSpec) -> bool:
    """Whether the engine delivers bins in natural order through a reorder buffer (always,
    without ``fft.arithmetic``; a DIF core with digit-reversed output needs none)."""
    arithmetic = spec.arithmetic
    if arithmetic is None:
        return True
    natural = arithmetic.output_order is OutputOrder.NATURAL
    # A DIT core takes digit-reversed input: it needs the buffer on the input side instead.
    return natural or arithmetic.decimation is Decimation.TIME


def pass_input_bits(
    spec: FftSpec, numerics: NumericsSpec, points: int, inverse: bool
) -> tuple[int, int]:
    """Input widths of the two passes of a P×P transform, as the functional path runs them:
    the first (forward rows, inverse columns) enters ``GUARD_BITS`` wider than its stored word
    (activations forward, spectra inverse); the second takes the first's output word, plus the
    bit of the exact merge sum in the inverse."""
    stored = numerics.spectra if inverse else numerics.activations
    first = stored.total_bits + GUARD_BITS
    stages = fft_stages(spec, numerics, points, first)
    between = stages[-1].output_bits if stages else first  # a 1-point transform is a copy
    return first, between + (1 if inverse else 0)
