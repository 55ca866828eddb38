"""Peak memory of one whole training step of a workload through `fdsim run`'s pipeline
(`fdsim.api.run`, no report writing) on the default hardware: the process's peak resident set
size (`ru_maxrss`), with the pipeline's wall time.

Run: python benchmarks/bench_memory.py [WORKLOAD]   (from the repository root; default vgg16_224)
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from fdsim.api import run
from fdsim.schedule.ops import TRAINING_STEP

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")

name = sys.argv[1] if len(sys.argv) > 1 else "vgg16_224"
start = time.perf_counter()
result = run(HARDWARE, Path(f"workloads/{name}.yaml"), TRAINING_STEP)
seconds = time.perf_counter() - start
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
ops = int(result.layers["ops"].sum())
print(f"{name} step: {seconds:.2f} s, {ops:,} ops, peak RSS {peak_mib:,.0f} MiB")
