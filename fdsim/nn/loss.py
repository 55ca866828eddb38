"""Softmax cross-entropy on real logits, averaged over the batch.

``L = (1/B)·Σ_b [logsumexp(z_b) − z_b[y_b]]`` for logits ``z`` ``(batch, classes)`` and integer
labels ``y`` ``(batch,)`` in ``[0, classes)``. Both the loss and its gradient shift each row by
its maximum first, so large logits neither overflow nor lose the small ones.
"""

from __future__ import annotations

import numpy as np

from fdsim.nn.arrays import IntArray, RealArray, require_ndim


def softmax(logits: RealArray) -> RealArray:
    """Row-wise softmax of ``(batch, classes)`` logits (max-shifted, hence overflow-free)."""
    require_ndim(logits, 2, "logits", "(batch, classes)")
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


def softmax_cross_entropy(logits: RealArray, labels: IntArray) -> float:
    """Mean cross-entropy of ``softmax(logits)`` against ``labels`` (natural log, nats)."""
    _check(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    picked = shifted[np.arange(labels.shape[0]), labels]
    return float(np.mean(log_norm - picked))


def softmax_cross_entropy_backward(logits: RealArray, labels: IntArray) -> RealArray:
    """Gradient of :func:`softmax_cross_entropy` w.r.t. the logits: ``(softmax − onehot)/B``."""
    _check(logits, labels)
    grad = softmax(logits)
    grad[np.arange(labels.shape[0]), labels] -= 1.0
    return np.asarray(grad / labels.shape[0], dtype=np.float64)


def _check(logits: RealArray, labels: IntArray) -> None:
    require_ndim(logits, 2, "logits", "(batch, classes)")
    require_ndim(labels, 1, "labels", "(batch,)")
    if labels.shape[0] != logits.shape[0] or labels.shape[0] == 0:
        raise ValueError(f"labels {labels.shape} must match a non-empty batch of {logits.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError(
            f"labels must lie in [0, {logits.shape[1]}), got range [{labels.min()}, {labels.max()}]"
        )
