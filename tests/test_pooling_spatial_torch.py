"""fdsim's torch-compatible spatial and adaptive pools against PyTorch 2.13 goldens (forward,
indices and autograd input gradients) stored in tests/data/torch_spatial.npz by
tests/torch_reference/spatial.py. Torch is not needed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fdsim.pooling import adaptive, spatial, spatial_lp

DATA = np.load(Path(__file__).parent / "data" / "torch_spatial.npz")
CASES: list[tuple[str, str, dict[str, Any]]] = json.loads(str(DATA["cases"]))
SELECTING = ("max_pool2d", "adaptive_max_pool2d")
MODULES = {
    "lp_pool2d": spatial_lp,
    "adaptive_avg_pool2d": adaptive,
    "adaptive_max_pool2d": adaptive,
}


def test_the_goldens_cover_every_torch_compatible_operator_and_option() -> None:
    ops = {op for op, _, _ in CASES}
    assert ops == {
        "max_pool2d",
        "avg_pool2d",
        "lp_pool2d",
        "adaptive_avg_pool2d",
        "adaptive_max_pool2d",
    }
    options = {key for _, _, kwargs in CASES for key in kwargs}
    assert {"padding", "dilation", "ceil_mode", "count_include_pad", "divisor_override"} <= options
    assert any(kind == "ties" for _, kind, _ in CASES)


@pytest.mark.parametrize(
    "case", range(len(CASES)), ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)]
)
def test_forward_and_backward_equal_torch(case: int) -> None:
    op, _, kwargs = CASES[case]
    module = MODULES.get(op, spatial)
    x, g = DATA[f"{case}_x"], DATA[f"{case}_g"]
    if op in SELECTING:
        out, idx = getattr(module, op)(x, **kwargs, return_indices=True)
        np.testing.assert_array_equal(idx, DATA[f"{case}_idx"])
    else:
        out = getattr(module, op)(x, **kwargs)
    np.testing.assert_allclose(out, DATA[f"{case}_y"], rtol=1e-12, atol=1e-13)
    grad = getattr(module, op + "_backward")(g, x, **kwargs)
    np.testing.assert_allclose(grad, DATA[f"{case}_dx"], rtol=1e-12, atol=1e-13)
