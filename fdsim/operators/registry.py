"""The open operator families, by the names workloads use. Adding a spatial pooling method is
one module (a :class:`~fdsim.operators.spatial_pool.SpatialPool` subclass) and one line here;
docs/ADDING_AN_OPERATOR.md walks through it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fdsim.geometry import PoolWindows
from fdsim.operators.pool_average import AvgPool
from fdsim.operators.pool_kmax import KmaxPool
from fdsim.operators.pool_max import MaxPool
from fdsim.operators.pool_median import MedianPool
from fdsim.operators.pool_min import MinPool
from fdsim.operators.pool_mixed import MixedPool
from fdsim.operators.spatial_pool import SpatialPool

SPECTRAL_POOL_METHOD = "spectral"
"""The pooling method that stays in the spectral domain (a crop of the spectra). Every other
method runs on maps: in the spectral domain by an iFFT → pool → FFT round trip."""

SPATIAL_POOLS: Mapping[str, Callable[[PoolWindows], SpatialPool]] = {
    "average": AvgPool,
    "kmax": KmaxPool,
    "max": MaxPool,
    "median": MedianPool,
    "min": MinPool,
    "mixed": MixedPool,
}


def pool_method_names() -> tuple[str, ...]:
    """Every pooling method a workload may name, sorted."""
    return tuple(sorted((SPECTRAL_POOL_METHOD, *SPATIAL_POOLS)))
