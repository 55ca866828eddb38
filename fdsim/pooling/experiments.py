"""The two frequency-domain pooling experiments, as pure computations (no plotting, no files).

(a) :func:`asm_rmse_experiment` — seed 000 (Ehrlich's "Max Pooling with Approximated Spatial
Masking" notes): 8×8 uniform random images, 2×2 max pooling, the local-maximum mask taken from the
reconstruction with the first n spatial frequencies (DCT: α+β ≤ n; DFT: circular |k|+|l| ≤ n),
n = 0…14, error = RMSE of the 4×4 output against true max pooling, averaged over the trials (the
seed's ``error`` and its ``error_samples /= n_trials``). The seed's notebook draws its trial images
with ``np.random.rand`` (in [0, 1]) although its example image is in [−1, 1]; the mask ignores a
constant offset, so the [−1, 1] errors are exactly twice the [0, 1] ones (set ``low``/``high``).

(b) :func:`spectral_chain_experiment` — seed 004's question: is a chain of spectral pooling layers,
with or without nonlinearities between them, one low-pass filter of the input?
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fdsim.pooling.asm import asm_max_pool2d
from fdsim.pooling.metrics_images import natural_like_images
from fdsim.pooling.spectral import spectral_pool2d, spectral_upsample2d

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AsmRmseTable:
    """Per n: mean per-image RMSE and argmax miss rate (fraction of windows whose chosen pixel is
    not the true maximum) for the DCT and DFT masks, and the number of coefficients kept."""

    n: IntArray
    rmse_dct: Array
    rmse_dft: Array
    miss_dct: Array
    miss_dft: Array
    kept_dct: IntArray
    kept_dft: IntArray
    n_trials: int


def _true_max_pool(x: Array) -> Array:
    h, w = x.shape[-2] // 2, x.shape[-1] // 2
    return np.asarray(x.reshape(*x.shape[:-2], h, 2, w, 2).max(axis=(-3, -1)), dtype=np.float64)


def _kept(size: int, n: int, basis: str) -> int:
    k = np.arange(size) if basis == "dct" else np.minimum(np.arange(size), size - np.arange(size))
    return int(np.count_nonzero((k[:, None] + k[None, :]) <= n))


def asm_rmse_experiment(
    n_trials: int = 1000,
    seed: int = 0,
    *,
    size: int = 8,
    low: float = -1.0,
    high: float = 1.0,
    n_values: Sequence[int] = range(15),
    fresh_per_n: bool = False,
) -> AsmRmseTable:
    """Seed 000's experiment (module doc). By default the same ``n_trials`` images serve every n
    (a paired design with less Monte-Carlo noise between n); ``fresh_per_n=True`` draws new
    images for each n as the seed's loop does. Both estimate the same expectations."""
    rng = np.random.default_rng(seed)
    shape = (n_trials, 1, size, size)
    images = rng.uniform(low, high, shape)
    rows: dict[str, list[float]] = {k: [] for k in ("rmse_dct", "rmse_dft", "miss_dct", "miss_dft")}
    for n in n_values:
        if fresh_per_n:
            images = rng.uniform(low, high, shape)
        truth = _true_max_pool(images)
        for basis in ("dct", "dft"):
            out = asm_max_pool2d(images, 2, n_frequencies=n, basis=basis, block_size=size)
            rmse = np.sqrt(np.mean((out - truth) ** 2, axis=(-3, -2, -1)))
            rows[f"rmse_{basis}"].append(float(rmse.mean()))
            # Inputs are continuous, so equal values mean the same pixel was chosen.
            rows[f"miss_{basis}"].append(float(np.mean(out != truth)))
    ns = np.asarray(list(n_values), dtype=np.int64)
    return AsmRmseTable(
        n=ns,
        rmse_dct=np.asarray(rows["rmse_dct"]),
        rmse_dft=np.asarray(rows["rmse_dft"]),
        miss_dct=np.asarray(rows["miss_dct"]),
        miss_dft=np.asarray(rows["miss_dft"]),
        kept_dct=np.asarray([_kept(size, int(n), "dct") for n in ns], dtype=np.int64),
        kept_dft=np.asarray([_kept(size, int(n), "dft") for n in ns], dtype=np.int64),
        n_trials=n_trials,
    )


NONLINEARITIES: dict[str, Callable[[Array], Array]] = {
    "none": lambda v: v,
    "relu": lambda v: np.maximum(v, 0.0),
    "square": lambda v: v * v,
}


