"""Torch goldens for the torch-compatible spatial and adaptive pools of fdsim.pooling.

Runs max_pool2d (with indices), avg_pool2d, lp_pool2d, adaptive_avg_pool2d and
adaptive_max_pool2d of PyTorch (forward, and backward through autograd with a seeded
grad_output) on seeded cases covering padding, dilation, ceil_mode, count_include_pad,
divisor_override, non-square kernels/strides, odd sizes and ties; writes inputs, torch outputs,
indices and input gradients to tests/data/torch_spatial.npz (read by
tests/test_pooling_spatial_torch.py, which does not need torch), then compares fdsim against
torch directly and prints a PASS/FAIL table.

Run from the repository root (torch is not an fdsim dependency; fdsim is taken from this tree):

    /tmp/venv-torch/bin/python tests/torch_reference/spatial.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import fdsim  # noqa: E402
from fdsim.pooling import adaptive, spatial, spatial_lp  # noqa: E402

# An fdsim installed elsewhere in the torch venv must not shadow this tree.
assert Path(fdsim.__file__).resolve().is_relative_to(ROOT), fdsim.__file__

OUT = ROOT / "tests" / "data" / "torch_spatial.npz"
MODULES = {
    "lp_pool2d": spatial_lp,
    "adaptive_avg_pool2d": adaptive,
    "adaptive_max_pool2d": adaptive,
}

# (op, input shape, input kind, kwargs); "distinct" inputs avoid ties so that gradients are
# well defined, "ties" draws small integers to exercise the first-index rule.
CASES: list[tuple[str, tuple[int, ...], str, dict[str, Any]]] = [
    ("max_pool2d", (2, 2, 6, 6), "distinct", {"kernel_size": 2}),
    ("max_pool2d", (1, 2, 7, 9), "distinct", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool2d", (1, 2, 7, 9), "distinct", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    (
        "max_pool2d",
        (1, 2, 8, 7),
        "distinct",
        {"kernel_size": [2, 3], "stride": [1, 2], "padding": [1, 1]},
    ),
    (
        "max_pool2d",
        (1, 2, 9, 9),
        "distinct",
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
    ),
    (
        "max_pool2d",
        (1, 1, 8, 9),
        "distinct",
        {
            "kernel_size": [3, 2],
            "stride": [2, 1],
            "padding": [1, 0],
            "dilation": [1, 2],
            "ceil_mode": True,
        },
    ),
    (
        "max_pool2d",
        (1, 2, 6, 7),
        "distinct",
        {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True},
    ),
    (
        "max_pool2d",
        (1, 1, 9, 8),
        "distinct",
        {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True},
    ),
    (
        "max_pool2d",
        (1, 2, 7, 7),
        "distinct",
        {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": [2, 1]},
    ),
    ("max_pool2d", (1, 2, 6, 6), "negative", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool2d", (1, 2, 7, 8), "ties", {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("max_pool2d", (1, 1, 6, 7), "ties", {"kernel_size": [2, 3], "stride": 2, "ceil_mode": True}),
    ("avg_pool2d", (2, 2, 6, 6), "normal", {"kernel_size": 2}),
    ("avg_pool2d", (1, 2, 7, 9), "normal", {"kernel_size": 3, "stride": 2, "padding": 1}),
    (
        "avg_pool2d",
        (1, 2, 7, 9),
        "normal",
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ),
    (
        "avg_pool2d",
        (1, 2, 7, 9),
        "normal",
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    (
        "avg_pool2d",
        (1, 2, 8, 7),
        "normal",
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
    ),
    (
        "avg_pool2d",
        (1, 2, 6, 7),
        "normal",
        {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True},
    ),
    (
        "avg_pool2d",
        (1, 2, 9, 8),
        "normal",
        {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True, "count_include_pad": True},
    ),
    (
        "avg_pool2d",
        (1, 2, 7, 8),
        "normal",
        {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 1]},
    ),
    (
        "avg_pool2d",
        (1, 2, 7, 8),
        "normal",
        {
            "kernel_size": [2, 3],
            "stride": [1, 2],
            "padding": [0, 1],
            "count_include_pad": False,
            "ceil_mode": True,
        },
    ),
    (
        "avg_pool2d",
        (1, 2, 7, 9),
        "normal",
        {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5},
    ),
    (
        "avg_pool2d",
        (1, 2, 7, 9),
        "normal",
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 2},
    ),
    ("lp_pool2d", (2, 2, 6, 6), "normal", {"norm_type": 2.0, "kernel_size": 2}),
    ("lp_pool2d", (1, 2, 7, 9), "normal", {"norm_type": 1.0, "kernel_size": 3, "stride": 2}),
    ("lp_pool2d", (1, 2, 7, 9), "positive", {"norm_type": 3.0, "kernel_size": 3, "stride": 2}),
    (
        "lp_pool2d",
        (1, 2, 7, 9),
        "positive",
        {"norm_type": 1.5, "kernel_size": [2, 3], "stride": [2, 1]},
    ),
    (
        "lp_pool2d",
        (1, 2, 7, 9),
        "positive",
        {"norm_type": 2.0, "kernel_size": 3, "stride": 2, "ceil_mode": True},
    ),
    (
        "lp_pool2d",
        (1, 2, 7, 8),
        "normal",
        {"norm_type": 2.0, "kernel_size": [3, 2], "stride": [2, 3], "ceil_mode": True},
    ),
    (
        "lp_pool2d",
        (1, 2, 5, 7),
        "positive",
        {"norm_type": 2.5, "kernel_size": 2, "ceil_mode": True},
    ),
    (
        "lp_pool2d",
        (1, 2, 7, 9),
        "distinct",
        {"norm_type": float("inf"), "kernel_size": 3, "stride": 2, "ceil_mode": True},
    ),
    ("lp_pool2d", (1, 2, 6, 7), "distinct", {"norm_type": -float("inf"), "kernel_size": [2, 3]}),
    ("adaptive_avg_pool2d", (2, 2, 6, 6), "normal", {"output_size": 3}),
    ("adaptive_avg_pool2d", (1, 2, 7, 9), "normal", {"output_size": [3, 4]}),
    ("adaptive_avg_pool2d", (1, 2, 7, 9), "normal", {"output_size": [None, 5]}),
    ("adaptive_avg_pool2d", (1, 2, 5, 6), "normal", {"output_size": [8, 4]}),
    ("adaptive_avg_pool2d", (1, 2, 7, 5), "normal", {"output_size": 1}),
    ("adaptive_max_pool2d", (2, 2, 6, 6), "distinct", {"output_size": 3}),
    ("adaptive_max_pool2d", (1, 2, 7, 9), "distinct", {"output_size": [3, 4]}),
    ("adaptive_max_pool2d", (1, 2, 7, 9), "distinct", {"output_size": [2, None]}),
    ("adaptive_max_pool2d", (1, 2, 5, 6), "distinct", {"output_size": [8, 4]}),
    ("adaptive_max_pool2d", (1, 2, 10, 10), "ties", {"output_size": 4}),
]


def make_input(shape: tuple[int, ...], kind: str, rng: np.random.Generator) -> np.ndarray:
    size = int(np.prod(shape))
    if kind == "distinct":
        values = rng.permutation(size) / size - 0.5 + 1e-3 * rng.standard_normal(size)
    elif kind == "negative":
        values = -1.0 - rng.permutation(size) / size
    elif kind == "ties":
        values = rng.integers(0, 3, size).astype(np.float64)
    elif kind == "positive":
        values = 0.2 + rng.random(size)
    else:
        values = rng.standard_normal(size)
    return values.reshape(shape)


def torch_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def run_torch(op: str, x: np.ndarray, g_seed: int, kwargs: dict[str, Any]) -> dict[str, np.ndarray]:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn = getattr(F, op)
    args = torch_args(kwargs)
    result: dict[str, np.ndarray] = {}
    if op in ("max_pool2d", "adaptive_max_pool2d"):
        y, idx = fn(t, **args, return_indices=True)
        result["idx"] = idx.numpy().astype(np.int64)
    else:
        y = fn(t, **args)
    grad = np.random.default_rng(g_seed).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(grad))
    result.update(y=y.detach().numpy(), g=grad, dx=t.grad.numpy())
    return result


def run_fdsim(
    op: str, x: np.ndarray, grad: np.ndarray, kwargs: dict[str, Any]
) -> dict[str, np.ndarray]:
    module = MODULES.get(op, spatial)
    forward = getattr(module, op)
    backward = getattr(module, op + "_backward")
    result: dict[str, np.ndarray] = {}
    if op in ("max_pool2d", "adaptive_max_pool2d"):
        result["y"], result["idx"] = forward(x, **kwargs, return_indices=True)
    else:
        result["y"] = forward(x, **kwargs)
    result["dx"] = backward(grad, x, **kwargs)
    return result


def main() -> int:
    arrays: dict[str, np.ndarray] = {}
    rows = []
    failed = 0
    for i, (op, shape, kind, kwargs) in enumerate(CASES):
        x = make_input(shape, kind, np.random.default_rng(1000 + i))
        ref = run_torch(op, x, 2000 + i, kwargs)
        arrays[f"{i}_x"] = x
        for key, value in ref.items():
            arrays[f"{i}_{key}"] = value
        got = run_fdsim(op, x, ref["g"], kwargs)
        errors = {}
        for key in ("y", "dx", "idx"):
            if key in ref:
                same_shape = got[key].shape == ref[key].shape
                errors[key] = float(np.max(np.abs(got[key] - ref[key]))) if same_shape else np.inf
        ok = all(e <= 1e-12 for e in errors.values())
        failed += not ok
        detail = " ".join(f"{k}={v:.1e}" for k, v in errors.items())
        rows.append(
            f"{'PASS' if ok else 'FAIL'}  {i:2d} {op:20s} {json.dumps(kwargs):95s} {detail}"
        )
    arrays["cases"] = np.array(json.dumps([[op, kind, kw] for op, _, kind, kw in CASES]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print("\n".join(rows))
    print(f"{len(CASES) - failed}/{len(CASES)} cases PASS (torch {torch.__version__}); wrote {OUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
