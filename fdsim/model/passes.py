"""The passes of a :class:`~fdsim.network.graph.Network` on a
:class:`~fdsim.model.backend.Backend`: initial parameters, the forward pass (keeping what the
backward needs), the backward pass (loss and parameter gradients, skipping what no parameter
needs) and one SGD update. The model says what each layer computes; these run it, in program
order, on whichever arithmetic the backend implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic

import numpy as np
import numpy.typing as npt

from fdsim.model.backend import Backend, T, TensorClass
from fdsim.network.graph import Network, ParamRole
from fdsim.nn.conv import kernel_spectrum
from fdsim.spec.workload import TrainingSpec

INPUT_NAME = "input"
"""The name the backend receives when the network input is converted (:func:`forward`)."""


@dataclass(frozen=True)
class ForwardCache(Generic[T]):
    """What :func:`forward` keeps for :func:`backward`: each layer's output by layer name (the
    loss layer's output is the logits it receives), and each op's input, per layer."""

    outputs: Mapping[str, T]
    op_inputs: tuple[tuple[T, ...], ...]

    @property
    def logits(self) -> T:
        return self.op_inputs[-1][-1]


def initial_param_values(model: Network, seed: int) -> dict[str, npt.NDArray[np.generic]]:
    """Float64 initial parameters: conv kernels k×k ~ N(0, 2/fan_in) (He) as their spectra on
    the layer's grid, spatial kernels and FC weights ~ N(0, 2/fan_in), biases 0. One generator
    seeded by ``seed`` draws the parameters in model order."""
    rng = np.random.default_rng(seed)
    values: dict[str, npt.NDArray[np.generic]] = {}
    for spec in model.params:
        scale = np.sqrt(2.0 / spec.fan_in)
        if spec.role is ParamRole.CONV_WEIGHT:
            out, channels = spec.shape[0], spec.shape[1]
            kernels = scale * rng.standard_normal((out, channels, spec.kernel, spec.kernel))
            values[spec.name] = kernel_spectrum(kernels, spec.grid)
        elif spec.role in (ParamRole.FC_WEIGHT, ParamRole.SPATIAL_CONV_WEIGHT):
            values[spec.name] = scale * rng.standard_normal(spec.shape)
        else:
            values[spec.name] = np.zeros(spec.shape)
    return values


def init_params(model: Network, backend: Backend[T], seed: int) -> dict[str, T]:
    """:func:`initial_param_values` converted by the backend (``TensorClass.WEIGHTS``)."""
    return {
        name: backend.from_float(name, value, TensorClass.WEIGHTS)
        for name, value in initial_param_values(model, seed).items()
    }


def forward(
    model: Network, backend: Backend[T], params: Mapping[str, T], x: T
) -> tuple[T, ForwardCache[T]]:
    """Run the network on a batch ``x`` (maps ``(B, C, n, n)``, already converted by the
    backend, e.g. ``backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)``).
    Returns the logits (the loss layer's input, ``(B, classes, 1, 1)`` after an FC) and the
    cache; ``cache.outputs[layer_name]`` is each layer's output tensor."""
    outputs: dict[str, T] = {}
    op_inputs = []
    for layer in model.layers:
        inputs = []
        for op in layer.ops:
            inputs.append(x)
            x = backend.forward(op, layer.name, params, x)
        op_inputs.append(tuple(inputs))
        outputs[layer.name] = x
    cache = ForwardCache(outputs, tuple(op_inputs))
    return cache.logits, cache


def backward(
    model: Network,
    backend: Backend[T],
    params: Mapping[str, T],
    cache: ForwardCache[T],
    labels: npt.NDArray[np.int64],
) -> tuple[float, dict[str, T]]:
    """The mean softmax cross-entropy over the batch and the gradient of every parameter (batch
    means; conv weight gradients projected onto their k×k support). Phases no parameter needs
    (the input gradient of the first parameterised op and everything before it) are skipped."""
    loss, grads, _ = backward_trace(model, backend, params, cache, labels)
    return loss, grads


def backward_trace(
    model: Network,
    backend: Backend[T],
    params: Mapping[str, T],
    cache: ForwardCache[T],
    labels: npt.NDArray[np.int64],
) -> tuple[float, dict[str, T], dict[str, T]]:
    """:func:`backward`, and the gradient of each layer's input (its ``bwd_data`` result)
    keyed by layer name, for the layers whose input gradient is computed."""
    loss_layer = model.layers[-1]
    loss, g = backend.softmax_cross_entropy(loss_layer.name, cache.logits, labels)
    ops = [
        (layer.name, op, x)
        for layer, inputs in zip(model.layers, cache.op_inputs, strict=True)
        for op, x in zip(layer.ops, inputs, strict=True)
    ]
    first_param = next((i for i, (_, op, _) in enumerate(ops) if op.params), len(ops))
    grads: dict[str, T] = {}
    input_grads: dict[str, T] = {loss_layer.name: g}
    for position in range(len(ops) - 1, first_param - 1, -1):
        name, op, x = ops[position]
        g_in, op_grads = backend.backward(op, name, params, x, g, position > first_param)
        grads.update(op_grads)
        if g_in is not None:
            g = g_in
            # Ops run last-first, so a layer's entry ends as its first op's input gradient;
            # the first parametric layer has none (an overlap-add tiled conv has ops after its
            # product, whose gradients are not its input's).
            if name != ops[first_param][0]:
                input_grads[name] = g
    return loss, grads, input_grads


def update(
    model: Network,
    backend: Backend[T],
    params: Mapping[str, T],
    grads: Mapping[str, T],
    velocities: Mapping[str, T],
    training: TrainingSpec,
) -> tuple[dict[str, T], dict[str, T]]:
    """One SGD step on every parameter; ``velocities`` (empty at the start, and always with
    momentum 0) is the optimizer state. Returns the new parameters and velocities."""
    new_params: dict[str, T] = {}
    new_velocities: dict[str, T] = {}
    for spec in model.params:
        param, velocity = backend.sgd_update(
            spec.name, params[spec.name], grads[spec.name], velocities.get(spec.name), training
        )
        new_params[spec.name] = param
        if velocity is not None:
            new_velocities[spec.name] = velocity
    return new_params, new_velocities
