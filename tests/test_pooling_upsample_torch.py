"""fdsim's up-sampling, unpooling, transposed-convolution and global pools against PyTorch goldens.

``tests/data/torch_upsample_global.npz`` holds seeded inputs with torch 2.13's outputs and input
gradients (written by ``tests/torch_reference/upsample_global.py``); this test recomputes every
case with fdsim — forward and backward — and needs no torch. :func:`run_fdsim` is shared with
that script, so both compare exactly the same calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from fdsim.pooling.global_pool import (
    covariance_pool2d,
    covariance_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_max_pool2d,
    global_max_pool2d_backward,
)
from fdsim.pooling.transposed import conv_transpose2d, conv_transpose2d_backward
from fdsim.pooling.unpool import max_unpool2d, max_unpool2d_backward
from fdsim.pooling.upsample import interpolate, interpolate_backward

GOLDEN = Path(__file__).parent / "data" / "torch_upsample_global.npz"
TOLERANCE = 1e-12


def run_fdsim(op: str, kwargs: dict[str, Any], arrays: dict[str, Any]) -> dict[str, Any]:
    """fdsim's forward and backward of one golden case: the same keys torch wrote."""
    x, g = arrays["x"], arrays["g"]
    if op == "interpolate":
        out = interpolate(x, **kwargs)
        return {"out": out, "gx": interpolate_backward(g, x.shape, **kwargs)}
    if op == "max_unpool2d":
        out = max_unpool2d(x, arrays["indices"], **kwargs)
        return {"out": out, "gx": max_unpool2d_backward(g, arrays["indices"])}
    if op == "conv_transpose2d":
        bias = arrays.get("b")
        out = conv_transpose2d(x, arrays["w"], bias, **kwargs)
        gx, gw, gb = conv_transpose2d_backward(g, x, arrays["w"], **kwargs)
        return {"out": out, "gx": gx, "gw": gw, **({"gb": gb} if bias is not None else {})}
    if op == "global_avg_pool2d":
        return {"out": global_avg_pool2d(x), "gx": global_avg_pool2d_backward(g, x.shape)}
    if op == "global_max_pool2d":
        return {"out": global_max_pool2d(x), "gx": global_max_pool2d_backward(g, x)}
    if op == "covariance_pool2d":
        out = covariance_pool2d(x, **kwargs)
        return {"out": out, "gx": covariance_pool2d_backward(g, x, **kwargs)}
    raise ValueError(f"unknown golden op {op!r}")


def load_cases(path: Path = GOLDEN) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(spec, inputs, torch results) per case of the golden file."""
    with np.load(path, allow_pickle=False) as data:
        specs = json.loads(str(data["cases"]))
        cases = []
        for spec in specs:
            name = spec["name"]
            inputs = {key: data[f"{name}/{key}"] for key in spec["inputs"]}
            results = {key: data[f"{name}/{key}"] for key in spec["outputs"]}
            cases.append((spec, inputs, results))
    return cases


def test_golden_file_covers_every_operator() -> None:
    ops = {spec["op"] for spec, _, _ in load_cases()}
    assert ops == {
        "interpolate",
        "max_unpool2d",
        "conv_transpose2d",
        "global_avg_pool2d",
        "global_max_pool2d",
        "covariance_pool2d",
    }
    modes = {spec["kwargs"].get("mode") for spec, _, _ in load_cases()}
    assert {"nearest", "nearest-exact", "bilinear", "bicubic"} <= modes


def test_forward_and_backward_equal_torch() -> None:
    failures = []
    for spec, inputs, expected in load_cases():
        got = run_fdsim(spec["op"], spec["kwargs"], inputs)
        assert set(expected) <= set(got), spec["name"]
        for key, want in expected.items():
            scale = max(1.0, float(np.abs(want).max(initial=0.0)))
            if got[key].shape != want.shape or np.abs(got[key] - want).max() > TOLERANCE * scale:
                failures.append(f"{spec['name']}:{key}")
    assert not failures, failures


def test_bicubic_same_size_keeps_the_adjoint_where_torch_copies() -> None:
    """At an unchanged size with scale_factor ≠ 1 torch's bicubic backward copies the gradient
    (the script asserts that) while its forward resamples; fdsim's backward is the adjoint."""
    copied = [case for case in load_cases() if case[0].get("torch_copies_gradient")]
    resampled = 0
    for spec, inputs, _ in copied:
        got = run_fdsim(spec["op"], spec["kwargs"], inputs)
        forward = interpolate(inputs["g"], **spec["kwargs"])  # any input of the same shape
        assert np.isclose(np.vdot(forward, inputs["g"]), np.vdot(inputs["g"], got["gx"]))
        # With size=, or align_corners (scale (in−1)/(out−1) = 1), both maps are the identity.
        if "scale_factor" in spec["kwargs"] and not spec["kwargs"]["align_corners"]:
            resampled += 1
            assert np.abs(got["gx"] - inputs["g"]).max() > 0.1
        else:
            np.testing.assert_allclose(got["gx"], inputs["g"], rtol=0, atol=1e-15)
    assert len(copied) == 4 and resampled == 1
