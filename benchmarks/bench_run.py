"""Wall time of `fdsim run`'s pipeline (no report writing) on the shipped workloads.

Run: python benchmarks/bench_run.py   (from the repository root)
"""

from __future__ import annotations

import time
from pathlib import Path

from fdsim.api import run

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")

for name in ("lenet5", "digits_cnn", "cifar10_rippel", "alexnet", "vgg16_32", "vgg16_224"):
    start = time.perf_counter()
    result = run(HARDWARE, Path(f"workloads/{name}.yaml"))
    seconds = time.perf_counter() - start
    ops = int(result.layers["ops"].sum())
    print(
        f"{name:16s} {seconds:7.2f} s  {ops:>8,} ops  {result.summary['total_cycles']:>14,} cycles"
    )
