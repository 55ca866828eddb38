"""Streaming time of a pipelined FFT core, in core clocks.

The core takes ``samples_per_clock`` samples per clock, frames back to back; bin 0 of a frame
appears ``latency_clocks`` after its sample 0 is registered (edge 0).  ``latency_clocks`` comes
from the core spec: it depends on pipeline registers the arithmetic does not describe.
"""

from __future__ import annotations

from fdsim.spec.fft_arithmetic import FftCoreSpec


def frame_interval_clocks(core: FftCoreSpec) -> int:
    """Clocks between the starts of consecutive frames (``points / samples_per_clock``)."""
    return core.points // core.samples_per_clock


def stream_clocks(core: FftCoreSpec, frames: int) -> int:
    """Clock edges from registering sample 0 of the first of ``frames`` back-to-back frames
    (edge 0 counted) to the edge after which the last output of the last frame is visible:
    ``frames · points / samples_per_clock + latency_clocks``.  Zero frames take zero clocks."""
    if frames < 0:
        raise ValueError(f"frames must be non-negative, got {frames}")
    if frames == 0:
        return 0
    return frames * frame_interval_clocks(core) + core.latency_clocks
