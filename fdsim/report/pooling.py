"""``fdsim pooling``'s folder: the comparison table (CSV and Markdown), the experiments' tables,
their figures and a summary; see :func:`write_pooling_report`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

from fdsim.output import write_json

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import pandas as pd

from fdsim.pooling.experiments import AsmRmseTable, ChainTable
from fdsim.pooling_study import PoolingStudy, comparison_table
from fdsim.report.pooling_figures import asm_rmse_figure, chain_error_figure

POOLING_FILES = (
    "report.md",
    "pooling.csv",
    "asm_rmse.csv",
    "chain.csv",
    "tradeoff.png",
    "accelerator.png",
    "asm_rmse.png",
    "chain.png",
    "summary.json",
)
"""What :func:`write_pooling_report` writes, in the order the CLI names them."""


def write_pooling_report(study: PoolingStudy, directory: Path) -> None:
    """Every file of :data:`POOLING_FILES` into ``directory``."""
    table = comparison_table(study)
    table.to_csv(directory / "pooling.csv", index=False)
    asm = asm_frame(study.asm)
    asm.to_csv(directory / "asm_rmse.csv", index=False)
    chain = chain_frame(study.chain)
    chain.to_csv(directory / "chain.csv", index=False)
    _tradeoff_figure(table, directory / "tradeoff.png")
    _accelerator_figure(table, directory / "accelerator.png")
    for figure, name in (
        (asm_rmse_figure(study.asm), "asm_rmse.png"),
        (chain_error_figure(study.chain), "chain.png"),
    ):
        figure.savefig(directory / name, dpi=120)
        plt.close(figure)
    write_json(
        directory / "summary.json",
        {
            "settings": study.settings,
            "methods": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
            "chain_answer": study.chain.answer,
        },
    )
    (directory / "report.md").write_text(_markdown(study, table, asm, chain), encoding="utf-8")


def asm_frame(table: AsmRmseTable) -> pd.DataFrame:
    """Seed 000's curve as a table: per n, the coefficients kept, mean RMSE and miss rate of
    the DCT and the DFT masks."""
    return pd.DataFrame(
        {
            "n": table.n,
            "kept_dct": table.kept_dct,
            "rmse_dct": table.rmse_dct,
            "miss_dct": table.miss_dct,
            "kept_dft": table.kept_dft,
            "rmse_dft": table.rmse_dft,
            "miss_dft": table.miss_dft,
        }
    )


def chain_frame(table: ChainTable) -> pd.DataFrame:
    """Seed 004's experiment as a table, one row per input kind and nonlinearity."""
    return pd.DataFrame([vars(row) for row in table.rows])


