"""What `--functional` measures beyond the plain SQNR: the varying part's SQNR and its
"information lost" flag, underflow events, and overflow sites keyed by structured fields."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from fdsim.api import run
from fdsim.cli import main
from fdsim.numerics import INFORMATION_LOST_DB
from fdsim.sim.functional import sqnr_db, sqnr_varying_db

ROOT = Path(__file__).resolve().parents[1]
HARDWARE = ROOT / "hwconfigs" / "fdtrain_28nm.yaml"
LENET = ROOT / "workloads" / "lenet5.yaml"


def test_the_varying_part_is_the_signal_minus_its_batch_mean() -> None:
    # Two images: a common part 10 and a varying ±1 (reference 11 and 9), signal power
    # 11² + 9² = 202, varying signal power 1² + 1² = 2.
    reference = np.array([[11.0], [9.0]])
    # A common error of 0.6: plain noise 2·0.6² = 0.72, 202/0.72 → 24.48 dB; the error minus
    # its batch mean is 0, so the varying part is exact.
    common = reference + 0.6
    assert math.isclose(sqnr_db(reference, common), 10 * math.log10(202 / 0.72))
    assert sqnr_varying_db(reference, common) == math.inf
    # Errors 0.6 and 0.4 (common 0.5, varying ±0.1): plain 202/(0.36 + 0.16) → 25.89 dB;
    # varying 2/(0.1² + 0.1²) = 100 → 20 dB.
    test = reference + np.array([[0.6], [0.4]])
    assert math.isclose(sqnr_db(reference, test), 10 * math.log10(202 / 0.52))
    assert math.isclose(sqnr_varying_db(reference, test), 20.0)
    # One image has no variation.
    assert math.isnan(sqnr_varying_db(reference[:1], test[:1]))


def test_lenet5_logits_look_fine_but_their_varying_part_is_lost(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert main(["run", str(HARDWARE), str(LENET), "--functional", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    sqnr = pd.read_csv(out / "numerics.csv").set_index(["layer", "phase", "tensor"])
    logits = sqnr.loc[("output", "fwd", "output")]
    # The whole logits keep more than 30 dB; what differs between images keeps under 10 dB:
    # 16-bit words through twelve layers, the images' differences some 30 dB below their
    # common part (uniform images share their mean).
    assert logits["sqnr_db"] > 30.0
    assert 0.0 < logits["sqnr_varying_db"] < INFORMATION_LOST_DB
    # No batch axis (parameter gradients, updated parameters): empty in the CSV.
    assert math.isnan(sqnr.loc[("c1", "bwd_weight", "c1.weight"), "sqnr_varying_db"])
    summary = json.loads((out / "summary.json").read_text())["numerics"]
    flagged = summary["information_lost"]
    assert flagged["threshold_db"] == INFORMATION_LOST_DB
    rows = {(t["layer"], t["phase"], t["tensor"]): t["sqnr_varying_db"] for t in flagged["tensors"]}
    assert rows[("output", "fwd", "output")] == logits["sqnr_varying_db"]
    expected = sqnr[sqnr["sqnr_varying_db"] < INFORMATION_LOST_DB]
    assert sorted(rows) == sorted(expected.index)
    report = (out / "report.md").read_text()
    assert f"**Information lost**: {len(rows)} tensors keep less than 10 dB" in report
    assert f"| output | fwd | output | {logits['sqnr_varying_db']:.2f} |" in report
    assert "information lost: varying-part SQNR below 10 dB in " in printed
    assert "output (fwd output)" in printed
    overflows = pd.read_csv(out / "overflows.csv")
    assert summary["underflow_events"] == int(overflows["underflow_events"].sum())
    assert (overflows["underflow_events"] <= overflows["values_checked"]).all()


def test_a_batch_of_one_has_no_varying_part(tmp_path) -> None:  # type: ignore[no-untyped-def]
    workload = tmp_path / "one.yaml"
    workload.write_text(
        "name: one\ninput: {channels: 1, height: 8, width: 8, classes: 2}\nbatch_size: 1\n"
        "layers:\n  - {name: c1, kind: conv, out_channels: 2, kernel: 3}\n"
        "  - {name: f1, kind: fc, out_features: 2}\n  - {name: loss, kind: loss}\n"
    )
    result = run(HARDWARE, workload, functional=True)
    assert result.numerics is not None
    assert result.numerics.sqnr["sqnr_varying_db"].isna().all()
    assert result.summary["numerics"]["information_lost"]["tensors"] == []


def _spectra_fraction_bits(tmp_path: Path, fraction_bits: int) -> Path:
    """The default hardware with spectra in Q(15 − f).f instead of Q7.8."""
    text = HARDWARE.read_text()
    old = "grow with map size (DC bin = N²·mean)\n    total_bits: 16\n    fraction_bits: 8"
    assert old in text
    text = text.replace(old, old[:-1] + str(fraction_bits)).replace(
        "energy_table: energy/28nm.yaml", f"energy_table: {ROOT}/hwconfigs/energy/28nm.yaml"
    )
    path = tmp_path / f"spectra_q{fraction_bits}.yaml"
    path.write_text(text)
    return path


def test_moving_spectra_fraction_bits_shows_as_accumulator_underflow(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """c1's weight gradient multiplies input spectra by gradient spectra, both in ``spectra``,
    into the 16-fraction-bit accumulator at the sum of their exponents. With Q7.8 spectra a
    product has 8 + 8 = 16 fraction bits: nothing is dropped, no term can underflow. With
    Q1.14 spectra it has 28: 12 bits are dropped from every product, and the small products
    vanish. The weight gradient loses everything (SQNR below 0 dB) with no overflow at all;
    the underflow count at ``c1.bwd_weight.cmac.accumulator`` says where."""

    def c1_weight_gradient(hardware: Path) -> tuple[float, pd.DataFrame, int]:
        numerics = run(hardware, LENET, functional=True).numerics
        assert numerics is not None
        sqnr = numerics.sqnr.set_index(["layer", "phase", "tensor"])["sqnr_db"]
        sites = numerics.overflows.set_index("site")
        return float(sqnr[("c1", "bwd_weight", "c1.weight")]), sites, sites["overflow_events"].sum()

    site = "c1.bwd_weight.cmac.accumulator"
    default_db, default_sites, _ = c1_weight_gradient(HARDWARE)
    assert default_sites.loc[site, "underflow_events"] == 0
    fine_db, fine_sites, overflow_events = c1_weight_gradient(_spectra_fraction_bits(tmp_path, 14))
    assert fine_db < 0.0 < default_db
    assert overflow_events == 0
    assert 0 < fine_sites.loc[site, "underflow_events"] <= fine_sites.loc[site, "values_checked"]


def test_a_layer_named_with_a_dot_keeps_every_overflow_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def numerics_of(conv: str, fc: str):  # type: ignore[no-untyped-def]
        workload = tmp_path / f"{conv}.yaml"
        workload.write_text(
            "name: dots\ninput: {channels: 1, height: 8, width: 8, classes: 10}\nbatch_size: 4\n"
            f"layers:\n  - {{name: {conv}, kind: conv, out_channels: 2, kernel: 3}}\n"
            f"  - {{name: {fc}, kind: fc, out_features: 10}}\n  - {{name: loss, kind: loss}}\n"
        )
        numerics = run(HARDWARE, workload, functional=True).numerics
        assert numerics is not None
        return numerics

    dotted = numerics_of("conv.1", "fc.1")
    plain = numerics_of("conv1", "fc1")
    rows = dotted.overflows
    assert set(rows["layer"]) == {"input", "conv.1", "fc.1", "loss"}
    assert set(rows["phase"]) == {"fwd", "bwd_data", "bwd_weight", "update"}
    # Every row is the plain workload's row with the names changed: none lost, none moved.
    renamed = rows.replace({"layer": {"conv.1": "conv1", "fc.1": "fc1"}}).assign(
        site=rows["site"].str.replace("conv.1", "conv1").str.replace("fc.1", "fc1")
    )
    pd.testing.assert_frame_equal(
        renamed.sort_values("site").reset_index(drop=True),
        plain.overflows.sort_values("site").reset_index(drop=True),
    )
    assert ("conv.1", "bwd_weight", "conv.1.weight") in set(
        dotted.sqnr[["layer", "phase", "tensor"]].itertuples(index=False, name=None)
    )
