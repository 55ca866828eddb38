"""Training: a tiny network's loss falls under SGD, and a short float run on digits learns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from model_test_helpers import BACKEND, loss_of, workload

from fdsim.model.backend import TensorClass
from fdsim.model.passes import INPUT_NAME, backward, forward, init_params, update
from fdsim.model.train import BatchRecord, EpochRecord, evaluate, train
from fdsim.network.lowering import lower_network
from fdsim.nn.datasets import LabelledImages, Split, load_digits_split
from fdsim.spec.load import load_workload
from fdsim.spec.workload import TrainingSpec

ROOT = Path(__file__).parent.parent.parent


def test_tiny_network_loss_falls_under_sgd() -> None:
    layers = [
        {"name": "c1", "kind": "conv", "out_channels": 2, "kernel": 3},
        {"name": "q1", "kind": "activation", "function": "quadratic", "coefficients": [0, 1, 0.3]},
        {"name": "p1", "kind": "pool", "method": "spectral", "output_size": 4},
        {"name": "f1", "kind": "fc", "out_features": 3},
    ]
    model = lower_network(workload(8, 3, layers))
    params = init_params(model, BACKEND, seed=0)
    rng = np.random.default_rng(1)
    images, labels = rng.random((6, 1, 8, 8)), np.array([0, 1, 2, 0, 1, 2])
    training = TrainingSpec(learning_rate=0.05, momentum=0.5)
    before = loss_of(model, params, images, labels)
    velocities: dict[str, np.ndarray] = {}
    for _ in range(20):
        x = BACKEND.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
        _, cache = forward(model, BACKEND, params, x)
        _, grads = backward(model, BACKEND, params, cache, labels)
        params, velocities = update(model, BACKEND, params, grads, velocities, training)
    assert loss_of(model, params, images, labels) < 0.5 * before


def test_short_digits_training_learns_well_above_chance() -> None:
    spec = load_workload(ROOT / "workloads" / "digits_cnn.yaml").spec
    model = lower_network(spec)
    full = load_digits_split(seed=0)
    data = Split(full.source, _first(full.train, 640), full.holdout)
    batches: list[BatchRecord] = []
    epochs: list[EpochRecord] = []
    history = train(
        model,
        BACKEND,
        init_params(model, BACKEND, seed=0),
        data,
        epochs=2,
        seed=0,
        training=spec.training,
        batch_size=spec.batch_size,
        on_batch=batches.append,
        on_epoch=epochs.append,
    )
    assert len(batches) == 2 * 20 and list(history.epochs) == epochs
    assert history.epochs[-1].holdout_accuracy > 0.6  # chance is 0.1
    again = evaluate(model, BACKEND, history.params, data.holdout, batch_size=100)
    assert again.accuracy == history.epochs[-1].holdout_accuracy


def _first(data: LabelledImages, count: int) -> LabelledImages:
    return LabelledImages(data.images[:count], data.labels[:count])
