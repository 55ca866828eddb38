"""fdsim's spectral pooling (forward and backward) and full-basis ASM max pooling against the
torch values stored by ``tests/torch_reference/spectral.py`` (torch is not imported here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fdsim.pooling.asm import asm_full_frequencies, asm_max_pool2d, asm_max_pool2d_backward
from fdsim.pooling.spectral import spectral_pool2d, spectral_pool2d_backward

DATA = np.load(Path(__file__).parent / "data" / "torch_spectral.npz")
SPECTRAL_KEYS = sorted({k.rsplit("_", 1)[0] for k in DATA.files if k.startswith("spectral_")})
ASM_KEYS = sorted({k.rsplit("_", 1)[0] for k in DATA.files if k.startswith("asm_")})


def test_the_reference_covers_every_case() -> None:
    assert len(SPECTRAL_KEYS) == 24 and len(ASM_KEYS) == 4


@pytest.mark.parametrize("key", SPECTRAL_KEYS)
def test_spectral_pool2d_matches_torch_autograd(key: str) -> None:
    mode = key.rsplit("_", 1)[1]
    x, g = DATA[f"{key}_x"], DATA[f"{key}_g"]
    y = spectral_pool2d(x, g.shape[-2:], mode)
    np.testing.assert_allclose(y, DATA[f"{key}_y"], rtol=0, atol=1e-12)
    dx = spectral_pool2d_backward(g, x.shape[-2:], mode)
    np.testing.assert_allclose(dx, DATA[f"{key}_dx"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("key", ASM_KEYS)
def test_full_basis_asm_matches_torch_max_pool2d(key: str) -> None:
    x, g = DATA[f"{key}_x"], DATA[f"{key}_g"]
    k = x.shape[-1] // g.shape[-1]
    for basis in ("dct", "dft"):
        if basis == "dct" and (x.shape[-2] % 8 or x.shape[-1] % 8):
            continue
        full = asm_full_frequencies(x.shape[-2:], basis)
        y, idx = asm_max_pool2d(x, k, n_frequencies=full, basis=basis, return_indices=True)
        np.testing.assert_array_equal(y, DATA[f"{key}_y"])
        np.testing.assert_array_equal(idx, DATA[f"{key}_idx"])
        np.testing.assert_array_equal(
            asm_max_pool2d_backward(g, idx, x.shape[-2:]), DATA[f"{key}_dx"]
        )
