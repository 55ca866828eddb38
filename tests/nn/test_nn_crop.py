"""Spectral pooling by crop: oracles, real output, mean, adjoint, goldens per Nyquist mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_test_helpers import full_spectrum_inner, random_maps
from scipy.signal import resample

from fdsim.nn.crop import NyquistMode, spectral_crop, spectral_crop_backward
from fdsim.nn.hermitian import half_spectrum_to_real, half_to_full
from fdsim.nn.reference import spatial_spectral_pool, spatial_spectral_pool_backward

MODES = list(NyquistMode)
SIZES = [(8, 4), (8, 5), (7, 4), (6, 3), (9, 6), (5, 2), (6, 1), (4, 4), (5, 5)]


def crop_matrix(n: int, h: int, weight: float) -> np.ndarray:
    """The 1-D full-spectrum crop C (H×N) of pooling.md §2.2, built independently."""
    if h == n:
        return np.eye(n)
    c = np.zeros((h, n))
    for k in range(-((h - 1) // 2), (h - 1) // 2 + 1):
        c[k % h, k % n] = 1.0
    if h % 2 == 0:
        c[h // 2, h // 2] = weight
        c[h // 2, (-(h // 2)) % n] = weight
    return c


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("n", "h"), SIZES)
def test_crop_matches_full_spectrum_definition_and_is_real(
    rng: np.random.Generator, n: int, h: int, mode: NyquistMode
) -> None:
    x = random_maps(rng, 2, 3, n, n)
    weight = {"average": 0.5, "sum": 1.0, "drop": 0.0}[mode.value]
    c = crop_matrix(n, h, weight)
    full = (h * h) / (n * n) * (c @ np.fft.fft2(x) @ c.T)
    pooled = np.fft.ifft2(full)
    assert np.abs(pooled.imag).max() < 1e-12  # a real output
    cropped = spectral_crop(np.fft.rfft2(x), h, mode)
    assert cropped.shape == (2, 3, h, h // 2 + 1)
    np.testing.assert_allclose(half_to_full(cropped), full, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("n", "h"), SIZES)
def test_crop_matches_spatial_reference(
    rng: np.random.Generator, n: int, h: int, mode: NyquistMode
) -> None:
    x = random_maps(rng, 3, n, n)
    g = random_maps(rng, 3, h, h)
    pooled = half_spectrum_to_real(spectral_crop(np.fft.rfft2(x), h, mode))
    np.testing.assert_allclose(pooled, spatial_spectral_pool(x, h, mode), atol=1e-12)
    back = half_spectrum_to_real(spectral_crop_backward(np.fft.rfft2(g), n, mode))
    np.testing.assert_allclose(back, spatial_spectral_pool_backward(g, n, mode), atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_crop_preserves_the_mean(rng: np.random.Generator, mode: NyquistMode) -> None:
    x = random_maps(rng, 4, 10, 10) + 3.0
    for h in (1, 4, 5, 10):
        pooled = half_spectrum_to_real(spectral_crop(np.fft.rfft2(x), h, mode))
        np.testing.assert_allclose(pooled.mean(axis=(-2, -1)), x.mean(axis=(-2, -1)), atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 10),
    data=st.data(),
    mode=st.sampled_from(MODES),
    seed=st.integers(0, 2**32 - 1),
)
def test_backward_is_the_adjoint(n: int, data: st.DataObject, mode: NyquistMode, seed: int) -> None:
    """⟨crop(x), y⟩ = ⟨x, cropᵀ(y)⟩ with the (Parseval-normalised) real inner product of full
    spectra; the H²/N² of the forward is absorbed by the 1/H² vs 1/N² normalisations."""
    h = data.draw(st.integers(1, n))
    rng = np.random.default_rng(seed)
    x = np.fft.rfft2(random_maps(rng, n, n))
    y = np.fft.rfft2(random_maps(rng, h, h))
    lhs = full_spectrum_inner(half_to_full(spectral_crop(x, h, mode)), half_to_full(y))
    rhs = full_spectrum_inner(half_to_full(x), half_to_full(spectral_crop_backward(y, n, mode)))
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("mode", "amplitude"), [("sum", 1.0), ("average", 0.5), ("drop", 0.0)])
def test_golden_output_nyquist_cosine(mode: str, amplitude: float) -> None:
    """cos(πn/2) along rows, 8→4: the output Nyquist frequency. 'sum' equals decimation
    (1, −1, 1, −1), 'average' halves it, 'drop' removes it."""
    rows = np.cos(np.pi * np.arange(8) / 2)
    x = np.repeat(rows[:, None], 8, axis=1)
    pooled = half_spectrum_to_real(spectral_crop(np.fft.rfft2(x), 4, NyquistMode(mode)))
    expected = amplitude * np.repeat(np.array([1.0, -1.0, 1.0, -1.0])[:, None], 4, axis=1)
    np.testing.assert_allclose(pooled, expected, atol=1e-15)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("average", [[4 / 16, 0.0], [0.0, 0.0]]),
        ("sum", [[9 / 16, -3 / 16], [-3 / 16, 1 / 16]]),
        ("drop", [[1 / 16, 1 / 16], [1 / 16, 1 / 16]]),
    ],
)
def test_golden_impulse_4_to_2(mode: str, expected: list[list[float]]) -> None:
    """A unit impulse at (0, 0), 4×4→2×2: every output bin is a Nyquist row or column."""
    x = np.zeros((4, 4))
    x[0, 0] = 1.0
    pooled = half_spectrum_to_real(spectral_crop(np.fft.rfft2(x), 2, NyquistMode(mode)))
    np.testing.assert_allclose(pooled, expected, atol=1e-15)


@pytest.mark.parametrize(("n", "h"), [(8, 4), (9, 4), (10, 6)])
def test_1d_crops_match_common_implementations(rng: np.random.Generator, n: int, h: int) -> None:
    """For maps constant along columns the crop is 1-D, where 'average' = Re∘iFFT of the
    fftshift-centred crop and 'sum' = scipy.signal.resample (pooling.md §2.2)."""
    signal = rng.standard_normal(n)
    x = np.fft.rfft2(np.repeat(signal[:, None], n, axis=1))
    centred = np.fft.fftshift(np.fft.fft(signal))
    start = n // 2 - h // 2
    re_ifft = (h / n) * np.fft.ifft(np.fft.ifftshift(centred[start : start + h])).real
    for mode, expected in [(NyquistMode.AVERAGE, re_ifft), (NyquistMode.SUM, resample(signal, h))]:
        pooled = half_spectrum_to_real(spectral_crop(x, h, mode))
        np.testing.assert_allclose(pooled, np.repeat(expected[:, None], h, axis=1), atol=1e-13)


def test_odd_output_sizes_need_no_convention(rng: np.random.Generator) -> None:
    x = np.fft.rfft2(random_maps(rng, 2, 8, 8))
    outputs = [spectral_crop(x, 5, mode) for mode in MODES]
    for other in outputs[1:]:
        np.testing.assert_array_equal(other, outputs[0])


def test_identity_and_errors(rng: np.random.Generator) -> None:
    x = np.fft.rfft2(random_maps(rng, 6, 6))
    np.testing.assert_array_equal(spectral_crop(x, 6, NyquistMode.SUM), x)
    np.testing.assert_array_equal(spectral_crop_backward(x, 6, NyquistMode.SUM), x)
    with pytest.raises(ValueError, match="out_size <= in_size, got 7 > 6"):
        spectral_crop(x, 7)
    with pytest.raises(ValueError, match="out_size must be >= 1, got 0"):
        spectral_crop(x, 0)
    with pytest.raises(ValueError, match="out_size <= in_size, got 6 > 4"):
        spectral_crop_backward(x, 4)
