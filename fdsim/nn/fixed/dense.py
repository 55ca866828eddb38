"""Bit-true fully connected layer (:mod:`fdsim.nn.dense`, real GEMM on spatial vectors) and ReLU.

The GEMMs are the CMAC patterns of :mod:`fdsim.nn.fixed.cmac` on real operands, with the same
accumulator semantics (round each product to the accumulator, fit after every addition, spills
at ``reduce_tiles`` boundaries, one output rounding):

* forward ``y = x·Wᵀ + b``: pattern ``FORWARD``, the bias preloaded into the accumulator;
* backward data ``g·W``: pattern ``BACKWARD_DATA``;
* backward params ``∂W = gᵀ·x`` (pattern ``BACKWARD_WEIGHT``, reduced over the batch) and
  ``∂b = Σ_b g`` (the same datapath with the products replaced by ``g`` itself), both with the
  batch split by ``reduce_tiles``.

ReLU and its mask are exact (no rounding, no overflow) and keep the layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.cmac import CmacPattern, cmac_reduce
from fdsim.nn.fixed.reduction import ReductionNumerics, accumulate
from fdsim.nn.fixed.tensor import FixedTensor, Parts, TensorFormat, requantize_tensor


def _require_real_matrix(t: FixedTensor, name: str, layout: str) -> None:
    if t.is_complex or len(t.shape) != 2:
        raise ValueError(f"{name} must be a real {layout} tensor, got shape {t.shape}")


def dense_forward_fixed(
    x: FixedTensor,
    weight: FixedTensor,
    bias: FixedTensor,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """``x (batch, in) · weightᵀ (in, out) + bias (out,)`` → ``(batch, out)`` in ``out``."""
    _require_real_matrix(x, "x", "(batch, in)")
    _require_real_matrix(weight, "weight", "(out, in)")
    if bias.is_complex or bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must be real (out,) = ({weight.shape[0]},), got {bias.shape}")
    return cmac_reduce(
        x, weight, CmacPattern.FORWARD, numerics, out, counter, site, reduce_tiles, bias
    )


def dense_backward_data_fixed(
    g: FixedTensor,
    weight: FixedTensor,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> FixedTensor:
    """``g (batch, out) · weight (out, in)`` → ``(batch, in)`` in ``out``."""
    _require_real_matrix(g, "g", "(batch, out)")
    _require_real_matrix(weight, "weight", "(out, in)")
    return cmac_reduce(
        g, weight, CmacPattern.BACKWARD_DATA, numerics, out, counter, site, reduce_tiles
    )


def dense_backward_params_fixed(
    g: FixedTensor,
    x: FixedTensor,
    numerics: ReductionNumerics,
    out: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
) -> tuple[FixedTensor, FixedTensor]:
    """``(∂weight = gᵀ·x (out, in), ∂bias = Σ_b g (out,))``, both in ``out`` (sites
    ``site.child("weight")`` and ``site.child("bias")``)."""
    _require_real_matrix(g, "g", "(batch, out)")
    _require_real_matrix(x, "x", "(batch, in)")
    d_weight = cmac_reduce(
        x,
        g,
        CmacPattern.BACKWARD_WEIGHT,
        numerics,
        out,
        counter,
        site.child("weight"),
        reduce_tiles,
    )
    g_rows = g.parts[0]

    def term(r: int) -> Parts:
        return (g_rows[r],)

    bias_site = site.child("bias")
    acc = accumulate(
        term,
        g.lsb_exponent,
        g.fmt.total_bits,
        g.shape[0],
        g.exponent,
        numerics,
        counter,
        bias_site,
        reduce_tiles,
    )
    return d_weight, requantize_tensor(acc, out, counter, bias_site.child("output"))


def relu_fixed(x: FixedTensor) -> FixedTensor:
    """``max(x, 0)`` on real spatial values (exact, same layout)."""
    if x.is_complex:
        raise ValueError("relu needs real spatial values, got a complex tensor")
    return FixedTensor(np.maximum(x.parts[0], 0), x.fmt, x.exponent)


def relu_backward_fixed(g: FixedTensor, x: FixedTensor) -> FixedTensor:
    """``g`` where ``x > 0``, else 0 (exact, ``g``'s layout)."""
    if g.is_complex or x.is_complex or g.shape != x.shape:
        raise ValueError(f"relu backward needs real g and x of one shape, got {g.shape}, {x.shape}")
    return FixedTensor(np.where(x.parts[0] > 0, g.parts[0], 0), g.fmt, g.exponent)
