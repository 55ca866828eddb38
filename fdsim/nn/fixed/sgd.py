"""Bit-true SGD update (the update unit), :class:`fdsim.spec.workload.TrainingSpec` semantics:

    ``v ← m·v + (g + wd·w)``;   ``w ← w − lr·v``

for real (FC) and complex (spectral weight) parameters alike.  Formats: ``w`` is kept in the
master-weights layout (``NumericsSpec.master_weights``, or the weights format when absent) and
updated in place at that layout; ``g`` arrives in the gradients format; the velocity ``v`` is
stored in the caller's ``velocity`` layout (by convention the gradients format, at the
gradient's exponent).  Coefficients ``lr``, ``m``, ``wd`` are scalars quantised by
:meth:`SgdCoefficients.quantize` (by convention in the weights format).

Rounding: each line is one fused combination (:func:`linear_combination`): its products are
exact and the sum is rounded once to the stored layout and fitted (sites
``site.child("velocity")`` and ``site.child("weights")``).  With momentum 0 no velocity is
kept: ``v`` is the rounded ``g + wd·w`` and is not returned.  Compute units read the master
weights rounded to the weights format with :func:`fdsim.nn.fixed.tensor.requantize_tensor`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.combine import linear_combination, power_of_two, quantize_coefficient
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import TrainingSpec


@dataclass(frozen=True)
class SgdCoefficients:
    """Quantised learning rate, momentum and weight decay (``None``: the term is absent)."""

    learning_rate: FixedTensor
    momentum: FixedTensor | None = None
    weight_decay: FixedTensor | None = None

    @classmethod
    def quantize(
        cls, training: TrainingSpec, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
    ) -> SgdCoefficients:
        """``training``'s constants in ``fmt`` (zero momentum/decay become ``None``)."""

        def optional(value: float) -> FixedTensor | None:
            return quantize_coefficient(value, fmt, counter, site) if value else None

        return cls(
            quantize_coefficient(training.learning_rate, fmt, counter, site),
            optional(training.momentum),
            optional(training.weight_decay),
        )


@dataclass(frozen=True)
class SgdState:
    """The parameters after a step and the velocity to keep (``None`` without momentum)."""

    weights: FixedTensor
    velocity: FixedTensor | None


def sgd_step(
    weights: FixedTensor,
    gradient: FixedTensor,
    velocity: FixedTensor | None,
    coefficients: SgdCoefficients,
    velocity_layout: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> SgdState:
    """One update of ``weights`` (master layout) by ``gradient``; ``velocity`` is the stored
    velocity (``None`` on the first step or without momentum: taken as zero)."""
    if weights.shape != gradient.shape or weights.is_complex != gradient.is_complex:
        raise ValueError(f"weights {weights.shape} and gradient {gradient.shape} do not match")
    terms = [(power_of_two(0), gradient)]
    if coefficients.weight_decay is not None:
        terms.append((coefficients.weight_decay, weights))
    if coefficients.momentum is not None and velocity is not None:
        terms.append((coefficients.momentum, velocity))
    new_velocity = linear_combination(terms, velocity_layout, counter, site.child("velocity"))
    negative_lr = FixedTensor(
        -coefficients.learning_rate.parts[0],
        coefficients.learning_rate.fmt,
        coefficients.learning_rate.exponent,
    )
    new_weights = linear_combination(
        [(power_of_two(0), weights), (negative_lr, new_velocity)],
        weights.layout,
        counter,
        site.child("weights"),
    )
    kept = new_velocity if coefficients.momentum is not None else None
    return SgdState(new_weights, kept)
