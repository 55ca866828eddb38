"""Properties of the engine on random small workloads and hardware (Hypothesis), over whole
training steps: every layer × phase (fwd, bwd_data, bwd_weight, update) obeys them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fdsim.schedule.bounds import layer_bounds
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import OpKind, Phase
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate
from fdsim.spec.hardware import (
    BufferSpec,
    BuffersSpec,
    CmacSpec,
    DramSpec,
    FftSpec,
    HardwareSpec,
    NumericsSpec,
    StreamUnitSpec,
)
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import Workload


@st.composite
def cases(draw: st.DrawFn) -> tuple[Workload, HardwareSpec]:
    size = draw(st.sampled_from([8, 16, 32]))
    pooled = draw(st.sampled_from([size // 2, size // 4, size]))
    channels = draw(st.integers(1, 4))
    out_channels = draw(st.integers(1, 12))
    classes = draw(st.integers(2, 10))
    layers = [
        {
            "name": "conv1",
            "kind": "conv",
            "out_channels": out_channels,
            "kernel": 3,
            "stride": draw(st.sampled_from([1, 2])),
        },
        {"name": "act1", "kind": "activation", "function": "linear_sigmoid"},
        {"name": "pool1", "kind": "pool", "method": "spectral", "output_size": pooled // 2},
        {"name": "conv2", "kind": "conv", "out_channels": draw(st.integers(1, 8)), "kernel": 3},
        {"name": "fc1", "kind": "fc", "out_features": draw(st.integers(4, 40))},
        {"name": "act2", "kind": "activation", "function": "relu"},
        {"name": "pool2", "kind": "pool", "method": "max", "kernel": 1},
        {"name": "fc2", "kind": "fc", "out_features": classes},
        {"name": "loss", "kind": "loss"},
    ]
    workload = Workload.model_validate(
        {
            "name": "random",
            "input": {"channels": channels, "height": size, "width": size, "classes": classes},
            "batch_size": draw(st.integers(1, 8)),
            "training": {"momentum": draw(st.sampled_from([0.0, 0.9])), "weight_decay": 1e-4},
            "layers": layers,
        }
    )
    word = 4

    def buffer(min_kib: int) -> BufferSpec:
        kib = draw(st.integers(min_kib, 64))
        return BufferSpec(
            size_bytes=kib * 1024,
            banks=4,
            word_bytes=word,
            bytes_per_cycle=draw(st.sampled_from([16, 64, 512])),
        )

    q16 = QFormat(total_bits=16, fraction_bits=8)
    hardware = HardwareSpec(
        name="random",
        clock_hz=draw(st.sampled_from([200_000_000, 1_000_000_000])),
        fft=FftSpec(
            count=draw(st.integers(1, 3)),
            radix=draw(st.sampled_from([2, 4])),
            max_points=32,
            samples_per_cycle=draw(st.integers(1, 4)),
            pipeline_latency_cycles=draw(st.integers(0, 100)),
        ),
        cmac=CmacSpec(
            lanes=draw(st.sampled_from([4, 16, 64])),
            pipeline_latency_cycles=draw(st.integers(0, 8)),
        ),
        crop=StreamUnitSpec(elements_per_cycle=draw(st.integers(1, 32))),
        activation=StreamUnitSpec(elements_per_cycle=draw(st.integers(1, 32))),
        update=StreamUnitSpec(elements_per_cycle=8),
        buffers=BuffersSpec(
            activations=buffer(16),
            weights=buffer(16),
            gradients=buffer(16),
            outputs=buffer(16) if draw(st.booleans()) else None,
        ),
        dram=DramSpec(
            bandwidth_bytes_per_s=draw(st.integers(10**8, 10**11)),
            latency_ns=draw(st.sampled_from([0.0, 50.0, 120.0])),
        ),
        numerics=NumericsSpec(
            activations=q16,
            weights=q16,
            gradients=q16,
            spectra=q16,
            accumulators=QFormat(total_bits=32, fraction_bits=16),
            twiddles=q16,
        ),
        energy_table="energy/45nm.yaml",
    )
    return workload, hardware


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases(), st.integers(2, 8))
def test_more_dram_bandwidth_never_adds_cycles(case, factor) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    faster = hardware.model_copy(
        update={
            "dram": hardware.dram.model_copy(
                update={"bandwidth_bytes_per_s": hardware.dram.bandwidth_bytes_per_s * factor}
            )
        }
    )
    slow = simulate(compile_schedule(workload, hardware), hardware).total_cycles
    fast = simulate(compile_schedule(workload, faster), faster).total_cycles
    assert fast <= slow


@FAST
@given(cases())
def test_simulated_cycles_never_below_the_analytic_bound(case) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    trace = simulate(schedule, hardware)
    for layer, bound in zip(count(schedule, trace), layer_bounds(schedule, hardware), strict=True):
        assert layer.cycles >= bound.cycles
    total_work = max(
        sum(b.unit_cycles.get(u, 0) for b in layer_bounds(schedule, hardware))
        for u in {u for b in layer_bounds(schedule, hardware) for u in b.unit_cycles}
    )
    assert trace.total_cycles >= total_work


@FAST
@given(cases())
def test_every_phase_is_compiled_and_bounded(case) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    phases = {plan.phase for plan in schedule.layers}
    assert phases == set(Phase)
    trace = simulate(schedule, hardware)
    counts = count(schedule, trace)
    for plan, layer in zip(schedule.layers, counts, strict=True):
        assert layer.units, f"{plan.name} {plan.phase} has no ops"


@FAST
@given(cases())
def test_reduction_tiles_are_the_tiles_the_ops_reduce(case) -> None:  # type: ignore[no-untyped-def]
    """bwd_weight reduces over images: its products take the recorded image tiles in order,
    cycling once per output tile, and read partial sums back exactly after the first."""
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    for index, plan in enumerate(schedule.layers):
        if plan.phase is not Phase.BACKWARD_WEIGHT:
            continue
        tiles = plan.reduction_tiles
        assert sum(tiles) == workload.batch_size
        products = [
            op for op in schedule.ops if op.layer == index and op.kind in (OpKind.CMAC, OpKind.GEMM)
        ]
        assert [op.in_channels for op in products] == list(tiles) * (len(products) // len(tiles))
        for position, op in enumerate(products):
            assert (op.partial_in_bytes > 0) == (position % len(tiles) > 0)