@dataclass(frozen=True)
class ChainRow:
    """One (input kind, nonlinearity) cell, errors over the whole batch:

    * ``error_vs_single`` = ‖chain(x) − S(x)‖ / ‖chain(x)‖, S the single pool to the final size;
    * ``error_vs_lowpassed_input`` = ‖chain(x) − chain(LP x)‖ / ‖chain(x)‖, LP keeping only the
      input frequencies the final size can hold (seed 004: "equivalent to discarding those
      frequencies in the input layer?"): 0 iff the discarded frequencies never matter;
    * ``unexplained_energy`` = 1 − R² of the per-map best affine fit ``a·S(x) + b`` to chain(x):
      the share of the output's (centred) energy that no gain and offset of the single low-pass
      explains.
    """

    inputs: str
    nonlinearity: str
    error_vs_single: float
    error_vs_lowpassed_input: float
    unexplained_energy: float


@dataclass(frozen=True)
class ChainTable:
    rows: tuple[ChainRow, ...]
    input_size: int
    sizes: tuple[int, ...]
    answer: str


def pink_noise_images(count: int, size: int, rng: np.random.Generator) -> Array:
    """Natural-image-like maps (:func:`~fdsim.pooling.metrics_images.natural_like_images`, a
    1/f amplitude spectrum), normalised to zero mean and unit variance per map, so that a
    nonlinearity between pools acts on both signs."""
    maps = natural_like_images(count, 1, size, seed=rng)
    maps -= maps.mean(axis=(-2, -1), keepdims=True)
    return np.asarray(maps / maps.std(axis=(-2, -1), keepdims=True), dtype=np.float64)


def _chain(x: Array, sizes: Sequence[int], f: Callable[[Array], Array]) -> Array:
    y = x
    for i, size in enumerate(sizes):
        y = spectral_pool2d(y, size)
        if i < len(sizes) - 1:  # nonlinearities sit between the pools
            y = f(y)
    return y


def _unexplained(chain: Array, single: Array) -> float:
    c = chain - chain.mean(axis=(-2, -1), keepdims=True)
    r = single - single.mean(axis=(-2, -1), keepdims=True)
    gain = np.sum(c * r, axis=(-2, -1), keepdims=True) / np.sum(r * r, axis=(-2, -1), keepdims=True)
    return float(np.sum((c - gain * r) ** 2) / np.sum(c * c))


def _rel(a: Array, b: Array) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


def spectral_chain_experiment(
    n_images: int = 64, seed: int = 0, *, input_size: int = 32, sizes: Sequence[int] = (25, 17, 9)
) -> ChainTable:
    """Chains of spectral pools ``input_size → sizes[0] → … → sizes[-1]`` on white-noise and 1/f
    images, with each nonlinearity of :data:`NONLINEARITIES` between the pools. Odd sizes keep the
    Nyquist convention out of the comparison (an even final size would make ``S·LP ≠ S`` at the
    Nyquist bin, pooling.md §2.2)."""
    rng = np.random.default_rng(seed)
    inputs = {
        "white": rng.standard_normal((n_images, 1, input_size, input_size)),
        "1/f": pink_noise_images(n_images, input_size, rng),
    }
    final = sizes[-1]
    rows = []
    for kind, x in inputs.items():
        single = spectral_pool2d(x, final)
        lowpassed = spectral_upsample2d(single, input_size)
        for name, f in NONLINEARITIES.items():
            chain = _chain(x, sizes, f)
            rows.append(
                ChainRow(
                    kind,
                    name,
                    _rel(chain, single),
                    _rel(chain, _chain(lowpassed, sizes, f)),
                    _unexplained(chain, single),
                )
            )
    return ChainTable(tuple(rows), input_size, tuple(sizes), _answer(rows))


def _answer(rows: Sequence[ChainRow]) -> str:
    linear = [r for r in rows if r.nonlinearity == "none"]
    nonlinear = [r for r in rows if r.nonlinearity != "none"]
    lin_err = max(max(r.error_vs_single, r.error_vs_lowpassed_input) for r in linear)
    worst = max(nonlinear, key=lambda r: r.error_vs_lowpassed_input)
    least = min(nonlinear, key=lambda r: r.error_vs_lowpassed_input)
    linear_verdict = "equals" if lin_err < 1e-12 else "does not equal"
    nonlinear_verdict = "is not" if least.error_vs_lowpassed_input > 1e-6 else "is"
    return (
        f"Without nonlinearities the chain {linear_verdict} one low-pass of the input (relative "
        f"error {lin_err:.1e}); with a nonlinearity between the pools it {nonlinear_verdict} "
        f"one: the frequencies the single low-pass discards change the output by "
        f"{least.error_vs_lowpassed_input:.0%} ({least.nonlinearity}, {least.inputs}) to "
        f"{worst.error_vs_lowpassed_input:.0%} ({worst.nonlinearity}, {worst.inputs})."
    )
