"""The bit-true backend runs the whole network: it tracks the float64 model within the formats'
precision, approaches it as the formats widen, is deterministic, and trains."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from fdsim.model.backend import TensorClass
from fdsim.model.fixed_backend import FixedBackend
from fdsim.model.float_backend import FloatBackend
from fdsim.model.passes import INPUT_NAME, backward, forward, initial_param_values
from fdsim.model.passes import update as sgd_update
from fdsim.network.graph import Network
from fdsim.network.lowering import lower_network
from fdsim.nn.datasets import load_digits_split
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.load import load_hardware, load_workload
from fdsim.spec.numerics import QFormat
from fdsim.spec.workload import Workload

ROOT = Path(__file__).resolve().parents[2]
BATCH = 16


@pytest.fixture(scope="module")
def hardware() -> HardwareSpec:
    return load_hardware(ROOT / "hwconfigs" / "fdtrain_28nm.yaml").spec


@pytest.fixture(scope="module")
def workload() -> Workload:
    return load_workload(ROOT / "workloads" / "digits_cnn.yaml").spec


def _widened(hardware: HardwareSpec, bits: int) -> HardwareSpec:
    """Every stored format ``bits`` wide with the default's integer bits; 60-bit accumulators."""

    def wide(fmt: QFormat, total: int) -> QFormat:
        integer = fmt.total_bits - fmt.fraction_bits
        return fmt.model_copy(update={"total_bits": total, "fraction_bits": total - integer})

    n = hardware.numerics
    numerics = n.model_copy(
        update={
            name: wide(getattr(n, name), bits)
            for name in ("activations", "weights", "gradients", "spectra", "twiddles")
        }
        | {"accumulators": wide(n.accumulators, 60)}
    )
    fft = hardware.fft
    assert fft is not None and fft.arithmetic is not None
    return hardware.model_copy(update={"numerics": numerics})


def _sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    error = np.sum(np.abs(np.asarray(test) - reference) ** 2)
    return float(10 * np.log10(np.sum(np.abs(reference) ** 2) / max(error, 1e-300)))


def _layer_sqnr(model: Network, hardware: HardwareSpec) -> dict[str, float]:
    data = load_digits_split(seed=0).train
    images = data.images[:BATCH]
    values = initial_param_values(model, 0)
    exact, fixed = FloatBackend(), FixedBackend(hardware, BATCH)
    results = []
    for backend in (exact, fixed):
        params = {k: backend.from_float(k, v, TensorClass.WEIGHTS) for k, v in values.items()}
        x = backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
        results.append(forward(model, backend, params, x)[1].outputs)  # type: ignore[arg-type]
    reference, test = results
    return {
        name: _sqnr_db(exact.to_float(reference[name]), fixed.to_float(test[name]))
        for name in reference
    }


def test_every_layer_tracks_float_and_wider_formats_get_closer(
    hardware: HardwareSpec, workload: Workload
) -> None:
    model = lower_network(workload)
    narrow = _layer_sqnr(model, hardware)
    wide = _layer_sqnr(model, _widened(hardware, 24))
    for name, sqnr in narrow.items():
        # 16-bit words: at least 30 dB (5 bits) survive the whole chain at every layer.
        assert sqnr > 30.0, (name, sqnr)
        # 8 more bits in every word buy at least 40 of their 48 dB at every layer.
        assert wide[name] > sqnr + 40.0, (name, sqnr, wide[name])


def _one_step(hardware: HardwareSpec, workload: Workload, steps: int) -> tuple[list[float], dict]:
    model = lower_network(workload)
    data = load_digits_split(seed=0).train
    backend = FixedBackend(hardware, BATCH)
    params = {
        k: backend.from_float(k, v, TensorClass.WEIGHTS)
        for k, v in initial_param_values(model, 1).items()
    }
    images = backend.from_float(INPUT_NAME, data.images[:BATCH], TensorClass.ACTIVATIONS)
    losses, velocities = [], {}
    for _ in range(steps):
        _, cache = forward(model, backend, params, images)
        loss, grads = backward(model, backend, params, cache, data.labels[:BATCH])
        params, velocities = sgd_update(
            model, backend, params, grads, velocities, workload.training
        )
        losses.append(loss)
    return losses, params


