"""Wall time of `fdsim run`'s pipeline (no report writing) on the shipped workloads: one whole
training step (fwd, bwd_data, bwd_weight, update), and the forward alone for comparison.

Run: python benchmarks/bench_run.py   (from the repository root)
"""

from __future__ import annotations

import time
from pathlib import Path

from fdsim.api import run
from fdsim.schedule.ops import TRAINING_STEP, Phase

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")

for name in ("lenet5", "digits_cnn", "cifar10_rippel", "alexnet", "vgg16_32", "vgg16_224"):
    for label, phases in (("step", TRAINING_STEP), ("fwd", frozenset({Phase.FORWARD}))):
        start = time.perf_counter()
        result = run(HARDWARE, Path(f"workloads/{name}.yaml"), phases)
        seconds = time.perf_counter() - start
        ops = int(result.layers["ops"].sum())
        cycles = result.summary["total_cycles"]
        print(f"{name:16s} {label:5s} {seconds:7.2f} s  {ops:>9,} ops  {cycles:>14,} cycles")
