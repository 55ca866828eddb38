"""Mini-batch SGD training of a network (:class:`~fdsim.network.graph.Network`) on any
backend, and evaluation.

Each epoch shuffles the training set with a generator seeded by ``(seed, epoch)``, so a run is
reproducible and epochs are independent of each other's batch count. The last batch of an epoch
may be smaller. Training loss and accuracy are running means over the epoch's batches (measured
while the parameters change, as is usual); the hold-out set is evaluated after each epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic

import numpy as np
import numpy.typing as npt

from fdsim.model.backend import Backend, T, TensorClass
from fdsim.model.passes import INPUT_NAME, backward, forward, update
from fdsim.network.graph import Network
from fdsim.nn.datasets import LabelledImages, Split
from fdsim.spec.workload import TrainingSpec


@dataclass(frozen=True)
class Evaluation:
    """Mean loss (nats) and accuracy (fraction correct) over a labelled set."""

    loss: float
    accuracy: float


@dataclass(frozen=True)
class BatchRecord:
    """One training step: ``batch`` of ``batches`` (0-based) in ``epoch`` (0-based)."""

    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: running training loss/accuracy over its batches, and the hold-out result."""

    epoch: int
    train_loss: float
    train_accuracy: float
    holdout_loss: float
    holdout_accuracy: float


@dataclass(frozen=True)
class History(Generic[T]):
    """The epochs in order and the parameters (and optimizer velocities) after the last one."""

    epochs: tuple[EpochRecord, ...]
    params: Mapping[str, T]
    velocities: Mapping[str, T]


def train(
    model: Network,
    backend: Backend[T],
    params: Mapping[str, T],
    data: Split,
    *,
    epochs: int,
    seed: int,
    training: TrainingSpec,
    batch_size: int,
    on_batch: Callable[[BatchRecord], None] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> History[T]:
    """Train for ``epochs`` passes over ``data.train`` with SGD (``training``), evaluating on
    ``data.holdout`` after each; ``on_batch``/``on_epoch`` are called after every step/epoch
    (for progress display)."""
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    current = dict(params)
    velocities: dict[str, T] = {}
    records = []
    count = len(data.train)
    batches = -(-count // batch_size)
    for epoch in range(epochs):
        order = np.random.default_rng((seed, epoch)).permutation(count)
        loss_sum, correct = 0.0, 0
        for batch in range(batches):
            chosen = order[batch * batch_size : (batch + 1) * batch_size]
            labels = data.train.labels[chosen]
            x = backend.from_float(INPUT_NAME, data.train.images[chosen], TensorClass.ACTIVATIONS)
            logits, cache = forward(model, backend, current, x)
            loss, grads = backward(model, backend, current, cache, labels)
            current, velocities = update(model, backend, current, grads, velocities, training)
            hits = int(np.sum(predictions(backend, logits) == labels))
            loss_sum += loss * len(chosen)
            correct += hits
            if on_batch is not None:
                on_batch(BatchRecord(epoch, batch, batches, loss, hits / len(chosen)))
        holdout = evaluate(model, backend, current, data.holdout, batch_size=batch_size)
        record = EpochRecord(
            epoch, loss_sum / count, correct / count, holdout.loss, holdout.accuracy
        )
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return History(tuple(records), current, velocities)


def evaluate(
    model: Network,
    backend: Backend[T],
    params: Mapping[str, T],
    data: LabelledImages,
    *,
    batch_size: int,
) -> Evaluation:
    """Mean loss and accuracy of the network on ``data`` (forward passes in batches)."""
    loss_sum, correct = 0.0, 0
    for start in range(0, len(data), batch_size):
        images = data.images[start : start + batch_size]
        labels = data.labels[start : start + batch_size]
        x = backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
        logits, _ = forward(model, backend, params, x)
        loss, _ = backend.softmax_cross_entropy(model.layers[-1].name, logits, labels)
        loss_sum += loss * len(labels)
        correct += int(np.sum(predictions(backend, logits) == labels))
    return Evaluation(loss_sum / len(data), correct / len(data))


def predictions(backend: Backend[T], logits: T) -> npt.NDArray[np.int64]:
    """The predicted class per image: the arg-max of the logits ``(B, classes, …)``."""
    values = backend.to_float(logits)
    return np.asarray(values.reshape(values.shape[0], -1).argmax(axis=1), dtype=np.int64)
