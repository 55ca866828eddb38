"""The stash rule (docs/ARCHITECTURE.md, "Stash rule"; fdsim/schedule/stash.py) on small
hybrid workloads, every number derived by hand.

The network: one 8×8 input map, a hybrid conv (3×3, no padding: 6×6 outputs, C channels),
a spatial activation and a max pool fused into the conv's iFFT step, an FC to 2 logits and the
loss. The activation and the pool come after the first layer with parameters, so the backward
needs their in-step values: a ReLU mask of 1 bit per input element, an argmax of ⌈log₂ window⌉
bits per output element (window = kernel²), a spatial quadratic's input at the activation width
(16 bits here). With B images that is B·C maps; a slot is a bit stream of
⌈maps·elements·bits/8⌉ bytes. A slot is kept in the gradients buffer while the kept total fits
in half of it (in forward order), else it is spilled: stored to DRAM as tensor ``stash`` by the
forward and loaded back by the backward.

Sizes per 6×6 map: ReLU 36 bits (4.5 bytes); 2×2 pool → 3×3 outputs × 2 bits = 18 bits;
3×3 stride-1 pool → 4×4 outputs × ⌈log₂ 9⌉ = 4 bits = 64 bits (8 bytes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fdsim.api import run
from fdsim.geometry import PoolWindows
from fdsim.operators.base import NO_STASH, StashNeed
from fdsim.operators.polynomial import Polynomial
from fdsim.operators.pool_average import AvgPool
from fdsim.operators.pool_max import MaxPool
from fdsim.operators.relu import Relu
from fdsim.operators.spectral_affine import SpectralAffine
from fdsim.schedule import compile as compile_module
from fdsim.schedule.compile import compile_schedule
from fdsim.schedule.ops import Buffer, ComputeOp, DmaOp, OpKind, Phase, Tensor
from fdsim.schedule.stash import StashPlan
from fdsim.spec.load import load_hardware, load_workload

POOL_2X2 = "kernel: 2"
POOL_3X3_STRIDE_1 = "kernel: 3, stride: 1"


def _files(
    golden: tuple[Path, Path],
    *,
    batch: int,
    channels: int = 3,
    pool: str = POOL_3X3_STRIDE_1,
    activation: str = "function: relu",
    gradients_bytes: int = 65536,
) -> tuple[Path, Path]:
    """The golden hardware (conftest) with a gradients buffer of ``gradients_bytes``, and the
    network above as YAML files next to it."""
    hardware, workload = golden
    hardware.write_text(
        re.sub(
            r"gradients: \{size_bytes: \d+",
            f"gradients: {{size_bytes: {gradients_bytes}",
            hardware.read_text(),
        )
    )
    workload.write_text(
        f"""\
name: stash
input: {{channels: 1, height: 8, width: 8, classes: 2}}
batch_size: {batch}
domain: hybrid
layers:
  - {{name: conv1, kind: conv, out_channels: {channels}, kernel: 3}}
  - {{name: act, kind: activation, {activation}}}
  - {{name: pool, kind: pool, method: max, {pool}}}
  - {{name: fc1, kind: fc, out_features: 2}}
  - {{name: loss, kind: loss}}
"""
    )
    return hardware, workload


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[StashPlan]:
    """Every StashPlan compile_schedule makes, to read its slots and kept bytes."""
    made: list[StashPlan] = []

    class Recorded(StashPlan):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(compile_module, "StashPlan", Recorded)
    return made


def _compile(hardware: Path, workload: Path):  # type: ignore[no-untyped-def]
    return compile_schedule(load_workload(workload).spec, load_hardware(hardware).spec)


def _stash_bytes(schedule, layer: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Per layer: stash bytes the forward's ops write to / the backward's read from the
    gradients buffer, the gradients-buffer bytes the forward's ops allocate, and the DRAM bytes
    of tensor ``stash`` stored / loaded."""
    totals = dict.fromkeys(["written", "read", "allocated", "stored", "loaded"], 0)
    for op in schedule.ops:
        if schedule.layers[op.layer].name != layer:
            continue
        forward = schedule.layers[op.layer].phase is Phase.FORWARD
        if isinstance(op, ComputeOp):
            totals["written"] += op.stash_write_bytes
            totals["read"] += op.stash_read_bytes
            if forward:
                totals["allocated"] += sum(n for b, n in op.allocate if b is Buffer.GRADIENTS)
        elif op.tensor is Tensor.STASH:
            totals["stored" if op.kind is OpKind.STORE else "loaded"] += op.bytes
    return totals


def _dram_stash(traffic, layer: str) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    rows = traffic[
        (traffic["layer"] == layer) & (traffic["level"] == "dram") & (traffic["memory"] == "stash")
    ]
    return {(r["phase"], r["direction"]): int(r["bytes"]) for r in rows.to_dict("records")}