def test_bit_true_training_lowers_the_loss_deterministically(
    hardware: HardwareSpec, workload: Workload
) -> None:
    losses, params = _one_step(hardware, workload, 8)
    assert all(later < earlier for earlier, later in pairwise(losses)), losses
    assert losses[-1] < 0.85 * losses[0], losses
    again, params_again = _one_step(hardware, workload, 8)
    assert again == losses
    assert all(params[name].equals(params_again[name]) for name in params)


HYBRID = """\
name: hybrid_mix
input: {channels: 1, height: 8, width: 8, classes: 4}
batch_size: 4
domain: hybrid
layers:
  - {name: conv1, kind: conv, out_channels: 3, kernel: 3, padding: 1}
  - {name: relu1, kind: activation, function: relu}
  - {name: pool1, kind: pool, method: max, kernel: 2}
  - {name: conv2, kind: conv, out_channels: 4, kernel: 3, padding: 1, stride: 2}
  - {name: quad2, kind: activation, function: quadratic, coefficients: [0.188, 0.5, 0.234]}
  - {name: pool2, kind: pool, method: average, kernel: 2}
  - {name: fc1, kind: fc, out_features: 4}
  - {name: loss, kind: loss}
"""


def _step_sqnr(model: Network, hardware: HardwareSpec, images: np.ndarray) -> dict[str, float]:
    """SQNR of every layer output and every parameter gradient of one training step."""
    labels = np.arange(images.shape[0]) % model.classes
    values = initial_param_values(model, 0)
    exact, fixed = FloatBackend(), FixedBackend(hardware, images.shape[0])
    results = []
    for backend in (exact, fixed):
        params = {k: backend.from_float(k, v, TensorClass.WEIGHTS) for k, v in values.items()}
        x = backend.from_float(INPUT_NAME, images, TensorClass.ACTIVATIONS)
        _, cache = forward(model, backend, params, x)  # type: ignore[arg-type]
        _, grads = backward(model, backend, params, cache, labels)  # type: ignore[arg-type]
        results.append({**cache.outputs, **grads})
    reference, test = results
    return {
        name: _sqnr_db(exact.to_float(reference[name]), fixed.to_float(test[name]))
        for name in reference
    }


def test_hybrid_path_is_bit_true_and_tracks_float(hardware: HardwareSpec, tmp_path: Path) -> None:
    # iFFT → ReLU → max pool → FFT, a strided padded conv, a spatial quadratic and average
    # pooling: the hybrid (Mathieu 2013) path, forward and backward, on the fixed datapath.
    path = tmp_path / "hybrid.yaml"
    path.write_text(HYBRID)
    model = lower_network(load_workload(path).spec)
    images = load_digits_split(seed=0).train.images[:4]
    narrow = _step_sqnr(model, hardware, images)
    # (20 bits: the spatial quadratic's exact x²·c product of 24-bit words with 60-bit
    # accumulators would need more than int64)
    wide = _step_sqnr(model, _widened(hardware, 20), images)
    assert set(narrow) == {
        "conv1", "relu1", "pool1", "conv2", "quad2", "pool2", "fc1", "loss",
        "conv1.weight", "conv2.weight", "fc1.weight", "fc1.bias",
    }  # fmt: skip
    for name, sqnr in narrow.items():
        # 16-bit words keep at least 20 dB through the whole step, and 4 more bits buy at
        # least 15 of their 24 dB everywhere (measured 16.5–37 dB).
        assert sqnr > 20.0, (name, sqnr)
        assert wide[name] > sqnr + 15.0, (name, sqnr, wide[name])
