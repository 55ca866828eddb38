"""The FFT unit's transpose (corner-turn) memory: every map's P × (P/2 + 1) complex words are
written by the row pass and read by the column pass; the memory is sized, priced and leaks as
SRAM of its own (``schedule.ops.transpose_spec``)."""

from __future__ import annotations

from pathlib import Path

from fdsim.api import run
from fdsim.cost.area import sum_sram_bytes
from fdsim.schedule.ops import Phase, transpose_spec
from fdsim.spec.load import load_hardware

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")


def test_lenet_c1_forward_fft_turns_every_map() -> None:
    """c1's input FFT: 32 images × 1 channel on a 32-point grid, 16-bit spectra parts."""
    result = run(HARDWARE, Path("workloads/lenet5.yaml"), {Phase.FORWARD})
    traffic = result.traffic
    rows = traffic[(traffic["layer"] == "c1") & (traffic["memory"] == "transpose")]
    turned = 32 * 32 * (32 // 2 + 1) * 4
    assert dict(zip(rows["direction"], rows["bytes"], strict=True)) == {
        "write": turned,
        "read": turned,
    }


def test_the_transpose_memory_is_sram_of_its_own() -> None:
    hardware = load_hardware(HARDWARE).spec
    fft = hardware.fft
    assert fft is not None
    spec = transpose_spec(hardware)
    # two frames per engine of max_points × (max_points/2 + 1) complex 16-bit words
    assert spec.size_bytes == 2 * fft.count * fft.max_points * (fft.max_points // 2 + 1) * 4
    buffers = hardware.buffers
    tiles = sum(
        b.size_bytes
        for b in (buffers.activations, buffers.weights, buffers.gradients, buffers.outputs)
        if b is not None
    )
    assert sum_sram_bytes(hardware) == tiles + spec.size_bytes
