"""Datasets: the digits split, and the MNIST IDX reader with its error messages."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from fdsim.errors import ConfigError
from fdsim.nn.datasets import check_input, load_digits_split, load_mnist
from fdsim.spec.workload import InputSpec


def test_digits_split_is_seeded_stratified_and_scaled() -> None:
    split = load_digits_split(seed=0)
    assert (len(split.train), len(split.holdout)) == (1437, 360)
    assert split.train.images.shape[1:] == (1, 8, 8)
    assert split.train.images.min() == 0.0 and split.train.images.max() == 1.0
    counts = np.bincount(split.holdout.labels, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: ≈ 20 % of each class
    again = load_digits_split(seed=0)
    np.testing.assert_array_equal(again.holdout.labels, split.holdout.labels)
    assert not np.array_equal(load_digits_split(seed=1).holdout.labels, split.holdout.labels)


def _idx(path: Path, magic: int, dims: tuple[int, ...], data: bytes, compress: bool) -> Path:
    raw = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + data
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reader_scales_and_pads(tmp_path: Path, compress: bool) -> None:
    pixels = np.arange(2 * 4 * 4, dtype=np.uint8) * 7
    suffix = ".gz" if compress else ""
    images = _idx(tmp_path / f"i{suffix}", 0x803, (2, 4, 4), pixels.tobytes(), compress)
    labels = _idx(tmp_path / f"l{suffix}", 0x801, (2,), bytes([3, 9]), compress)
    data = load_mnist(images, labels)
    np.testing.assert_allclose(data.images[:, 0], pixels.reshape(2, 4, 4) / 255.0)
    np.testing.assert_array_equal(data.labels, [3, 9])
    padded = load_mnist(images, labels, pad_to=8)
    np.testing.assert_array_equal(padded.images[..., 2:6, 2:6], data.images)
    assert padded.images.sum() == pytest.approx(data.images.sum())
    check_input(padded, InputSpec(channels=1, height=8, width=8, classes=10), "mnist")
    with pytest.raises(ConfigError, match=r"images are 1×4×4 .* workload input is 1×8×8"):
        check_input(data, InputSpec(channels=1, height=8, width=8, classes=10), "mnist")
    with pytest.raises(ConfigError, match=r"labels span \[3, 9\] but the workload has 5 classes"):
        check_input(data, InputSpec(channels=1, height=4, width=4, classes=5), "mnist")


def test_mnist_reader_errors_name_the_file(tmp_path: Path) -> None:
    good = _idx(tmp_path / "labels", 0x801, (2,), bytes([1, 2]), False)
    with pytest.raises(ConfigError, match="missing: file not found"):
        load_mnist(tmp_path / "missing", good)
    bad_magic = _idx(tmp_path / "bad", 0x801, (2, 1, 1), bytes(2), False)
    with pytest.raises(ConfigError, match="bad: not an IDX file of 3-D unsigned bytes"):
        load_mnist(bad_magic, good)
    short = _idx(tmp_path / "short", 0x803, (2, 2, 2), bytes(5), False)
    with pytest.raises(ConfigError, match=r"dimensions \(2, 2, 2\) need 24 bytes, the file has 21"):
        load_mnist(short, good)
    three = _idx(tmp_path / "three", 0x803, (3, 1, 1), bytes(3), False)
    with pytest.raises(ConfigError, match=r"holds 2 labels but .* holds 3 images"):
        load_mnist(three, good)
    (tmp_path / "junk.gz").write_bytes(b"not gzip")
    with pytest.raises(ConfigError, match=r"junk\.gz: cannot read"):
        load_mnist(tmp_path / "junk.gz", good)
