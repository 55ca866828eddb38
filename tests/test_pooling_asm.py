"""ASM max pooling: exact max pooling with the full basis, decimation with the DC only, the seed-000
frequency rule, gradient through the fixed mask, hand-checked values and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

from fdsim.pooling.asm import (
    asm_full_frequencies,
    asm_lowpass2d,
    asm_lowpass2d_backward,
    asm_max_pool2d,
    asm_max_pool2d_backward,
    dct_matrix,
)


def _max_pool(x: np.ndarray, k: int) -> np.ndarray:
    """Tiny exact k×k/stride-k max pool (floor mode) for reference."""
    h, w = x.shape[-2] // k, x.shape[-1] // k
    blocks = x[..., : h * k, : w * k].reshape(*x.shape[:-2], h, k, w, k)
    return blocks.max(axis=(-3, -1))


def _rand(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape)


@pytest.mark.parametrize("basis", ["dct", "dft"])
def test_full_basis_is_exact_max_pool(basis: str) -> None:
    x = _rand((2, 3, 16, 8), 0)
    full = asm_full_frequencies((16, 8), basis)
    np.testing.assert_array_equal(
        asm_max_pool2d(x, 2, n_frequencies=full, basis=basis), _max_pool(x, 2)
    )
    # Ties (integer-valued input) resolve like max_pool2d: the value is the same either way.
    xi = np.random.default_rng(1).integers(0, 3, (1, 2, 8, 8)).astype(float)
    np.testing.assert_array_equal(
        asm_max_pool2d(xi, 2, n_frequencies=99, basis=basis), _max_pool(xi, 2)
    )


def test_dft_partial_basis_is_exact_on_band_limited_maps() -> None:
    # With one anti-diagonal fewer than full the DFT reconstruction genuinely runs (no shortcut)
    # and still reconstructs low-pass maps exactly, so the pool equals exact max pooling.
    rng = np.random.default_rng(2)
    spec = np.fft.fft2(rng.standard_normal((1, 1, 8, 8)))
    k = np.minimum(np.arange(8), 8 - np.arange(8))
    spec *= (k[:, None] + k[None, :]) <= 3
    x = np.fft.ifft2(spec).real
    np.testing.assert_allclose(asm_lowpass2d(x, 3, "dft"), x, atol=1e-14)
    np.testing.assert_array_equal(
        asm_max_pool2d(x, 2, n_frequencies=3, basis="dft"), _max_pool(x, 2)
    )


@pytest.mark.parametrize("basis", ["dct", "dft"])
def test_zero_frequencies_is_decimation(basis: str) -> None:
    # Seed 000: n = 0 keeps the DC only; the constant reconstruction ties every window and
    # np.argmax (first maximum) picks the top-left pixel.
    x = _rand((2, 2, 8, 16), 3)
    np.testing.assert_array_equal(
        asm_max_pool2d(x, 2, n_frequencies=0, basis=basis), x[..., ::2, ::2]
    )


def _seed_almm_reconstruction(block: np.ndarray, n_freqs: int) -> np.ndarray:
    """Seed 000's ``almm`` reconstruction, written out pixel by pixel (harmonics h[x, i] =
    cos((2x+1)iπ/2N), normaliser 1/√2 on index 0, overall 1/√(2N), keep i + j <= n)."""
    size = block.shape[0]
    h = np.cos((2 * np.arange(size)[:, None] + 1) * np.arange(size)[None, :] * np.pi / (2 * size))
    norm = np.ones(size)
    norm[0] = 1 / np.sqrt(2)
    nn = np.outer(norm, norm)
    coeff = (1 / np.sqrt(2 * size)) * nn * (h.T @ block @ h)
    out = np.zeros_like(block)
    for px in range(size):
        for py in range(size):
            acc = 0.0
            for i in range(size):
                for j in range(size):
                    if i + j <= n_freqs:
                        acc += nn[i, j] * coeff[i, j] * h[px, i] * h[py, j]
            out[px, py] = acc / np.sqrt(2 * size)
    return out


@pytest.mark.parametrize("n", [0, 1, 5, 9, 13])
def test_dct_rule_reproduces_seed_000(n: int) -> None:
    x = _rand((1, 1, 8, 16), 4)
    got = asm_lowpass2d(x, n, "dct")
    for col in range(2):
        block = x[0, 0, :, 8 * col : 8 * col + 8]
        want = _seed_almm_reconstruction(block, n)
        np.testing.assert_allclose(got[0, 0, :, 8 * col : 8 * col + 8], want, atol=1e-13)
    # Same as scipy's orthonormal DCT-II with the anti-diagonal mask.
    a = np.arange(8)
    keep = (a[:, None] + a[None, :]) <= n
    block = x[0, 0, :, :8]
    want_scipy = scipy.fft.idctn(scipy.fft.dctn(block, norm="ortho") * keep, norm="ortho")
    np.testing.assert_allclose(got[0, 0, :, :8], want_scipy, atol=1e-13)
    np.testing.assert_allclose(dct_matrix(8) @ dct_matrix(8).T, np.eye(8), atol=1e-15)


@pytest.mark.parametrize("basis", ["dct", "dft"])
def test_finite_difference_gradient_through_fixed_mask(basis: str) -> None:
    x = _rand((1, 2, 8, 8), 5)
    g = _rand((1, 2, 4, 4), 6)
    _out, idx = asm_max_pool2d(x, 2, n_frequencies=4, basis=basis, return_indices=True)
    grad = asm_max_pool2d_backward(g, idx, (8, 8))
    eps = 1e-6
    fd = np.zeros_like(x)
    for pos in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[pos] = eps
        plus = np.sum(asm_max_pool2d(x + step, 2, n_frequencies=4, basis=basis) * g)
        minus = np.sum(asm_max_pool2d(x - step, 2, n_frequencies=4, basis=basis) * g)
        fd[pos] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    assert np.count_nonzero(grad) == g.size  # one position per window


def test_lowpass_is_a_self_adjoint_projection() -> None:
    x, y = _rand((1, 1, 8, 8), 7), _rand((1, 1, 8, 8), 8)
    for basis in ("dct", "dft"):
        px = asm_lowpass2d(x, 3, basis)
        np.testing.assert_allclose(asm_lowpass2d(px, 3, basis), px, atol=1e-14)
        lhs = np.sum(px * y)
        rhs = np.sum(x * asm_lowpass2d_backward(y, 3, basis))
        assert lhs == pytest.approx(rhs, rel=1e-12)


@pytest.mark.parametrize(
    ("basis", "n", "value", "index"),
    [
        ("dft", 0, 0.0, 0),
        ("dft", 1, 1.0, 3),
        ("dft", 2, 2.0, 1),
        ("dct", 0, 0.0, 0),
        ("dct", 1, 1.0, 3),
        ("dct", 2, 2.0, 1),
    ],
)
def test_exact_values_2x2(basis: str, n: int, value: float, index: int) -> None:
    # x = [[0, 2], [2, 1]]. Dropping the one checkerboard coefficient (n = 1; for 2×2 the DCT-II
    # (1,1) and DFT (1,1) basis maps are both ±1 checkerboards) gives x̃ = x + 0.75·[[1,-1],[-1,1]]
    # = [[0.75, 1.25], [1.25, 1.75]]: the mask picks (1,1) and returns the TRUE value 1 there,
    # although the true maximum is 2 (first at flat index 1).
    x = np.array([[[[0.0, 2.0], [2.0, 1.0]]]])
    out, idx = asm_max_pool2d(x, 2, n_frequencies=n, basis=basis, block_size=2, return_indices=True)
    assert out[0, 0, 0, 0] == value and idx[0, 0, 0, 0] == index
    np.testing.assert_allclose(
        asm_lowpass2d(x, 1, basis, block_size=2)[0, 0],
        [[0.75, 1.25], [1.25, 1.75]],
        atol=1e-15,
    )
    grad = asm_max_pool2d_backward(np.array([[[[5.0]]]]), idx, (2, 2))
    assert grad.reshape(-1)[index] == 5.0 and grad.sum() == 5.0


def test_bad_arguments() -> None:
    x = np.zeros((1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"^asm_max_pool2d: kernel_size must be positive, got 0$"):
        asm_max_pool2d(x, 0, n_frequencies=3)
    with pytest.raises(ValueError, match=r"^asm_max_pool2d: n_frequencies must be >= 0, got -1$"):
        asm_max_pool2d(x, 2, n_frequencies=-1)
    with pytest.raises(
        ValueError, match=r"^asm_max_pool2d: basis must be 'dct' or 'dft', got 'dst'$"
    ):
        asm_max_pool2d(x, 2, n_frequencies=3, basis="dst")
    with pytest.raises(
        ValueError,
        match=r"^asm_max_pool2d: the map size \(8, 12\) must be a multiple of block_size 8$",
    ):
        asm_max_pool2d(np.zeros((1, 1, 8, 12)), 2, n_frequencies=3)