# --- (a) bits per element ---------------------------------------------------------------


def _max(size_in: int, kernel: int, stride: int | None = None) -> StashNeed:
    return MaxPool(PoolWindows.sliding(size_in, kernel, stride or kernel)).stash(16)


def _adaptive_max(size_in: int, size_out: int) -> StashNeed:
    return MaxPool(PoolWindows.adaptive(size_in, size_out)).stash(16)


def test_bits_per_element_of_each_in_step_stash() -> None:
    quadratic = Polynomial((0.0, 0.5, 0.25), quadratic=True)
    assert Relu().stash(16) == StashNeed(1, on_output=False)  # mask: 1 bit per input
    assert quadratic.stash(16) == StashNeed(16, on_output=False)  # x at its width
    assert quadratic.stash(12) == StashNeed(12, on_output=False)
    # argmax on the output: ⌈log₂ kernel²⌉, whatever the stride or the map sizes
    assert _max(6, 2) == StashNeed(2, on_output=True)  # log₂ 4
    assert _max(6, 3) == StashNeed(4, on_output=True)  # ⌈log₂ 9⌉
    # overlapping: the side ⌈6/4⌉ = 2 would give the 2×2 answer; the window is still 3×3
    assert _max(6, 3, 1) == StashNeed(4, on_output=True)
    assert _max(6, 2, 1) == StashNeed(2, on_output=True)
    # non-divisible: 7 → (7−3)//2 + 1 = 3 outputs of 3×3 windows (⌈7/3⌉ = 3 happens to agree)
    assert _max(7, 3, 2) == StashNeed(4, on_output=True)
    assert _max(10, 5) == StashNeed(5, on_output=True)  # ⌈log₂25⌉
    # a 1-element window has nothing to choose: ⌈log₂ 1⌉ = 0 bits, no stash
    assert _max(1, 1) == NO_STASH
    assert _max(6, 1, 2) == NO_STASH
    # output_size pools take adaptive windows ⌊j·n/m⌋ ≤ i < ⌈(j+1)·n/m⌉: 8 → 4 are 2×2 (2
    # bits); 5 → 3 are [0,2), [1,4), [3,5): the largest is 3×3 (4 bits, not ⌈5/3⌉² = 4 → 2)
    assert _adaptive_max(8, 4) == StashNeed(2, on_output=True)
    assert _adaptive_max(5, 3) == StashNeed(4, on_output=True)
    assert _adaptive_max(1, 1) == NO_STASH
    # average pooling needs no stash, nor an affine spatial or spectral activation
    assert AvgPool(PoolWindows.sliding(6, 2, 2)).stash(16) == NO_STASH
    assert Polynomial((0.5, 0.25, 0.0)).stash(16) == NO_STASH
    assert SpectralAffine(0.25, 0.5).stash(16) == NO_STASH


@pytest.mark.parametrize(
    ("activation", "pool", "act_bits", "act_bytes", "pool_bits", "pool_bytes"),
    [
        # B·C = 2·3 = 6 maps. ReLU 6·36·1 = 216 bits = 27 B. 2×2: 6·9·2 = 108 bits → 14 B
        ("function: relu", POOL_2X2, 1, 27, 2, 14),
        # 3×3 stride 1: 6·16·4 = 384 bits = 48 B
        ("function: relu", POOL_3X3_STRIDE_1, 1, 27, 4, 48),
        # quadratic: 6·36·16 = 3456 bits = 432 B
        ("function: quadratic, coefficients: [0, 0.5, 0.25]", POOL_2X2, 16, 432, 2, 14),
    ],
)
def test_slot_bits_and_bytes_in_the_schedule(  # type: ignore[no-untyped-def]
    golden_files, plans, activation, pool, act_bits, act_bytes, pool_bits, pool_bytes
) -> None:
    schedule = _compile(*_files(golden_files, batch=2, pool=pool, activation=activation))
    slots = plans[-1].slots
    assert sorted(slots) == [1, 2]
    assert (slots[1].bits, slots[1].elements_per_item, slots[1].items) == (act_bits, 36, 6)
    assert (slots[2].bits, slots[2].elements_per_item, slots[2].items) == (
        pool_bits,
        pool_outputs(pool),
        6,
    )
    assert (slots[1].total_bytes, slots[2].total_bytes) == (act_bytes, pool_bytes)
    assert _stash_bytes(schedule, "act")["written"] == act_bytes
    assert _stash_bytes(schedule, "pool")["written"] == pool_bytes


def pool_outputs(pool: str) -> int:
    return {POOL_2X2: 3 * 3, POOL_3X3_STRIDE_1: 4 * 4}[pool]


