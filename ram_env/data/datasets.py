"""MNIST-format datasets: the copy shipped in the package, or any folder with the same four files.

Splits follow the paper's protocol (``ram_env.data.splits``): ``train`` is the first 55,000 images of the training
file, ``valid`` its last 5,000, ``test`` the test file. Images stay uint8 in memory.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ram_env.data.idx import IDXFormatError, read_idx
from ram_env.data.splits import SPLITS, VALID_SIZE, training_file_rows

__all__ = [
    "Dataset",
    "Split",
    "MNIST_FILES",
    "load_dataset",
    "missing_files",
    "shipped_mnist_dir",
]

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Split:
    """One split of a dataset.

    Attributes:
        images: ``(n, h, w)`` uint8, read-only.
        labels: ``(n,)`` int64 class indices, read-only.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """An MNIST-format dataset split three ways.

    Attributes:
        train, valid, test: the splits.
        n_classes: number of classes (largest label + 1).
        source: the folder the files were read from.
    """

    train: Split
    valid: Split
    test: Split
    n_classes: int
    source: Path

    def split(self, name: str) -> Split:
        """The split called ``name`` ("train", "valid" or "test")."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}: use one of {SPLITS}")
        return getattr(self, name)


def shipped_mnist_dir() -> Path:
    """The folder of the MNIST copy shipped inside the package."""
    return Path(str(resources.files("ram_env") / "data" / "mnist"))


def missing_files(folder: str | Path) -> list[str]:
    """The names (without ``.gz``) of the four MNIST-format files that ``folder`` lacks, raw or gzipped."""
    folder = Path(folder)
    return [stem for stem in MNIST_FILES.values() if not any((folder / n).is_file() for n in (stem + ".gz", stem))]


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{folder / (stem + '.gz')} not found (nor {stem}): data_dir must hold the four MNIST-format files "
        f"{', '.join(v + '[.gz]' for v in MNIST_FILES.values())}; pass data_dir=None for the MNIST shipped "
        "with ram_env"
    )


def _read_pair(folder: Path, images_key: str, labels_key: str) -> tuple[np.ndarray, np.ndarray]:
    images_path = _find(folder, MNIST_FILES[images_key])
    labels_path = _find(folder, MNIST_FILES[labels_key])
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IDXFormatError(
            f"{images_path}: expected uint8 images of shape (n, h, w), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IDXFormatError(f"{labels_path}: expected uint8 labels of shape (n,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels; "
            "the two files must come from the same dataset"
        )
    return images, labels.astype(np.int64)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=4)
def _load(folder: Path) -> Dataset:
    train_images, train_labels = _read_pair(folder, "train_images", "train_labels")
    test_images, test_labels = _read_pair(folder, "test_images", "test_labels")
    if train_images.shape[1:] != test_images.shape[1:]:
        raise IDXFormatError(
            f"{folder}: training images are {train_images.shape[1:]} but test images {test_images.shape[1:]}"
        )
    if len(train_labels) <= VALID_SIZE:
        raise IDXFormatError(
            f"{folder}: {len(train_labels)} training images; more than {VALID_SIZE} are needed (the last "
            f"{VALID_SIZE} form the valid split)"
        )
    if len(test_labels) == 0:
        raise IDXFormatError(f"{folder}: the test files hold no images; the test split needs at least one")
    train, valid = training_file_rows(len(train_labels)).values()
    return Dataset(
        train=Split(train_images[train], _readonly(train_labels[train])),
        valid=Split(train_images[valid], _readonly(train_labels[valid])),
        test=Split(test_images, _readonly(test_labels)),
        n_classes=int(max(train_labels.max(), test_labels.max())) + 1,
        source=folder,
    )


def load_dataset(data_dir: str | Path | None = None) -> Dataset:
    """Load an MNIST-format dataset, cached per folder (every env in a process shares one copy).

    Args:
        data_dir: folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each raw or ``.gz``);
            ``None`` for the MNIST copy shipped with ram_env.

    Raises:
        FileNotFoundError: the folder or one of the files is missing (the message lists the names).
        IDXFormatError: a file is corrupt, truncated, images and labels disagree in count, or a split
            would be empty.
        ValueError: ``data_dir`` is not a path.
    """
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise ValueError(
            f"data_dir must be a folder path (str or pathlib.Path) or None, got {type(data_dir).__name__} {data_dir!r}"
        )
    folder = shipped_mnist_dir() if data_dir is None else Path(data_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"data_dir {folder} is not a folder: pass a folder holding the four MNIST-format IDX files, "
            "or data_dir=None for the MNIST shipped with ram_env"
        )
    return _load(folder.resolve())
