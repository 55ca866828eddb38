"""Softmax cross-entropy runs on the **host side**, not in fixed point: the logits are
dequantised, the float64 loss and gradient of :mod:`fdsim.nn.loss` are computed, and the
gradient is quantised to the gradients layout (rounded by its format, overflow counted at
``site``).  The loss itself is a float64 number for reporting."""

from __future__ import annotations

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.arrays import IntArray
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat
from fdsim.nn.loss import softmax_cross_entropy, softmax_cross_entropy_backward


def softmax_cross_entropy_fixed(
    logits: FixedTensor,
    labels: IntArray,
    gradient: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> tuple[float, FixedTensor]:
    """``(mean loss, gradient w.r.t. the logits quantised to gradient)`` for real logits
    ``(batch, classes)`` and integer labels ``(batch,)``."""
    if logits.is_complex:
        raise ValueError("logits must be real")
    values = np.asarray(logits.to_float(), dtype=np.float64)
    loss = softmax_cross_entropy(values, labels)
    grad = softmax_cross_entropy_backward(values, labels)
    return loss, FixedTensor.from_float(grad, gradient, counter, site)
