"""The fixed-point tensor: stored integers, their Q-format and a static power-of-two exponent.

A ``FixedTensor`` stands for ``dequantize(values, fmt)·2**exponent``, i.e. each integer ``q``
means ``q·2**lsb_exponent`` with ``lsb_exponent = exponent − fmt.fraction_bits``.  The exponent
is a compile-time property of the tensor (one per tensor, not per element): spectra whose
magnitudes grow with N² keep 16-bit words, and exact power-of-two factors (crop's H²/N², the
1/N² of a spectral product, a coefficient of ¼) move the exponent instead of the integers.

``rescale`` is the one place where integers move between layouts: low bits are dropped with the
*target* format's rounding mode (or zeros appended, exactly), then the result is fitted by the
target's overflow mode with the events recorded.  Every op in :mod:`fdsim.nn.fixed` ends in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fdsim.fixedpoint import (
    ComplexInt,
    IntArray,
    OverflowCounter,
    OverflowSite,
    quantize,
)
from fdsim.fixedpoint.quantize import fit_shifted
from fdsim.spec.numerics import QFormat

Parts = tuple[IntArray, ...]
"""A tensor's integers as parts: ``(values,)`` when real, ``(re, im)`` when complex."""


@dataclass(frozen=True)
class TensorFormat:
    """Where a tensor's integers live: the stored ``fmt`` and the static ``exponent``."""

    fmt: QFormat
    exponent: int = 0

    @property
    def lsb_exponent(self) -> int:
        """log2 of the value of one LSB: ``exponent − fmt.fraction_bits``."""
        return self.exponent - self.fmt.fraction_bits


@dataclass(frozen=True, eq=False)
class FixedTensor:
    """Integers ``values`` (int64 array, or ``ComplexInt`` for spectra) in ``fmt``, scaled by
    ``2**exponent``: the represented value is ``values / 2**fmt.fraction_bits · 2**exponent``.

    The integers are assumed to lie in ``fmt``'s range (every op fits its outputs)."""

    values: IntArray | ComplexInt
    fmt: QFormat
    exponent: int = 0

    @classmethod
    def from_float(
        cls,
        values: npt.ArrayLike,
        layout: TensorFormat,
        counter: OverflowCounter,
        site: OverflowSite,
    ) -> FixedTensor:
        """Quantise float ``values`` (complex dtype → ``ComplexInt``) to ``layout``: the value
        divided by ``2**layout.exponent`` (exact) is rounded by ``fmt.rounding`` and fitted by
        ``fmt.overflow``, events recorded at ``site``."""
        array = np.asarray(values)
        fmt = layout.fmt
        if np.iscomplexobj(array):
            scaled = (
                np.ldexp(array.astype(np.complex128).real, -layout.exponent),
                np.ldexp(array.astype(np.complex128).imag, -layout.exponent),
            )
            stored: IntArray | ComplexInt = ComplexInt(
                quantize(scaled[0], fmt, counter, site), quantize(scaled[1], fmt, counter, site)
            )
        else:
            real = np.ldexp(array.astype(np.float64), -layout.exponent)
            stored = quantize(real, fmt, counter, site)
        return cls(stored, fmt, layout.exponent)

    @classmethod
    def from_parts(cls, parts: Parts, layout: TensorFormat) -> FixedTensor:
        """Tensor from one (real) or two (complex) integer parts."""
        values: IntArray | ComplexInt = parts[0] if len(parts) == 1 else ComplexInt(*parts)
        return cls(values, layout.fmt, layout.exponent)

    @property
    def is_complex(self) -> bool:
        return isinstance(self.values, ComplexInt)

    @property
    def parts(self) -> Parts:
        """``(values,)`` or ``(re, im)``."""
        if isinstance(self.values, ComplexInt):
            return self.values.re, self.values.im
        return (self.values,)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    @property
    def layout(self) -> TensorFormat:
        return TensorFormat(self.fmt, self.exponent)

    @property
    def lsb_exponent(self) -> int:
        return self.exponent - self.fmt.fraction_bits

    def to_float(self) -> npt.NDArray[np.float64] | npt.NDArray[np.complex128]:
        """The represented values as float64 / complex128 (exact while ``|q| < 2**53``)."""
        parts = [np.ldexp(p.astype(np.float64), self.lsb_exponent) for p in self.parts]
        if len(parts) == 1:
            return parts[0]
        out: npt.NDArray[np.complex128] = parts[0] + 1j * parts[1]
        return out

    def equals(self, other: FixedTensor) -> bool:
        """Bit-for-bit equality of integers, format and exponent."""
        return (
            self.fmt == other.fmt
            and self.exponent == other.exponent
            and len(self.parts) == len(other.parts)
            and all(np.array_equal(a, b) for a, b in zip(self.parts, other.parts, strict=True))
        )


def rescale(
    values: IntArray,
    lsb_exponent: int,
    width_bits: int,
    target: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> IntArray:
    """Exact integers worth ``values·2**lsb_exponent`` (at most ``width_bits`` wide, sign
    included) expressed in ``target``: rounded by ``target.fmt.rounding`` when bits are
    dropped, exact otherwise, then fitted by ``target.fmt.overflow`` (events at ``site``, with
    the values the dropped bits took to zero as underflow events)."""
    drop = target.lsb_exponent - lsb_exponent
    return fit_shifted(
        values, width_bits, drop, target.fmt, counter, site, "fixed-point rescale left shift"
    )


def rescale_parts(
    parts: Parts,
    lsb_exponent: int,
    width_bits: int,
    target: TensorFormat,
    counter: OverflowCounter,
    site: OverflowSite,
) -> FixedTensor:
    """``rescale`` applied to every part; the result as a tensor in ``target``."""
    moved = tuple(rescale(p, lsb_exponent, width_bits, target, counter, site) for p in parts)
    return FixedTensor.from_parts(moved, target)


def requantize_tensor(
    x: FixedTensor, target: TensorFormat, counter: OverflowCounter, site: OverflowSite
) -> FixedTensor:
    """``x`` re-expressed in ``target`` (one rounding, fitted), e.g. master weights read at the
    weights format, or a tensor moved to another exponent."""
    return rescale_parts(x.parts, x.lsb_exponent, x.fmt.total_bits, target, counter, site)


def log2_exact(value: int, what: str) -> int:
    """``log2(value)`` for a power of two; ``ValueError`` naming ``what`` otherwise."""
    if value < 1 or value & (value - 1):
        raise ValueError(f"{what} must be a power of two to move into the exponent, got {value}")
    return value.bit_length() - 1
