"""Wall time of the two timing models on the shipped workloads (one training step on
hwconfigs/fdtrain_28nm.yaml): compile once, then time the event loop and the analytic
recurrence on the same schedule, and print both cycle counts.

Run: python benchmarks/bench_models.py   (from the repository root)
"""

from __future__ import annotations

import time
from pathlib import Path

from fdsim.api import compile_specs
from fdsim.sim.analytic import estimate
from fdsim.sim.engine import simulate
from fdsim.spec.load import load_hardware, load_workload

HARDWARE = load_hardware(Path("hwconfigs/fdtrain_28nm.yaml")).spec

for name in ("lenet5", "digits_cnn", "cifar10_rippel", "alexnet", "vgg16_32", "vgg16_224"):
    workload = load_workload(Path(f"workloads/{name}.yaml")).spec
    start = time.perf_counter()
    schedule = compile_specs(HARDWARE, workload)
    compiled = time.perf_counter()
    event = simulate(schedule, HARDWARE).total_cycles
    simulated = time.perf_counter()
    analytic = estimate(schedule, HARDWARE).total_cycles
    estimated = time.perf_counter()
    print(
        f"{name:16s} compile {compiled - start:6.2f} s  event {simulated - compiled:6.2f} s "
        f"({event:,} cycles)  analytic {estimated - simulated:6.2f} s ({analytic:,} cycles, "
        f"{analytic / event:.4f})"
    )