def _tradeoff_figure(table: pd.DataFrame, path: Path) -> None:
    """Information kept against shift-equivariance error, every method labelled."""
    figure, axes = plt.subplots(figsize=(7, 5))
    for family, group in table.groupby("family", sort=True):
        axes.scatter(group["equivariance_error"], group["kept_fraction"], label=family)
        for _, row in group.iterrows():
            axes.annotate(
                row["method"],
                (row["equivariance_error"], row["kept_fraction"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    axes.set_xscale("symlog", linthresh=1e-3)
    axes.set_xlabel("circular shift-equivariance error (lower is better)")
    axes.set_ylabel("information kept: 1 − relative error² (higher is better)")
    axes.set_title("Pooling methods at equal output size")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _accelerator_figure(table: pd.DataFrame, path: Path) -> None:
    """Per workload method: a training step's energy, and hold-out accuracies when trained."""
    rows = table[table["on_accelerator"]]
    figure, (energy_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    energy_axes.bar(rows["method"], rows["energy_pj"] / 1e6)
    energy_axes.set_ylabel("energy per training step (µJ)")
    energy_axes.set_title("Energy on the accelerator")
    trained = rows.dropna(subset=["holdout_accuracy_bit_true"])
    width = 0.4
    positions = range(len(trained))
    accuracy_axes.bar(
        [p - width / 2 for p in positions],
        100 * trained["holdout_accuracy_bit_true"],
        width,
        label="bit-true",
    )
    accuracy_axes.bar(
        [p + width / 2 for p in positions],
        100 * trained["holdout_accuracy_float64"],
        width,
        label="float64",
    )
    accuracy_axes.set_xticks(list(positions), list(trained["method"]))
    accuracy_axes.set_ylabel("hold-out accuracy (%)")
    accuracy_axes.set_title("Accuracy after training" if len(trained) else "Not trained")
    if len(trained):
        accuracy_axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _number(value: object, spec: str, scale: float = 1.0) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "—"
    return format(float(value) * scale, spec)  # type: ignore[arg-type]


def _markdown(
    study: PoolingStudy, table: pd.DataFrame, asm: pd.DataFrame, chain: pd.DataFrame
) -> str:
    s = study.settings
    images = s["images"]
    lines = [
        f"# Pooling methods on {s['hardware']}, workload {s['workload']}",
        "",
        f"Command: `{s['command']}`",
        "",
        f"Measures on {images}, pooled 2× per axis by each method (pool layers of the "
        f"workload: {', '.join(s['pool_layers'])}). *Kept* is 1 − relative error² of the "
        "band-limited (spectral) reconstruction at the input size; *LS error* is the error "
        "of the best linear reconstruction from the pooled maps (the method-agnostic bound); "
        "*equivariance* is ‖P(S_t x) − S_{t/2}(P x)‖/‖P x‖ over circular shifts of 1 and 2 "
        "pixels (Fourier shift where t/2 is fractional); *consistency* is the share of "
        "images whose strongest channel stays the same under two random circular shifts; "
        "*GAP change* the relative change of the global averages under a shift.",
        "",
        "On the accelerator (workload methods only): one training step of the workload with "
        "every pool layer set to the method — a spatial method in the spectral domain runs "
        "as an iFFT → pool → FFT round trip — and "
        + (
            f"the hold-out accuracy after {s['epochs']} epochs on {s['dataset']} "
            f"(seed {s['seed']})."
            if s["epochs"]
            else "no training (--no-train)."
        ),
        "",
        "| method | family | kept | LS error | equivariance | consistency | GAP change "
        "| cycles | energy (µJ) | pool layers (µJ) | bit-true acc. | float64 acc. | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['method']} | {r['family']} | {r['kept_fraction']:.4f} "
            f"| {r['least_squares_relative_error']:.4f} | {r['equivariance_error']:.2e} "
            f"| {r['consistency']:.3f} | {r['gap_change']:.1e} "
            f"| {_number(r['cycles'], ',.0f')} | {_number(r['energy_pj'], '.3f', 1e-6)} "
            f"| {_number(r['pool_energy_pj'], '.3f', 1e-6)} "
            f"| {_number(r['holdout_accuracy_bit_true'], '.1f', 100)} "
            f"| {_number(r['holdout_accuracy_float64'], '.1f', 100)} | {r['note']} |"
        )
    lines += [
        "",
        "![information kept against shift equivariance](tradeoff.png)",
        "",
        "![energy and accuracy on the accelerator](accelerator.png)",
        "",
        "## Is a chain of spectral pools just one input low-pass? (seed 004)",
        "",
        f"Chains {' → '.join(str(n) for n in (study.chain.input_size, *study.chain.sizes))} of "
        "spectral pools on white-noise and 1/f images, with a nonlinearity between the pools "
        "or none, against one spectral pool of the input to the final size: "
        "*error_vs_single* = ‖chain(x) − S(x)‖/‖chain(x)‖; *error_vs_lowpassed_input* = "
        "‖chain(x) − chain(LP x)‖/‖chain(x)‖, LP discarding the input frequencies the final "
        "size cannot hold; *unexplained_energy* = 1 − R² of the best gain and offset of S(x).",
        "",
        f"**Answer:** {study.chain.answer}",
        "",
        "![chain errors](chain.png)",
        "",
        _markdown_table(chain),
        "",
        "## Approximate max pooling from low frequencies (seed 000)",
        "",
        f"{study.asm.n_trials} random 8×8 images uniform in [−1, 1], 2×2 max pooling; the "
        "local-maximum mask comes from a reconstruction with the first n spatial frequencies "
        "(DCT: α + β ≤ n, the seed's rule; DFT: circular |k| + |l| ≤ n) and is applied to the "
        "true values. RMSE of the 4×4 output against true max pooling, averaged over the "
        "images; *miss* is the share of windows whose chosen pixel is not the maximum.",
        "",
        "![RMSE against the number of spatial frequencies](asm_rmse.png)",
        "",
        _markdown_table(asm),
        "",
    ]
    return "\n".join(lines)


def _markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table, numbers in 4 significant digits."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *body])
