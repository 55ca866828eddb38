"""Torch reference for the frequency pooling operators (tests-only; torch is not a dependency).

Purpose: write seeded inputs, torch outputs and torch input-gradients (autograd of
``sum(out * grad_output)``) to ``tests/data/torch_spectral.npz`` for
``tests/test_pooling_spectral_torch.py``, and print a PASS/FAIL table against fdsim.

* ``spectral_pool2d``: torch has no such operator, so it is written here with ``torch.fft`` as
  the separable crop of pooling.md §2.2 (independently of fdsim's code); autograd gives the
  backward, which checks fdsim's hand-written adjoint.
* ``asm_max_pool2d`` with the full basis must be ``F.max_pool2d(kernel_size=k)`` (values,
  indices and gradient).

Run from the worktree root:
    /tmp/venv-torch/bin/python tests/torch_reference/spectral.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "torch_spectral.npz"
WEIGHTS = {"average": 0.5, "sum": 1.0, "drop": 0.0}
SPECTRAL_CASES = [
    ((8, 8), (4, 4)),
    ((8, 6), (5, 3)),
    ((7, 9), (4, 6)),
    ((6, 6), (3, 3)),
    ((5, 5), (2, 2)),
    ((4, 4), (4, 4)),
    ((12, 10), (6, 5)),
    ((9, 8), (9, 4)),
]
ASM_CASES = [((8, 8), 2, "dct"), ((16, 8), 2, "dct"), ((6, 9), 3, "dft"), ((7, 8), 2, "dft")]


def crop_axis(spec: torch.Tensor, out: int, weight: float, dim: int) -> torch.Tensor:
    m = spec.shape[dim]
    if out == m:
        return spec
    keep = (out - 1) // 2
    parts = [spec.narrow(dim, 0, keep + 1)]
    if out % 2 == 0:
        h = out // 2
        parts.append(weight * (spec.narrow(dim, h, 1) + spec.narrow(dim, m - h, 1)))
    if keep > 0:
        parts.append(spec.narrow(dim, m - keep, keep))
    return torch.cat(parts, dim=dim)


def torch_spectral_pool(x: torch.Tensor, size: tuple[int, int], weight: float) -> torch.Tensor:
    m, n = x.shape[-2:]
    spec = crop_axis(crop_axis(torch.fft.fft2(x), size[0], weight, -2), size[1], weight, -1)
    return torch.fft.ifft2(spec).real * (size[0] * size[1] / (m * n))


def main() -> None:
    rng = np.random.default_rng(2026)
    data: dict[str, np.ndarray] = {}
    rows = []
    sys.path.insert(0, str(ROOT))
    from fdsim.pooling.asm import asm_full_frequencies, asm_max_pool2d, asm_max_pool2d_backward
    from fdsim.pooling.spectral import spectral_pool2d, spectral_pool2d_backward

    for i, (size_in, size_out) in enumerate(SPECTRAL_CASES):
        for mode, w in WEIGHTS.items():
            key = f"spectral_{i}_{mode}"
            x = rng.standard_normal((2, 2, *size_in))
            g = rng.standard_normal((2, 2, *size_out))
            xt = torch.tensor(x, requires_grad=True)
            y = torch_spectral_pool(xt, size_out, w)
            (y * torch.tensor(g)).sum().backward()
            data |= {f"{key}_x": x, f"{key}_g": g, f"{key}_y": y.detach().numpy()}
            data[f"{key}_dx"] = xt.grad.numpy()
            err_y = np.max(np.abs(spectral_pool2d(x, size_out, mode) - data[f"{key}_y"]))
            err_dx = np.max(np.abs(spectral_pool2d_backward(g, size_in, mode) - data[f"{key}_dx"]))
            rows.append((f"spectral_pool2d {size_in}->{size_out} {mode}", err_y, err_dx))
    for i, (size_in, k, basis) in enumerate(ASM_CASES):
        key = f"asm_{i}"
        x = rng.standard_normal((2, 3, *size_in))
        h, w = size_in[0] // k, size_in[1] // k
        g = rng.standard_normal((2, 3, h, w))
        xt = torch.tensor(x, requires_grad=True)
        y, idx = F.max_pool2d(xt, k, return_indices=True)
        (y * torch.tensor(g)).sum().backward()
        data |= {f"{key}_x": x, f"{key}_g": g, f"{key}_y": y.detach().numpy()}
        data |= {f"{key}_idx": idx.numpy(), f"{key}_dx": xt.grad.numpy()}
        full = asm_full_frequencies(size_in, basis)
        ours, ours_idx = asm_max_pool2d(x, k, n_frequencies=full, basis=basis, return_indices=True)
        # A wrong index counts as an error of 1 in the forward column.
        err_y = float(np.max(np.abs(ours - data[f"{key}_y"])))
        err_y += float(np.any(ours_idx != data[f"{key}_idx"]))
        err_dx = np.max(np.abs(asm_max_pool2d_backward(g, ours_idx, size_in) - data[f"{key}_dx"]))
        rows.append((f"asm_max_pool2d full {basis} {size_in} k={k}", err_y, err_dx))
    np.savez_compressed(OUT, **data)
    print(f"{'case':48s} {'max|dy|':>10s} {'max|dx|':>10s}  result")
    failed = 0
    for name, ey, ex in rows:
        ok = ey <= 1e-12 and ex <= 1e-12
        failed += not ok
        print(f"{name:48s} {ey:10.1e} {ex:10.1e}  {'PASS' if ok else 'FAIL'}")
    size = OUT.stat().st_size
    print(f"{len(rows) - failed}/{len(rows)} PASS; wrote {OUT.relative_to(ROOT)} ({size} B)")


if __name__ == "__main__":
    main()
