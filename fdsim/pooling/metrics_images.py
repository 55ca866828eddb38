"""Synthetic natural-image-like test images: random phase under a 1/f^α amplitude spectrum, the
power law natural images roughly follow; pooling.md §2.5 and §6.2 measured on such images."""

from __future__ import annotations

import numpy as np

from fdsim.pooling._metrics_signal import Array


def natural_like_images(
    n: int,
    channels: int,
    size: int | tuple[int, int],
    *,
    seed: int | np.random.Generator,
    exponent: float = 1.0,
) -> Array:
    """``n`` seeded images (n, channels, H, W), each map scaled to [0, 1] (min 0, max 1).

    White Gaussian noise is filtered by |f|^−``exponent`` (f the radial frequency in cycles per
    pixel; the DC bin is zeroed before the scaling sets the mean), so every map has independent
    random phases under a 1/f^α envelope. ``size`` is H = W or a pair (H, W).
    """
    func = "natural_like_images"
    height, width = (size, size) if isinstance(size, int) else size
    for name, value in (("n", n), ("channels", channels)):
        if value < 1:
            raise ValueError(f"{func}: {name} must be positive, got {value}")
    if height < 2 or width < 2:
        raise ValueError(f"{func}: size must be at least 2, got {size}")
    if not np.isfinite(exponent) or exponent < 0:
        raise ValueError(f"{func}: exponent must be finite and non-negative, got {exponent}")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, channels, height, width))
    radius = np.hypot(*np.meshgrid(np.fft.fftfreq(height), np.fft.fftfreq(width), indexing="ij"))
    envelope = np.zeros_like(radius)
    envelope[radius > 0] = radius[radius > 0] ** -exponent
    maps = np.fft.ifft2(np.fft.fft2(noise) * envelope).real
    low = maps.min(axis=(2, 3), keepdims=True)
    span = maps.max(axis=(2, 3), keepdims=True) - low
    return np.asarray((maps - low) / span, dtype=np.float64)
