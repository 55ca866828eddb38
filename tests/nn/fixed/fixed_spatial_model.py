"""A deliberately simple scalar model of the bit-true spatial ops, the linear sigmoid and the
kernel-support projection, on Python ints and Fractions (no numpy).

Maps are nested lists ``grid[row][col]`` of stored integers; windows are ``(start, stop)``
intervals, the same on both axes.  Every output value is computed from the definition, one at a
time: the exact rational result, then one ``store`` (round by the target format, fit by its
overflow mode, one event per real value that did not fit) from :mod:`fixed_scalar_model`.
"""

from __future__ import annotations

from fractions import Fraction

from fixed_scalar_model import Accumulator, Events, fit_int, pow2, reduce_terms, store, value

from fdsim.spec.numerics import QFormat

Grid = list[list[int]]
Window = tuple[int, int]


# --- elementwise ------------------------------------------------------------------------------
def relu(x: list[int]) -> list[int]:
    return [v if v > 0 else 0 for v in x]


def relu_backward(g: list[int], x: list[int]) -> list[int]:
    return [gv if xv > 0 else 0 for gv, xv in zip(g, x, strict=True)]


def polynomial(
    x: list[int],
    fmt: QFormat,
    exponent: int,
    coefficients: tuple[Fraction, Fraction, Fraction],
    events: Events,
) -> list[int]:
    """``c0 + c1·x + c2·x²`` per value, stored back in ``x``'s layout."""
    c0, c1, c2 = coefficients
    out = []
    for q in x:
        v = value(q, fmt, exponent)
        out.append(store(c0 + c1 * v + c2 * v * v, fmt, exponent, events))
    return out


def polynomial_backward(
    g: list[int],
    g_fmt: QFormat,
    g_exponent: int,
    x: list[int],
    x_fmt: QFormat,
    x_exponent: int,
    c1: Fraction,
    two_c2: Fraction,
    events: Events,
) -> list[int]:
    """``g·(c1 + 2c2·x)`` per value, stored in ``g``'s layout."""
    out = []
    for gq, xq in zip(g, x, strict=True):
        gv, xv = value(gq, g_fmt, g_exponent), value(xq, x_fmt, x_exponent)
        out.append(store(gv * (c1 + two_c2 * xv), g_fmt, g_exponent, events))
    return out


# --- pooling ----------------------------------------------------------------------------------
def first_maximum(grid: Grid, rows: Window, cols: Window) -> tuple[int, int]:
    """Position of the first (row-major) largest value of the window."""
    best = (rows[0], cols[0])
    for i in range(*rows):
        for j in range(*cols):
            if grid[i][j] > grid[best[0]][best[1]]:
                best = (i, j)
    return best


def max_pool(grid: Grid, windows: list[Window]) -> Grid:
    out = []
    for rows in windows:
        line = []
        for cols in windows:
            i, j = first_maximum(grid, rows, cols)
            line.append(grid[i][j])
        out.append(line)
    return out


def max_pool_backward(
    g: Grid, x: Grid, windows: list[Window], g_fmt: QFormat, events: Events
) -> Grid:
    """Each window's gradient added (exactly) to its first maximal input, each sum fitted."""
    size = len(x)
    dx = [[0] * size for _ in range(size)]
    for r, rows in enumerate(windows):
        for c, cols in enumerate(windows):
            i, j = first_maximum(x, rows, cols)
            dx[i][j] += g[r][c]
    return [[fit_int(v, g_fmt, events) for v in line] for line in dx]


def avg_pool(
    grid: Grid,
    windows: list[Window],
    fmt: QFormat,
    exponent: int,
    reciprocal: Fraction,
    events: Events,
) -> Grid:
    """The exact window sum times the stored ``1/area``, one rounding to the input layout."""
    out = []
    for rows in windows:
        line = []
        for cols in windows:
            total = sum(
                (value(grid[i][j], fmt, exponent) for i in range(*rows) for j in range(*cols)),
                Fraction(0),
            )
            line.append(store(total * reciprocal, fmt, exponent, events))
        out.append(line)
    return out


def avg_pool_backward(
    g: Grid,
    windows: list[Window],
    size: int,
    fmt: QFormat,
    exponent: int,
    reciprocal: Fraction,
    events: Events,
) -> Grid:
    """Input (i, j) gets the exact sum of the gradients of every window covering it, times the
    stored ``1/area``, one rounding to ``g``'s layout."""
    out = []
    for i in range(size):
        line = []
        for j in range(size):
            total = Fraction(0)
            for r, (r0, r1) in enumerate(windows):
                for c, (c0, c1) in enumerate(windows):
                    if r0 <= i < r1 and c0 <= j < c1:
                        total += value(g[r][c], fmt, exponent)
            line.append(store(total * reciprocal, fmt, exponent, events))
        out.append(line)
    return out


