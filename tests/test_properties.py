"""Properties of the engine on random small workloads and hardware (Hypothesis), over whole
training steps: every layer × phase (fwd, bwd_data, bwd_weight, update) obeys them.

The workloads mix the domains: spectral, hybrid and spatial convolutions (strided; hybrid and
spatial ones padded), on hardware with or without a systolic array for the matrix products,
spectral activations (fused affine, quadratic self-convolution) and crop pooling, spatial
ReLU, quadratic, average and windowed max pools (kernel 2 or 3, overlapping or not), then an FC
head. Half the cases get a gradients buffer small enough that in-step stash slots spill."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fdsim.errors import SpecFieldError
from fdsim.schedule.bounds import layer_bounds
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.lower import lower
from fdsim.schedule.ops import Buffer, ComputeOp, DmaOp, OpKind, Phase, Tensor
from fdsim.sim.counters import count
from fdsim.sim.engine import simulate
from fdsim.spec.hardware import (
    BufferSpec,
    BuffersSpec,
    CmacSpec,
    Dataflow,
    DramSpec,
    FftSpec,
    HardwareSpec,
    NumericsSpec,
    StreamUnitSpec,
    SystolicArraySpec,
)
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import Workload

QUADRATIC = {"function": "quadratic", "coefficients": [0.0, 0.5, 0.25]}


def _walks(layers: list[dict[str, Any]], base: dict[str, Any], hardware: HardwareSpec) -> bool:
    """Does the lowering accept ``layers`` (with an FC to the classes and the loss after)?"""
    classes = base["input"]["classes"]
    head = [
        {"name": "_fc", "kind": "fc", "out_features": classes},
        {"name": "_loss", "kind": "loss"},
    ]
    try:
        lower(Workload.model_validate({**base, "layers": [*layers, *head]}), hardware)
    except SpecFieldError:
        return False
    return True


def _add_first_valid(
    layers: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    base: dict[str, Any],
    hardware: HardwareSpec,
) -> None:
    """Append the first candidate the walk accepts after ``layers`` (none if it takes none):
    a kernel larger than the map, a stride not dividing the grid, a grid beyond the FFT."""
    for layer in candidates:
        if _walks([*layers, layer], base, hardware):
            layers.append(layer)
            return


ELEMENTWISE = ("sigmoid", "spectral_quadratic", "crop", "relu", "quadratic", "max", "average")
STASHED = ("relu", "quadratic", "max")  # spatial layers whose backward needs an in-step stash


@st.composite
def _elementwise(
    draw: st.DrawFn, name: str, kinds: tuple[str, ...] = ELEMENTWISE
) -> dict[str, Any]:
    """An activation or pool, spectral (fused affine, self-convolution, crop) or spatial
    (hybrid: relu, quadratic, average or windowed max pool, overlapping or not)."""
    kind = draw(st.sampled_from(kinds))
    if kind == "sigmoid":
        return {"name": name, "kind": "activation", "function": "linear_sigmoid"}
    if kind == "spectral_quadratic":
        return {"name": name, "kind": "activation", "domain": "spectral", **QUADRATIC}
    if kind == "crop":
        size = draw(st.integers(1, 8))
        return {
            "name": name,
            "kind": "pool",
            "domain": "spectral",
            "method": "spectral",
            "output_size": size,
        }
    if kind == "relu":
        return {"name": name, "kind": "activation", "domain": "hybrid", "function": "relu"}
    if kind == "quadratic":
        return {"name": name, "kind": "activation", "domain": "hybrid", **QUADRATIC}
    kernel = draw(st.sampled_from([2, 3]))
    stride = draw(st.integers(1, kernel))
    window = {"kernel": kernel, "stride": stride}
    return {"name": name, "kind": "pool", "domain": "hybrid", "method": kind, **window}


@st.composite
def _workload(draw: st.DrawFn, hardware: HardwareSpec, stashing: bool) -> Workload:
    """One or two conv blocks (spectral or hybrid conv, strided, hybrid ones padded, then up
    to two activations/pools of either domain), an FC head with a vector activation and a
    1-element max pool, and the loss. ``stashing``: a larger batch, and the first block's
    first layer after the conv one that stashes maps (ReLU mask, quadratic input, argmax)."""
    size = draw(st.sampled_from([8, 12, 16, 32]))
    classes = draw(st.integers(2, 10))
    domain = draw(st.sampled_from(["spectral", "hybrid", "spatial"]))
    base = {
        "name": "random",
        "input": {
            "channels": draw(st.integers(1, 4)),
            "height": size,
            "width": size,
            "classes": classes,
        },
        "batch_size": draw(st.integers(4 if stashing else 1, 8)),
        "domain": domain,
        "training": {"momentum": draw(st.sampled_from([0.0, 0.9])), "weight_decay": 1e-4},
    }
    layers: list[dict[str, Any]] = []
    for block in range(1, draw(st.integers(1, 2)) + 1):
        conv = {
            "name": f"conv{block}",
            "kind": "conv",
            "domain": draw(st.sampled_from(["spectral", "hybrid", "spatial"])),
            "out_channels": draw(st.integers(1, 12 if block == 1 else 8)),
            "kernel": draw(st.sampled_from([1, 3, 5])),
            "stride": draw(st.sampled_from([1, 2])),
            "padding": draw(st.integers(0, 2)),
        }
        fallbacks = [{**conv, "padding": 0}, {**conv, "padding": 0, "stride": 1, "kernel": 1}]
        _add_first_valid(layers, [conv, *fallbacks], base, hardware)
        for position in range(draw(st.integers(int(stashing and block == 1), 2))):
            kinds = STASHED if stashing and block == 1 and position == 0 else ELEMENTWISE
            layer = draw(_elementwise(f"ew{block}{position}", kinds))
            _add_first_valid(layers, [layer], base, hardware)
    vector_activation = draw(
        st.sampled_from([{"function": "relu"}, {"function": "linear_sigmoid"}, QUADRATIC])
    )
    layers += [
        {"name": "fc1", "kind": "fc", "out_features": draw(st.integers(4, 40))},
        {"name": "act_fc", "kind": "activation", **vector_activation},
        {"name": "pool_fc", "kind": "pool", "method": "max", "kernel": 1},
        {"name": "fc2", "kind": "fc", "out_features": classes},
        {"name": "loss", "kind": "loss"},
    ]
    for layer in layers:  # the workload's domain stands for the layers that would repeat it
        if layer.get("domain") == domain:
            del layer["domain"]
    return Workload.model_validate({**base, "layers": layers})


@st.composite
def cases(draw: st.DrawFn) -> tuple[Workload, HardwareSpec]:
    word = 4

    def buffer(min_bytes: int = 16 * 1024, max_bytes: int = 64 * 1024) -> BufferSpec:
        return BufferSpec(
            size_bytes=draw(st.integers(min_bytes // 16, max_bytes // 16)) * 16,
            banks=4,
            word_bytes=word,
            bytes_per_cycle=draw(st.sampled_from([16, 64, 512])),
            ports=draw(st.sampled_from([1, 2])),
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
            multiplier_pipeline_cycles=draw(st.integers(0, 12)),
        ),
        cmac=CmacSpec(
            lanes=draw(st.sampled_from([4, 16, 64])),
            pipeline_latency_cycles=draw(st.integers(0, 8)),
        ),
        crop=StreamUnitSpec(elements_per_cycle=draw(st.integers(1, 32))),
        activation=StreamUnitSpec(elements_per_cycle=draw(st.integers(1, 32))),
        update=StreamUnitSpec(elements_per_cycle=8),
        # half the cases: the matrix products (FC, spatial conv) on a systolic array
        systolic_array=SystolicArraySpec(
            rows=draw(st.sampled_from([2, 4, 8])),
            cols=draw(st.sampled_from([2, 4, 8])),
            dataflow=draw(st.sampled_from(list(Dataflow))),
        )
        if draw(st.booleans())
        else None,
        buffers=BuffersSpec(
            activations=buffer(),
            weights=buffer(),
            gradients=buffer(),
            outputs=buffer() if draw(st.booleans()) else None,
        ),
        dram=DramSpec(
            bandwidth_bytes_per_s=draw(st.integers(10**8, 10**11)),
            latency_ns=draw(st.sampled_from([0.0, 50.0, 120.0])),
            burst_bytes=draw(st.sampled_from([1, 32, 64])),
            queue_depth=draw(st.sampled_from([1, 2, 8])),
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
    # half the cases: a gradients buffer so small that in-step stash slots spill to DRAM
    spill = draw(st.booleans())
    workload = draw(_workload(hardware, spill))
    hardware = _fitting(workload, hardware)
    if spill:
        hardware = _spilling(workload, hardware, draw(st.sampled_from([0.25, 0.5, 0.9])))
    return workload, hardware


def _with_buffer(hardware: HardwareSpec, name: str, size_bytes: int) -> HardwareSpec:
    old = getattr(hardware.buffers, name)
    step = old.banks * old.word_bytes
    grown = old.model_copy(update={"size_bytes": max(step, size_bytes // step * step)})
    return hardware.model_copy(
        update={"buffers": hardware.buffers.model_copy(update={name: grown})}
    )


def _fitting(workload: Workload, hardware: HardwareSpec) -> HardwareSpec:
    """``hardware`` with each buffer too small for one of the workload's tiles doubled until
    the training step compiles (the generated layers always lower; only sizes may not fit)."""
    for _attempt in range(32):
        try:
            compile_schedule(workload, hardware)
        except SpecFieldError as problem:
            if problem.path[:1] != ("buffers",):
                raise
            name = str(problem.path[1])
            size = getattr(hardware.buffers, name).size_bytes
            hardware = _with_buffer(hardware, name, 2 * size)
            continue
        return hardware
    raise AssertionError("no buffer size fits the workload")


def _spilling(workload: Workload, hardware: HardwareSpec, fraction: float) -> HardwareSpec:
    """``hardware`` with a gradients buffer whose kept half cannot hold every in-step stash
    slot (so at least one spills to DRAM): ``fraction`` of twice their total, or just below
    it, if the step compiles there; else unchanged (a stash too small to spill before the
    backward's tiles stop fitting)."""
    schedule = compile_schedule(workload, hardware)
    total = sum(op.stash_write_bytes for op in schedule.ops if isinstance(op, ComputeOp))
    if not total:
        return hardware
    for size in (int(2 * total * fraction), 2 * total - 1):
        smaller = _with_buffer(hardware, "gradients", size)
        try:
            compile_schedule(workload, smaller)
        except SpecFieldError:
            continue
        return smaller
    return hardware


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


def _wider_ports(hardware: HardwareSpec, factor: int) -> HardwareSpec:
    """``hardware`` with every buffer's port ``factor`` times as wide."""
    buffers = {
        name: spec.model_copy(update={"bytes_per_cycle": spec.bytes_per_cycle * factor})
        for name in ("activations", "weights", "gradients", "outputs")
        if (spec := getattr(hardware.buffers, name)) is not None
    }
    return hardware.model_copy(update={"buffers": hardware.buffers.model_copy(update=buffers)})


@FAST
@given(cases(), st.integers(2, 8))
def test_wider_sram_ports_never_add_cycles(case, factor) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    wide = _wider_ports(hardware, factor)
    narrow = simulate(compile_schedule(workload, hardware), hardware).total_cycles
    assert simulate(compile_schedule(workload, wide), wide).total_cycles <= narrow


def _buffers(hardware: HardwareSpec, **update: int) -> HardwareSpec:
    """``hardware`` with every buffer's fields multiplied: ``update`` maps a field to a factor
    (``word_bytes`` to a divisor, so that banks × word_bytes still divides the size)."""
    buffers = {}
    for name in ("activations", "weights", "gradients", "outputs"):
        spec = getattr(hardware.buffers, name)
        if spec is None:
            continue
        changed = {
            field: getattr(spec, field) // factor
            if field == "word_bytes"
            else getattr(spec, field) * factor
            for field, factor in update.items()
        }
        buffers[name] = spec.model_copy(update=changed)
    return hardware.model_copy(update={"buffers": hardware.buffers.model_copy(update=buffers)})


@FAST
@given(cases(), st.sampled_from([2, 4]))
def test_more_sram_banks_never_add_cycles(case, factor) -> None:  # type: ignore[no-untyped-def]
    """``factor`` times the banks of the same width (so the buffers' bandwidth grows with
    them): an op holds as many bank ports as before, and more are free for the others."""
    workload, hardware = case
    banked = _buffers(hardware, banks=factor, bytes_per_cycle=factor, word_bytes=factor)
    fewer = simulate(compile_schedule(workload, hardware), hardware).total_cycles
    assert simulate(compile_schedule(workload, banked), banked).total_cycles <= fewer


@FAST
@given(cases(), st.integers(2, 4))
def test_more_sram_ports_never_add_cycles(case, factor) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    ported = _buffers(hardware, ports=factor)
    fewer = simulate(compile_schedule(workload, hardware), hardware).total_cycles
    assert simulate(compile_schedule(workload, ported), ported).total_cycles <= fewer


@FAST
@given(cases(), st.integers(2, 16))
def test_a_deeper_dram_queue_never_adds_cycles(case, factor) -> None:  # type: ignore[no-untyped-def]
    workload, hardware = case
    dram = hardware.dram.model_copy(update={"queue_depth": hardware.dram.queue_depth * factor})
    deeper = hardware.model_copy(update={"dram": dram})
    shallow = simulate(compile_schedule(workload, hardware), hardware).total_cycles
    assert simulate(compile_schedule(workload, deeper), deeper).total_cycles <= shallow


@FAST
@given(cases(), st.lists(st.integers(1, 4), min_size=4, max_size=4))
def test_any_buffering_finishes(case, factors) -> None:  # type: ignore[no-untyped-def]
    """Every buffer holding 1 to 4 tiles at once: what compiles also runs to the end (with one
    tile, a load never waits for a store queued behind it on the DMA unit; the weight-gradient
    tile is reserved at its real size)."""
    workload, hardware = case
    names = ("activations", "weights", "gradients", "outputs")
    buffers = {
        name: spec.model_copy(update={"buffering": factor})
        for name, factor in zip(names, factors, strict=True)
        if (spec := getattr(hardware.buffers, name)) is not None
    }
    hardware = hardware.model_copy(update={"buffers": hardware.buffers.model_copy(update=buffers)})
    try:
        schedule = compile_schedule(workload, hardware)
    except SpecFieldError:
        return  # a tile that no longer fits is refused, which is the contract
    assert simulate(schedule, hardware).total_cycles > 0


@FAST
@given(cases())
def test_dram_bytes_of_every_layer_sum_to_the_step(case) -> None:  # type: ignore[no-untyped-def]
    """The DRAM bytes the DMA ops move add up, layer by layer and tensor by tensor, to the
    step's total: no byte is counted twice or lost between the levels of the accounting."""
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    layers = count(schedule, simulate(schedule, hardware))
    moved = sum(op.bytes for op in schedule.ops if isinstance(op, DmaOp))
    per_layer = sum(
        n for layer in layers for unit in layer.units.values() for n in unit.dram_bytes.values()
    )
    assert per_layer == moved


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
    """bwd_weight reduces over images (a spatial conv's over images × output positions, an
    overlap-add tiled conv's over images × tiles): its products take the recorded tiles in
    order, cycling once per output tile, and read partial sums back exactly after the first."""
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    products_kinds = (OpKind.CMAC, OpKind.GEMM, OpKind.SYSTOLIC)
    forward = {plan.name: plan for plan in schedule.layers if plan.phase is Phase.FORWARD}
    for index, plan in enumerate(schedule.layers):
        if plan.phase is not Phase.BACKWARD_WEIGHT:
            continue
        tiles = plan.reduction_tiles
        spatial_conv = plan.kind == "conv" and plan.domain == "spatial"
        side = plan.output_shape[1] if len(plan.output_shape) > 1 else 1
        positions = side**2 if spatial_conv else forward[plan.name].tiles.get("tiles_per_map", 1)
        assert sum(tiles) == workload.batch_size * positions
        products = [op for op in schedule.ops if op.layer == index and op.kind in products_kinds]
        assert [op.in_channels for op in products] == list(tiles) * (len(products) // len(tiles))
        for position, op in enumerate(products):
            assert (op.partial_in_bytes > 0) == (position % len(tiles) > 0)


@FAST
@given(cases())
def test_in_step_stash_is_read_back_exactly_once(case) -> None:  # type: ignore[no-untyped-def]
    """Every byte of an in-step stash slot the forward writes, the backward reads (and frees);
    a spilled slot's forward stores to DRAM exactly what its backward loads back into the
    gradients buffer; a kept slot moves nothing through DRAM."""
    workload, hardware = case
    schedule = compile_schedule(workload, hardware)
    names = [plan.name for plan in schedule.layers]
    written: dict[str, int] = {}
    read: dict[str, int] = {}
    stored: dict[str, int] = {}
    loaded: dict[str, int] = {}
    for op in schedule.ops:
        name = names[op.layer]
        if isinstance(op, ComputeOp):
            written[name] = written.get(name, 0) + op.stash_write_bytes
            read[name] = read.get(name, 0) + op.stash_read_bytes
        elif op.tensor is Tensor.STASH and op.kind is OpKind.STORE:
            stored[name] = stored.get(name, 0) + op.bytes
        elif op.tensor is Tensor.STASH and op.kind is OpKind.LOAD and op.dst is Buffer.GRADIENTS:
            loaded[name] = loaded.get(name, 0) + op.bytes
    assert read == written
    assert set(stored) <= {name for name, nbytes in written.items() if nbytes}
    for name, nbytes in written.items():
        assert stored.get(name, 0) in (0, nbytes)
        assert loaded.get(name, 0) == stored.get(name, 0)
