"""Streaming time of a pipelined FFT core, in core clocks, derived from its structure.

The core takes ``samples_per_clock`` samples per clock, frames back to back; bin 0 of a frame
appears a latency after its sample 0 is registered (edge 0). The latency is the sum of what
each part of a single-path delay-feedback pipeline must wait for or pass through, read from
the generated cores of shared/reference/rtl_fft (dblclockfft ``fftstage.v``, ``butterfly.v``,
``qtrstage.v``, ``laststage.v``, ``bitreverse.v``):

* **delay lines**: a DIF stage of block S cannot emit its first output before the partner
  sample ``x[j + (r−1)·S/r]`` arrives, ``(S − S/r) / samples_per_clock`` clocks (each of the
  parallel paths of a multi-sample core sees every other sample);
* **a multiplying stage**: its multiplier's pipeline depth plus ``MULTIPLY_STAGE_REGISTERS``
  (stage input register, butterfly input latch, sum/difference, product combination,
  rounding, stage output);
* **a multiplier-free stage**: ``ADD_STAGE_REGISTERS`` (sum/difference, rounding, output),
  plus ``ROTATION_REGISTERS`` where it rotates by ∓j (the 4-point radix-2 stage);
* **the reorder buffer** (natural-order output): one whole frame, ``points /
  samples_per_clock``; its read register stands in for the core's input register, which edge 0
  already counts.

Against the two measured cores: 69 derived for 69 measured (N = 16, 1 sample/clock) and 91 for
93 (N = 32, 2 samples/clock; the two-path core has two registers this count does not see).
"""

from __future__ import annotations

from collections.abc import Sequence

from fdsim.spec.fft_arithmetic import FftCoreSpec
from fdsim.spec.fft_structure import FftStage, core_stages

MULTIPLY_STAGE_REGISTERS = 6
ADD_STAGE_REGISTERS = 3
ROTATION_REGISTERS = 1


def pipeline_latency_clocks(
    stages: Sequence[FftStage],
    samples_per_clock: int,
    multiplier_clocks: Sequence[int],
    reorder: bool,
) -> int:
    """Clocks from registering sample 0 of a frame to its bin 0 on the output, for a pipeline
    of ``stages`` (in execution order) whose multiplying stages' multipliers take
    ``multiplier_clocks`` (one entry per multiplying stage, in order), with a reorder buffer
    when ``reorder``. No stages (a 1-point transform, a copy) take no clocks."""
    if not stages:
        return 0
    multiplying = [stage for stage in stages if stage.multiplies]
    if len(multiplier_clocks) != len(multiplying):
        raise ValueError(
            f"{len(multiplying)} multiplying stages need as many multiplier depths, "
            f"got {len(multiplier_clocks)}"
        )
    points = stages[0].block_points
    clocks = sum(
        (stage.block_points - stage.block_points // stage.radix) // samples_per_clock
        for stage in stages
    )
    clocks += sum(multiplier_clocks) + MULTIPLY_STAGE_REGISTERS * len(multiplying)
    for stage in stages:
        if not stage.multiplies:
            clocks += ADD_STAGE_REGISTERS + (ROTATION_REGISTERS if stage.rotates else 0)
    if reorder:
        clocks += points // samples_per_clock
    return clocks


def shift_add_multiplier_clocks(stage: FftStage) -> int:
    """Pipeline depth of dblclockfft's shift-add multiplier (``longbimpy``, two bits of the
    narrower operand per clock): ``⌈min(IW+2, C+1)/2⌉ + 2`` for stage input width IW and
    twiddle width C (``MPYDELAY`` in rtl/butterfly.v, ``bflydelay`` in sw/fftlib.cpp)."""
    assert stage.twiddle_bits is not None
    narrow = min(stage.input_bits + 2, stage.twiddle_bits + 1)
    return (narrow + 1) // 2 + 2


def derived_latency_clocks(core: FftCoreSpec) -> int:
    """The latency the structural model gives a dblclockfft-style core (shift-add multipliers,
    natural-order output), to compare with its measured ``latency_clocks``."""
    stages = core_stages(core.arithmetic, core.points, core.input_width_bits)
    depths = [shift_add_multiplier_clocks(stage) for stage in stages if stage.multiplies]
    return pipeline_latency_clocks(stages, core.samples_per_clock, depths, reorder=True)


def frame_interval_clocks(core: FftCoreSpec) -> int:
    """Clocks between the starts of consecutive frames (``points / samples_per_clock``)."""
    return core.points // core.samples_per_clock


def stream_clocks(core: FftCoreSpec, frames: int) -> int:
    """Clock edges from registering sample 0 of the first of ``frames`` back-to-back frames
    (edge 0 counted) to the edge after which the last output of the last frame is visible:
    ``frames · points / samples_per_clock + latency_clocks`` (the measured latency).  Zero
    frames take zero clocks."""
    if frames < 0:
        raise ValueError(f"frames must be non-negative, got {frames}")
    if frames == 0:
        return 0
    return frames * frame_interval_clocks(core) + core.latency_clocks
