"""``--functional-images N``: a large network's bit-true run on the first N images of its
mini-batch; the report says so and the cycles stay those of the whole batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_errors import one_line_error

from fdsim.api import run

HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")
DIGITS = Path("workloads/digits_cnn.yaml")


def test_a_reduced_batch_says_so_and_keeps_the_cycles() -> None:
    whole = run(HARDWARE, DIGITS, functional=True)
    reduced = run(HARDWARE, DIGITS, functional=True, functional_images=4)
    assert reduced.summary["total_cycles"] == whole.summary["total_cycles"]
    assert reduced.numerics is not None and whole.numerics is not None
    assert reduced.numerics.source == (
        "seeded uniform images and labels, seed 0; reduced to its first 4 of 32 images"
    )
    assert reduced.summary["manifest"]["options"]["functional_images"] == 4
    assert reduced.summary["manifest"]["run_id"] != whole.summary["manifest"]["run_id"]
    # the same layers and tensors compared, on fewer images
    columns = ["layer", "phase", "tensor"]
    assert reduced.numerics.sqnr[columns].equals(whole.numerics.sqnr[columns])


def test_functional_images_needs_functional(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    assert one_line_error(["run", "--functional-images", "2", "--out", out], capsys) == (
        "--functional-images: reduces --functional's batch: add it"
    )
    assert (
        one_line_error(["run", "--functional", "--functional-images", "0", "--out", out], capsys)
        == "--functional-images: must be at least 1, got 0"
    )