# --- spectral linear sigmoid ------------------------------------------------------------------
def linear_sigmoid(
    x: list[list[tuple[int, int]]],
    x_fmt: QFormat,
    x_exponent: int,
    out_fmt: QFormat,
    out_exponent: int,
    events: Events,
) -> list[list[tuple[int, int]]]:
    """Half-spectrum of ``½ + x/4`` for one ``N × (N//2+1)`` map: every bin ×¼, ``½·N²`` added
    to the real part of DC."""
    n = len(x)
    out = []
    for u, row in enumerate(x):
        line = []
        for v, (re, im) in enumerate(row):
            y_re = value(re, x_fmt, x_exponent) / 4
            if (u, v) == (0, 0):
                y_re += Fraction(n * n, 2)
            y_im = value(im, x_fmt, x_exponent) / 4
            line.append(
                (
                    store(y_re, out_fmt, out_exponent, events),
                    store(y_im, out_fmt, out_exponent, events),
                )
            )
        out.append(line)
    return out


def quarter(
    g: list[list[tuple[int, int]]],
    g_fmt: QFormat,
    g_exponent: int,
    out_fmt: QFormat,
    out_exponent: int,
    events: Events,
) -> list[list[tuple[int, int]]]:
    """``G/4`` bin by bin (the linear sigmoid's backward)."""
    return [
        [
            tuple(store(value(p, g_fmt, g_exponent) / 4, out_fmt, out_exponent, events) for p in b)
            for b in row
        ]
        for row in g
    ]


# --- kernel-support projection ----------------------------------------------------------------
Complex = tuple[Fraction, Fraction]


def full_spectrum(half: list[list[Complex]], n: int) -> list[list[Complex]]:
    """``X[u][v]`` for every v from the stored ``v ≤ N/2``: ``X[u][v] = conj(X[−u][N−v])``."""
    out = []
    for u in range(n):
        line = []
        for v in range(n):
            if v <= n // 2:
                line.append(half[u][v])
            else:
                re, im = half[(-u) % n][n - v]
                line.append((re, -im))
        out.append(line)
    return out


def rom_exponent(largest: Fraction, fmt: QFormat) -> int:
    """The matrix ROM's exponent (fdsim's rule: the largest magnitude lands in
    ``(¼, ½]`` of full scale, one bit of headroom), from ``ceil(log2(largest))``."""
    if largest == 0:
        return 0
    ceil_log2 = 0
    while pow2(ceil_log2) < largest:
        ceil_log2 += 1
    while pow2(ceil_log2 - 1) >= largest:
        ceil_log2 -= 1
    return ceil_log2 - (fmt.total_bits - fmt.fraction_bits - 1) + 1


def quantize_matrix(
    entries: list[list[complex]], fmt: QFormat, events: Events
) -> tuple[list[list[tuple[int, int]]], int]:
    """Float constants stored in ``fmt`` at the ROM exponent: each part first snapped to the
    nearest multiple of 2^-48 (ties to even, as fdsim removes the float products' ulp noise),
    then rounded exactly by ``fmt.rounding`` and fitted."""

    def snapped(x: float) -> Fraction:
        return Fraction(round(Fraction(x) * pow2(48)), pow2(48))

    parts = [[(snapped(z.real), snapped(z.imag)) for z in row] for row in entries]
    largest = max(max(abs(re), abs(im)) for row in parts for re, im in row)
    exponent = rom_exponent(largest, fmt)
    stored = [
        [(store(re, fmt, exponent, events), store(im, fmt, exponent, events)) for re, im in row]
        for row in parts
    ]
    return stored, exponent


def projection(
    half: list[list[tuple[int, int]]],
    fmt: QFormat,
    exponent: int,
    p_rom: list[list[tuple[int, int]]],
    q_rom: list[list[tuple[int, int]]],
    rom_fmt: QFormat,
    rom_exp: tuple[int, int],
    acc: QFormat,
    partial: QFormat | None,
    out_fmt: QFormat,
    out_exponent: int,
    events: Events,
) -> list[list[tuple[int, int]]]:
    """One map: rows ``T[u][v] = Σ_u' G[u'][v]·conj(W1[u][u'])`` for every v (stored in
    ``G``'s layout), then columns ``Y[u][v] = Σ_v' T[u][v']·conj(W2[v][v'])`` for ``v ≤ N/2``,
    each a CMAC reduction in ascending index (one tile), ``W1``/``W2`` the ROM integers."""
    n = len(half)
    stored = [[(value(re, fmt, exponent), value(im, fmt, exponent)) for re, im in r] for r in half]
    g = full_spectrum(stored, n)

    def rom(entry: tuple[int, int], exp: int) -> Complex:
        return value(entry[0], rom_fmt, exp), -value(entry[1], rom_fmt, exp)  # conjugated

    def mul(a: Complex, b: Complex) -> Complex:
        return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]

    rows_spec = Accumulator(acc, partial, exponent + rom_exp[0])
    t = [[(0, 0)] * n for _ in range(n)]
    for u in range(n):
        for v in range(n):
            terms = [mul(g[u2][v], rom(p_rom[u][u2], rom_exp[0])) for u2 in range(n)]
            t[u][v] = reduce_terms(terms, rows_spec, (n,), fmt, exponent, events)
    t_vals = [[(value(re, fmt, exponent), value(im, fmt, exponent)) for re, im in row] for row in t]
    cols_spec = Accumulator(acc, partial, exponent + rom_exp[1])
    out = []
    for u in range(n):
        line = []
        for v in range(n // 2 + 1):
            terms = [mul(t_vals[u][v2], rom(q_rom[v][v2], rom_exp[1])) for v2 in range(n)]
            line.append(reduce_terms(terms, cols_spec, (n,), out_fmt, out_exponent, events))
        out.append(line)
    return out
