"""Which stretches of a network are affine in their input.

Convolution, FFT/iFFT, fold, crop and average pooling, the affine (and linear-sigmoid)
spectral activation and FC layers are all affine maps, and a composition of affine maps is
one affine map: a network with no nonlinear layer (ReLU, max pooling, a quadratic term with
a nonzero x² coefficient) between its input and its loss is a linear classifier, however deep
it looks. The DAC 2017 scheme keeps the spectral part of a network linear (crop pooling and
linearised activations), so this is the first thing a user of it should see.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.nn.model import Model, ModelLayer
from fdsim.nn.model_ops import MaxPool, Polynomial, Relu, SoftmaxCrossEntropy, SpectralQuadratic


@dataclass(frozen=True)
class AffineSpan:
    """Consecutive layers ``first`` … ``last`` (``layers`` of them) that compose to one affine
    map of ``first``'s input."""

    first: str
    last: str
    layers: int


def is_affine(layer: ModelLayer) -> bool:
    """Whether every op of ``layer`` is affine in its input."""
    for op in layer.ops:
        if isinstance(op, Relu | MaxPool):
            return False
        if isinstance(op, SpectralQuadratic | Polynomial) and op.coefficients[2] != 0.0:
            return False
    return True


def affine_spans(model: Model) -> tuple[AffineSpan, ...]:
    """The maximal runs of at least two affine layers before the loss, in layer order."""
    spans: list[AffineSpan] = []
    run: list[str] = []
    layers = [layer for layer in model.layers if not _is_loss(layer)]
    for layer in [*layers, None]:
        if layer is not None and is_affine(layer):
            run.append(layer.name)
            continue
        if len(run) >= 2:
            spans.append(AffineSpan(run[0], run[-1], len(run)))
        run = []
    return tuple(spans)


def is_linear_classifier(model: Model) -> bool:
    """Whether the whole network before the loss is one affine map of the input."""
    return all(is_affine(layer) for layer in model.layers if not _is_loss(layer))


def _is_loss(layer: ModelLayer) -> bool:
    return any(isinstance(op, SoftmaxCrossEntropy) for op in layer.ops)
