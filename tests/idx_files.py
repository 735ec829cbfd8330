"""Writers of MNIST-format IDX files for the tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

import ram_env
from ram_env.data.splits import VALID_SIZE


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file's bytes for a uint8 array."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_dataset(folder: Path, n_train: int = VALID_SIZE + 40, n_test: int = 30, compress: bool = True) -> Path:
    """Write four MNIST-format files of random 28x28 images with labels 0..9; return the folder."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }
    for name, array in arrays.items():
        data = idx_bytes(array)
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=1))
        else:
            (folder / name).write_bytes(data)
    return folder


N_TRAIN = 1000  # training images of the small dataset (its valid split is the 5,000 after them)
N_TEST = 500


def write_small_mnist(folder: Path) -> Path:
    """An MNIST-format dataset of 1,000 train, 5,000 valid and 500 test images cut from the shipped MNIST."""
    data = ram_env.load_dataset()
    folder.mkdir(parents=True, exist_ok=True)
    train_images = np.concatenate([data.train.images[:N_TRAIN], data.valid.images])
    train_labels = np.concatenate([data.train.labels[:N_TRAIN], data.valid.labels]).astype(np.uint8)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(train_images))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(train_labels))
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(data.test.images[:N_TEST]))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(data.test.labels[:N_TEST].astype(np.uint8)))
    return folder
