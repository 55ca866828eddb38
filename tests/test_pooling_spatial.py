"""fdsim.pooling.windows and the torch-semantics pools of fdsim.pooling.spatial (max, min,
average) and spatial_lp (Lp): the output-size rule, defining properties, hand-checked values,
finite-difference gradients and argument errors. Torch goldens: test_pooling_spatial_torch.py."""

from __future__ import annotations

import numpy as np
import pytest
from test_pooling_spatial_gradcheck import assert_gradient, distinct

from fdsim.pooling import spatial as sp
from fdsim.pooling import spatial_lp as splp
from fdsim.pooling.windows import geometry, output_length

X = np.array([[[[1.0, 5.0, 2.0], [4.0, 3.0, 6.0], [0.0, 7.0, 8.0]]]])


# --- window geometry -----------------------------------------------------------------------


def test_output_length_floor_and_ceil() -> None:
    assert output_length(7, 3, 2, 1, 1, False) == 4
    assert output_length(7, 3, 2, 0, 1, False) == 3
    assert output_length(7, 3, 2, 0, 1, True) == 3
    assert output_length(8, 3, 2, 0, 1, True) == 4  # the last window hangs over the edge
    assert output_length(9, 3, 2, 1, 2, False) == 4  # dilated span 5


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding() -> None:
    # L=5, k=2, s=2, p=1: ceil((5+2-1-1)/2)+1 = 4, but window 3 would start at 6-1 = 5 = L+p-1…
    # its start index 3·2 = 6 ≥ L+p = 6 in padded coordinates, so torch keeps 3.
    assert output_length(5, 2, 2, 1, 1, True) == 3
    assert output_length(6, 2, 2, 1, 1, True) == 4


def test_geometry_pairs_and_default_stride() -> None:
    g = geometry("op", (1, 1, 7, 9), (2, 3), None, (1, 0), (1, 2))
    assert (g.kernel, g.stride, g.padding, g.dilation) == ((2, 3), (2, 3), (1, 0), (1, 2))
    assert g.out_size == (4, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 0}, "max_pool2d: kernel_size must be positive, got 0"),
        ({"kernel_size": 2, "stride": 0}, "max_pool2d: stride must be positive, got 0"),
        (
            {"kernel_size": 2, "padding": 2},
            "max_pool2d: padding must be at most half of kernel_size, got 2",
        ),
        (
            {"kernel_size": 2, "dilation": (1, 0)},
            "max_pool2d: dilation must be positive, got (1, 0)",
        ),
        (
            {"kernel_size": (1, 2, 3)},
            "max_pool2d: kernel_size must be an int or a pair of ints, got (1, 2, 3)",
        ),
        (
            {"kernel_size": 4},
            "max_pool2d: output size would be (0, 0) for input (3, 3); input too small",
        ),
    ],
)
def test_bad_window_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        sp.max_pool2d(X, **kwargs)
    assert str(err.value) == message


def test_bad_input_rank_and_divisor() -> None:
    with pytest.raises(
        ValueError, match=r"^avg_pool2d: input must be 4-D \(N, C, H, W\), got shape \(1, 3, 3\)$"
    ):
        sp.avg_pool2d(X[0], 2)
    with pytest.raises(ValueError, match=r"^avg_pool2d: divisor_override must be non-zero, got 0$"):
        sp.avg_pool2d(X, 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"^max_pool2d_backward: grad_output must have shape"):
        sp.max_pool2d_backward(np.ones((1, 1, 3, 3)), X, 2)
    with pytest.raises(ValueError, match=r"^min_pool2d_backward: grad_output must have shape"):
        sp.min_pool2d_backward(np.ones((1, 1, 3, 3)), X, 2)
    with pytest.raises(
        ValueError, match=r"^max_pool2d_backward_from_indices: indices must lie in \[0, 9\)"
    ):
        sp.max_pool2d_backward_from_indices(np.ones((1, 1, 1, 1)), np.array([[[[9]]]]), X.shape)


# --- max / min -----------------------------------------------------------------------------


