"""Fused linear combinations ``Σ_j c_j·T_j (+ offset on the DC bin)`` with one rounding, and
the quantised scalar coefficients they use.

This is the datapath of the activation and update units: every product ``c_j·T_j`` is formed
exactly, the products (and the offset) are added exactly at the finest LSB among them, and the
sum is rounded **once** to the output layout (the output format's rounding mode) and fitted
(``site.child("output")``).  So each output value carries at most one rounding error.

Coefficients are real scalar ``FixedTensor`` s.  :func:`quantize_coefficient` stores a constant
in a given format (by convention the **weights** format: the units hold their constants in
weight registers) with the exponent that uses the format's full precision — a constant is known
when the schedule is compiled, so its power-of-two scale is free.  Exact powers of two
(:func:`power_of_two`) need no format at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite, require_int64_width
from fdsim.nn.fixed.products import multiply_parts
from fdsim.nn.fixed.tensor import FixedTensor, Parts, TensorFormat, rescale_parts
from fdsim.spec.numerics import QFormat

UNIT_FORMAT = QFormat(total_bits=2, fraction_bits=0)
"""The smallest format holding ±1: used for exact power-of-two coefficients."""


def power_of_two(exponent: int, negative: bool = False) -> FixedTensor:
    """The exact coefficient ``±2**exponent`` (integer ±1 in :data:`UNIT_FORMAT`)."""
    return FixedTensor(np.array(-1 if negative else 1, dtype=np.int64), UNIT_FORMAT, exponent)


def quantize_coefficient(
    value: float, fmt: QFormat, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    """``value`` as a scalar of ``fmt`` with the smallest exponent at which it fits (most
    precision); rounded by ``fmt.rounding``.  Zero gets exponent 0."""
    if value == 0.0:
        return FixedTensor.from_float(np.float64(0.0), TensorFormat(fmt, 0), counter, site)
    _, binary_exponent = math.frexp(abs(value))  # |value| = m·2**binary_exponent, m in [½, 1)
    integer_bits = fmt.total_bits - fmt.fraction_bits - (1 if fmt.signed else 0)
    exponent = binary_exponent - integer_bits
    # The magnitude fits at this exponent unless fmt.rounding carries it to the next power
    # of two: try it with a scratch counter, so only the kept quantisation is counted.
    trial = OverflowCounter()
    FixedTensor.from_float(np.float64(value), TensorFormat(fmt, exponent), trial, site)
    if trial.events():
        exponent += 1
    return FixedTensor.from_float(np.float64(value), TensorFormat(fmt, exponent), counter, site)


def linear_combination(
    terms: Sequence[tuple[FixedTensor, FixedTensor]],
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    dc_offset: tuple[FixedTensor, int] | None = None,
) -> FixedTensor:
    """``Σ_j c_j·T_j`` for ``terms = [(c_j, T_j)]`` (real scalar coefficients; tensors all real
    or all complex, broadcasting), plus ``coefficient·multiplier`` added to the real part of bin
    ``[..., 0, 0]`` when ``dc_offset = (coefficient, multiplier)`` is given.  Exact until one
    rounding to ``out``; fitted at ``site.child("output")``."""
    if not terms:
        raise ValueError("a linear combination needs at least one term")
    n_parts = len(terms[0][1].parts)
    if any(len(t.parts) != n_parts for _, t in terms):
        raise ValueError("linear_combination terms must be all real or all complex")
    products: list[tuple[Parts, int, int]] = []
    for coefficient, tensor in terms:
        width = coefficient.fmt.total_bits + tensor.fmt.total_bits
        parts = multiply_parts(tensor.parts, coefficient.parts, False, width)
        products.append((parts, coefficient.lsb_exponent + tensor.lsb_exponent, width))
    if dc_offset is not None:
        coefficient, multiplier = dc_offset
        width = coefficient.fmt.total_bits + max(1, abs(multiplier).bit_length() + 1)
        require_int64_width(width, "DC offset")
        offset = coefficient.parts[0] * np.int64(multiplier)
        products.append(((offset,), coefficient.lsb_exponent, width))
    fine = min(lsb for _, lsb, _ in products)
    widest = max(width + lsb - fine for _, lsb, width in products)
    total_width = widest + math.ceil(math.log2(len(products))) if len(products) > 1 else widest
    require_int64_width(total_width, "linear combination sum")
    shape = np.broadcast_shapes(*(p[0].shape for p, _, _ in products[: len(terms)]))
    sums = [np.zeros(shape, dtype=np.int64) for _ in range(n_parts)]
    for parts, lsb, _ in products[: len(terms)]:
        for total, part in zip(sums, parts, strict=True):
            total += part << (lsb - fine)
    if dc_offset is not None:
        offset_parts, lsb, _ = products[-1]
        sums[0][..., 0, 0] += offset_parts[0] << (lsb - fine)
    return rescale_parts(tuple(sums), fine, total_width, out, counter, site.child("output"))
