"""Every pooling method the comparison (``fdsim pooling``) measures, each as one 2×-per-axis
down-sampling of NCHW maps with its settings fixed, so that all methods are judged at the same
output size. The names of the methods a workload can name are the operator registry's
(:mod:`fdsim.operators.registry`); the others are this library's alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fdsim.pooling.asm import asm_max_pool2d
from fdsim.pooling.lift import lift_down_pool2d
from fdsim.pooling.spatial import avg_pool2d, max_pool2d, min_pool2d
from fdsim.pooling.spatial_lp import lp_pool2d
from fdsim.pooling.spatial_mean import gem_pool2d, lip_pool2d, mixed_pool2d, soft_pool2d
from fdsim.pooling.spatial_rank import kmax_pool2d, median_pool2d
from fdsim.pooling.spatial_stochastic import stochastic_pool2d
from fdsim.pooling.spectral import spectral_pool2d
from fdsim.pooling.windows import Array

Pool = Callable[[Array], Array]


@dataclass(frozen=True)
class ImageSet:
    """The comparison's test images: ``count`` seeded 1/f-spectrum maps of ``channels``, each
    ``size``×``size`` (:func:`fdsim.pooling.metrics.natural_like_images`)."""

    count: int
    channels: int
    size: int

    def describe(self) -> str:
        return (
            f"{self.count} natural-like (1/f-spectrum) images of {self.channels} channels, "
            f"{self.size}×{self.size}"
        )


METRIC_IMAGES = ImageSet(count=128, channels=3, size=32)
"""384 maps: the least-squares reconstruction of 16×16 pooled maps needs at least 256."""

ASM_FREQUENCIES = 6
"""Spatial frequencies (α + β < n of each 8×8 DCT block; |k|+|l| < n of the DFT) the ASM
methods reconstruct their masks from: about half of the 15 of an 8×8 block."""

LIP_SHARPNESS = 5.0
"""LIP's importance logits here are ``LIP_SHARPNESS · x``: a fixed importance function,
sharper than SoftPool's (which is LIP with logits ``x``)."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One method: its name, its family, the down-sampling, and what was fixed to get it."""

    name: str
    family: str
    pool: Pool
    settings: str


def _spectral(x: Array) -> Array:
    return spectral_pool2d(x, (x.shape[-2] // 2, x.shape[-1] // 2))


def _legall_predict(even: Array) -> Array:
    return (even + np.roll(even, -1, axis=-1)) / 2  # P(e)[n] = (e[n] + e[n+1])/2, circular


def _legall_update(detail: Array) -> Array:
    return (np.roll(detail, 1, axis=-1) + detail) / 4  # U(d)[n] = (d[n−1] + d[n])/4


def _lift(x: Array) -> Array:
    return lift_down_pool2d(x, _legall_predict, _legall_update)[0]  # the LL sub-band


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("spectral", "frequency", _spectral, "crop, Nyquist averaged"),
    CatalogueEntry(
        "asm_dct",
        "frequency",
        lambda x: asm_max_pool2d(x, 2, n_frequencies=ASM_FREQUENCIES, basis="dct"),
        f"max at the argmax of an 8×8-block DCT reconstruction, n = {ASM_FREQUENCIES}",
    ),
    CatalogueEntry(
        "asm_dft",
        "frequency",
        lambda x: asm_max_pool2d(x, 2, n_frequencies=ASM_FREQUENCIES, basis="dft"),
        f"max at the argmax of a whole-map DFT reconstruction, n = {ASM_FREQUENCIES}",
    ),
    CatalogueEntry(
        "lift", "wavelet", _lift, "LiftDownPool LL band, LeGall 5/3 P and U (untrained)"
    ),
    CatalogueEntry("max", "selection", lambda x: max_pool2d(x, 2), "2×2, stride 2"),
    CatalogueEntry("min", "selection", lambda x: min_pool2d(x, 2), "2×2, stride 2"),
    CatalogueEntry("median", "selection", lambda x: median_pool2d(x, 2), "2×2, lower median"),
    CatalogueEntry("kmax", "selection", lambda x: kmax_pool2d(x, 2, 2), "mean of the 2 largest"),
    CatalogueEntry("average", "mean", lambda x: avg_pool2d(x, 2), "2×2, stride 2"),
    CatalogueEntry(
        "lp", "mean", lambda x: lp_pool2d(x, 2.0, 2) / 2.0, "p = 2 as a power mean (÷ 2)"
    ),
    CatalogueEntry("gem", "mean", lambda x: gem_pool2d(x, 3.0, 2), "p = 3"),
    CatalogueEntry(
        "mixed", "mean", lambda x: mixed_pool2d(x, 2, alpha=0.5), "α = ½ (½ max + ½ mean)"
    ),
    CatalogueEntry("soft", "mean", lambda x: soft_pool2d(x, 2), "SoftPool, 2×2"),
    CatalogueEntry(
        "stochastic",
        "mean",
        lambda x: stochastic_pool2d(x, 2, training=False),
        "test-time probability weighting",
    ),
    CatalogueEntry(
        "lip",
        "mean",
        lambda x: lip_pool2d(x, LIP_SHARPNESS * x, 2),
        f"importance logits {LIP_SHARPNESS:g}·x",
    ),
)
