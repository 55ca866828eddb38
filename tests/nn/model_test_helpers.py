"""Shared helpers for the model tests: tiny workloads, spatial kernels, finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from fdsim.model.backend import TensorClass
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import INPUT_NAME, forward
from fdsim.network.graph import Network, ParamRole
from fdsim.nn.conv import kernel_spectrum
from fdsim.spec.workload import Workload

Array = np.ndarray[Any, Any]
BACKEND = FloatBackend()


def workload(size: int, classes: int, layers: list[dict[str, Any]], **extra: Any) -> Workload:
    """A one-channel ``size``×``size`` workload with ``layers`` and a final loss layer."""
    return Workload.model_validate(
        {
            "name": "tiny",
            "input": {"channels": 1, "height": size, "width": size, "classes": classes},
            "batch_size": 2,
            "layers": [*layers, {"name": "loss", "kind": "loss"}],
            **extra,
        }
    )


def kernels(model: Network, params: dict[str, Array], name: str) -> Array:
    """The spatial k×k kernels behind the conv weight spectra ``name``."""
    spec = next(p for p in model.params if p.name == name)
    maps = np.fft.irfft2(params[name], s=(spec.grid, spec.grid))
    return np.asarray(maps[..., : spec.kernel, : spec.kernel])


def with_kernels(model: Network, params: dict[str, Array], name: str, w: Array) -> dict[str, Array]:
    """``params`` with conv weight ``name`` replaced by the spectra of spatial kernels ``w``."""
    spec = next(p for p in model.params if p.name == name)
    return {**params, name: kernel_spectrum(w, spec.grid)}


def loss_of(model: Network, params: dict[str, Array], images: Array, labels: Array) -> float:
    """The model's mean loss on a batch (float backend)."""
    x = BACKEND.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    logits, _ = forward(model, BACKEND, params, x)
    return BACKEND.softmax_cross_entropy("loss", logits, labels)[0]


def finite_difference(loss: Callable[[Array], float], x: Array, eps: float = 1e-6) -> Array:
    """Central finite-difference gradient of ``loss`` at ``x``."""
    grad = np.zeros(x.shape)
    for index in range(x.size):
        step = np.zeros(x.shape)
        step.flat[index] = eps
        grad.flat[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return grad


def numerical_param_gradient(
    model: Network, params: dict[str, Array], name: str, images: Array, labels: Array
) -> Array:
    """Finite-difference gradient of the loss w.r.t. parameter ``name``: w.r.t. the spatial
    kernels for a conv weight, w.r.t. the stored values for FC parameters."""
    role = next(p.role for p in model.params if p.name == name)
    if role is ParamRole.CONV_WEIGHT:
        return finite_difference(
            lambda w: loss_of(model, with_kernels(model, params, name, w), images, labels),
            kernels(model, params, name),
        )
    return finite_difference(
        lambda v: loss_of(model, {**params, name: v}, images, labels), params[name]
    )


def analytic_param_gradient(model: Network, grads: dict[str, Array], name: str) -> Array:
    """A model gradient in the form :func:`numerical_param_gradient` returns (conv weight
    gradients are projected spectra: their inverse DFT is the k×k kernel gradient)."""
    spec = next(p for p in model.params if p.name == name)
    if spec.role is ParamRole.CONV_WEIGHT:
        return kernels(model, grads, name)
    return grads[name]
