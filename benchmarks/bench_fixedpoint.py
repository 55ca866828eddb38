"""Throughput of the bit-true fixed-point kernels against numpy float64 on the same sizes.

Run: ``/work/venv/bin/python benchmarks/bench_fixedpoint.py`` (prints a Markdown table).
Cases: real 2-D FFT of a batch of 64 maps (32x32 and 64x64; two-for-one packed rows) through
dblclockfft-style radix-2 arithmetic and a radix-4 variant, a 1-D complex FFT of 64x64 frames,
one complex MAC step over a batch of half spectra, and the channel reduction of a spectral
convolution (``cmac_reduce``, the CMAC as the network uses it).  FFTs run on the carrier the
plan picks (complex128 holding exact integers for these sizes) and, for comparison, on int64.
Each figure is the best of ``REPEATS`` runs; ratio = bit-true time / float time.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np

from fdsim.fixedpoint import (
    Carrier,
    ComplexInt,
    Fft2Plan,
    OverflowCounter,
    OverflowSite,
    complex_mac,
    digit_reversal,
    fft,
    plan_fft,
    rfft2,
)
from fdsim.nn.fixed import CmacPattern, FixedTensor, ReductionNumerics, TensorFormat, cmac_reduce
from fdsim.spec.fft_arithmetic import (
    ComplexMultiplyForm,
    Decimation,
    FftArithmeticSpec,
    FftDirection,
    OutputOrder,
    Radix,
    StageGrowthSchedule,
    TwiddleRounding,
    TwiddleWidthInputPlusExtra,
    TwiddleWidthRule,
)
from fdsim.spec.numerics import OverflowMode, QFormat, RoundingMode

BATCH = 64
REPEATS = 7
SEED = 20240418


def arithmetic(radix: Radix) -> FftArithmeticSpec:
    """dblclockfft's rules (twiddles 4 bits wider than the data, half-even, wrap, growth
    alternating so the word grows about half a bit per doubling of N) at either radix."""
    return FftArithmeticSpec(
        radix=radix,
        decimation=Decimation.FREQUENCY,
        output_order=OutputOrder.NATURAL,
        stage_growth_bits=StageGrowthSchedule(leading_bits=(1,), repeating_bits=(1, 0))
        if radix is Radix.TWO
        else StageGrowthSchedule(leading_bits=(2,), repeating_bits=(1,)),
        stage_rounding=RoundingMode.HALF_EVEN,
        overflow=OverflowMode.WRAP,
        twiddle_width=TwiddleWidthInputPlusExtra(
            rule=TwiddleWidthRule.INPUT_WIDTH_PLUS_EXTRA, extra_bits=4
        ),
        twiddle_integer_bits=2,
        twiddle_rounding=TwiddleRounding.HALF_AWAY_FROM_ZERO,
        complex_multiply_form=ComplexMultiplyForm.FOUR_MULTIPLIER,
        multiplier_min_block_points=8,
    )


def best_seconds(run: Callable[[], object]) -> float:
    run()  # warm-up (page faults, caches)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def float_twiddles(points: int, radix: Radix) -> dict[int, list[np.ndarray]]:
    """Per block size, the complex128 twiddle rows ``W_S^(j·q)``, ``q = 1 .. radix-1``."""
    r, tables, block = int(radix), {}, points
    while block > 1:
        j = np.arange(block // r)[:, None]
        tables[block] = [np.exp(-2j * np.pi * j * q / block) for q in range(1, r)]
        block //= r
    return tables


def float_fft_same_dataflow(
    x: np.ndarray, radix: Radix, twiddles: dict[int, list[np.ndarray]]
) -> np.ndarray:
    """complex128 DIF FFT along axis 0 with the engine's stage structure and memory layout
    (transform axis first, one numpy call per butterfly/twiddle), to separate the cost of
    bit-true arithmetic from the cost of stage-by-stage numpy."""
    r, points = int(radix), x.shape[0]
    rest = x.shape[1:]
    z = x.reshape(points, -1)
    block = points
    while block > 1:
        span = block // r
        v = z.reshape(points // block, r, span, -1)
        a = [v[:, m] for m in range(r)]
        out = np.empty_like(v)
        if r == 2:
            y = [a[0] + a[1], a[0] - a[1]]
        else:
            t0, t1, t2, t3 = a[0] + a[2], a[0] - a[2], a[1] + a[3], -1j * (a[1] - a[3])
            y = [t0 + t2, t1 + t3, t0 - t2, t1 - t3]
        out[:, 0] = y[0]
        for q in range(1, r):
            np.multiply(y[q], twiddles[block][q - 1], out=out[:, q])
        z = out.reshape(points, -1)
        block = span
    result: np.ndarray = z[digit_reversal(points, r)].reshape(points, *rest)
    return result


def float_rfft2_same_dataflow(
    maps: np.ndarray, radix: Radix, twiddles: dict[int, list[np.ndarray]]
) -> np.ndarray:
    rows = float_fft_same_dataflow(np.moveaxis(maps, -1, 0).astype(np.complex128), radix, twiddles)
    half = rows[: maps.shape[-1] // 2 + 1]
    columns = float_fft_same_dataflow(np.moveaxis(half, -1, 0), radix, twiddles)
    return np.moveaxis(columns, -1, 0)  # (N1, N2/2+1, batch) -> (batch, N1, N2/2+1)


def fft2_plan(size: int, radix: Radix, carrier: Carrier | None) -> Fft2Plan:
    spec = arithmetic(radix)
    rows = plan_fft(spec, size, FftDirection.FORWARD, 16, carrier)
    columns = plan_fft(spec, size, FftDirection.FORWARD, 16, carrier)
    return Fft2Plan(rows, columns)


def bench_rfft2(size: int, radix: Radix) -> tuple[float, float, float, float]:
    plan = fft2_plan(size, radix, None)
    assert plan.first.carrier is plan.second.carrier is Carrier.COMPLEX128
    int64_plan = fft2_plan(size, radix, Carrier.INT64)
    rng = np.random.default_rng(SEED)
    maps = rng.integers(-(1 << 14), 1 << 14, (BATCH, size, size))
    floats = maps.astype(np.float64)
    site = OverflowSite("spectra", "bench")
    twiddles = float_twiddles(size, radix)
    same = float_rfft2_same_dataflow(floats, radix, twiddles)
    assert np.allclose(same, np.fft.rfft2(floats))
    assert rfft2(maps, plan, OverflowCounter(), site).equals(
        rfft2(maps, int64_plan, OverflowCounter(), site)
    )
    fixed = best_seconds(lambda: rfft2(maps, plan, OverflowCounter(), site))
    int64 = best_seconds(lambda: rfft2(maps, int64_plan, OverflowCounter(), site))
    reference = best_seconds(lambda: np.fft.rfft2(floats))
    dataflow = best_seconds(lambda: float_rfft2_same_dataflow(floats, radix, twiddles))
    return fixed, int64, reference, dataflow


def bench_fft(size: int) -> tuple[float, float, float]:
    spec = arithmetic(Radix.TWO)
    plan = plan_fft(spec, size, FftDirection.FORWARD, 16)
    int64_plan = plan_fft(spec, size, FftDirection.FORWARD, 16, Carrier.INT64)
    rng = np.random.default_rng(SEED)
    shape = (BATCH * size, size)
    x = ComplexInt(
        rng.integers(-(1 << 14), 1 << 14, shape), rng.integers(-(1 << 14), 1 << 14, shape)
    )
    floats = x.re + 1j * x.im
    site = OverflowSite("spectra", "bench")
    fixed = best_seconds(lambda: fft(x, plan, OverflowCounter(), site))
    int64 = best_seconds(lambda: fft(x, int64_plan, OverflowCounter(), site))
    reference = best_seconds(lambda: np.fft.fft(floats))
    return fixed, int64, reference


def bench_cmac(size: int) -> tuple[float, float]:
    shape = (BATCH, size, size // 2 + 1)
    rng = np.random.default_rng(SEED)
    operand = QFormat(total_bits=16, fraction_bits=14)
    acc_fmt = QFormat(total_bits=40, fraction_bits=28, overflow=OverflowMode.SATURATE)

    def draw() -> ComplexInt:
        return ComplexInt(
            rng.integers(-(1 << 15), 1 << 15, shape), rng.integers(-(1 << 15), 1 << 15, shape)
        )

    a, b, acc = draw(), draw(), draw()
    fa, fb, facc = (x.re + 1j * x.im for x in (a, b, acc))
    site = OverflowSite("accumulators", "bench")
    form = ComplexMultiplyForm.FOUR_MULTIPLIER
    counter = OverflowCounter()
    fixed = best_seconds(
        lambda: complex_mac(acc, acc_fmt, a, operand, b, operand, form, counter, site)
    )
    reference = best_seconds(lambda: facc + fa * fb)
    return fixed, reference


def bench_cmac_reduce(size: int, channels_in: int, channels_out: int) -> tuple[float, float]:
    """The forward spectral convolution as the network runs it: ``Y[b,o] = Σ_i X[b,i]·conj(W[o,i])``
    over half spectra, 16-bit operands into a 40-bit saturating accumulator, output rounded to
    16 bits (:func:`fdsim.nn.fixed.cmac_reduce`), against the same reduction in complex128
    (``np.einsum``)."""
    rng = np.random.default_rng(SEED)
    half = (size, size // 2 + 1)
    operand = TensorFormat(QFormat(total_bits=16, fraction_bits=8), 0)
    weights = TensorFormat(QFormat(total_bits=16, fraction_bits=14), 0)
    numerics = ReductionNumerics(QFormat(total_bits=40, fraction_bits=16))
    counter, site = OverflowCounter(), OverflowSite("accumulators", "bench")

    def draw(shape: tuple[int, ...], scale: float) -> np.ndarray:
        return scale * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))

    fx, fw = draw((BATCH, channels_in, *half), 4.0), draw((channels_out, channels_in, *half), 0.3)
    x = FixedTensor.from_float(fx, operand, counter, site)
    w = FixedTensor.from_float(fw, weights, counter, site)
    fixed = best_seconds(
        lambda: cmac_reduce(x, w, CmacPattern.FORWARD, numerics, operand, counter, site)
    )
    reference = best_seconds(lambda: np.einsum("bi...,oi...->bo...", fx, np.conj(fw)))
    return fixed, reference


def cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    import os

    print(
        f"machine: {cpu_model()}, nproc={os.cpu_count()}, numpy {np.__version__}, "
        f"python {platform.python_version()}, batch {BATCH}, best of {REPEATS}"
    )
    print()
    print(
        "| case | bit-true (ms) | int64 carrier (ms) | numpy float64 (ms) | ratio "
        "| float64 same dataflow (ms) | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size, radix in ((32, Radix.TWO), (64, Radix.TWO), (64, Radix.FOUR)):
        fixed, int64, reference, dataflow = bench_rfft2(size, radix)
        print(
            f"| rfft2 {BATCH}x{size}x{size} radix-{int(radix)} vs np.fft.rfft2 | "
            f"{fixed * 1e3:.2f} | {int64 * 1e3:.2f} | {reference * 1e3:.2f} | "
            f"{fixed / reference:.1f}x | {dataflow * 1e3:.2f} | {fixed / dataflow:.1f}x |"
        )
    fixed, int64, reference = bench_fft(64)
    print(
        f"| fft {BATCH * 64}x64 radix-2 vs np.fft.fft | {fixed * 1e3:.2f} | {int64 * 1e3:.2f} | "
        f"{reference * 1e3:.2f} | {fixed / reference:.1f}x | | |"
    )
    for size, channels_in, channels_out in ((16, 16, 16), (32, 6, 16)):
        fixed, reference = bench_cmac_reduce(size, channels_in, channels_out)
        macs = BATCH * channels_in * channels_out * size * (size // 2 + 1)
        print(
            f"| spectral conv (cmac_reduce) {BATCH}x{channels_in}→{channels_out}x{size}x"
            f"{size // 2 + 1} ({macs / fixed / 1e6:.0f} M MAC/s) vs complex128 einsum | "
            f"{fixed * 1e3:.2f} | | {reference * 1e3:.2f} | {fixed / reference:.1f}x | | |"
        )
    for size in (32, 64):
        fixed, reference = bench_cmac(size)
        elements = BATCH * size * (size // 2 + 1)
        print(
            f"| complex MAC step {BATCH}x{size}x{size // 2 + 1} "
            f"({elements / fixed / 1e6:.0f} M MAC/s) vs complex128 c + a*b | "
            f"{fixed * 1e3:.2f} | | {reference * 1e3:.2f} | {fixed / reference:.1f}x | | |"
        )


if __name__ == "__main__":
    main()
