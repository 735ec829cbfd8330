"""The IDX reader and dataset loading: good files, the shipped copy, and every kind of bad file."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from idx_files import idx_bytes, write_dataset

from ram_env import IDXFormatError, load_dataset, read_idx
from ram_env.data.datasets import shipped_mnist_dir


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path: Path, compress: bool) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(array)
    path = tmp_path / "a.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    got = read_idx(path)
    np.testing.assert_array_equal(got, array)
    assert got.dtype == np.uint8 and not got.flags.writeable


def test_read_idx_big_endian_int32(tmp_path: Path) -> None:
    values = np.array([1, -2, 70000], dtype=">i4")
    path = tmp_path / "b.idx"
    path.write_bytes(bytes([0, 0, 0x0C, 1]) + np.array([3], ">u4").tobytes() + values.tobytes())
    np.testing.assert_array_equal(read_idx(path), [1, -2, 70000])


def test_shipped_mnist_matches_published_checksums() -> None:
    expected = {
        "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    }
    folder = shipped_mnist_dir()
    for name, md5 in expected.items():
        assert hashlib.md5(gzip.decompress((folder / name).read_bytes())).hexdigest() == md5, name
    assert (folder / "LICENSE").is_file() and "CC BY-SA 3.0" in (folder / "README.md").read_text()


def test_shipped_mnist_splits() -> None:
    data = load_dataset()
    assert (len(data.train), len(data.valid), len(data.test)) == (55000, 5000, 10000)
    assert data.train.images.shape[1:] == (28, 28) and data.train.images.dtype == np.uint8
    assert data.n_classes == 10
    train_counts = np.bincount(data.train.labels) + np.bincount(data.valid.labels)
    np.testing.assert_array_equal(train_counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    test_counts = np.bincount(data.test.labels)
    np.testing.assert_array_equal(test_counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    assert load_dataset() is data  # one copy per process


def test_data_dir_reads_raw_files(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "raw", compress=False)
    data = load_dataset(folder)
    assert (len(data.train), len(data.valid), len(data.test)) == (40, 5000, 30)
    assert data.source == folder.resolve()


def _corrupt(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_missing_file_names_it(synthetic_dir: Path) -> None:
    (synthetic_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_dataset(synthetic_dir)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_dataset(tmp_path / "nowhere")


def test_truncated_gzip_names_file(synthetic_dir: Path) -> None:
    path = synthetic_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(IDXFormatError, match="train-images-idx3-ubyte.gz.*truncated or corrupt"):
        load_dataset(synthetic_dir)


def test_truncated_data_names_file(synthetic_dir: Path) -> None:
    path = synthetic_dir / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(IDXFormatError, match=r"t10k-images-idx3-ubyte.gz: truncated"):
        load_dataset(synthetic_dir)


def test_wrong_magic_names_file(synthetic_dir: Path) -> None:
    path = synthetic_dir / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[0] = 7
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(IDXFormatError, match="t10k-labels-idx1-ubyte.gz: wrong magic number"):
        load_dataset(synthetic_dir)


def test_count_mismatch_names_both_files(synthetic_dir: Path) -> None:
    _corrupt(synthetic_dir, "t10k-labels-idx1-ubyte.gz", gzip.compress(idx_bytes(np.zeros(29, np.uint8))))
    with pytest.raises(IDXFormatError, match="holds 30 images but .*t10k-labels-idx1-ubyte.gz holds 29 labels"):
        load_dataset(synthetic_dir)


def test_too_few_training_images(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "small", n_train=100)
    with pytest.raises(IDXFormatError, match="more than 5000 are needed"):
        load_dataset(folder)


def test_not_idx_at_all(tmp_path: Path) -> None:
    path = _corrupt(tmp_path, "x.idx", b"hello world, not an idx file")
    with pytest.raises(IDXFormatError, match="x.idx: wrong magic number"):
        read_idx(path)
