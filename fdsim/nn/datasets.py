"""Labelled image sets for training: scikit-learn's bundled 8×8 digits, and local MNIST IDX files.

Images are float64 maps ``(count, 1, n, n)`` (batch-first, one channel, the layout
:func:`fdsim.nn.model.forward` takes after ``from_float``) with integer labels ``(count,)``.

* **digits** (:func:`load_digits_split`): ``sklearn.datasets.load_digits`` (1797 images, 8×8,
  16 grey levels, 10 classes; shipped with scikit-learn, no download). Pixels are divided by 16,
  so inputs lie in [0, 1]. The hold-out set is a seeded, stratified 20 % (360 images).
* **MNIST** (:func:`load_mnist`): IDX files (``*-images-idx3-ubyte`` / ``*-labels-idx1-ubyte``,
  optionally ``.gz``) read from local paths. Pixels are divided by 255 ([0, 1]); images keep
  their 28×28 size unless ``pad_to`` centres them on a larger zero map (LeCun et al. 1998 fed
  LeNet-5 28×28 digits padded to 32×32). Nothing is resized.

:func:`check_input` raises ``ConfigError`` when a set does not match a workload's input;
:func:`load_dataset` picks a set by :class:`DatasetSource` and checks it against a workload.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fdsim.errors import ConfigError
from fdsim.spec.workload import InputSpec

HOLDOUT_FRACTION = 0.2
DIGITS_LEVELS = 16.0  # load_digits pixels are integers 0..16
MNIST_LEVELS = 255.0

_IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


@dataclass(frozen=True)
class LabelledImages:
    """``images`` ``(count, channels, n, n)`` float64 in [0, 1] and ``labels`` ``(count,)``
    int64 in ``[0, classes)``."""

    images: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class Split:
    """A training set and a hold-out set drawn from one source (``source`` names it)."""

    source: str
    train: LabelledImages
    holdout: LabelledImages


def load_digits_split(*, seed: int, holdout_fraction: float = HOLDOUT_FRACTION) -> Split:
    """scikit-learn's 8×8 digits scaled to [0, 1], split stratified by label with ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)[:, None] / DIGITS_LEVELS
    labels = np.asarray(bunch.target, dtype=np.int64)
    x_train, x_hold, y_train, y_hold = train_test_split(
        images, labels, test_size=holdout_fraction, random_state=seed, stratify=labels
    )
    return Split(
        "sklearn digits",
        LabelledImages(np.ascontiguousarray(x_train), np.asarray(y_train, dtype=np.int64)),
        LabelledImages(np.ascontiguousarray(x_hold), np.asarray(y_hold, dtype=np.int64)),
    )


def load_mnist(
    images_path: Path, labels_path: Path, *, pad_to: int | None = None
) -> LabelledImages:
    """MNIST images and labels from IDX files (gzip-compressed if the name ends in ``.gz``),
    scaled to [0, 1]; ``pad_to`` centres the maps on a ``pad_to``×``pad_to`` zero map. Raises
    ``ConfigError`` naming the file for a missing, truncated or malformed file, or when the
    counts of images and labels differ."""
    raw = _read_idx(images_path, _IDX_IMAGES_MAGIC, 3)
    labels = _read_idx(labels_path, _IDX_LABELS_MAGIC, 1).astype(np.int64)
    if raw.shape[0] != labels.shape[0]:
        raise ConfigError(
            str(labels_path),
            f"holds {labels.shape[0]} labels but {images_path} holds {raw.shape[0]} images",
        )
    if raw.shape[1] != raw.shape[2]:
        raise ConfigError(str(images_path), f"images must be square, got {raw.shape[1:]}")
    images = raw[:, None].astype(np.float64) / MNIST_LEVELS
    if pad_to is not None:
        images = _centre_pad(images, pad_to, images_path)
    return LabelledImages(images, labels)


def check_input(data: LabelledImages, spec: InputSpec, source: str) -> None:
    """Raise ``ConfigError(source, …)`` unless ``data`` has the workload input's channels, map
    size and label range."""
    count, channels, height, width = data.images.shape
    if (channels, height, width) != (spec.channels, spec.height, spec.width):
        raise ConfigError(
            source,
            f"images are {channels}×{height}×{width} (channels×height×width) but the workload "
            f"input is {spec.channels}×{spec.height}×{spec.width}",
        )
    if count and (data.labels.min() < 0 or data.labels.max() >= spec.classes):
        raise ConfigError(
            source,
            f"labels span [{data.labels.min()}, {data.labels.max()}] but the workload has "
            f"{spec.classes} classes",
        )


def _read_idx(path: Path, magic: int, ndim: int) -> npt.NDArray[np.uint8]:
    """An IDX array of unsigned bytes with ``ndim`` dimensions (big-endian header)."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ConfigError(str(path), f"cannot read: {error}") from None
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ConfigError(str(path), f"not an IDX file: {len(raw)} bytes, header needs {header}")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ConfigError(
            str(path),
            f"not an IDX file of {ndim}-D unsigned bytes: magic 0x{found:08x}, "
            f"expected 0x{magic:08x}",
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise ConfigError(
            str(path), f"dimensions {dims} need {expected} bytes, the file has {len(raw)}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _centre_pad(images: npt.NDArray[np.float64], size: int, path: Path) -> npt.NDArray[np.float64]:
    n = images.shape[-1]
    if size < n:
        raise ConfigError(
            str(path), f"its {n}×{n} images are larger than the workload's {size}×{size} input"
        )
    before = (size - n) // 2
    padded = np.zeros((*images.shape[:-2], size, size))
    padded[..., before : before + n, before : before + n] = images
    return padded


class DatasetName(StrEnum):
    DIGITS = "digits"  # scikit-learn's bundled 8×8 digits
    MNIST = "mnist"  # local IDX files


@dataclass(frozen=True)
class DatasetSource:
    """``digits``, or local MNIST IDX files (``images_path``, ``labels_path``)."""

    name: DatasetName = DatasetName.DIGITS
    images_path: Path | None = None
    labels_path: Path | None = None


def load_dataset(source: DatasetSource, spec: InputSpec, seed: int) -> Split:
    """The training and hold-out sets of ``source`` for a workload input ``spec`` (MNIST is
    centred on the input's size; the hold-out is a seeded 20 %). ``ConfigError`` when the
    files are missing or bad, or the set does not fit ``spec``."""
    if source.name is DatasetName.DIGITS:
        data = load_digits_split(seed=seed)
        check_input(data.train, spec, "sklearn digits")
        return data
    if source.images_path is None or source.labels_path is None:
        raise ValueError("an MNIST source needs both IDX paths")
    images = load_mnist(source.images_path, source.labels_path, pad_to=spec.height)
    check_input(images, spec, str(source.images_path))
    held = round(HOLDOUT_FRACTION * len(images))
    if held == 0 or held == len(images):
        raise ConfigError(
            str(source.images_path),
            f"{len(images)} images leave no training or no hold-out image at a "
            f"{HOLDOUT_FRACTION:.0%} hold-out",
        )
    order = np.random.default_rng(seed).permutation(len(images))
    hold, keep = order[:held], order[held:]
    return Split(
        str(source.images_path),
        LabelledImages(images.images[keep], images.labels[keep]),
        LabelledImages(images.images[hold], images.labels[hold]),
    )
