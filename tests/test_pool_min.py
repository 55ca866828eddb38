"""Spatial min pooling, added through the operator registry alone (docs/ADDING_AN_OPERATOR.md):
its numerics in both arithmetics, its stash and cost, and a workload naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fdsim
from fdsim.errors import ConfigError
from fdsim.geometry import PoolWindows
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import StashNeed
from fdsim.operators.pool_min import MinPool
from fdsim.spec.numerics import QFormat

ROOT = Path(__file__).parent.parent
POOL = MinPool(PoolWindows.sliding(4, 2, 2))
X = np.array(
    [[[[4.0, 1.0, 7.0, 7.0], [3.0, 1.0, 7.0, 7.0], [0.0, 5.0, 2.0, 9.0], [6.0, 8.0, 9.0, 2.0]]]]
)


def test_forward_takes_each_windows_minimum() -> None:
    assert POOL.forward_float("p", {}, X).tolist() == [[[[1.0, 7.0], [0.0, 2.0]]]]


def test_backward_routes_to_the_first_minimum_row_major() -> None:
    g = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    dx, grads = POOL.backward_float("p", {}, X, g, True)
    assert grads == {} and dx is not None
    # ties: window 0 has 1 at (0,1) and (1,1) → the first; window 1 is all 7 → (0,2);
    # window 3 has 2 at (2,2) and (3,3) → (2,2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 0, 1], expected[0, 0, 0, 2] = 10.0, 20.0
    expected[0, 0, 2, 0], expected[0, 0, 2, 2] = 30.0, 40.0
    np.testing.assert_array_equal(dx, expected)
    assert POOL.backward_float("p", {}, X, g, False) == (None, {})


def test_bit_true_selection_equals_the_float_one_exactly() -> None:
    fmt = QFormat(total_bits=8, fraction_bits=0)
    x = FixedTensor(X.astype(np.int64), fmt)
    out = POOL.forward_fixed(None, "p", {}, x)  # type: ignore[arg-type]  # selection: no datapath
    assert out.parts[0].tolist() == [[[[1, 7], [0, 2]]]]
    assert (out.fmt, out.exponent) == (x.fmt, x.exponent)


def test_stash_and_affinity_are_the_max_pools() -> None:
    assert POOL.stash(16) == StashNeed(2, on_output=True)  # ⌈log₂ 4⌉ bits of argmin
    assert MinPool(PoolWindows.sliding(1, 1, 1)).stash(16) == StashNeed()
    assert not POOL.affine


def _lenet_pool(method: str) -> fdsim.Workload:
    lenet = fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml")
    index = next(i for i, layer in enumerate(lenet.layers) if layer.kind == "pool")
    return fdsim.override(
        lenet, {f"layers[{index}].domain": "hybrid", f"layers[{index}].method": method}
    )


def test_a_workload_runs_min_pooling_at_the_max_pools_cost() -> None:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    low, high = (fdsim.simulate(hardware, _lenet_pool(m)) for m in ("min", "max"))
    pools = low.layers[low.layers["kind"] == "pool"]
    assert int(pools["adds"].sum()) > 0
    assert low.layers.equals(high.layers)  # compares, argmin stash and routing cost the same
    assert low.summary.total_cycles == high.summary.total_cycles


def test_an_unknown_method_names_the_registered_ones() -> None:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    with pytest.raises(ConfigError) as error:
        fdsim.simulate(hardware, _lenet_pool("fractional"))
    assert str(error.value).endswith(
        "layers[2].method: unknown pooling method 'fractional'; expected one of: average, kmax, "
        "max, median, min, mixed, spectral"
    )
