"""The frequency pooling experiments on small trial counts: the ASM error curve's end points and
monotonicity (seed 000's setup), the spectral chain's linear/nonlinear verdicts (seed 004), and
that the figures draw."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.pooling.experiments import (
    AsmRmseTable,
    ChainTable,
    asm_rmse_experiment,
    pink_noise_images,
    spectral_chain_experiment,
)
from fdsim.report.pooling_figures import asm_rmse_figure, chain_error_figure

# n = 0 keeps the DC only, so the mask picks each window's top-left pixel. The per-image RMSE of
# that decimation against the max of 4 uniforms on [−1, 1] has mean 0.8053 and standard deviation
# 0.1356 (2·10⁵ images, seed 123; standard error 3e-4). Analytic check: its square has mean
# E[(max − first)²] = 4·(1/6) = 2/3, so the mean RMSE must sit just below √(2/3) = 0.8165.
N0_MEAN, N0_STD = 0.8053, 0.1356


@pytest.fixture(scope="module")
def asm_table() -> AsmRmseTable:
    return asm_rmse_experiment(n_trials=200, seed=0)


def test_asm_curve_end_points(asm_table: AsmRmseTable) -> None:
    tol = 4 * N0_STD / np.sqrt(asm_table.n_trials)  # 4 standard errors of a 200-image mean
    assert asm_table.rmse_dct[0] == pytest.approx(N0_MEAN, abs=tol)
    assert asm_table.rmse_dft[0] == asm_table.rmse_dct[0]  # both are the same DC-only mask
    assert asm_table.rmse_dct[0] < np.sqrt(2 / 3)
    assert asm_table.rmse_dct[14] == 0.0 and asm_table.miss_dct[14] == 0.0
    # The DFT rule reaches the full 8×8 basis at n = 4 + 4.
    assert np.all(asm_table.rmse_dft[8:] == 0.0) and asm_table.rmse_dft[7] > 0.0
    assert list(asm_table.kept_dct[[0, 1, 7, 14]]) == [1, 3, 36, 64]
    assert list(asm_table.kept_dft[[0, 1, 8]]) == [1, 5, 64]


def test_asm_curve_is_non_increasing_and_high(asm_table: AsmRmseTable) -> None:
    assert np.all(np.diff(asm_table.rmse_dct) <= 0.0)
    assert np.all(np.diff(asm_table.rmse_dft) <= 0.0)
    # Seed 000's verdict "pretty high": at its 6-frequency setting the error is still more than
    # half of the DC-only error.
    assert asm_table.rmse_dct[6] > 0.5 * asm_table.rmse_dct[0]


def test_asm_range_scales_the_error_exactly() -> None:
    # The seed's loop draws in [0, 1]: same masks (a constant offset only moves the DC), half the
    # error of [−1, 1] with the same generator draws.
    a = asm_rmse_experiment(50, 3, n_values=[0, 4, 9])
    b = asm_rmse_experiment(50, 3, low=0.0, high=1.0, n_values=[0, 4, 9])
    np.testing.assert_allclose(a.rmse_dct, 2 * b.rmse_dct, rtol=1e-12)
    np.testing.assert_array_equal(a.miss_dft, b.miss_dft)


@pytest.fixture(scope="module")
def chain_table() -> ChainTable:
    return spectral_chain_experiment(n_images=16, seed=0)


def test_linear_chain_is_one_low_pass(chain_table: ChainTable) -> None:
    for row in chain_table.rows:
        if row.nonlinearity == "none":
            assert row.error_vs_single < 1e-12
            assert row.error_vs_lowpassed_input < 1e-12
            assert row.unexplained_energy < 1e-24


def test_nonlinear_chain_is_not(chain_table: ChainTable) -> None:
    # Bound: ReLU(v) = v/2 + |v|/2; for Gaussian v the centred |v|/2 carries (1 − 2/π)/4 ≈ 0.09
    # of σ² against 0.25 for the linear half, so about a quarter of the activation's variance is
    # a broadband function of *all* input frequencies, and roughly (17/25)² ≈ 0.46 of a flat
    # spectrum survives the next pool: an expected relative change of order √(0.27·0.46) ≈ 0.35.
    # 0.1 sits safely below; squaring is more nonlinear still. Measured: 0.23–0.98.
    for row in chain_table.rows:
        if row.nonlinearity != "none":
            assert row.error_vs_lowpassed_input > 0.1
            assert row.unexplained_energy > 0.05
    assert chain_table.answer.startswith("Without nonlinearities the chain equals one low-pass")
    assert "it is not one" in chain_table.answer


def test_pink_noise_is_normalised_and_low_frequency() -> None:
    maps = pink_noise_images(4, 32, np.random.default_rng(0))
    np.testing.assert_allclose(maps.mean(axis=(-2, -1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(maps.std(axis=(-2, -1)), 1.0, rtol=1e-12)
    power = np.abs(np.fft.fft2(maps)) ** 2
    assert power[..., 1, 1].mean() > 20 * power[..., 16, 16].mean()


def test_figures_draw(asm_table: AsmRmseTable, chain_table: ChainTable) -> None:
    import matplotlib.pyplot as plt

    for figure in (asm_rmse_figure(asm_table), chain_error_figure(chain_table)):
        assert len(figure.axes) >= 1 and all(ax.has_data() for ax in figure.axes)
        plt.close(figure)
