"""Tiny local reference pooling operators for the metrics tests (the real operators are built
elsewhere and the metrics must not depend on them), with checks that they are what they claim.
The other ``test_pooling_metrics*`` files import them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def identity(x: Array) -> Array:
    return x


def _blocks(x: Array) -> Array:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2)


def avg2(x: Array) -> Array:
    """2×2 average pooling with stride 2 (even sizes)."""
    return _blocks(x).mean(axis=(3, 5))


def max2(x: Array) -> Array:
    """2×2 max pooling with stride 2 (even sizes)."""
    return _blocks(x).max(axis=(3, 5))


def spectral_crop(size: int) -> Callable[[Array], Array]:
    """Spectral pooling to an odd ``size`` × ``size``: keep |k| ≤ size//2 per axis, scale by
    (size²/MN) so constants stay constants (pooling.md §2.2; odd sizes need no Nyquist rule)."""
    assert size % 2 == 1
    k = np.rint(np.fft.fftfreq(size) * size).astype(np.int64)  # rint: fftfreq·L is inexact

    def pool(x: Array) -> Array:
        rows, cols = x.shape[-2:]
        spectrum = np.fft.fft2(x)[..., k[:, None] % rows, k[None, :] % cols]
        return np.fft.ifft2(spectrum).real * (size * size / (rows * cols))

    return pool


def kept_band_fraction(x: Array, size: int) -> float:
    """Energy share of the bins |k| ≤ size//2 per axis (Parseval), computed independently."""
    spectrum = np.abs(np.fft.fft2(x)) ** 2
    rows, cols = x.shape[-2:]
    k_rows = np.abs(np.rint(np.fft.fftfreq(rows) * rows)) <= size // 2
    k_cols = np.abs(np.rint(np.fft.fftfreq(cols) * cols)) <= size // 2
    return float(spectrum[..., k_rows[:, None] & k_cols[None, :]].sum() / spectrum.sum())


def test_reference_operators_on_a_hand_checkable_map() -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(avg2(x)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(max2(x)[0, 0], [[5.0, 7.0], [13.0, 15.0]])
    # Spectral pooling to 1×1 keeps only the DC bin: the mean.
    np.testing.assert_allclose(spectral_crop(1)(x)[0, 0], [[7.5]], rtol=1e-15)


def test_spectral_crop_is_the_identity_at_full_odd_size_and_keeps_the_mean() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 17, 17))
    np.testing.assert_allclose(spectral_crop(17)(x), x, atol=1e-14)
    np.testing.assert_allclose(
        spectral_crop(3)(x).mean(axis=(2, 3)), x.mean(axis=(2, 3)), atol=1e-15
    )
