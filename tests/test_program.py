"""The program builder (schedule/program.py): numbering, the step barrier, the store queue,
typed ops, and the buffering factor's effect on tile allocations."""

from __future__ import annotations

from pathlib import Path

import pytest

from fdsim.errors import ConfigError, SpecFieldError
from fdsim.operators.fold import Fold
from fdsim.operators.relu import Relu
from fdsim.operators.spectral_crop import Crop
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import (
    Buffer,
    CmacOp,
    DmaOp,
    FftOp,
    GemmOp,
    OpKind,
    Phase,
    StreamOp,
    Tensor,
)
from fdsim.schedule.program import Holds, ProgramBuilder, Traffic
from fdsim.schedule.tiling import largest_fitting
from fdsim.spec.load import load_hardware, load_workload

ACT, WEIGHTS = Buffer.ACTIVATIONS, Buffer.WEIGHTS
IN_PLACE = Traffic(ACT, ACT, (16, 16), (2, 2))


RELU, CROP = Relu(), Crop(8, 4)


def _builder() -> ProgramBuilder:
    return ProgramBuilder(Buffer.ACTIVATIONS)


def test_ops_are_numbered_in_program_order_and_stores_wait_for_the_next_loads() -> None:
    program = _builder()
    first = program.load(0, 32, Tensor.ACTIVATIONS, ACT, True)
    relu = program.stream(1, OpKind.ACTIVATE, (first,), IN_PLACE, spectral=False, operator=RELU)
    program.store(1, relu, 32, ((ACT, 32),))
    second = program.load(0, 32, Tensor.ACTIVATIONS, ACT, True)
    program.flush()
    ops = program.ops
    assert [op.index for op in ops] == [0, 1, 2, 3]
    assert [op.kind for op in ops] == [OpKind.LOAD, OpKind.ACTIVATE, OpKind.LOAD, OpKind.STORE]
    assert (first, relu, second) == (0, 1, 2)
    store = ops[3]
    assert isinstance(store, DmaOp)
    assert (store.deps, store.src, store.tensor, store.bytes) == ((1,), ACT, Tensor.ACTIVATIONS, 32)
    assert store.release == ((ACT, 32),)
    assert ops[0].allocate == ((ACT, 32),)
    assert program.stores_since(0) == [3]
    assert program.stores_since(0, layer=0) == []


def test_barrier_holds_input_loads_until_the_previous_step_stores() -> None:
    program = _builder()
    for _tile in range(2):
        load = program.load(0, 8, Tensor.ACTIVATIONS, ACT, True)
        program.flush()
        program.store(0, load, 8, ())
    program.end_step()  # stores at 2 and 3: the barrier is the last one
    weights = program.load(1, 8, Tensor.WEIGHTS, WEIGHTS, False)
    inputs = program.load(1, 8, Tensor.ACTIVATIONS, ACT, True, deps=(weights,), room_bytes=24)
    ops = program.ops
    assert [op.deps for op in ops] == [(), (), (0,), (1,), (), (3, 4)]
    assert ops[inputs].allocate == ((ACT, 24),)
    program.end_step_on([])  # no stores named: the barrier stays
    kept = program.load(2, 8, Tensor.GRADIENTS, ACT, True)
    program.end_step_on([0, 1])
    moved = program.load(2, 8, Tensor.GRADIENTS, ACT, True)
    assert (program.ops[kept].deps, program.ops[moved].deps) == ((3,), (1,))