def test_max_pool_values_and_flat_indices() -> None:
    out, idx = sp.max_pool2d(X, 2, 1, return_indices=True)
    assert out.tolist() == [[[[5.0, 6.0], [7.0, 8.0]]]]
    assert idx.tolist() == [[[[1, 5], [7, 8]]]]
    out, idx = sp.max_pool2d(X, 2, ceil_mode=True, return_indices=True)
    assert out.tolist() == [[[[5.0, 6.0], [7.0, 8.0]]]]  # partial windows [2,6], [0,7], [8]
    assert idx.dtype == np.int64 and idx.tolist() == [[[[1, 5], [7, 8]]]]


def test_max_pool_indices_pick_the_max_and_ties_go_to_the_first() -> None:
    x = distinct((2, 3, 7, 8), 0)
    out, idx = sp.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    picked = np.take_along_axis(x.reshape(2, 3, -1), idx.reshape(2, 3, -1), -1)
    np.testing.assert_array_equal(picked.reshape(out.shape), out)
    ones = np.ones((1, 1, 3, 3))
    assert sp.max_pool2d(ones, 2, 1, return_indices=True)[1].tolist() == [[[[0, 1], [3, 4]]]]
    # padding reads -inf, so an all-negative corner window still returns its one real cell
    neg_out, neg_idx = sp.max_pool2d(-X - 1, 2, 2, 1, return_indices=True)
    assert neg_out.tolist() == [[[[-2.0, -3.0], [-1.0, -4.0]]]]
    assert neg_idx.tolist() == [[[[0, 2], [6, 4]]]]


def test_max_pool_backward_accumulates_overlaps_and_ties_to_first() -> None:
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    ones = np.ones((1, 1, 3, 3))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 0, 0], expected[0, 0, 0, 1], expected[0, 0, 1, 0], expected[0, 0, 1, 1] = (
        1,
        2,
        3,
        4,
    )
    np.testing.assert_array_equal(sp.max_pool2d_backward(g, ones, 2, 1), expected)
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    assert sp.max_pool2d_backward(g, x, 2, 1)[0, 0, 1, 1] == 10.0  # all four windows
    _, idx = sp.max_pool2d(x, 2, 1, return_indices=True)
    np.testing.assert_array_equal(
        sp.max_pool2d_backward_from_indices(g, idx, x.shape), sp.max_pool2d_backward(g, x, 2, 1)
    )


def test_min_pool_is_minus_max_of_minus() -> None:
    assert sp.min_pool2d(X, 2, 1).tolist() == [[[[1.0, 2.0], [0.0, 3.0]]]]
    x = distinct((1, 2, 6, 7), 1)
    np.testing.assert_array_equal(
        sp.min_pool2d(x, 3, 2, 1, 1, True), -np.asarray(sp.max_pool2d(-x, 3, 2, 1, 1, True))
    )
    assert sp.min_pool2d(np.ones((1, 1, 2, 2)), 2, return_indices=True)[1].item() == 0


@pytest.mark.parametrize(
    "args", [(2,), (3, 2, 1), ((2, 3), (1, 2), (1, 1), (1, 2)), (3, 2, 1, 2, True)]
)
def test_max_and_min_backward_match_finite_differences(args: tuple[object, ...]) -> None:
    x = distinct((1, 2, 7, 7), 2)
    for fwd, bwd in (
        (sp.max_pool2d, sp.max_pool2d_backward),
        (sp.min_pool2d, sp.min_pool2d_backward),
    ):
        out = np.asarray(fwd(x, *args))
        g = np.random.default_rng(3).standard_normal(out.shape)
        assert_gradient(lambda v, f=fwd: np.asarray(f(v, *args)), bwd(g, x, *args), x, g)


# --- average -------------------------------------------------------------------------------


def test_avg_pool_values() -> None:
    assert sp.avg_pool2d(X, 2, 1).tolist() == [[[[3.25, 4.0], [3.5, 6.0]]]]


