"""Which stretches of a network are affine in their input.

Convolution (with its transforms and folding), crop and average pooling, the affine and
linear-sigmoid activations, a quadratic one without x² term and FC layers are affine maps
(each primitive says so: ``Primitive.affine``), and a composition of affine maps is one affine
map: a network with no ReLU, max pooling or x² term between its input and its loss is a linear
classifier, however deep it looks. The DAC 2017 scheme keeps the spectral part of a network
linear (crop pooling and linearised activations), so this is the first thing a user of it
should see. The graph holds no numbers, so timing-only runs report it too.
"""

from __future__ import annotations

from typing import Any

from fdsim.network.graph import LayerKind, Network


def linearity_summary(network: Network) -> dict[str, Any]:
    """The run summary's ``linearity``: ``linear_classifier`` (every layer before the loss is
    affine) and ``affine_spans``, the maximal runs of at least two affine layers before the
    loss in layer order, each as ``{"first", "last", "layers"}``. A topology's rows are not
    chained, so they compose to nothing: neither is reported."""
    if network.workload.topology:
        return {"linear_classifier": False, "affine_spans": []}
    layers = [layer for layer in network.layers if layer.kind is not LayerKind.LOSS]
    spans: list[dict[str, Any]] = []
    run: list[str] = []
    for layer in [*layers, None]:
        if layer is not None and layer.affine:
            run.append(layer.name)
            continue
        if len(run) >= 2:
            spans.append({"first": run[0], "last": run[-1], "layers": len(run)})
        run = []
    linear = all(layer.affine for layer in layers)
    return {"linear_classifier": linear, "affine_spans": spans}
