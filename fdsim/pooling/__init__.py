"""The pooling family as a numpy library mirroring ``torch.nn.functional``: NCHW float64
arrays, torch's function and argument names, defaults and numerical results (where fdsim
differs on purpose, the function's docstring says so), with each operator's backward beside it
(``<name>_backward``). Operators torch lacks follow the same style (``spectral_pool2d``,
``soft_pool2d``, ``gem_pool2d``, ``lift_down_pool2d`` …).

This package depends on numpy and scipy only; the accelerator's operator registry
(:mod:`fdsim.operators`) builds on it."""