def test_avg_pool_of_a_constant_is_the_constant_without_pad_counting() -> None:
    c = np.full((1, 2, 7, 6), 2.5)
    out = sp.avg_pool2d(c, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(out, 2.5, rtol=1e-15)


def test_avg_pool_divisor_rule_at_the_borders() -> None:
    ones = np.ones((1, 1, 4, 4))
    # per axis: window starts -1, 1, 3; pool sizes min(start+3, L+p=5) - start = 3, 3, 2; valid
    # cells 2, 3, 1. Pad cells count, the ceil-mode overhang past L+p does not.
    out = sp.avg_pool2d(ones, 3, 2, 1, ceil_mode=True)
    expected = np.array([[4 / 9, 6 / 9, 2 / 6], [6 / 9, 1.0, 3 / 6], [2 / 6, 3 / 6, 1 / 4]])
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-15)
    sums = sp.avg_pool2d(ones, 3, 2, 1, ceil_mode=True, divisor_override=1)
    assert sums[0, 0].tolist() == [[4.0, 6.0, 2.0], [6.0, 9.0, 3.0], [2.0, 3.0, 1.0]]
    grad = sp.avg_pool2d_backward(
        np.ones((1, 1, 3, 3)), ones, 3, 2, 1, ceil_mode=True, divisor_override=1
    )
    assert grad[0, 0].tolist() == [[1, 2, 1, 2], [2, 4, 2, 4], [1, 2, 1, 2], [2, 4, 2, 4]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "count_include_pad": False},
        {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 4},
    ],
)
def test_avg_backward_matches_finite_differences(kwargs: dict[str, object]) -> None:
    x = np.random.default_rng(4).standard_normal((1, 2, 7, 6))
    g = np.random.default_rng(5).standard_normal(sp.avg_pool2d(x, **kwargs).shape)
    grad = sp.avg_pool2d_backward(g, x, **kwargs)
    assert_gradient(lambda v: sp.avg_pool2d(v, **kwargs), grad, x, g)


# --- Lp --------------------------------------------------------------------------------------


def test_lp_pool_values_signs_and_ceil_overscaling() -> None:
    assert splp.lp_pool2d(np.array([[[[3.0, 4.0], [0.0, 0.0]]]]), 2, 2).item() == 5.0
    signed = np.array([[[[-2.0, 1.0], [0.0, 0.0]]]])
    assert splp.lp_pool2d(signed, 1, 2).item() == -1.0  # the signed sum, no abs
    assert np.isnan(splp.lp_pool2d(signed, 3, 2).item())  # (-7)^(1/3) → NaN as in torch
    # 3×3 ones, k=2, ceil: partial windows hold 2 or 1 ones but torch scales them to 4 cells
    assert splp.lp_pool2d(np.ones((1, 1, 3, 3)), 2, 2, ceil_mode=True).tolist() == [
        [[[2.0, 2.0], [2.0, 2.0]]]
    ]


def test_lp_with_p_one_is_the_window_sum() -> None:
    x = np.random.default_rng(6).standard_normal((2, 2, 7, 7))
    np.testing.assert_allclose(
        splp.lp_pool2d(x, 1, 3, 2), sp.avg_pool2d(x, 3, 2, divisor_override=1), rtol=1e-13
    )


def test_lp_backward_is_zero_on_an_all_zero_window() -> None:
    x = np.zeros((1, 1, 2, 2))
    assert not splp.lp_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2, 2).any()
    with pytest.raises(ValueError, match=r"^lp_pool2d: norm_type must be non-zero, got 0$"):
        splp.lp_pool2d(x, 0, 2)


def test_lp_infinite_norm_is_the_max_or_min_of_the_magnitude() -> None:
    x = np.array([[[[-3.0, 1.0], [2.0, -0.5]]]])
    assert splp.lp_pool2d(x, float("inf"), 2).item() == 3.0
    assert splp.lp_pool2d(x, -float("inf"), 2).item() == 0.5
    g = np.ones((1, 1, 1, 1))
    assert splp.lp_pool2d_backward(g, x, float("inf"), 2).tolist() == [[[[-1, 0], [0, 0]]]]
    assert splp.lp_pool2d_backward(g, x, -float("inf"), 2).tolist() == [[[[0, 0], [0, -1]]]]


@pytest.mark.parametrize(
    ("p", "args"), [(2.0, (2,)), (3.0, (3, 2)), (1.5, ((2, 3), (2, 1))), (2.5, (2, 2, True))]
)
def test_lp_backward_matches_finite_differences(p: float, args: tuple[object, ...]) -> None:
    x = distinct((1, 2, 7, 7), 7, low=0.2)
    g = np.random.default_rng(8).standard_normal(splp.lp_pool2d(x, p, *args).shape)
    grad = splp.lp_pool2d_backward(g, x, p, *args)
    assert_gradient(lambda v: splp.lp_pool2d(v, p, *args), grad, x, g)
