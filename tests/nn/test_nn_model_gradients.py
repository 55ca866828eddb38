"""Network gradients against central finite differences, for every layer kind, on tiny shapes.

Each network starts with a conv whose k×k kernel gradient (the projected spectral gradient)
is checked, so every later op's backward is exercised; FC parameters are checked directly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from model_test_helpers import (
    BACKEND,
    analytic_param_gradient,
    numerical_param_gradient,
    workload,
)

from fdsim.model.backend import TensorClass
from fdsim.model.passes import INPUT_NAME, backward, forward, init_params
from fdsim.network.lowering import lower_network
from fdsim.operators.transforms import ToMaps

QUADRATIC = [0.188, 0.5, 0.234]


def _conv(name: str, out: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "conv", "out_channels": out, "kernel": 3, **extra}


def _act(name: str, function: str, coefficients: list[float] | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {"name": name, "kind": "activation", "function": function}
    if coefficients is not None:
        layer["coefficients"] = coefficients
    return layer


def _fc(name: str, out: int) -> dict[str, Any]:
    return {"name": name, "kind": "fc", "out_features": out}


NETWORKS: dict[str, tuple[int, list[dict[str, Any]], str]] = {
    # spectral: stride folding, quadratic self-convolution, even crop, affine, relu on vectors
    "spectral": (
        8,
        [
            _conv("c1", 2),
            _act("q1", "quadratic", QUADRATIC),
            {"name": "p1", "kind": "pool", "method": "spectral", "output_size": 4},
            _conv("c2", 2, stride=2),
            _act("a2", "affine", [0.1, 0.7]),
            _fc("f1", 4),
            _act("r1", "relu"),
            _fc("f2", 3),
        ],
        "spectral",
    ),
    # spectral with the linear sigmoid, an odd crop and a non-power-of-two grid read by an iFFT
    "odd_grid": (
        8,
        [
            _conv("c1", 2),
            _act("s1", "linear_sigmoid"),
            {"name": "p1", "kind": "pool", "method": "spectral", "output_size": 3},
            _act("q1", "quadratic", QUADRATIC),
            _fc("f1", 3),
        ],
        "spectral",
    ),
    # even non-power-of-two grid (6 → iFFT on 8: Nyquist split) after a strided conv
    "even_grid": (
        8,
        [
            _conv("c1", 2),
            {"name": "p1", "kind": "pool", "method": "spectral", "output_size": 6},
            _fc("f1", 3),
        ],
        "spectral",
    ),
    # hybrid: linear convolutions with padding and stride, relu, max and average pooling
    "hybrid": (
        6,
        [
            _conv("c1", 2, padding=1),
            _act("r1", "relu"),
            {"name": "p1", "kind": "pool", "method": "max", "kernel": 3, "stride": 1},
            _conv("c2", 2, padding=1, stride=2),
            _act("q2", "quadratic", QUADRATIC),
            {"name": "p2", "kind": "pool", "method": "average", "output_size": 2},
            _fc("f1", 3),
        ],
        "hybrid",
    ),
}


@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_gradients_match_finite_differences(network: str) -> None:
    size, layers, domain = NETWORKS[network]
    model = lower_network(workload(size, 3, layers, domain=domain))
    params = init_params(model, BACKEND, seed=3)
    rng = np.random.default_rng(11)
    images = rng.random((2, 1, size, size))
    labels = np.array([0, 2])
    x = BACKEND.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
    _, cache = forward(model, BACKEND, params, x)
    _, grads = backward(model, BACKEND, params, cache, labels)
    assert set(grads) == {p.name for p in model.params}
    for spec in model.params:
        expected = numerical_param_gradient(model, params, spec.name, images, labels)
        actual = analytic_param_gradient(model, grads, spec.name)
        np.testing.assert_allclose(actual, expected, atol=1e-7, err_msg=spec.name)


def test_even_grid_network_interpolates_in_frequency() -> None:
    # The spectral pool is a crop to 6; the fc reads an 8-point iFFT.
    size, layers, domain = NETWORKS["even_grid"]
    model = lower_network(workload(size, 3, layers, domain=domain))
    assert model.layers[2].ops[0] == ToMaps(grid=6, size=8)
