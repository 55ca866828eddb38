"""Shared fixtures: a hand-computable hardware config and small workloads, as YAML files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Hand-computable: 1 GHz, DRAM 4 bytes/cycle with no latency, one 8-point FFT engine at
# 1 sample/cycle, 4 CMAC lanes, 16-bit values everywhere (complex bins are 4 bytes), buffers
# so large and wide that no tile is split and no SRAM port ever limits.
GOLDEN_HARDWARE = """\
name: golden
clock_hz: 1000000000
fft: {count: 1, radix: 2, max_points: 8, samples_per_cycle: 1, multiplier_pipeline_cycles: 0}
cmac: {lanes: 4, multiplier: four_mult, pipeline_latency_cycles: 0}
crop: {elements_per_cycle: 4}
activation: {elements_per_cycle: 4}
update: {elements_per_cycle: 4}
buffers:
  activations: {size_bytes: 65536, banks: 1, bytes_per_cycle: 4096, word_bytes: 4}
  weights: {size_bytes: 65536, banks: 1, bytes_per_cycle: 4096, word_bytes: 4}
  gradients: {size_bytes: 65536, banks: 1, bytes_per_cycle: 4096, word_bytes: 4}
dram: {bandwidth_bytes_per_s: 4000000000, latency_ns: 0, burst_bytes: 4}  # a burst a cycle
numerics:
  activations: {total_bits: 16, fraction_bits: 8}
  weights: {total_bits: 16, fraction_bits: 8}
  gradients: {total_bits: 16, fraction_bits: 8}
  spectra: {total_bits: 16, fraction_bits: 8}
  accumulators: {total_bits: 16, fraction_bits: 8}
  twiddles: {total_bits: 16, fraction_bits: 14}
energy_table: energy/45nm.yaml
"""

GOLDEN_WORKLOAD = """\
name: golden
input: {channels: 1, height: 8, width: 8, classes: 2}
batch_size: 1
layers:
  - {name: conv1, kind: conv, out_channels: 2, kernel: 3}
  - {name: fc1, kind: fc, out_features: 2}
  - {name: loss, kind: loss}
"""


@pytest.fixture
def golden_files(tmp_path: Path) -> tuple[Path, Path]:
    """(hardware, workload) YAML files of the golden case, with the shipped 45 nm table."""
    (tmp_path / "energy").mkdir()
    shutil.copy(REPO / "hwconfigs/energy/45nm.yaml", tmp_path / "energy/45nm.yaml")
    hardware = tmp_path / "golden_hw.yaml"
    hardware.write_text(GOLDEN_HARDWARE)
    workload = tmp_path / "golden_wl.yaml"
    workload.write_text(GOLDEN_WORKLOAD)
    return hardware, workload
