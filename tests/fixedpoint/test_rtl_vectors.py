"""Proof against RTL: the shipped dblclockfft core configs reproduce every output integer of
every frame recorded from the Verilator simulation, wrapped frames included, and the wrap
counter fires exactly on the frames the reference flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ruamel.yaml import YAML

from fdsim.fixedpoint import (
    Carrier,
    ComplexInt,
    OverflowCounter,
    OverflowSite,
    fft,
    frame_interval_clocks,
    plan_core,
    plan_fft,
    stream_clocks,
)
from fdsim.spec.fft_arithmetic import FftCoreSpec
from fdsim.spec.numerics import OverflowMode

REPO = Path(__file__).resolve().parents[2]
# Copied from the project's shared reference (README.md beside them says how they were made).
REFERENCE = Path(__file__).resolve().parent / "rtl_vectors"
CORES = ["a16_fwd_n12_k1", "b32_fwd_n16_dblclk"]


def load_core(name: str) -> FftCoreSpec:
    raw = YAML(typ="safe").load((REPO / "hwconfigs" / "fft_ip" / f"{name}.yaml").read_text())
    return FftCoreSpec.model_validate(raw)


def load_reference(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / f"{name}.json").read_text())
    return data


def frames_as_complex(frames: list[dict[str, Any]], key: str) -> ComplexInt:
    values = np.array([frame[key] for frame in frames], dtype=np.int64)
    return ComplexInt(values[..., 0].copy(), values[..., 1].copy())


@pytest.mark.parametrize("name", CORES)
def test_core_spec_matches_reference_parameters(name: str) -> None:
    core, ref = load_core(name), load_reference(name)
    params = ref["parameters"]
    assert (core.points, core.direction.value) == (params["fft_size"], params["direction"])
    assert (core.input_width_bits, core.output_width_bits) == (
        params["input_width"],
        params["output_width"],
    )
    assert core.samples_per_clock == params["samples_per_clock"]
    plan = plan_core(core)
    assert [(s.input_width_bits, s.output_width_bits) for s in plan.stages] == [
        (s["in_width"], s["out_width"]) for s in ref["stages"]
    ]
    multiplying = [s for s in plan.stages if s.uses_multiplier]
    assert [s.twiddle_width_bits for s in multiplying] == params[
        "twiddle_widths_per_multiply_stage"
    ]
    assert [1 << s.twiddle_unity_log2 for s in multiplying] == [
        s["twiddle_unity"] for s in ref["stages"] if "twiddle_unity" in s
    ]
    assert -plan.gain_log2 == params["halving_stages"]


@pytest.mark.parametrize("carrier", list(Carrier))
@pytest.mark.parametrize("name", CORES)
def test_every_frame_bit_exact_with_wrap_flags(name: str, carrier: Carrier) -> None:
    core, ref = load_core(name), load_reference(name)
    plan = plan_fft(core.arithmetic, core.points, core.direction, core.input_width_bits, carrier)
    assert plan_core(core).carrier is Carrier.COMPLEX128  # both cores are float-exact
    frames = ref["frames"]
    assert len(frames) == 119
    # Whole batch at once: every integer of every frame.
    batch = fft(
        frames_as_complex(frames, "input"), plan, OverflowCounter(), OverflowSite("spectra", name)
    )
    expected = frames_as_complex(frames, "output")
    assert batch.equals(expected)
    # Frame by frame: the wrap counter is non-zero exactly on the flagged frames.
    flagged, counted = [], []
    for frame in frames:
        counter = OverflowCounter()
        one = fft(frames_as_complex([frame], "input"), plan, counter, OverflowSite("spectra", name))
        assert one.equals(frames_as_complex([frame], "output"))
        assert counter.events(OverflowMode.SATURATE) == 0
        counted.append(counter.events(OverflowMode.WRAP) > 0)
        flagged.append(bool(frame["model_wrap_occurred"]))
    assert counted == flagged
    assert sum(flagged) == {"a16_fwd_n12_k1": 6, "b32_fwd_n16_dblclk": 8}[name]


@pytest.mark.parametrize("name", CORES)
def test_streaming_latency_matches_rtl(name: str) -> None:
    core, ref = load_core(name), load_reference(name)
    latency = ref["timing"]["latency_clocks"]
    assert core.latency_clocks == latency
    interval = core.points // core.samples_per_clock
    assert (
        frame_interval_clocks(core)
        == interval
        == {"a16_fwd_n12_k1": 16, "b32_fwd_n16_dblclk": 16}[name]
    )
    assert stream_clocks(core, 1) == interval + latency
    assert stream_clocks(core, 119) == 119 * interval + latency
    assert stream_clocks(core, 0) == 0
