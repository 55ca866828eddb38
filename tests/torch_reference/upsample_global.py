"""Writes the PyTorch goldens of fdsim's up-sampling, unpooling, transposed-convolution and
global pools, and compares fdsim against them.

Every case (seeded inputs and a seeded output gradient) is run through torch 2.13 — forward and
the input gradient(s) by autograd — and stored in ``tests/data/torch_upsample_global.npz``,
which ``tests/test_pooling_upsample_torch.py`` checks without torch. The covariance pooling has
no torch operator: its reference is torch autograd of the same formula (``torch.linalg.eigh``
for ``eig``, the matmul iteration for ``newton_schulz``). Prints a PASS/FAIL table of fdsim
against torch.

Run from the worktree root, in a venv with torch and fdsim (``pip install -e . --no-deps``):

    /tmp/venv-torch/bin/python tests/torch_reference/upsample_global.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))
from test_pooling_upsample_torch import GOLDEN, TOLERANCE, run_fdsim  # noqa: E402

torch.set_default_dtype(torch.float64)
RNG = np.random.default_rng(20261203)


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, requires_grad=True)


def _grads(out: torch.Tensor, g: np.ndarray, leaves: dict[str, torch.Tensor]) -> dict[str, Any]:
    out.backward(torch.tensor(g))
    result = {"out": out.detach().numpy()}
    result.update({key: leaf.grad.numpy() for key, leaf in leaves.items()})
    return result


def interpolate_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    resize: list[dict[str, Any]] = [
        {"size": [7, 9]},
        {"size": [8, 10]},
        {"size": [3, 2]},
        {"size": [4, 5]},
        {"size": [1, 3]},
        {"scale_factor": 2},
        {"scale_factor": 1.5},
        {"scale_factor": [0.5, 1.7]},
        {"scale_factor": 2.3},
        {"scale_factor": 1.1},
        {"scale_factor": 0.6},
        {"scale_factor": [3, 0.75]},
    ]
    configs: list[dict[str, Any]] = [
        {"mode": "nearest"},
        {"mode": "nearest-exact"},
        {"mode": "bilinear", "align_corners": False},
        {"mode": "bilinear", "align_corners": True},
        {"mode": "bicubic", "align_corners": False},
        {"mode": "bicubic", "align_corners": True},
    ]
    cases = []
    for config in configs:
        for k, sizing in enumerate(resize):
            x = RNG.standard_normal((1, 1, 4, 5))
            kwargs = {**config, **sizing}
            out = F.interpolate(_t(x), **kwargs)
            name = f"interpolate-{config['mode']}-{config.get('align_corners')}-{k}"
            cases.append((name, kwargs, {"x": x, "g": RNG.standard_normal(out.shape)}))
    x = RNG.standard_normal((1, 1, 5, 4))
    cases.append(("interpolate-bilinear-None", {"mode": "bilinear", "size": [9, 7]}, {"x": x}))
    cases[-1][2]["g"] = RNG.standard_normal((1, 1, 9, 7))
    return [("interpolate", *case) for case in cases]


def unpool_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    # (pooled map's size, unpool arguments); a different output_size re-reads the flat indices.
    configs: list[tuple[tuple[int, int], dict[str, Any]]] = [
        ((8, 8), {"kernel_size": 2}),
        ((8, 8), {"kernel_size": 2, "stride": 2, "output_size": [9, 8]}),
        ((7, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
        ((8, 9), {"kernel_size": [2, 3], "stride": [1, 2]}),
        ((8, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "output_size": [1, 2, 8, 9]}),
    ]
    cases = []
    for k, (size, kwargs) in enumerate(configs):
        pooled, idx = F.max_pool2d(
            torch.tensor(RNG.standard_normal((1, 2, *size))),
            kwargs["kernel_size"],
            kwargs.get("stride"),
            kwargs.get("padding", 0),
            return_indices=True,
        )
        arrays = {"x": pooled.numpy(), "indices": idx.numpy()}
        out = F.max_unpool2d(torch.tensor(arrays["x"]), idx, **kwargs)
        arrays["g"] = RNG.standard_normal(out.shape)
        cases.append(("max_unpool2d", f"max_unpool2d-{k}", kwargs, arrays))
    return cases


def conv_transpose_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    configs: list[dict[str, Any]] = [
        {},
        {"stride": 2},
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"stride": [2, 3], "padding": [1, 0], "output_padding": [0, 2]},
        {"groups": 2},
        {"dilation": 2, "padding": 1},
        {"stride": 3, "dilation": [1, 2], "output_padding": [2, 1], "groups": 2},
        {"stride": 1, "padding": 2, "dilation": 2, "output_padding": 1},
    ]
    cases = []
    for k, kwargs in enumerate(configs):
        groups = kwargs.get("groups", 1)
        arrays = {
            "x": RNG.standard_normal((2, 4, 3, 4)),
            "w": RNG.standard_normal((4, 6 // groups, 3, 2)),
        }
        if k % 2 == 0:
            arrays["b"] = RNG.standard_normal(6)
        bias = torch.tensor(arrays["b"]) if "b" in arrays else None
        out = F.conv_transpose2d(
            torch.tensor(arrays["x"]), torch.tensor(arrays["w"]), bias, **kwargs
        )
        arrays["g"] = RNG.standard_normal(out.shape)
        cases.append(("conv_transpose2d", f"conv_transpose2d-{k}", kwargs, arrays))
    return cases


def global_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for op in ("global_avg_pool2d", "global_max_pool2d"):
        for k, shape in enumerate([(2, 3, 4, 5), (1, 2, 1, 7)]):
            x = RNG.standard_normal(shape)
            cases.append(
                (op, f"{op}-{k}", {}, {"x": x, "g": RNG.standard_normal((*shape[:2], 1, 1))})
            )
    for k, kwargs in enumerate(
        [
            {"method": "eig"},
            {"method": "eig", "eps": 0.0},
            {"method": "newton_schulz"},
            {"method": "newton_schulz", "iterations": 9, "eps": 1e-3},
        ]
    ):
        x = RNG.standard_normal((2, 3, 3, 4))
        g = RNG.standard_normal((2, 3, 3))
        cases.append(("covariance_pool2d", f"covariance_pool2d-{k}", kwargs, {"x": x, "g": g}))
    return cases


def covariance_torch(x: torch.Tensor, method: str, iterations: int, eps: float) -> torch.Tensor:
    n, c, h, w = x.shape
    feats = x.reshape(n, c, h * w)
    centred = feats - feats.mean(dim=2, keepdim=True)
    eye = torch.eye(c)
    sigma = centred @ centred.transpose(1, 2) / (h * w) + eps * eye
    if method == "eig":
        lam, vec = torch.linalg.eigh(sigma)
        return vec @ torch.diag_embed(lam.clamp(min=0).sqrt()) @ vec.transpose(1, 2)
    trace = sigma.diagonal(dim1=1, dim2=2).sum(-1)[:, None, None]
    y, z = sigma / trace, eye.expand(n, c, c)
    for _ in range(iterations):
        t = 0.5 * (3 * eye - z @ y)
        y, z = y @ t, t @ z
    return trace.sqrt() * y


def torch_results(op: str, kwargs: dict[str, Any], arrays: dict[str, Any]) -> dict[str, Any]:
    x, g = _t(arrays["x"]), arrays["g"]
    if op == "interpolate":
        return _grads(F.interpolate(x, **kwargs), g, {"gx": x})
    if op == "max_unpool2d":
        return _grads(F.max_unpool2d(x, torch.tensor(arrays["indices"]), **kwargs), g, {"gx": x})
    if op == "conv_transpose2d":
        w = _t(arrays["w"])
        leaves = {"gx": x, "gw": w}
        bias = None
        if "b" in arrays:
            bias = _t(arrays["b"])
            leaves["gb"] = bias
        return _grads(F.conv_transpose2d(x, w, bias, **kwargs), g, leaves)
    if op == "global_avg_pool2d":
        return _grads(F.adaptive_avg_pool2d(x, 1), g, {"gx": x})
    if op == "global_max_pool2d":
        return _grads(F.adaptive_max_pool2d(x, 1), g, {"gx": x})
    full = {"method": "newton_schulz", "iterations": 5, "eps": 1e-5, **kwargs}
    return _grads(covariance_torch(x, **full), g, {"gx": x})


def torch_copies_gradient(op: str, kwargs: dict[str, Any], arrays: dict[str, Any]) -> bool:
    """Whether this is the case where torch's bicubic backward is a plain copy."""
    return bool(
        op == "interpolate"
        and kwargs["mode"] == "bicubic"
        and arrays["g"].shape == arrays["x"].shape
    )


