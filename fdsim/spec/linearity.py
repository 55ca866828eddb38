"""Which stretches of a workload are affine in their input, told from the spec alone (a
timing-only run builds no numerical model).

Convolution (with its transforms and folding), crop and average pooling, the affine and
linear-sigmoid activations, a quadratic one without x² term and FC layers are affine maps, and
a composition of affine maps is one affine map: a network with no ReLU, spatial max pooling or
x² term between its input and its loss is a linear classifier, however deep it looks. The
numerical model agrees layer by layer (``fdsim.nn.linearity``; tests/test_api.py checks it).
"""

from __future__ import annotations

from typing import Any

from fdsim.spec.workload import (
    ActivationFunction,
    ActivationLayer,
    Domain,
    LossLayer,
    PoolLayer,
    PoolMethod,
    Workload,
)


def layer_is_affine(workload: Workload, index: int) -> bool:
    """Whether ``workload.layers[index]`` is affine in its input (a loss layer is not asked)."""
    layer = workload.layers[index]
    if isinstance(layer, PoolLayer):
        # In the spectral domain every method is a crop (linear); elsewhere max is not.
        spectral = workload.domain_of(layer) is Domain.SPECTRAL
        return spectral or layer.method is not PoolMethod.MAX
    if isinstance(layer, ActivationLayer):
        if layer.function is ActivationFunction.RELU:
            return False
        quadratic = layer.function is ActivationFunction.QUADRATIC
        return not quadratic or layer.coefficients[2] == 0.0
    return True


def linearity_summary(workload: Workload) -> dict[str, Any]:
    """The run summary's ``linearity``: ``linear_classifier`` (every layer before the loss is
    affine) and ``affine_spans``, the maximal runs of at least two affine layers before the
    loss in layer order, each as ``{"first", "last", "layers"}``."""
    affine = [
        (layer.name, layer_is_affine(workload, index))
        for index, layer in enumerate(workload.layers)
        if not isinstance(layer, LossLayer)
    ]
    spans: list[dict[str, Any]] = []
    run: list[str] = []
    for name, is_affine in [*affine, ("", False)]:
        if is_affine:
            run.append(name)
            continue
        if len(run) >= 2:
            spans.append({"first": run[0], "last": run[-1], "layers": len(run)})
        run = []
    linear = all(is_affine for _, is_affine in affine)
    return {"linear_classifier": linear, "affine_spans": spans}
