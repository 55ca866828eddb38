"""Wall time of one bit-true training step (forward, backward, SGD update) of LeNet-5 at batch
32 on the default hardware's datapath, and of the float64 model for comparison; the target is
under 3 s on 2 cores. Best of 5 after one warm-up (plans and twiddles cached).

Run: python benchmarks/bench_train_step.py   (from the repository root)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from fdsim.nn.model import build_model

from fdsim.model.backend import Backend, TensorClass
from fdsim.model.fixed_backend import FixedBackend
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import INPUT_NAME, backward, forward, initial_param_values, update
from fdsim.schedule.compile import compile_schedule
from fdsim.sim.functional import reduction_tiles_of
from fdsim.spec.load import load_hardware, load_workload

REPEATS = 5

hardware = load_hardware(Path("hwconfigs/fdtrain_28nm.yaml")).spec
workload = load_workload(Path("workloads/lenet5.yaml")).spec
model = build_model(workload)
tiles = reduction_tiles_of(compile_schedule(workload, hardware))
rng = np.random.default_rng(0)
batch = workload.batch_size
images = rng.uniform(0.0, 1.0, (batch, 1, 32, 32))
labels = rng.integers(0, 10, batch).astype(np.int64)
values = initial_param_values(model, 0)


def step(backend: Backend[object]) -> None:
    params = {k: backend.from_float(k, v, TensorClass.WEIGHTS) for k, v in values.items()}
    x = backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    _, cache = forward(model, backend, params, x)
    _, grads = backward(model, backend, params, cache, labels)
    update(model, backend, params, grads, {}, workload.training)


for label, make in (
    ("bit-true", lambda: FixedBackend(hardware, batch, tiles)),
    ("float64", FloatBackend),
):
    step(make())
    times = []
    for _ in range(REPEATS):
        backend = make()
        start = time.perf_counter()
        step(backend)
        times.append(time.perf_counter() - start)
    median_s = sorted(times)[REPEATS // 2]
    print(
        f"LeNet-5 batch {batch} step, {label:8s}: best {min(times):.3f} s, median {median_s:.3f} s"
    )
