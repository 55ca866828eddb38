"""The pooling family as a numpy library mirroring ``torch.nn.functional``: NCHW float64
arrays, torch's function and argument names, defaults and numerical results (where fdsim
differs on purpose, the function's docstring says so), with each operator's backward beside it
(``<name>_backward``). Operators torch lacks follow the same style (``spectral_pool2d``,
``soft_pool2d``, ``gem_pool2d``, ``lift_down_pool2d`` …).

Modules: window geometry (``windows``), spatial pools (``spatial*``), adaptive bins and SPP
(``adaptive``), global and covariance pooling (``global_pool``), up-sampling, unpooling and
transposed convolution (``upsample``, ``unpool``, ``transposed``), the frequency-domain
operators (``spectral``, ``asm``, ``lift*``), the comparison metrics (``metrics*``), the
experiments of the source documents (``experiments``) and the methods ``fdsim pooling``
compares (``catalogue``). Besides numpy and scipy it reads only :mod:`fdsim.nn` (the Nyquist
conventions of the accelerator's spectral crop)."""

from __future__ import annotations

from fdsim.pooling.adaptive import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    adaptive_max_pool2d,
    adaptive_max_pool2d_backward,
    spatial_pyramid_pool2d,
    spatial_pyramid_pool2d_backward,
)
from fdsim.pooling.asm import (
    asm_full_frequencies,
    asm_lowpass2d,
    asm_lowpass2d_backward,
    asm_max_pool2d,
    asm_max_pool2d_backward,
    dct_matrix,
)
from fdsim.pooling.global_pool import (
    covariance_pool2d,
    covariance_pool2d_backward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_max_pool2d,
    global_max_pool2d_backward,
)
from fdsim.pooling.lift import (
    lift_down_pool1d,
    lift_down_pool1d_backward,
    lift_down_pool2d,
    lift_down_pool2d_backward,
    lift_up_pool1d,
    lift_up_pool1d_backward,
    lift_up_pool2d,
    lift_up_pool2d_backward,
)
from fdsim.pooling.lift_constraints import (
    lift_constraint_losses,
    lift_constraint_losses_backward,
)
from fdsim.pooling.lift_filter import (
    LiftFilter,
)
from fdsim.pooling.metrics import (
    InformationKept,
    PoolingMetrics,
    ShiftInvariance,
    energy_invariance,
    gap_invariance,
    information_kept,
    natural_like_images,
    pooling_metrics,
    reconstruct_images,
    shift_consistency,
    shift_equivariance_error,
    shift_invariance,
)
from fdsim.pooling.spatial import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_from_indices,
    min_pool2d,
    min_pool2d_backward,
)
from fdsim.pooling.spatial_lp import (
    lp_pool2d,
    lp_pool2d_backward,
)
from fdsim.pooling.spatial_mean import (
    gem_pool2d,
    gem_pool2d_backward,
    lip_pool2d,
    lip_pool2d_backward,
    mixed_pool2d,
    mixed_pool2d_backward,
    soft_pool2d,
    soft_pool2d_backward,
)
from fdsim.pooling.spatial_rank import (
    kmax_pool2d,
    kmax_pool2d_backward,
    median_pool2d,
    median_pool2d_backward,
)
from fdsim.pooling.spatial_stochastic import (
    stochastic_pool2d,
    stochastic_pool2d_backward,
)
from fdsim.pooling.spectral import (
    spectral_pool2d,
    spectral_pool2d_backward,
    spectral_upsample2d,
    spectral_upsample2d_backward,
)
from fdsim.pooling.transposed import (
    conv_transpose2d,
    conv_transpose2d_backward,
)
from fdsim.pooling.unpool import (
    max_unpool2d,
    max_unpool2d_backward,
)
from fdsim.pooling.upsample import (
    interpolate,
    interpolate_backward,
)

__all__ = [
    "InformationKept",
    "LiftFilter",
    "PoolingMetrics",
    "ShiftInvariance",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_backward",
    "asm_full_frequencies",
    "asm_lowpass2d",
    "asm_lowpass2d_backward",
    "asm_max_pool2d",
    "asm_max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "covariance_pool2d",
    "covariance_pool2d_backward",
    "dct_matrix",
    "energy_invariance",
    "gap_invariance",
    "gem_pool2d",
    "gem_pool2d_backward",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
    "global_max_pool2d",
    "global_max_pool2d_backward",
    "information_kept",
    "interpolate",
    "interpolate_backward",
    "kmax_pool2d",
    "kmax_pool2d_backward",
    "lift_constraint_losses",
    "lift_constraint_losses_backward",
    "lift_down_pool1d",
    "lift_down_pool1d_backward",
    "lift_down_pool2d",
    "lift_down_pool2d_backward",
    "lift_up_pool1d",
    "lift_up_pool1d_backward",
    "lift_up_pool2d",
    "lift_up_pool2d_backward",
    "lip_pool2d",
    "lip_pool2d_backward",
    "lp_pool2d",
    "lp_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_backward_from_indices",
    "max_unpool2d",
    "max_unpool2d_backward",
    "median_pool2d",
    "median_pool2d_backward",
    "min_pool2d",
    "min_pool2d_backward",
    "mixed_pool2d",
    "mixed_pool2d_backward",
    "natural_like_images",
    "pooling_metrics",
    "reconstruct_images",
    "shift_consistency",
    "shift_equivariance_error",
    "shift_invariance",
    "soft_pool2d",
    "soft_pool2d_backward",
    "spatial_pyramid_pool2d",
    "spatial_pyramid_pool2d_backward",
    "spectral_pool2d",
    "spectral_pool2d_backward",
    "spectral_upsample2d",
    "spectral_upsample2d_backward",
    "stochastic_pool2d",
    "stochastic_pool2d_backward",
]
