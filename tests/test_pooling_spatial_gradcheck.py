"""Central finite differences for the spatial pooling tests (imported by the other
test_pooling_spatial* files), and a check that the helper itself measures what it should."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
EPS = 1e-6


def numeric_gradient(loss: Callable[[Array], float], x: Array, eps: float = EPS) -> Array:
    """d loss / d x by central differences, one element at a time."""
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = loss(x)
        flat[i] = keep - eps
        down = loss(x)
        flat[i] = keep
        out[i] = (up - down) / (2 * eps)
    return grad


def assert_gradient(
    forward: Callable[[Array], Array], analytic: Array, x: Array, grad_output: Array
) -> None:
    """``analytic`` equals the finite-difference gradient of ``Σ grad_output·forward(x)``
    to about 1e-6 relative."""
    numeric = numeric_gradient(lambda v: float(np.sum(grad_output * forward(v))), x.copy())
    scale = max(1.0, float(np.abs(numeric).max()))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7 * scale)


def distinct(shape: tuple[int, ...], seed: int, low: float = -1.0) -> Array:
    """Well-separated distinct values in [low, low + 2) (gaps ≥ 2/size ≫ EPS), so that
    argmax/argsort choices and piecewise branches do not flip under the FD step."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (low + 2.0 * rng.permutation(size) / size).reshape(shape)


def test_numeric_gradient_of_a_known_function() -> None:
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    np.testing.assert_allclose(
        numeric_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, rtol=1e-8
    )