def test_a_one_element_window_stashes_nothing(golden_files, plans) -> None:  # type: ignore[no-untyped-def]
    """A 1×1 max pool (stride 2: 6 → 3) has ⌈log₂ 1⌉ = 0 argmax bits: only the ReLU has a
    slot (27 B, as above); the pool's backward still routes the gradient (max_unpool)."""
    schedule = _compile(*_files(golden_files, batch=2, pool="kernel: 1, stride: 2"))
    assert sorted(plans[-1].slots) == [1]
    assert plans[-1].kept_bytes == 27
    assert _stash_bytes(schedule, "pool") == dict.fromkeys(
        ["written", "read", "allocated", "stored", "loaded"], 0
    )
    unpools = [op for op in schedule.ops if op.kind is OpKind.UNPOOL]
    assert unpools and all(op.stash_read_bytes == 0 for op in unpools)


# --- (b) kept in the gradients buffer ---------------------------------------------------


def test_kept_stash_stays_in_the_gradients_buffer(golden_files, plans) -> None:  # type: ignore[no-untyped-def]
    """B = 2, C = 3, 3×3 stride-1 pool, gradients buffer 64 KiB (budget 32 KiB): ReLU mask
    27 B and argmax 48 B (as above) are both kept: 27 + 48 = 75 B reserved, no DRAM traffic."""
    files = _files(golden_files, batch=2)
    schedule = _compile(*files)
    plan = plans[-1]
    assert plan.budget_bytes == 65536 // 2
    assert [(s.kept, s.total_bytes) for s in plan.slots.values()] == [(True, 27), (True, 48)]
    assert plan.kept_bytes == 27 + 48
    for layer, nbytes in (("act", 27), ("pool", 48)):
        # the forward allocates them in the gradients buffer, the backward reads and frees them
        assert _stash_bytes(schedule, layer) == {
            "written": nbytes,
            "read": nbytes,
            "allocated": nbytes,
            "stored": 0,
            "loaded": 0,
        }
    traffic = run(*files).traffic
    for layer, nbytes in (("act", 27), ("pool", 48)):
        assert _dram_stash(traffic, layer) == {}
        sram = traffic[(traffic["layer"] == layer) & (traffic["memory"] == "gradients")]
        fwd_write = sram[(sram["phase"] == "fwd") & (sram["direction"] == "write")]
        assert int(fwd_write["bytes"].sum()) == nbytes
    # the backward reads them back from the gradients buffer: the activation's op its 27 B of
    # mask; the max-unpool its 48 B of argmax and the gradient of the pool's output, which it
    # loads from DRAM into that buffer: 6 maps · 4·4 values · 2 B = 192 B
    rows = traffic[(traffic["phase"] == "bwd_data") & traffic["layer"].isin(["act", "pool"])]
    reads = rows[(rows["memory"] == "gradients") & (rows["direction"] == "read")]
    assert {(r["layer"], r["level"]): int(r["bytes"]) for r in reads.to_dict("records")} == {
        ("act", "sram"): 27,
        ("pool", "dram"): 192,
        ("pool", "sram"): 192 + 48,
    }


def test_the_kept_budget_is_half_the_gradients_buffer_exactly(golden_files, plans) -> None:  # type: ignore[no-untyped-def]
    """B = 9, C = 3: 27 maps. ReLU 27·36 = 972 bits → ⌈121.5⌉ = 122 B; argmax 27·16·4 = 1728
    bits = 216 B; together 338 B. A 676 B buffer (budget 338) keeps both; a 672 B one (budget
    336) keeps the mask (122 ≤ 336) and spills the argmax (122 + 216 = 338 > 336)."""
    schedule = _compile(*_files(golden_files, batch=9, gradients_bytes=676))
    assert plans[-1].kept_bytes == 338
    assert _stash_bytes(schedule, "pool")["stored"] == 0
    schedule = _compile(*_files(golden_files, batch=9, gradients_bytes=672))
    assert plans[-1].kept_bytes == 122
    assert [s.kept for s in plans[-1].slots.values()] == [True, False]
    pool = _stash_bytes(schedule, "pool")
    assert (pool["stored"], pool["loaded"]) == (216, 216)
    assert _stash_bytes(schedule, "act")["stored"] == 0


# --- (c) spilled to DRAM ----------------------------------------------------------------


