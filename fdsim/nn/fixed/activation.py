"""Bit-true spectral activations (:mod:`fdsim.nn.activation`) and their backward passes.

* affine ``a·X + b·N²·δ``: one fused combination (:func:`linear_combination`), one rounding
  per output; ``a`` and ``b`` are scalar coefficients (:func:`quantize_coefficient`, by
  convention in the weights format);
* linear sigmoid: ``a = ¼`` is exact — it only lowers the exponent by 2 — and ``b = ½`` is an
  exact power of two; with the default output layout (``x.fmt``, exponent − 2) the bins are
  not touched and only the DC offset can round;
* quadratic ``c0·N²·δ + c1·X + c2·P`` with ``P = (X ⊛ X)/N²`` from the CMAC reduction
  (:func:`spectral_product_fixed`, accumulator semantics, rounded to the ``product`` layout),
  then one fused combination; the backward is ``c1·G + (2·c2)·P'`` with ``P' = (G ⊛ X)/N²``
  (the factor 2 is exponent + 1).

Output layouts default to the input's (``out=None``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed.combine import linear_combination, power_of_two
from fdsim.nn.fixed.mirror import half_spectrum_size_fixed
from fdsim.nn.fixed.reduction import ReductionNumerics
from fdsim.nn.fixed.spectral_product import spectral_product_fixed
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat

SIGMOID_SCALE = power_of_two(-2)
SIGMOID_OFFSET = power_of_two(-1)


def spectral_affine_fixed(
    x: FixedTensor,
    scale: FixedTensor,
    offset: FixedTensor,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Spectrum of ``scale·x + offset``: ``scale·X`` with ``offset·N²`` added to DC."""
    n = half_spectrum_size_fixed(x, "x")
    return linear_combination(
        [(scale, x)], out or x.layout, counter, site, dc_offset=(offset, n * n)
    )


def spectral_affine_backward_fixed(
    g: FixedTensor,
    scale: FixedTensor,
    counter: OverflowCounter,
    site: OverflowSite,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Gradient spectrum ``scale·G`` (one rounding)."""
    half_spectrum_size_fixed(g, "g")
    return linear_combination([(scale, g)], out or g.layout, counter, site)


def spectral_linear_sigmoid_fixed(
    x: FixedTensor, counter: OverflowCounter, site: OverflowSite, out: TensorFormat | None = None
) -> FixedTensor:
    """``σ(x) ≈ ½ + x/4``; ``out`` defaults to ``x.fmt`` at ``x.exponent − 2``."""
    layout = out or TensorFormat(x.fmt, x.exponent - 2)
    return spectral_affine_fixed(x, SIGMOID_SCALE, SIGMOID_OFFSET, counter, site, layout)


def spectral_linear_sigmoid_backward_fixed(
    g: FixedTensor, counter: OverflowCounter, site: OverflowSite, out: TensorFormat | None = None
) -> FixedTensor:
    """``G/4``; ``out`` defaults to ``g.fmt`` at ``g.exponent − 2`` (exact)."""
    layout = out or TensorFormat(g.fmt, g.exponent - 2)
    return spectral_affine_backward_fixed(g, SIGMOID_SCALE, counter, site, layout)


def spectral_quadratic_fixed(
    x: FixedTensor,
    coefficients: tuple[FixedTensor, FixedTensor, FixedTensor],
    numerics: ReductionNumerics,
    product: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Spectrum of ``c0 + c1·x + c2·x²`` (``coefficients = (c0, c1, c2)``): the self-product
    at ``site.child("square")`` rounded to ``product``, then one fused rounding to ``out``."""
    c0, c1, c2 = coefficients
    n = half_spectrum_size_fixed(x, "x")
    terms = [(c1, x)]
    if int(c2.parts[0]) != 0:
        square = spectral_product_fixed(
            x, x, numerics, product, counter, site.child("square"), reduce_tiles
        )
        terms.append((c2, square))
    return linear_combination(terms, out or x.layout, counter, site, dc_offset=(c0, n * n))


def spectral_quadratic_backward_fixed(
    g: FixedTensor,
    x: FixedTensor,
    coefficients: tuple[FixedTensor, FixedTensor],
    numerics: ReductionNumerics,
    product: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
    reduce_tiles: Sequence[int] | None = None,
    out: TensorFormat | None = None,
) -> FixedTensor:
    """Gradient spectrum ``c1·G + 2·c2·(G ⊛ X)/N²`` (``coefficients = (c1, c2)``)."""
    c1, c2 = coefficients
    half_spectrum_size_fixed(g, "g")
    terms = [(c1, g)]
    if int(c2.parts[0]) != 0:
        cross = spectral_product_fixed(
            g, x, numerics, product, counter, site.child("cross"), reduce_tiles
        )
        twice_c2 = FixedTensor(c2.values, c2.fmt, c2.exponent + 1)
        terms.append((twice_c2, cross))
    return linear_combination(terms, out or g.layout, counter, site)
