"""Spatial k-max pooling (k = 2) through the operator registry: exact values and ties, the
bit-true kernel within half an LSB, the stash mask and the crop unit's counts on a workload."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fdsim
from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed.spatial import top_pool_backward_fixed, top_pool_fixed
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import StashNeed
from fdsim.operators.pool_kmax import KmaxPool
from fdsim.pooling import kmax_pool2d
from fdsim.spec.numerics import QFormat

ROOT = Path(__file__).parent.parent
POOL = KmaxPool(PoolWindows.sliding(4, 2, 2))
X = np.array(
    [[[[4.0, 1.0, 7.0, 7.0], [3.0, 1.0, 7.0, 7.0], [0.0, 5.0, 2.0, 9.0], [6.0, 8.0, 9.0, 2.0]]]]
)
G = np.array([[[[8.0, 4.0], [2.0, 1.0]]]])


def test_forward_is_the_mean_of_the_two_largest() -> None:
    # {4,1,3,1} → (4+3)/2; {7,7,7,7} → 7; {0,5,6,8} → (8+6)/2; {2,9,9,2} → 9
    assert POOL.forward_float("p", {}, X).tolist() == [[[[3.5, 7.0], [7.0, 9.0]]]]
    np.testing.assert_array_equal(POOL.forward_float("p", {}, X), kmax_pool2d(X, 2, 2))


def test_backward_halves_go_to_the_two_picked_ties_in_row_major_order() -> None:
    dx, grads = POOL.backward_float("p", {}, X, G, True)
    assert grads == {} and dx is not None
    expected = np.zeros((1, 1, 4, 4))
    for r, c, g in [(0, 0, 8), (1, 0, 8), (0, 2, 4), (0, 3, 4), (3, 1, 2), (3, 0, 2)]:
        expected[0, 0, r, c] = g / 2
    expected[0, 0, 2, 3] = expected[0, 0, 3, 2] = 0.5  # the two 9s of the last window
    np.testing.assert_array_equal(dx, expected)


def test_a_window_of_one_element_is_itself() -> None:
    pool = KmaxPool(PoolWindows.sliding(2, 1, 1))
    assert pool.k == 1
    np.testing.assert_array_equal(pool.forward_float("p", {}, X[..., :2, :2]), X[..., :2, :2])
    assert pool.stash(16) == StashNeed()


def test_bit_true_is_within_half_an_lsb() -> None:
    fmt = QFormat(total_bits=10, fraction_bits=0)  # integers: (4+3)/2 must round
    x = FixedTensor(X.astype(np.int64), fmt)
    g = FixedTensor(G.astype(np.int64) + 1, fmt)  # odd gradients: their halves round
    weights = QFormat(total_bits=16, fraction_bits=15)
    counter, site = OverflowCounter(), OverflowSite("activations", "kmax")
    y = top_pool_fixed(x, POOL.windows, POOL.picks, weights, counter, site)
    dx = top_pool_backward_fixed(g, x, POOL.windows, POOL.picks, weights, counter, site)
    expected_dx, _ = POOL.backward_float("p", {}, X, G + 1, True)
    assert np.abs(y.parts[0] - POOL.forward_float("p", {}, X)).max() == 0.5
    assert np.abs(dx.parts[0] - expected_dx).max() == 0.5
    assert counter.events() == 0


def test_stash_and_affinity() -> None:
    assert POOL.stash(16) == StashNeed(1)  # a mask bit per input
    assert not POOL.affine
    assert POOL.reductions() == 4 * (3 + 2 + 1)  # largest, second, one add, per window


def test_crop_unit_counts_on_lenet() -> None:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    lenet = fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml")
    runs = {
        method: fdsim.simulate(hardware, fdsim.override(lenet, {"layers[2].method": method})).layers
        for method in ("kmax", "max")
    }

    def adds(method: str, phase: str) -> int:
        rows = runs[method]
        rows = rows[(rows["layer"] == "s2") & (rows["phase"] == phase) & (rows["unit"] == "crop")]
        return int(rows["adds"].sum())

    assert adds("kmax", "fwd") == 2 * adds("max", "fwd") > 0  # 6 against 3 per 2×2 window
    assert adds("kmax", "bwd_data") == 0