def main() -> int:
    cases = interpolate_cases() + unpool_cases() + conv_transpose_cases() + global_cases()
    specs, store, rows = [], {}, []
    for op, name, kwargs, arrays in cases:
        expected = torch_results(op, kwargs, arrays)
        spec = {
            "name": name,
            "op": op,
            "kwargs": kwargs,
            "inputs": sorted(arrays),
            "outputs": sorted(expected),
        }
        if torch_copies_gradient(op, kwargs, arrays):
            # torch's bicubic backward copies the gradient when the size is unchanged, although
            # its forward still resamples (scale_factor ≠ 1): not the adjoint. fdsim keeps the
            # adjoint; the golden test checks torch's copy instead of comparing.
            assert np.array_equal(expected["gx"], arrays["g"]), name
            spec["torch_copies_gradient"] = True
            expected = {key: value for key, value in expected.items() if key != "gx"}
            spec["outputs"] = sorted(expected)
        specs.append(spec)
        store.update({f"{name}/{key}": value for key, value in {**arrays, **expected}.items()})
        try:
            got = run_fdsim(op, kwargs, arrays)
            errors = {
                key: float(np.abs(got[key] - want).max())
                if got[key].shape == want.shape
                else float("inf")
                for key, want in expected.items()
            }
        except Exception as exc:  # report and carry on: the table is the point
            errors = {"error": float("inf")}
            print(f"{name}: {type(exc).__name__}: {exc}")
        worst = max(errors.values())
        rows.append((op, name, worst))
        if worst > TOLERANCE:
            print(f"FAIL {name} {kwargs} {errors}")
    store["cases"] = np.array(json.dumps(specs))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(GOLDEN, **store)
    print(f"{'operator':<20} {'cases':>5} {'pass':>5} {'max |fdsim - torch|':>22}")
    for op in dict.fromkeys(op for op, _, _ in rows):
        mine = [worst for o, _, worst in rows if o == op]
        passed = sum(w <= TOLERANCE for w in mine)
        print(f"{op:<20} {len(mine):>5} {passed:>5} {max(mine):>22.3e}")
    total = sum(w <= TOLERANCE for _, _, w in rows)
    verdict = "PASS" if total == len(rows) else "FAIL"
    print(
        f"{verdict}: {total}/{len(rows)} cases within {TOLERANCE:g}; wrote {GOLDEN.name} "
        f"({GOLDEN.stat().st_size // 1024} KB)"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