def test_spilled_stash_goes_through_dram(golden_files, plans) -> None:  # type: ignore[no-untyped-def]
    """B = 15, C = 3: 45 maps; gradients buffer 384 B, budget 192 B.
    ReLU mask: 45·36·1 = 1620 bits → ⌈202.5⌉ = 203 B > 192: spilled.
    3×3 stride-1 argmax: 45·16·⌈log₂ 9⌉ = 45·16·4 = 2880 bits = 360 B > 192: spilled.
    (With the side ⌈6/4⌉ = 2 the argmax would take 2 bits, 180 B, and be kept.)
    The forward stores exactly those bytes as tensor ``stash``, over its tiles, and the
    backward loads exactly them back, over its own tiles."""
    files = _files(golden_files, batch=15, gradients_bytes=384)
    schedule = _compile(*files)
    assert [(s.kept, s.total_bytes) for s in plans[-1].slots.values()] == [
        (False, 203),
        (False, 360),
    ]
    assert plans[-1].kept_bytes == 0
    for layer, nbytes in (("act", 203), ("pool", 360)):
        assert _stash_bytes(schedule, layer) == {
            "written": nbytes,
            "read": nbytes,
            "allocated": nbytes,
            "stored": nbytes,
            "loaded": nbytes,
        }
    stores = [
        op.bytes
        for op in schedule.ops
        if isinstance(op, DmaOp)
        and op.tensor is Tensor.STASH
        and op.kind is OpKind.STORE
        and schedule.layers[op.layer].name == "act"
    ]
    assert len(stores) > 1  # several tiles, not byte aligned (4.5 B per map), still 203 in all
    traffic = run(*files).traffic
    assert _dram_stash(traffic, "act") == {("fwd", "write"): 203, ("bwd_data", "read"): 203}
    assert _dram_stash(traffic, "pool") == {("fwd", "write"): 360, ("bwd_data", "read"): 360}


def test_a_later_slot_is_kept_after_an_earlier_one_spills(golden_files, plans) -> None:  # type: ignore[no-untyped-def]
    """B = 17, C = 3: 51 maps; gradients buffer 448 B, budget 224 B.
    ReLU mask: 51·36 = 1836 bits → ⌈229.5⌉ = 230 B > 224: spilled.
    2×2 argmax: 51·9·2 = 918 bits → ⌈114.75⌉ = 115 B ≤ 224: kept (115 B reserved)."""
    files = _files(golden_files, batch=17, pool=POOL_2X2, gradients_bytes=448)
    schedule = _compile(*files)
    assert [(s.kept, s.total_bytes) for s in plans[-1].slots.values()] == [
        (False, 230),
        (True, 115),
    ]
    assert plans[-1].kept_bytes == 115
    assert _stash_bytes(schedule, "pool")["allocated"] == 115
    traffic = run(*files).traffic
    assert _dram_stash(traffic, "act") == {("fwd", "write"): 230, ("bwd_data", "read"): 230}
    assert _dram_stash(traffic, "pool") == {}


@pytest.mark.parametrize(
    ("method", "pool", "forward_adds", "backward_mults", "backward_adds"),
    [
        # 6×6 maps, 3 channels, 2 images (6 maps). 2×2/2: 9 windows of 4 → 3 compares each.
        ("max", POOL_2X2, 6 * 9 * 3, 0, 0),
        # 3×3/1: 16 windows of 9 → 8 each; unpooling routes through the argmax (no arithmetic).
        ("max", POOL_3X3_STRIDE_1, 6 * 16 * 8, 0, 0),
        # Average 3×3/1: 8 adds per window forward; backward one g/9 per output gradient, then
        # the 16·9 = 144 shares land on 36 inputs: 108 adds per map.
        ("average", POOL_3X3_STRIDE_1, 6 * 16 * 8, 6 * 16, 6 * 108),
        # Average 3×3/2: 2×2 windows of 9 (8 adds each); backward 4 shares of g/9, 36 shares on
        # the 5×5 = 25 covered inputs (the last row and column are in no window): 11 adds.
        ("average", "kernel: 3, stride: 2", 6 * 4 * 8, 6 * 4, 6 * 11),
        # 1×1/2 keeps every other element: nothing to compare, nothing to spread.
        ("average", "kernel: 1, stride: 2", 0, 6 * 9, 0),
    ],
)
def test_spatial_pool_arithmetic_counts_every_window(  # type: ignore[no-untyped-def]
    golden_files, method, pool, forward_adds, backward_mults, backward_adds
) -> None:
    hardware, workload = _files(golden_files, batch=2, pool=pool)
    workload.write_text(workload.read_text().replace("method: max", f"method: {method}"))
    layers = run(hardware, workload).layers
    rows = layers[(layers["layer"] == "pool") & (layers["unit"] == "crop")]
    by_phase = rows.set_index("phase")
    assert int(by_phase.loc["fwd", "adds"]) == forward_adds
    assert int(by_phase.loc["fwd", "mults"]) == 0
    assert int(by_phase.loc["bwd_data", "mults"]) == backward_mults
    assert int(by_phase.loc["bwd_data", "adds"]) == backward_adds
