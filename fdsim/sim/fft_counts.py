"""Arithmetic and latency of one 2-D transform op on the FFT engine, stage by stage.

A real P×P map is transformed by row–column decomposition in two passes of 1-D transforms:
the forward FFT runs P/2 packed row pairs, then P/2+1 columns; the inverse the P/2+1 columns,
then P/2 merged row pairs. With ``fft.arithmetic`` the passes run at the widths of the
functional path (``fixedpoint/spectral_maps.py``): the first enters one guard bit wider than
its stored word (activations forward, spectra inverse), the forward columns take the rows'
output word, the inverse rows the columns' word plus the merge bit.

Per stage of a pass, for every 1-D transform (``fdsim/spec/fft_structure.py`` gives stages):

* every butterfly adds and subtracts: radix 2, 2 complex adds (4 real); radix 4, 8 complex
  adds (16 real), at the stage's exact sum width;
* a multiplying stage multiplies every non-zero butterfly output by its twiddle (radix 2: one
  complex product per butterfly, radix 4: three), each as ``complex_multiplier`` real
  multiplies and adds, all keyed at the multiplier's operand width (the wider of the butterfly
  difference and the twiddle word);
* a multiplier-free 4-point radix-2 stage rotates by ∓j: the swap is wiring, the negation a
  two's-complement increment, counted as one real add at the stage output width per block.

Splitting (forward) or merging (inverse) the packed real rows adds 4 reals per stored bin pair,
``2·P·(P/2+1)`` per map, at the width of the word between the passes.
"""

from __future__ import annotations

from collections import Counter

from fdsim.counts import Arith, ArithKey
from fdsim.fixedpoint.fft_timing import pipeline_latency_clocks
from fdsim.spec.fft_structure import FftStage, fft_stages, pass_input_bits, reorders_output
from fdsim.spec.hardware import HardwareSpec

_COMPLEX_ADDS_PER_BUTTERFLY = {2: 2, 4: 8}


def stage_arith(stage: FftStage, points: int, hardware: HardwareSpec) -> Counter[ArithKey]:
    """Real operations of ``stage`` in one ``points``-point transform."""
    spec = hardware.fft
    assert spec is not None
    butterflies = points // stage.radix
    counts: Counter[ArithKey] = Counter()
    counts[(Arith.ADD, stage.sum_bits)] += (
        2 * _COMPLEX_ADDS_PER_BUTTERFLY[stage.radix] * butterflies
    )
    if stage.multiplies:
        products = butterflies * (stage.radix - 1)
        mults, adds = spec.complex_multiplier.real_ops
        counts[(Arith.MULT, stage.multiply_bits)] += products * mults
        counts[(Arith.ADD, stage.multiply_bits)] += products * adds
    elif stage.rotates:
        counts[(Arith.ADD, stage.output_bits)] += points // 4
    return counts


def transform_passes(
    points: int, inverse: bool, hardware: HardwareSpec
) -> tuple[tuple[int, tuple[FftStage, ...]], tuple[int, tuple[FftStage, ...]]]:
    """(transforms per map, stages) of the first and of the second pass of one P×P map."""
    spec, numerics = hardware.fft, hardware.numerics
    assert spec is not None
    rows, columns = points // 2, points // 2 + 1
    first_bits, second_bits = pass_input_bits(spec, numerics, points, inverse)
    first = fft_stages(spec, numerics, points, first_bits)
    second = fft_stages(spec, numerics, points, second_bits)
    if inverse:
        return (columns, first), (rows, second)
    return (rows, first), (columns, second)


def transform_arith(
    maps: int, points: int, inverse: bool, hardware: HardwareSpec
) -> Counter[ArithKey]:
    """Real operations of ``maps`` 2-D transforms of ``points`` × ``points``."""
    first, second = transform_passes(points, inverse, hardware)
    spec = hardware.fft
    assert spec is not None
    # the word between the passes: the second pass's input less the inverse's merge bit
    between = pass_input_bits(spec, hardware.numerics, points, inverse)[1] - inverse
    counts: Counter[ArithKey] = Counter()
    for transforms, stages in (first, second):
        for stage in stages:
            for key, n in stage_arith(stage, points, hardware).items():
                counts[key] += maps * transforms * n
    counts[(Arith.ADD, between)] += maps * 2 * points * (points // 2 + 1)
    return counts


def transform_latency_cycles(points: int, hardware: HardwareSpec) -> int:
    """Pipeline latency of one pass of ``points``-point transforms on the engine: its delay
    lines, ``multiplier_pipeline_cycles`` per multiplying stage, the stage registers and the
    reorder buffer (``fixedpoint/fft_timing.py``)."""
    spec = hardware.fft
    assert spec is not None
    stages = fft_stages(spec, hardware.numerics, points, hardware.numerics.spectra.total_bits)
    depths = [spec.multiplier_pipeline_cycles for stage in stages if stage.multiplies]
    return pipeline_latency_clocks(stages, spec.samples_per_cycle, depths, reorders_output(spec))
