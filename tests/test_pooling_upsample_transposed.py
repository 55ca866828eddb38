"""conv_transpose2d / conv_transpose2d_backward: adjoint of a direct strided convolution written
here, hand-checked outputs (a 1-D example, nearest and bed-of-nails up-sampling as transposed
convolutions), finite-difference gradients of input, weight and bias, and the argument errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fdsim.pooling.transposed import conv_transpose2d, conv_transpose2d_backward
from fdsim.pooling.upsample import interpolate

CONFIGS: list[dict[str, Any]] = [
    {},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (2, 3), "padding": (0, 1), "dilation": (2, 1), "groups": 2},
    {"stride": 1, "padding": 2, "dilation": 2, "output_padding": 1},
]


def direct_conv2d(
    y: np.ndarray,
    w: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    """Plain strided cross-correlation with weight (C_out, C_in/groups, kH, kW) (test oracle)."""
    s, p, d = (v if isinstance(v, tuple) else (v, v) for v in (stride, padding, dilation))
    y = np.pad(y, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    c_out, c_in_g, kh, kw = w.shape
    oh = (y.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (y.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((y.shape[0], c_out, oh, ow))
    per_group = c_out // groups
    for o in range(c_out):
        group = o // per_group
        for a in range(kh):
            for b in range(kw):
                patch = y[
                    :,
                    group * c_in_g : (group + 1) * c_in_g,
                    a * d[0] : a * d[0] + (oh - 1) * s[0] + 1 : s[0],
                    b * d[1] : b * d[1] + (ow - 1) * s[1] + 1 : s[1],
                ]
                out[:, o] += np.einsum("nihw,i->nhw", patch, w[o, :, a, b])
    return out


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_adjoint_of_direct_convolution(kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(11)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((2, 4, 3, 4))
    w = rng.standard_normal((4, 6 // groups, 3, 2))
    y_t = conv_transpose2d(x, w, **kwargs)
    y = rng.standard_normal(y_t.shape)
    conv_kwargs = {key: v for key, v in kwargs.items() if key != "output_padding"}
    conv = direct_conv2d(y, w, **conv_kwargs)
    # output_padding ≥ stride (allowed while < dilation) gives the convolution extra outputs
    # that no input pixel maps to: the adjoint is the convolution on the input's positions.
    extra = 1 if kwargs is CONFIGS[3] else 0  # output_padding 1 with stride 1, dilation 2
    assert conv.shape == (*x.shape[:2], x.shape[2] + extra, x.shape[3] + extra)
    conv = conv[:, :, : x.shape[2], : x.shape[3]]
    np.testing.assert_allclose(np.vdot(y_t, y), np.vdot(x, conv), rtol=1e-12)


def test_exact_values() -> None:
    # 1-D: [1, 2] ⊛ᵀ [1, 10] = [1, 2+10, 20]; stride 2 → [1, 10, 2, 20]; padding 1 crops the ends.
    x, w = np.array([[[[1.0, 2.0]]]]), np.array([[[[1.0, 10.0]]]])
    np.testing.assert_array_equal(conv_transpose2d(x, w)[0, 0, 0], [1, 12, 20])
    np.testing.assert_array_equal(conv_transpose2d(x, w, stride=2)[0, 0, 0], [1, 10, 2, 20])
    np.testing.assert_array_equal(
        conv_transpose2d(x, w, stride=(1, 2), padding=(0, 1), output_padding=(0, 1))[0, 0, 0],
        [10, 2, 20],
    )
    np.testing.assert_array_equal(
        conv_transpose2d(x, w, np.array([0.5]))[0, 0, 0], [1.5, 12.5, 20.5]
    )
    # pooling.md §5.15: nearest 2× = ones(2, 2) with stride 2; bed of nails = a one-hot kernel.
    m = np.random.default_rng(12).standard_normal((1, 1, 3, 4))
    np.testing.assert_array_equal(
        conv_transpose2d(m, np.ones((1, 1, 2, 2)), stride=2), interpolate(m, scale_factor=2)
    )
    nail = np.zeros((1, 1, 2, 2))
    nail[0, 0, 0, 0] = 1
    np.testing.assert_array_equal(
        conv_transpose2d(m, nail, stride=2), interpolate(m, scale_factor=2, mode="bed_of_nails")
    )


def test_output_size() -> None:
    x, w = np.zeros((1, 2, 5, 4)), np.zeros((2, 3, 3, 2))
    y = conv_transpose2d(
        x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)
    )
    # (L − 1)·s − 2p + d(k − 1) + output_padding + 1
    assert y.shape == (1, 3, 4 * 2 - 2 + 2 + 1 + 1, 3 * 3 + 2 + 2 + 1)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_backward_matches_finite_differences(kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(13)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((1, 2, 2, 3))
    w = rng.standard_normal((2, 4 // groups, 2, 3))
    b = rng.standard_normal(4)
    g = rng.standard_normal(conv_transpose2d(x, w, b, **kwargs).shape)
    grads = conv_transpose2d_backward(g, x, w, **kwargs)
    for k, array in enumerate((x, w, b)):
        numeric = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            args = [x, w, b]
            plus, minus = array.copy(), array.copy()
            plus[i] += 1e-6
            minus[i] -= 1e-6
            args[k] = plus
            up = np.vdot(conv_transpose2d(*args, **kwargs), g)
            args[k] = minus
            numeric[i] = (up - np.vdot(conv_transpose2d(*args, **kwargs), g)) / 2e-6
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"output_padding": 1},
            "conv_transpose2d: output_padding must be smaller than either stride or dilation, "
            "got output_padding=(1, 1), stride=(1, 1), dilation=(1, 1)",
        ),
        ({"stride": 0}, "conv_transpose2d: stride must be positive, got 0"),
        (
            {"groups": 3},
            "conv_transpose2d: weight must have C_in = 2 rows divisible by groups = 3, "
            "got weight shape (2, 1, 2, 2)",
        ),
        ({"padding": 2}, "conv_transpose2d: output size must be positive, got (-1, -1)"),
    ],
)
def test_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        conv_transpose2d(np.zeros((1, 2, 2, 2)), np.zeros((2, 1, 2, 2)), **kwargs)
    assert str(caught.value) == message