def test_typed_ops_carry_their_kind_and_their_operator() -> None:
    program = _builder()
    holds = Holds(((ACT, 64),), ((ACT, 32),), stash_write_bytes=4)
    fft = program.transform(0, OpKind.IFFT, (), IN_PLACE, maps=3, points=8, holds=holds)
    square = program.cmac(
        0, (), IN_PLACE, images=2, in_channels=64, out_channels=1, bins=40, self_conv=True
    )
    fc = program.gemm(
        0, (), IN_PLACE, images=2, in_channels=5, out_channels=3, weight_element_bytes=2, bias=True
    )
    relu = program.stream(1, OpKind.ACTIVATE, (), IN_PLACE, spectral=False, operator=RELU)
    crop = program.stream(1, OpKind.CROP, (), IN_PLACE, spectral=True, operator=CROP)
    unfold = program.stream(0, OpKind.UNFOLD, (), IN_PLACE, spectral=True, operator=Fold(2))
    ops = program.ops
    assert isinstance(ops[fft], FftOp) and ops[fft].kind is OpKind.IFFT
    assert (ops[fft].maps, ops[fft].points, ops[fft].stash_write_bytes) == (3, 8, 4)
    assert (ops[fft].allocate, ops[fft].release) == (((ACT, 64),), ((ACT, 32),))
    assert isinstance(ops[square], CmacOp) and ops[square].kind is OpKind.SELF_CONV
    assert isinstance(ops[fc], GemmOp)
    assert (ops[fc].real_macs, ops[fc].bias_elements) == (2 * 3 * 5, 2 * 3)
    streams = [ops[i] for i in (relu, crop, unfold)]
    assert all(isinstance(op, StreamOp) for op in streams)
    assert [op.operator for op in streams if isinstance(op, StreamOp)] == [RELU, CROP, Fold(2)]
    with pytest.raises(AssertionError):
        program.stream(0, OpKind.GEMM, (), IN_PLACE, spectral=False, operator=RELU)
    with pytest.raises(AssertionError):  # a kind the operator does not compile to
        program.stream(0, OpKind.POOL, (), IN_PLACE, spectral=False, operator=RELU)


def test_buffering_factor_divides_what_a_tile_may_take() -> None:
    """100-byte items in 250 bytes: 2 per tile single-buffered, 1 double-buffered; three
    buffers of 100 bytes do not fit."""
    fits = [
        largest_fitting(10, {ACT: 100}, {ACT: 250}, {ACT: factor}, layer="l", what="map")
        for factor in (1, 2)
    ]
    assert fits == [2, 1]
    with pytest.raises(SpecFieldError) as raised:
        largest_fitting(10, {ACT: 100}, {ACT: 250}, {ACT: 3}, layer="l", what="map")
    assert raised.value.path == ("buffers", "activations", "size_bytes")
    assert raised.value.message == (
        "too small for layer l: one map needs 3 × 100 bytes (triple-buffered), the buffer holds 250"
    )


@pytest.mark.parametrize(("buffering", "loads"), [(1, [512]), (2, [256, 256]), (4, [128] * 4)])
def test_buffering_factor_sets_the_tiles_allocated(
    golden_files: tuple[Path, Path], buffering: int, loads: list[int]
) -> None:
    """Golden hardware, batch 4, an activations buffer of 1152 bytes. The input FFT step keeps
    a map's 8×8 16-bit inputs (128 bytes) and its 8×5 4-byte bins (160 bytes) in that buffer:
    288 bytes per map, so 1152 // (buffering × 288) = 4, 2, 1 maps per tile, and each input
    load allocates that many × 128 bytes; the FFT allocates that many × 160 for its output."""
    hardware, workload = golden_files
    hardware.write_text(
        hardware.read_text().replace(
            "activations: {size_bytes: 65536,",
            f"activations: {{size_bytes: 1152, buffering: {buffering},",
        )
    )
    workload.write_text(workload.read_text().replace("batch_size: 1", "batch_size: 4"))
    hw, wl = load_hardware(hardware).spec, load_workload(workload).spec
    schedule = compile_schedule(wl, hw, {Phase.FORWARD})
    first_weights = next(
        op.index for op in schedule.ops if isinstance(op, DmaOp) and op.tensor is Tensor.WEIGHTS
    )
    step = schedule.ops[:first_weights]
    assert [op.allocate for op in step if op.kind is OpKind.LOAD] == [
        ((ACT, nbytes),) for nbytes in loads
    ]
    ffts = [op for op in step if isinstance(op, FftOp)]
    assert [op.allocate for op in ffts] == [((ACT, nbytes // 128 * 160),) for nbytes in loads]


def test_buffering_factor_is_bounded(golden_files: tuple[Path, Path]) -> None:
    hardware, _ = golden_files
    hardware.write_text(
        hardware.read_text().replace(
            "weights: {size_bytes: 65536,", "weights: {buffering: 5, size_bytes: 65536,"
        )
    )
    with pytest.raises(ConfigError) as raised:
        load_hardware(hardware)
    assert str(raised.value) == (
        f"{hardware}:10: buffers.weights.buffering: must be less than or equal to 4, got 5"
    )
