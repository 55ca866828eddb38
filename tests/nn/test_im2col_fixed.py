"""Bit-true spatial convolution (fdsim/nn/fixed/im2col.py): with integer data in formats that
hold every product and sum exactly, each kernel equals the float64 operator bit for bit; a
reduction split into tiles spills partial sums without changing exact results; col2im's sum
saturates at its own site."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.im2col import (
    im2col,
    spatial_conv_backward_data_fixed,
    spatial_conv_backward_weight_fixed,
    spatial_conv_forward_fixed,
)
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat
from fdsim.operators.spatial_conv import SpatialConv
from fdsim.spec.numerics import QFormat

WIDE = QFormat(total_bits=40, fraction_bits=0)
WORD = QFormat(total_bits=16, fraction_bits=0)
NUMERICS = ReductionNumerics(WIDE)
SITE = OverflowSite("accumulators", "gemm")


def _ints(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-7, 8, size=shape).astype(np.int64)


def _fixed(values: np.ndarray) -> FixedTensor:
    return FixedTensor(values, WORD, 0)


@pytest.mark.parametrize(
    ("stride", "padding", "tiles"), [(1, 0, None), (2, 1, (9, 9)), (3, 2, (4, 14))]
)
def test_exact_data_is_bit_identical_to_float(
    stride: int, padding: int, tiles: tuple[int, ...] | None
) -> None:
    rng = np.random.default_rng(3)
    x, w = _ints(rng, (2, 2, 9, 9)), _ints(rng, (3, 2, 3, 3))
    op = SpatialConv("c.weight", 3, stride, padding)
    counter = OverflowCounter()
    y = spatial_conv_forward_fixed(
        _fixed(x), _fixed(w), stride, padding, NUMERICS, TensorFormat(WIDE), counter, SITE, tiles
    )
    expected = op.forward_float("c", {"c.weight": w.astype(float)}, x.astype(float))
    np.testing.assert_array_equal(y.values, expected)
    g = _ints(rng, expected.shape)
    dx_float, grads = op.backward_float(
        "c", {"c.weight": w.astype(float)}, x.astype(float), g.astype(float), True
    )
    dx = spatial_conv_backward_data_fixed(
        _fixed(g), _fixed(w), 9, stride, padding, NUMERICS, TensorFormat(WIDE), counter, SITE
    )
    dw = spatial_conv_backward_weight_fixed(
        _fixed(g), _fixed(x), 3, stride, padding, NUMERICS, TensorFormat(WIDE), counter, SITE
    )
    np.testing.assert_array_equal(dx.values, dx_float)
    np.testing.assert_array_equal(dw.values, grads["c.weight"])
    assert counter.events() == 0


def test_im2col_rows_are_windows_in_channel_row_column_order() -> None:
    x = np.arange(2 * 4 * 4).reshape(1, 2, 4, 4)
    cols = im2col(x, 2, 2, 0)
    assert cols.shape == (4, 8)
    np.testing.assert_array_equal(cols[1], [2, 3, 6, 7, 18, 19, 22, 23])


def test_col2im_saturates_at_its_own_site() -> None:
    """Every output gradient of one column at the format's maximum: the overlapping sums of
    a 3×3 stride-1 kernel exceed it and saturate at col2im, counted there."""
    g = np.full((1, 1, 3, 3), 32767, dtype=np.int64)
    w = np.ones((1, 1, 3, 3), dtype=np.int64)
    counter = OverflowCounter()
    dx = spatial_conv_backward_data_fixed(
        _fixed(g), _fixed(w), 5, 1, 0, NUMERICS, TensorFormat(WORD), counter, SITE
    )
    assert dx.values[0, 0, 0, 0] == 32767 and dx.values[0, 0, 2, 2] == 32767
    assert counter.events() > 0
