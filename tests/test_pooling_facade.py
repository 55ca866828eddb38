"""The public facade: ``from fdsim.pooling import max_pool2d`` and every name the package
lists, each forward beside its backward."""

from __future__ import annotations

import fdsim.pooling as pooling


def test_every_listed_name_is_importable_from_the_package() -> None:
    assert len(set(pooling.__all__)) == len(pooling.__all__)
    for name in pooling.__all__:
        assert getattr(pooling, name) is not None, name


def test_each_forward_has_its_backward_beside_it() -> None:
    names = set(pooling.__all__)
    for name in names:
        if name.endswith("2d") or name.endswith("1d") or name in ("interpolate",):
            assert f"{name}_backward" in names, name
    assert {"max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d"} <= names
    assert {"adaptive_max_pool2d", "max_unpool2d", "interpolate", "conv_transpose2d"} <= names
