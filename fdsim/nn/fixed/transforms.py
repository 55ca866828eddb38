"""The bit-true 2-D transforms between maps and spectra of the fixed-point backend, and their
adjoints: the FFT/iFFT of the hardware's ``fft.arithmetic`` (:mod:`fdsim.fixedpoint.spectral_maps`)
placed, windowed and, for a grid that is not a power of two, interpolated as the
:class:`~fdsim.model.backend.Backend` transforms specify.

Forward transforms record their events under ``fwd``; their adjoints, which run on gradients,
under ``bwd_data``.
"""

from __future__ import annotations

import math

import numpy as np

from fdsim.fixedpoint import ComplexInt
from fdsim.fixedpoint.spectral_maps import maps_to_spectra, spectra_to_maps
from fdsim.nn.crop import NyquistMode
from fdsim.nn.fixed.activation import spectral_affine_backward_fixed
from fdsim.nn.fixed.crop import spectral_crop_backward_fixed, spectral_crop_fixed
from fdsim.nn.fixed.datapath import Datapath
from fdsim.nn.fixed.tensor import FixedTensor, TensorFormat, requantize_tensor
from fdsim.vocabulary import Phase

NYQUIST = NyquistMode.AVERAGE  # as the float backend: the workload has no field for it


def to_spectra(path: Datapath, name: str, x: FixedTensor, grid: int, offset: int) -> FixedTensor:
    """FFT of maps ``x`` placed at ``offset`` of a zero ``grid``×``grid`` map."""
    return _fft(path, name, Phase.FORWARD, x, grid, offset)


def to_spectra_backward(
    path: Datapath, name: str, g: FixedTensor, size: int, offset: int
) -> FixedTensor:
    """Adjoint of :func:`to_spectra`: the ``size`` window at ``offset`` of the inverse DFT."""
    # Gradient spectra are DFTs of spatial gradients: the adjoint is the inverse DFT.
    maps = _ifft(path, name, Phase.BACKWARD_DATA, g, g.shape[-2], path.loss_scale_exponent)
    return _window(maps, offset, size)


def to_maps(path: Datapath, name: str, x: FixedTensor, size: int) -> FixedTensor:
    """iFFT of spectra ``x`` to ``size``×``size`` maps (interpolated when ``size`` exceeds
    the grid)."""
    grid = x.shape[-2]
    if size <= grid:
        return _window(_ifft(path, name, Phase.FORWARD, x, grid, 0), 0, size)
    # Zero-padding in frequency to a size-point grid, ×size²/grid².
    site = path.site("spectra", name, Phase.FORWARD, "pad")
    padded = spectral_crop_backward_fixed(x, size, NYQUIST, path.counter, site)
    scaled = _interpolation_gain(path, padded, size, grid, name, Phase.FORWARD)
    return _ifft(path, name, Phase.FORWARD, scaled, size, 0)


def to_maps_backward(path: Datapath, name: str, g: FixedTensor, grid: int) -> FixedTensor:
    """Adjoint of :func:`to_maps`: gradient maps → gradient spectra on ``grid``."""
    size = g.shape[-1]
    if size <= grid:
        return _fft(path, name, Phase.BACKWARD_DATA, g, grid, 0)
    spectra = _fft(path, name, Phase.BACKWARD_DATA, g, size, 0)
    site = path.site("gradients", name, Phase.BACKWARD_DATA, "crop")
    cropped = spectral_crop_fixed(spectra, grid, NYQUIST, path.counter, site)
    # Adjoint of "pad, ×size²/grid²": the crop (which carries grid²/size²) ×size²/grid².
    return _interpolation_gain(path, cropped, size, grid, name, Phase.BACKWARD_DATA)


def _interpolation_gain(
    path: Datapath, x: FixedTensor, size: int, grid: int, name: str, phase: Phase
) -> FixedTensor:
    """``x·size²/grid²``: the power-of-two part (rounded up) moves the exponent; a
    remainder in (½, 1) (a grid that is not a power of two) is one multiply, its
    coefficient in the weights format, so the scaled values cannot outgrow the format.
    The schedule does not emit that multiply: it is neither timed nor priced."""
    gain = (size / grid) ** 2
    shift = math.ceil(math.log2(gain))
    moved = FixedTensor(x.values, x.fmt, x.exponent + shift)
    remainder = gain / 2.0**shift
    if remainder == 1.0:
        return moved
    tensor_class = "spectra" if phase is Phase.FORWARD else "gradients"
    site = path.site(tensor_class, name, phase, "interpolation_gain")
    return spectral_affine_backward_fixed(
        moved, path.coefficient(remainder, name, phase), path.counter, site, moved.layout
    )


def _fft(
    path: Datapath, name: str, phase: Phase, x: FixedTensor, grid: int, offset: int
) -> FixedTensor:
    """Bit-true 2-D FFT of real maps ``x`` placed at ``offset`` in a ``grid`` map."""
    if x.is_complex:
        raise ValueError(f"{name}: the FFT takes real maps")
    size = x.shape[-1]
    values = x.parts[0]
    if offset:
        placed = np.zeros((*values.shape[:-2], offset + size, offset + size), dtype=np.int64)
        placed[..., offset:, offset:] = values
        values = placed
    site = path.site("spectra", name, phase, "fft")
    plan = path.plan(grid, x.fmt)
    spectra, exponent = maps_to_spectra(values, plan, path.counter, site)
    return FixedTensor(spectra, path.numerics.spectra, exponent + x.exponent)


def _ifft(
    path: Datapath, name: str, phase: Phase, x: FixedTensor, grid: int, maps_exponent: int
) -> FixedTensor:
    """Bit-true inverse 2-D FFT of half spectra on ``grid`` to whole ``grid`` maps stored
    at ``maps_exponent`` (gradients for the backward pass, activations forward)."""
    if not isinstance(x.values, ComplexInt):
        raise ValueError(f"{name}: the iFFT takes spectra")
    gradient = phase is not Phase.FORWARD
    fmt = path.numerics.gradients if gradient else path.numerics.activations
    plan = path.plan(grid, fmt)
    site = path.site("gradients" if gradient else "activations", name, phase, "ifft")
    spectra = x
    if x.fmt != path.numerics.spectra:
        layout = TensorFormat(path.numerics.spectra, x.exponent)
        spectra = requantize_tensor(x, layout, path.counter, site.child("load"))
    assert isinstance(spectra.values, ComplexInt)
    maps, exponent = spectra_to_maps(
        spectra.values, spectra.exponent, grid, plan, path.counter, site, maps_exponent
    )
    return FixedTensor(maps, fmt, exponent)


def _window(x: FixedTensor, offset: int, size: int) -> FixedTensor:
    values = x.parts[0][..., offset : offset + size, offset : offset + size]
    return FixedTensor(np.ascontiguousarray(values), x.fmt, x.exponent)
