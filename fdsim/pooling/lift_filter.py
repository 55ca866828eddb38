"""The LiftPool predictor/updater in the paper's form (Zhao & Snoek 2021; pooling.md §3.1):
``F(v) = Tanh ∘ Conv1×1 ∘ ReLU ∘ DepthwiseConv_K (v)``, with explicit parameter arrays.

Shapes: ``v`` is (N, C, A, L) — the lifting axis is last, A is the other spatial axis (1 in 1-D).
The depthwise conv (``weight1`` (C, K), ``bias1`` (C,)) is a cross-correlation along L with zero
'same' padding (K odd, as torch ``Conv1d(padding=K//2)``); the 1×1 conv (``weight2`` (C, C),
``bias2`` (C,)) mixes channels (seed 003's grouped 1×1 conv is a diagonal ``weight2``).
``tanh=False`` drops the final Tanh: seed 003 writes P without it, the TLP code (pooling.md §3.1)
has it; the default follows the code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LiftFilter:
    """Parameters of one P or U operator; also used to hold their gradients."""

    weight1: Array
    bias1: Array
    weight2: Array
    bias2: Array
    tanh: bool = True

    def __post_init__(self) -> None:
        c, k = self.weight1.shape
        if k % 2 == 0:
            raise ValueError(f"LiftFilter: kernel size must be odd, got {k}")
        if self.bias1.shape != (c,) or self.weight2.shape != (c, c) or self.bias2.shape != (c,):
            raise ValueError(
                f"LiftFilter: expected bias1 ({c},), weight2 ({c}, {c}), bias2 ({c},), got "
                f"{self.bias1.shape}, {self.weight2.shape}, {self.bias2.shape}"
            )

    @classmethod
    def random(
        cls, channels: int, kernel_size: int, rng: np.random.Generator, scale: float = 0.5
    ) -> LiftFilter:
        """Normal(0, scale²) parameters (for tests and experiments; training would start from
        TLP's zero 1×1 weights instead)."""
        return cls(
            scale * rng.standard_normal((channels, kernel_size)),
            scale * rng.standard_normal(channels),
            scale * rng.standard_normal((channels, channels)),
            scale * rng.standard_normal(channels),
        )

    def plus(self, other: LiftFilter) -> LiftFilter:
        """Element-wise sum (accumulates gradients of a filter shared by several lifting steps)."""
        return LiftFilter(
            self.weight1 + other.weight1,
            self.bias1 + other.bias1,
            self.weight2 + other.weight2,
            self.bias2 + other.bias2,
            self.tanh,
        )

    def scaled(self, factor: float) -> LiftFilter:
        """All arrays times ``factor`` (a gradient of ``−F`` is ``grad.scaled(−1)``)."""
        return LiftFilter(
            factor * self.weight1,
            factor * self.bias1,
            factor * self.weight2,
            factor * self.bias2,
            self.tanh,
        )

    def _hidden(self, v: Array) -> tuple[Array, Array]:
        k = self.weight1.shape[1]
        pad = [(0, 0)] * (v.ndim - 1) + [(k // 2, k // 2)]
        windows = np.lib.stride_tricks.sliding_window_view(np.pad(v, pad), k, axis=-1)
        pre = np.einsum("ncalt,ct->ncal", windows, self.weight1) + self.bias1[:, None, None]
        return windows, pre

    def __call__(self, v: Array) -> Array:
        _, pre = self._hidden(v)
        out = np.einsum("ck,nkal->ncal", self.weight2, np.maximum(pre, 0.0))
        out = out + self.bias2[:, None, None]
        return np.asarray(np.tanh(out) if self.tanh else out, dtype=np.float64)

    def vjp(self, v: Array, grad: Array) -> tuple[Array, LiftFilter]:
        """Gradients of ``Σ grad·F(v)`` with respect to ``v`` and to the parameters."""
        windows, pre = self._hidden(v)
        hidden = np.maximum(pre, 0.0)
        g_out = grad * (1.0 - self(v) ** 2) if self.tanh else grad
        g_w2 = np.einsum("ncal,nkal->ck", g_out, hidden)
        g_pre = np.einsum("ck,ncal->nkal", self.weight2, g_out) * (pre > 0.0)
        g_w1 = np.einsum("ncal,ncalt->ct", g_pre, windows)
        k = self.weight1.shape[1]
        length = v.shape[-1]
        g_pad = np.zeros((*v.shape[:-1], length + k - 1))
        for t in range(k):  # loop over kernel taps only
            g_pad[..., t : t + length] += self.weight1[:, t][:, None, None] * g_pre
        params = LiftFilter(
            g_w1, g_pre.sum(axis=(0, 2, 3)), g_w2, g_out.sum(axis=(0, 2, 3)), self.tanh
        )
        return g_pad[..., k // 2 : k // 2 + length], params
