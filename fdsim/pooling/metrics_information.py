"""How much of its input a pooling operator keeps: pool, reconstruct at the input size with a
reconstructor that does not depend on the method, and measure the error (pooling.md §2.1, §2.5).

Why this is fair: every operator is judged at its own output size by the *same* reconstructor,
so a method cannot gain from a decoder tailored to it. The spectral reconstructor (default) is
the band-limited interpolator, the natural inverse on a circular FFT accelerator; the
least-squares reconstructor is the best linear decoder for the image set itself, so its error is
a method-agnostic lower bound (its kept fraction an upper bound) for every linear reconstructor,
the other two included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from fdsim.pooling._metrics_signal import (
    Array,
    Pool,
    as_images,
    bilinear_matrix,
    pooled,
    separable,
    spectral_upsample_matrix,
)

Reconstruct = Literal["spectral", "bilinear", "least_squares"]
RECONSTRUCTORS: tuple[Reconstruct, ...] = ("spectral", "bilinear", "least_squares")


@dataclass(frozen=True)
class InformationKept:
    """Reconstruction quality of a pooled image set, aggregated over all its maps.

    ``relative_error`` = sqrt(Σ‖x − x̂‖² / Σ‖x‖²) over the set (aggregate rather than a mean of
    per-image ratios, so the least-squares reconstructor provably never scores worse);
    ``kept_fraction`` = 1 − relative_error², the share of the input energy the reconstruction
    keeps; ``psnr`` = 10·log10(peak² / MSE) in dB (inf for an exact reconstruction);
    ``output_fraction`` = h·w / (H·W), the share of values the pooled maps hold.
    """

    relative_error: float
    kept_fraction: float
    psnr: float
    output_fraction: float
    reconstruct: Reconstruct


def reconstruct_images(
    x: Array, y: Array, reconstruct: Reconstruct, func: str = "reconstruct_images"
) -> Array:
    """Reconstruct ``x`` (N, C, H, W) from its pooled maps ``y`` (N, C, h, w).

    ``spectral``: band-limited up-sampling (zero-padded spectrum, amplitude preserving); it puts
    pooled pixel i at input position i·H/h, the grid of spectral pooling. ``bilinear``: circular
    bilinear with half-pixel centres (pixel i at (i + ½)·H/h − ½, the grid of k = s windows).
    ``least_squares``: the linear map R minimising Σ‖x − R y‖² over all N·C maps of the set
    (one R shared by all channels, as pooling treats channels alike); fitted in-sample, so it
    needs at least h·w maps, otherwise it would interpolate the set and report no loss.
    """
    height, width = x.shape[2:]
    h, w = y.shape[2:]
    if reconstruct == "spectral":
        return separable(spectral_upsample_matrix(h, height), spectral_upsample_matrix(w, width), y)
    if reconstruct == "bilinear":
        return separable(bilinear_matrix(h, height), bilinear_matrix(w, width), y)
    if reconstruct == "least_squares":
        maps = x.shape[0] * x.shape[1]
        if maps < h * w:
            raise ValueError(
                f"{func}: least_squares needs at least h*w = {h * w} maps (N*C), got {maps}"
            )
        inputs = y.reshape(maps, h * w)
        decoder = np.linalg.lstsq(inputs, x.reshape(maps, height * width), rcond=None)[0]
        return np.asarray(inputs @ decoder, dtype=np.float64).reshape(x.shape)
    raise ValueError(
        f"{func}: reconstruct must be one of {', '.join(RECONSTRUCTORS)}, got {reconstruct!r}"
    )


def information_kept(
    pool: Pool,
    images: npt.ArrayLike,
    reconstruct: Reconstruct = "spectral",
    *,
    peak: float | None = None,
) -> InformationKept:
    """Pool ``images`` (N, C, H, W), reconstruct them at (H, W) and measure what was kept.

    ``pool`` maps (N, C, H, W) to (N, C, h, w) with h ≤ H, w ≤ W. ``reconstruct`` is one of
    ``'spectral'`` (default), ``'bilinear'`` or ``'least_squares'`` (see
    :func:`reconstruct_images`). ``peak`` is the PSNR signal peak; None takes the dynamic range
    max − min of ``images`` (1 for images scaled to [0, 1]).
    """
    func = "information_kept"
    if reconstruct not in RECONSTRUCTORS:
        raise ValueError(
            f"{func}: reconstruct must be one of {', '.join(RECONSTRUCTORS)}, got {reconstruct!r}"
        )
    x = as_images(func, images)
    y = pooled(func, pool, x)
    x_hat = reconstruct_images(x, y, reconstruct, func)
    energy = float(np.sum(x * x))
    if energy == 0.0:
        raise ValueError(f"{func}: images must not be all zero (the relative error is undefined)")
    sq_error = float(np.sum((x - x_hat) ** 2))
    if peak is not None and not peak > 0.0:
        raise ValueError(f"{func}: peak must be positive, got {peak}")
    span = float(np.max(x) - np.min(x)) if peak is None else float(peak)
    if span == 0.0:
        raise ValueError(f"{func}: images are constant, so peak must be given for the PSNR")
    mse = sq_error / x.size
    return InformationKept(
        relative_error=math.sqrt(sq_error / energy),
        kept_fraction=1.0 - sq_error / energy,
        psnr=math.inf if mse == 0.0 else 10.0 * math.log10(span * span / mse),
        output_fraction=(y.shape[2] * y.shape[3]) / (x.shape[2] * x.shape[3]),
        reconstruct=reconstruct,
    )
