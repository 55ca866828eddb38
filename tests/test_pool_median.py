"""Spatial median pooling through the operator registry: the lower-median convention, its
numerics in both arithmetics, its rank-order cost, and a spectral-domain workload that names a
spatial method compiling as an iFFT → pool → FFT round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fdsim
from fdsim.geometry import PoolWindows
from fdsim.network.lowering import lower_network
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.operators.base import StashNeed
from fdsim.operators.pool_max import MaxPool
from fdsim.operators.pool_median import MedianPool
from fdsim.operators.transforms import ToMaps, ToSpectra
from fdsim.spec.numerics import QFormat

ROOT = Path(__file__).parent.parent
POOL = MedianPool(PoolWindows.sliding(4, 2, 2))
X = np.array(
    [[[[4.0, 1.0, 7.0, 7.0], [3.0, 2.0, 7.0, 7.0], [0.0, 5.0, 2.0, 9.0], [6.0, 8.0, 9.0, 2.0]]]]
)


def test_forward_takes_each_windows_lower_median() -> None:
    # windows {4,1,3,2} → 2; {7,7,7,7} → 7; {0,5,6,8} → 5; {2,9,9,2} → 2
    assert POOL.forward_float("p", {}, X).tolist() == [[[[2.0, 7.0], [5.0, 2.0]]]]


def test_an_odd_window_takes_its_middle_value() -> None:
    pool = MedianPool(PoolWindows.sliding(3, 3, 1))
    x = np.array([[[[9.0, 1.0, 8.0], [2.0, 7.0, 3.0], [6.0, 4.0, 5.0]]]])
    assert pool.forward_float("p", {}, x).tolist() == [[[[5.0]]]]


def test_backward_routes_to_the_first_occurrence_of_the_median() -> None:
    g = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    dx, grads = POOL.backward_float("p", {}, X, g, True)
    assert grads == {} and dx is not None
    # all-7 window → its first element (0,2); {2,9,9,2} → the first 2, at (2,2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 1, 1], expected[0, 0, 0, 2] = 10.0, 20.0
    expected[0, 0, 2, 1], expected[0, 0, 2, 2] = 30.0, 40.0
    np.testing.assert_array_equal(dx, expected)


def test_bit_true_median_equals_the_float_one_exactly() -> None:
    x = FixedTensor(X.astype(np.int64), QFormat(total_bits=8, fraction_bits=0))
    out = POOL.forward_fixed(None, "p", {}, x)  # type: ignore[arg-type]  # selection: no datapath
    assert out.parts[0].tolist() == [[[[2, 7], [5, 2]]]]
    assert (out.fmt, out.exponent) == (x.fmt, x.exponent)


def test_rank_order_cost_and_stash() -> None:
    assert POOL.reductions() == 4 * 6  # four windows of 4: 4·3/2 pairwise compares each
    assert MaxPool(POOL.windows).reductions() == 4 * 3
    # adaptive 5 → 2: overlapping 3×3 windows (rows 0–2 and 2–4), 9·8/2 = 36 compares each
    assert MedianPool(PoolWindows.adaptive(5, 2)).reductions() == 4 * 36
    assert MedianPool(PoolWindows.adaptive(4, 3)).reductions() == 9 * 6
    assert POOL.stash(16) == StashNeed(2, on_output=True)
    assert not POOL.affine


def _lenet(method: str, domain: str | None = None) -> fdsim.Workload:
    changes: dict[str, object] = {"layers[2].method": method}
    if domain is not None:
        changes["layers[2].domain"] = domain
    return fdsim.override(fdsim.load_workload(ROOT / "workloads" / "lenet5.yaml"), changes)


def test_a_spatial_method_in_the_spectral_domain_is_an_ifft_pool_fft_round_trip() -> None:
    network = lower_network(_lenet("median"))
    pool, conv = network.layers[2], network.layers[3]
    assert [type(node.op) for node in pool.nodes] == [ToMaps, MedianPool]
    assert isinstance(conv.nodes[0].op, ToSpectra)
    assert (pool.rep_in.grid, pool.rep_out.grid, pool.rep_out.size) == (32, 0, 16)


def test_the_round_trip_costs_what_the_hybrid_layer_costs() -> None:
    hardware = fdsim.load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml")
    spectral, hybrid = (fdsim.simulate(hardware, _lenet("median", d)) for d in (None, "hybrid"))
    assert spectral.summary.total_cycles == hybrid.summary.total_cycles
    columns = [c for c in spectral.layers.columns if c != "domain"]
    assert spectral.layers[columns].equals(hybrid.layers[columns])
    maximum = fdsim.simulate(hardware, _lenet("max"))
    pools = spectral.layers["kind"] == "pool"
    extra = spectral.layers.loc[pools, "adds"].sum() - maximum.layers.loc[pools, "adds"].sum()
    batch = 32 if spectral.summary.total_cycles else 0
    assert extra == batch * 6 * 16 * 16 * (6 - 3)  # 3 more compares per 2×2 window, forward
