"""The bit-true kernel-support projection of weight gradients (two CMAC matrix products with
the Dirichlet matrix in the twiddle format) tracks the float64 sinc projection, closer as the
words widen."""

from __future__ import annotations

import numpy as np
import pytest

from fdsim.fixedpoint import OverflowCounter, OverflowSite
from fdsim.nn.fixed import FixedTensor, ReductionNumerics, TensorFormat
from fdsim.nn.fixed.spatial import kernel_projection_fixed
from fdsim.nn.sinc import sinc_interpolate, sinc_project
from fdsim.sim.functional import sqnr_db
from fdsim.spec.numerics import QFormat


def _project(bits: int, n: int, k: int) -> tuple[float, int]:
    rng = np.random.default_rng(n * 10 + k)
    maps = rng.normal(0.0, 0.1, (3, 2, n, n))
    gradient = np.fft.rfft2(maps)
    data = QFormat(total_bits=bits, fraction_bits=bits - 4)
    matrix = QFormat(total_bits=bits, fraction_bits=bits - 2)
    numerics = ReductionNumerics(QFormat(total_bits=60, fraction_bits=2 * bits - 8))
    counter = OverflowCounter()
    site = OverflowSite("gradients", "test")
    fixed = FixedTensor.from_float(gradient, TensorFormat(data, 0), counter, site)
    exact = sinc_interpolate(sinc_project(fixed.to_float(), k), n)
    projected = kernel_projection_fixed(fixed, k, matrix, numerics, counter, site)
    return sqnr_db(exact, projected.to_float()), counter.events()


@pytest.mark.parametrize(("n", "k"), [(8, 3), (16, 5)])
def test_projection_tracks_float_and_improves_with_width(n: int, k: int) -> None:
    narrow, narrow_events = _project(16, n, k)
    wide, wide_events = _project(28, n, k)
    assert narrow_events == wide_events == 0
    assert narrow > 60.0, narrow
    # 12 more bits in data and matrix words: at least 60 of their 72 dB.
    assert wide > narrow + 60.0, (narrow, wide)
