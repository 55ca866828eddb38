"""Spatial mixed pooling (α = ½) through the operator registry: exact float values and
gradients, the bit-true kernel within half an LSB of the float one, the stash, and the crop
unit's counts on a workload."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fdsim
from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed.spatial import mixed_pool_backward_fixed, mixed_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import StashNeed
from fdsim.operators.pool_max import MaxPool
from fdsim.operators.pool_mixed import MixedPool
from fdsim.spec.numerics import QFormat

ROOT = Path(__file__).parent.parent
POOL = MixedPool(PoolWindows.sliding(4, 2, 2))
X = np.array(
    [[[[4.0, 1.0, 7.0, 6.0], [3.0, 1.0, 5.0, 7.5], [0.0, 5.0, 2.0, 9.0], [6.0, 8.0, 9.5, 2.0]]]]
)
G = np.array([[[[8.0, 4.0], [2.0, 1.0]]]])
SITE = OverflowSite("activations", "mixed")


def test_forward_is_half_max_plus_half_mean() -> None:
    # windows: {4,1,3,1} → (4 + 2.25)/2; {7,6,5,7.5} → (7.5 + 6.375)/2; {0,5,6,8} → (8 + 4.75)/2;
    # {2,9,9.5,2} → (9.5 + 5.625)/2
    assert POOL.forward_float("p", {}, X).tolist() == [[[[3.125, 6.9375], [6.375, 7.5625]]]]


def test_backward_sends_half_to_the_max_and_half_spread() -> None:
    dx, grads = POOL.backward_float("p", {}, X, G, True)
    assert grads == {} and dx is not None
    expected = np.repeat(np.repeat(G / 8, 2, axis=-2), 2, axis=-1)
    for (r, c), g in zip([(0, 0), (1, 3), (3, 1), (3, 2)], G.ravel(), strict=True):
        expected[0, 0, r, c] += g / 2
    np.testing.assert_array_equal(dx, expected)


def test_backward_matches_central_differences() -> None:
    x = np.random.default_rng(3).permutation(36).reshape(1, 1, 6, 6) / 7.0  # no ties
    pool = MixedPool(PoolWindows.sliding(6, 3, 2))  # overlapping windows
    g = np.random.default_rng(4).normal(size=(1, 1, 2, 2))
    dx, _ = pool.backward_float("p", {}, x, g, True)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        up, down = (pool.forward_float("p", {}, x + s) for s in (step, -step))
        numeric[index] = ((up - down) * g).sum() / 2e-6
    np.testing.assert_allclose(dx, numeric, atol=1e-8)


def test_bit_true_forward_and_backward_are_within_half_an_lsb() -> None:
    fraction_bits = 2  # values are multiples of ¼; the float results need 1/32
    fmt = QFormat(total_bits=10, fraction_bits=fraction_bits)
    lsb = 2.0**-fraction_bits
    x = FixedTensor((X / lsb).astype(np.int64), fmt)
    g = FixedTensor((G / lsb).astype(np.int64), fmt)
    select = MaxPool(POOL.windows).picks
    weights = QFormat(total_bits=16, fraction_bits=15)
    counter = OverflowCounter()
    y = mixed_pool_fixed(x, POOL.windows, select, weights, counter, SITE)
    dx = mixed_pool_backward_fixed(g, x, POOL.windows, select, weights, counter, SITE)
    assert (y.fmt, dx.fmt) == (fmt, fmt)
    expected_dx, _ = POOL.backward_float("p", {}, X, G, True)
    assert np.abs(y.parts[0] * lsb - POOL.forward_float("p", {}, X)).max() <= lsb / 2
    assert np.abs(dx.parts[0] * lsb - expected_dx).max() <= lsb / 2
    assert y.parts[0].tolist() != (POOL.forward_float("p", {}, X) / lsb).tolist()  # it rounds
    assert counter.events() == 0


def test_stash_and_affinity() -> None:
    assert POOL.stash(16) == StashNeed(2, on_output=True)  # the max's argmax
    assert not POOL.affine


def _lenet(method: str) -> fdsim.Workload:
    lenet = fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml")
    return fdsim.override(lenet, {"layers[2].domain": "hybrid", "layers[2].method": method})


def test_crop_unit_counts_on_lenet() -> None:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    runs = {m: fdsim.simulate(hardware, _lenet(m)).layers for m in ("mixed", "max", "average")}

    def counts(method: str, phase: str, column: str) -> int:
        rows = runs[method]
        rows = rows[(rows["layer"] == "s2") & (rows["phase"] == phase) & (rows["unit"] == "crop")]
        return int(rows[column].sum())

    outputs, inputs = 32 * 6 * 16 * 16, 32 * 6 * 32 * 32  # batch × channels × map elements
    assert counts("mixed", "fwd", "adds") == 2 * counts("max", "fwd", "adds") + outputs
    assert counts("mixed", "fwd", "mults") == outputs
    assert counts("mixed", "bwd_data", "adds") == counts("average", "bwd_data", "adds") + inputs
    assert counts("mixed", "bwd_data", "mults") == counts("average", "bwd_data", "mults")
