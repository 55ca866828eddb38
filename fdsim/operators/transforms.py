"""The domain transitions: FFT of maps onto a spectral grid, iFFT of spectra back to maps
(both on the FFT unit; ``fdsim.sim.units.fft`` prices them per transform size)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fdsim.nn.arrays import half_spectrum_size
from fdsim.nn.crop import spectral_crop, spectral_crop_backward
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor
from fdsim.nn.fixed.transforms import (
    NYQUIST,
    to_maps,
    to_maps_backward,
    to_spectra,
    to_spectra_backward,
)
from fdsim.operators.base import Array, FixedGrads, FloatGrads, Primitive
from fdsim.vocabulary import Unit


@dataclass(frozen=True)
class ToSpectra(Primitive):
    """FFT: ``size``×``size`` maps placed at ``offset`` on a zero ``grid``×``grid`` map."""

    size: int
    grid: int
    offset: int = 0

    units: ClassVar[tuple[Unit, ...]] = (Unit.FFT,)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        size = x.shape[-1]
        if self.offset < 0 or self.offset + size > self.grid:
            raise ValueError(
                f"{name}: a {size}×{size} map at offset {self.offset} exceeds grid {self.grid}"
            )
        embedded = np.zeros((*x.shape[:-2], self.grid, self.grid))
        embedded[..., self.offset : self.offset + size, self.offset : self.offset + size] = x
        return np.fft.rfft2(embedded)

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        grid = half_spectrum_size(g, "g")
        maps = np.fft.irfft2(g, s=(grid, grid))
        window = slice(self.offset, self.offset + self.size)
        return np.ascontiguousarray(maps[..., window, window]), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return to_spectra(path, name, x, self.grid, self.offset)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        if not input_grad:
            return None, {}
        return to_spectra_backward(path, name, g, self.size, self.offset), {}


@dataclass(frozen=True)
class ToMaps(Primitive):
    """iFFT of spectra on ``grid`` to ``size``×``size`` maps: the top-left window of the
    inverse DFT, or (``size > grid``: a grid that is not a power of two read by a
    ``size``-point transform) the spectrum zero-padded in frequency, even G splitting its
    Nyquist row/column over ±G/2, scaled by size²/G²: a band-limited interpolation."""

    grid: int
    size: int

    units: ClassVar[tuple[Unit, ...]] = (Unit.FFT,)

    def forward_float(self, name: str, params: Mapping[str, Array], x: Array) -> Array:
        grid, size = half_spectrum_size(x, "x"), self.size
        if size <= grid:
            return np.ascontiguousarray(np.fft.irfft2(x, s=(grid, grid))[..., :size, :size])
        padded = (size * size) / (grid * grid) * spectral_crop_backward(x, size, NYQUIST)
        return np.fft.irfft2(padded, s=(size, size))

    def backward_float(
        self, name: str, params: Mapping[str, Array], x: Array, g: Array, input_grad: bool
    ) -> tuple[Array | None, FloatGrads]:
        if not input_grad:
            return None, {}
        size, grid = g.shape[-1], self.grid
        if size <= grid:
            padded = np.zeros((*g.shape[:-2], grid, grid))
            padded[..., :size, :size] = g
            return np.fft.rfft2(padded), {}
        cropped = spectral_crop(np.fft.rfft2(g), grid, NYQUIST)
        return np.asarray((size * size) / (grid * grid) * cropped), {}

    def forward_fixed(
        self, path: Datapath, name: str, params: Mapping[str, FixedTensor], x: FixedTensor
    ) -> FixedTensor:
        return to_maps(path, name, x, self.size)

    def backward_fixed(
        self,
        path: Datapath,
        name: str,
        params: Mapping[str, FixedTensor],
        x: FixedTensor,
        g: FixedTensor,
        input_grad: bool,
    ) -> tuple[FixedTensor | None, FixedGrads]:
        if not input_grad:
            return None, {}
        return to_maps_backward(path, name, g, self.grid), {}
