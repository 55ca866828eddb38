"""The golden case (conftest.GOLDEN_*) as a whole training step, derived by hand from the unit
models in docs/ARCHITECTURE.md. Everything is serial on the DMA channel (4 bytes/cycle, no
latency), so each span follows from the previous one.

Sizes: an 8×8 half-spectrum is 8·5 = 40 complex bins of 4 bytes; conv1 has 1·2 = 2 kernels;
fc1 maps 2·8·8 = 128 features to 2 logits; every value is 16 bits (2 bytes), partial sums too
(accumulators are 16-bit and no partial_sums format is given). A transform op waits the FFT
pipeline latency of 8-point transforms twice (row and column pass): 30 clocks each, derived in
test_golden.py.
"""

from __future__ import annotations

from pathlib import Path

from fdsim.api import run
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import Phase
from fdsim.schedule.spectral_bins import sinc_projection_macs
from fdsim.sim.engine import simulate
from fdsim.spec.load import load_hardware, load_workload

BYTES_PER_CYCLE = 4
LANES = 4
BINS = 8 * (8 // 2 + 1)  # 40
FEATURES = 2 * 8 * 8  # 128
FFT_LATENCY = 4 + 2 + 1 + 2 * 6 + 3 + 8  # delay lines, 2 multiplying stages, 2-point stage, reorder


def dma(nbytes: int) -> int:
    return -(-nbytes // BYTES_PER_CYCLE)


def _timeline() -> list[tuple[str, str, str, int]]:
    """(layer, phase, op kind, cycles) of every backward and update op, in program order."""
    fc_params = 2 * FEATURES + 2  # weights and biases
    conv_params = 2 * 2 * BINS  # two reals per complex weight bin
    # sinc projection, N = 8, k = 3: k·N·(N/2+1) + k·(k//2+1)·N + k²·(N/2+1) + N·k·(N/2+1)
    projection_macs = 3 * 8 * 5 + 3 * 2 * 8 + 9 * 5 + 8 * 3 * 5
    assert projection_macs == sinc_projection_macs(8, 3) == 333
    return [
        # loss: dL/dlogits from the 2 logits re-read from DRAM, 4 elements per cycle
        ("loss", "bwd_data", "load", dma(2 * 2)),
        ("loss", "bwd_data", "loss_grad", 1),
        ("loss", "bwd_data", "store", dma(2 * 2)),
        # fc1 ∂x = g·W: weights again, g; outputs over lanes: ⌈128/4⌉ groups × ⌈2/4⌉ cycles
        ("fc1", "bwd_data", "load", dma(2 * FEATURES * 2)),
        ("fc1", "bwd_data", "load", dma(2 * 2)),
        ("fc1", "bwd_data", "gemm", (FEATURES // LANES) * 1),
        ("fc1", "bwd_data", "store", dma(FEATURES * 2)),
        # fc1 ∂W, ∂β = gᵀ·[x 1]: x re-read (stash), g; 2·129 outputs over 4 lanes × ⌈1/4⌉
        ("fc1", "bwd_weight", "load", dma(FEATURES * 2)),
        ("fc1", "bwd_weight", "load", dma(2 * 2)),
        ("fc1", "bwd_weight", "gemm", -(-2 * (FEATURES + 1) // LANES)),
        ("fc1", "bwd_weight", "store", dma(2 * (FEATURES + 1) * 2)),
        # the forward's iFFT transposed: an FFT of the 2 gradient maps, (8+1)·8 samples each
        ("fc1", "bwd_data", "load", dma(FEATURES * 2)),
        ("fc1", "bwd_data", "fft", 2 * 9 * 8 + 2 * FFT_LATENCY),
        ("fc1", "bwd_data", "store", dma(2 * BINS * 4)),
        # conv1 is the first layer: no ∂X. ∂W = X·conj(G): 2 kernels on 2 lanes, 2 lanes over
        # bins, ⌈40/2⌉ passes × 1 image
        ("conv1", "bwd_weight", "load", dma(2 * BINS * 4)),
        ("conv1", "bwd_weight", "load", dma(BINS * 4)),
        ("conv1", "bwd_weight", "cmac", BINS // 2),
        ("conv1", "bwd_weight", "store", dma(2 * BINS * 4)),
        ("conv1", "bwd_weight", "load", dma(2 * BINS * 4)),
        ("conv1", "bwd_weight", "project", -(-2 * projection_macs // LANES)),
        ("conv1", "bwd_weight", "store", dma(2 * BINS * 4)),
        # SGD (no momentum, no decay): load w and g, 4 values per cycle, store w
        ("fc1", "update", "load", dma(fc_params * 2)),
        ("fc1", "update", "load", dma(fc_params * 2)),
        ("fc1", "update", "update", -(-fc_params // 4)),
        ("fc1", "update", "store", dma(fc_params * 2)),
        ("conv1", "update", "load", dma(conv_params * 2)),
        ("conv1", "update", "load", dma(conv_params * 2)),
        ("conv1", "update", "update", conv_params // 4),
        ("conv1", "update", "store", dma(conv_params * 2)),
    ]


def test_golden_training_step_timeline(golden_files: tuple[Path, Path]) -> None:
    hardware, workload = golden_files
    hw, wl = load_hardware(hardware).spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw)
    trace = simulate(schedule, hw)
    backward = [
        (schedule.layers[op.layer].name, schedule.layers[op.layer].phase.value, op.kind.value, t)
        for op, t in zip(schedule.ops, trace.timings, strict=True)
        if schedule.layers[op.layer].phase is not Phase.FORWARD
    ]
    clock = 1001  # the forward's end (test_golden.py: FFT latencies and the fc1 bias load)
    expected = []
    for layer, phase, kind, cycles in _timeline():
        expected.append((layer, phase, kind, clock, clock + cycles))
        clock += cycles
    assert [(n, p, k, t.start, t.end) for n, p, k, t in backward] == expected
    assert FFT_LATENCY == 30
    assert trace.total_cycles == clock == 3115
    plans = [(plan.name, plan.phase.value, plan.reduction_tiles) for plan in schedule.layers]
    assert plans[3:] == [
        ("loss", "bwd_data", ()),
        ("fc1", "bwd_data", (2,)),  # reduced over the 2 output features, one tile
        ("fc1", "bwd_weight", (1,)),  # over the batch of 1
        ("conv1", "bwd_weight", (1,)),
        ("fc1", "update", ()),
        ("conv1", "update", ()),
    ]


def _rows(layers, layer: str, phase: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    rows = layers[(layers["layer"] == layer) & (layers["phase"] == phase)]
    return {row["unit"]: row for row in rows.to_dict("records")}


def test_golden_training_step_counts(golden_files: tuple[Path, Path]) -> None:
    result = run(*golden_files)
    layers, summary = result.layers, result.summary
    fc_w, conv_w = _rows(layers, "fc1", "bwd_weight"), _rows(layers, "conv1", "bwd_weight")
    # 1·2·129 real MACs (4-mult lanes: 1 multiply + 1 add each)
    assert (fc_w["cmac"]["mults"], fc_w["cmac"]["adds"]) == (258, 258)
    # 2 kernels × 40 bins × 1 image complex MACs (4 mult, 2 + 2 adds) + the projection's 2·333
    assert conv_w["cmac"]["mults"] == 4 * (2 * BINS + 2 * 333)
    assert conv_w["cmac"]["adds"] == 4 * (2 * BINS + 2 * 333)
    update = _rows(layers, "fc1", "update")["update"]
    assert (update["mults"], update["adds"]) == (258, 258)  # w − lr·g per value
    stash = result.traffic[
        (result.traffic["memory"] == "stash") & (result.traffic["direction"] == "read")
    ]
    assert int(stash["bytes"].sum()) == 4 + FEATURES * 2 + BINS * 4  # logits, x, X
    assert set(summary["phases"]) == {"fwd", "bwd_data", "bwd_weight", "update"}
    assert summary["phases"]["fwd"]["cycles"] == 1001
    # fc1: 2 loads of 258 values (129 each) + ⌈258/4⌉ + a store (129); conv1: 2 × 80 + 40 + 80
    update = sum(cycles for _layer, phase, _kind, cycles in _timeline() if phase == "update")
    assert summary["phases"]["update"]["cycles"] == update == 3 * 129 + 65 + 3 * 80 + 40
    assert summary["total_cycles"] == 3115


def test_momentum_and_weight_decay_stream_velocity(golden_files: tuple[Path, Path]) -> None:
    """With momentum the update also loads and stores v; decay and momentum each add one
    multiply and one add per value."""
    hardware, workload = golden_files
    workload.write_text(workload.read_text() + "training: {momentum: 0.9, weight_decay: 0.0001}\n")
    result = run(hardware, workload)
    update = _rows(result.layers, "fc1", "update")
    values = 2 * FEATURES + 2
    assert (update["update"]["mults"], update["update"]["adds"]) == (3 * values, 3 * values)
    assert update["dma"]["dram_read_bytes"] == 3 * values * 2  # w, v, g
    assert update["dma"]["dram_write_bytes"] == 2 * values * 2  # w, v
    velocity = result.traffic[result.traffic["memory"] == "velocity"]
    assert int(velocity["bytes"].sum()) == 2 * 2 * (values + 2 * 2 * BINS)
