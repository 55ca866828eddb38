"""Spectral pooling on spatial maps: adjointness, realness, mean, identity, composition, agreement
with the accelerator's half-spectrum kernel (fdsim.nn.crop), finite differences, exact values."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.nn.crop import NyquistMode, spectral_crop
from fdsim.pooling.spectral import (
    spectral_pool2d,
    spectral_pool2d_backward,
    spectral_upsample2d,
    spectral_upsample2d_backward,
)

MODES = ["average", "sum", "drop"]
SHAPES = [((8, 8), (4, 4)), ((8, 6), (5, 3)), ((7, 9), (4, 6)), ((6, 6), (3, 3)), ((5, 5), (2, 2))]


def _rand(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("size_in", "size_out"), SHAPES)
def test_adjoint_identity(mode: str, size_in: tuple[int, int], size_out: tuple[int, int]) -> None:
    x = _rand((2, 3, *size_in), 1)
    y = _rand((2, 3, *size_out), 2)
    lhs = np.sum(spectral_pool2d(x, size_out, mode) * y)
    rhs = np.sum(x * spectral_pool2d_backward(y, size_in, mode))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("size_in", "size_out"), SHAPES)
def test_real_and_mean_preserving(
    mode: str, size_in: tuple[int, int], size_out: tuple[int, int]
) -> None:
    x = _rand((1, 2, *size_in), 3)
    y = spectral_pool2d(x, size_out, mode)
    assert y.dtype == np.float64 and y.shape == (1, 2, *size_out)
    np.testing.assert_allclose(y.mean(axis=(-2, -1)), x.mean(axis=(-2, -1)), atol=1e-14)
    # Taking the real part lost nothing: the real output's spectrum is the scaled crop itself
    # on the low bins |k| < H/2, |l| < W/2 (checked directly against the input spectrum).
    (m, n), (h, w) = size_in, size_out
    kh, kw = (h - 1) // 2, (w - 1) // 2
    rows = np.r_[0 : kh + 1, -kh:0] if kh else np.r_[0:1]
    cols = np.r_[0 : kw + 1, -kw:0] if kw else np.r_[0:1]
    got = np.fft.fft2(y)[..., rows[:, None], cols[None, :]] * (m * n) / (h * w)
    want = np.fft.fft2(x)[..., rows[:, None], cols[None, :]]
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_identity_at_equal_size() -> None:
    x = _rand((2, 2, 6, 7))
    for mode in MODES:
        np.testing.assert_allclose(spectral_pool2d(x, (6, 7), mode), x, atol=1e-14)
        np.testing.assert_allclose(spectral_pool2d_backward(x, (6, 7), mode), x, atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("mid", "final"), [(7, 3), (10, 6), (9, 4), (8, 4), (8, 6)])
def test_composition_equals_direct(mode: str, mid: int, final: int) -> None:
    # Pool to H then to H' < H equals pooling to H' directly, for every Nyquist convention: the
    # second crop reads only bins |k| <= H'/2 < H/2, which the first crop left untouched (its
    # folded Nyquist bin H/2 is discarded), and the scales multiply to H'/M.
    x = _rand((1, 1, 12, 12), 4)
    chained = spectral_pool2d(spectral_pool2d(x, mid, mode), final, mode)
    np.testing.assert_allclose(chained, spectral_pool2d(x, final, mode), atol=1e-13)


def test_separable_nyquist_differs_from_fftshift_crop() -> None:
    # pooling.md §2.3: Re∘iFFT of a centred crop differs from the separable 'average' for an
    # even output size (the (−h,−w) corner bin); odd output sizes agree.
    x = _rand((1, 1, 8, 8), 5)

    def centred(h: int) -> np.ndarray:
        shifted = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1))
        lo = 4 - h // 2
        crop = shifted[..., lo : lo + h, lo : lo + h]
        return np.fft.ifft2(np.fft.ifftshift(crop, axes=(-2, -1))).real * (h * h) / 64

    assert np.max(np.abs(centred(4) - spectral_pool2d(x, 4))) > 1e-3
    np.testing.assert_allclose(centred(5), spectral_pool2d(x, 5), atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("n", "h"), [(8, 4), (8, 5), (7, 4), (9, 3), (6, 6)])
def test_agrees_with_nn_crop(mode: str, n: int, h: int) -> None:
    x = _rand((2, 3, n, n), 6)
    via_kernel = np.fft.irfft2(spectral_crop(np.fft.rfft2(x), h, NyquistMode(mode)), s=(h, h))
    np.testing.assert_allclose(spectral_pool2d(x, h, mode), via_kernel, atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_finite_difference_gradient(mode: str) -> None:
    x = _rand((1, 1, 6, 5), 7)
    g = _rand((1, 1, 4, 2), 8)
    grad = spectral_pool2d_backward(g, (6, 5), mode)
    eps = 1e-6
    fd = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        plus = np.sum(spectral_pool2d(x + step, (4, 2), mode) * g)
        minus = np.sum(spectral_pool2d(x - step, (4, 2), mode) * g)
        fd[idx] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_exact_values_nyquist_conventions() -> None:
    # Hand check, 1-D in rows: x = [1, 0, 0, 0] (a delta) has X = [1, 1, 1, 1]; pooled to 2 the
    # Nyquist bin is w·(X[1] + X[3]) = 2w, so Y = [1, 2w], y = (2/4)·ifft(Y) = [(1+2w)/4, (1-2w)/4].
    x = np.zeros((1, 1, 1, 4))
    x[..., 0] = 1.0
    expected = {"average": [0.5, 0.0], "sum": [0.75, -0.25], "drop": [0.25, 0.25]}
    for mode, values in expected.items():
        np.testing.assert_allclose(spectral_pool2d(x, (1, 2), mode)[0, 0, 0], values, atol=1e-15)
    # A pure cosine at the input Nyquist frequency vanishes for every odd output size.
    alt = np.tile([1.0, -1.0, 1.0, -1.0], (4, 1))[None, None]
    np.testing.assert_allclose(spectral_pool2d(alt, 3), np.zeros((1, 1, 3, 3)), atol=1e-15)
    # The backward of a constant gradient c is (HW/MN)·c: Sᵀ = (HW/MN)·U and U keeps constants.
    np.testing.assert_allclose(
        spectral_pool2d_backward(np.full((1, 1, 3, 3), 2.0), 6), np.full((1, 1, 6, 6), 0.5)
    )


def test_upsample_roundtrip_and_backward() -> None:
    y = _rand((1, 2, 5, 3), 9)
    up = spectral_upsample2d(y, (8, 7))
    np.testing.assert_allclose(spectral_pool2d(up, (5, 3)), y, atol=1e-14)
    np.testing.assert_allclose(up.mean(axis=(-2, -1)), y.mean(axis=(-2, -1)), atol=1e-14)
    g = _rand((1, 2, 8, 7), 10)
    lhs = np.sum(up * g)
    rhs = np.sum(y * spectral_upsample2d_backward(g, (5, 3)))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_bad_arguments() -> None:
    x = np.zeros((1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"^spectral_pool2d: output_size must be positive, got 0$"):
        spectral_pool2d(x, 0)
    with pytest.raises(
        ValueError, match=r"^spectral_pool2d: output_size \(9, 4\) exceeds the input size \(8, 8\)$"
    ):
        spectral_pool2d(x, (9, 4))
    with pytest.raises(
        ValueError, match=r"^spectral_pool2d: nyquist must be one of average, sum, drop, got 'x'$"
    ):
        spectral_pool2d(x, 4, "x")
    with pytest.raises(ValueError, match=r"^spectral_pool2d: input must be 3-D"):
        spectral_pool2d(np.zeros((8, 8)), 4)
