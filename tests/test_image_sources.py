"""Image sources of GlimpseImages-v0: folders, arrays, .npz/.npy files; split rules; one clear error per bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from image_data import CLASS_NAMES, N_CLASSES, shape_arrays, write_image_folder

from ram_env import ImageDataError, load_images


def test_folder_reads_colour_images_and_class_names(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "shapes", per_class=10)
    data = load_images(root)
    assert data.class_names == tuple(sorted(CLASS_NAMES)) and data.n_classes == N_CLASSES
    assert data.channels == 3 and data.image_shape == (32, 32)
    assert len(data.train) + len(data.valid) + len(data.test) == 40 and len(data.valid) == len(data.test) == 4
    images, labels = shape_arrays(40)
    written = {(image.tobytes(), CLASS_NAMES[label]) for image, label in zip(images, labels, strict=False)}
    read = set()
    for split in (data.train, data.valid, data.test):
        for image, label in zip(split.gather(np.arange(len(split))), split.labels, strict=False):
            read.add((image.transpose(1, 2, 0).tobytes(), data.class_names[label]))  # RGB, as written
    assert read == written


def test_folder_split_subfolders_are_used_and_missing_valid_is_carved(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "train", per_class=10)
    write_image_folder(tmp_path / "test", per_class=2, seed=1)
    data = load_images(tmp_path, valid_fraction=0.25)
    assert (len(data.train), len(data.valid), len(data.test)) == (30, 10, 8)


def test_seeded_split_is_stable_and_disjoint() -> None:
    images, labels = shape_arrays(100)
    a, b = load_images((images, labels), split_seed=3), load_images((images, labels), split_seed=3)
    rows = [a.split(s).rows for s in ("train", "valid", "test")]
    assert all(np.array_equal(x, b.split(s).rows) for x, s in zip(rows, ("train", "valid", "test"), strict=True))
    assert len(np.unique(np.concatenate(rows))) == 100
    assert not np.array_equal(a.test.rows, load_images((images, labels), split_seed=4).test.rows)


def test_arrays_with_named_splits_and_grayscale() -> None:
    rng = np.random.default_rng(0)
    arrays = {f"{s}_images": rng.integers(0, 256, (8, 20, 30), dtype=np.uint8) for s in ("train", "valid", "test")}
    arrays.update({f"{s}_labels": np.arange(8) % 2 for s in ("train", "valid", "test")})
    data = load_images(arrays)
    assert data.channels == 1 and data.image_shape == (20, 30) and data.n_classes == 2 and len(data.test) == 8


def test_npz_and_npy_are_memory_mapped(tmp_path: Path) -> None:
    images, labels = shape_arrays(20)
    np.savez(tmp_path / "set.npz", images=images, labels=labels)
    (tmp_path / "npy").mkdir()
    np.save(tmp_path / "npy" / "images.npy", images)
    np.save(tmp_path / "npy" / "labels.npy", labels)
    for source in (tmp_path / "set.npz", tmp_path / "npy"):
        data = load_images(source, split_seed=1)
        assert isinstance(data.train.base, np.memmap), source
        rows = np.arange(3)
        np.testing.assert_array_equal(data.train.gather(rows), images[data.train.rows[rows]].transpose(0, 3, 1, 2))
    np.savez_compressed(tmp_path / "small.npz", images=images, labels=labels)  # read into memory, still works
    assert load_images(tmp_path / "small.npz").n_classes == N_CLASSES


def test_fit_resize_and_pad() -> None:
    images, labels = shape_arrays(20, size=40)
    resized = load_images((images, labels), image_size=24, fit="resize")
    padded = load_images((images, labels), image_size=48, fit="pad")
    assert resized.train.gather(np.arange(2)).shape == (2, 3, 24, 24)
    out = padded.train.gather(np.arange(1))[0]
    assert out.shape == (3, 48, 48) and not out[:, :4].any() and out[:, 4:44, 4:44].any()


def _write_folder_with(tmp_path: Path, name: str, content: bytes | np.ndarray) -> Path:
    root = write_image_folder(tmp_path / "set", per_class=3)
    path = root / CLASS_NAMES[0] / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        cv2.imwrite(str(path), content)
    return path


def test_corrupt_file_stops_naming_it_or_is_skipped(tmp_path: Path) -> None:
    path = _write_folder_with(tmp_path, "broken.png", b"\x89PNG not really")
    with pytest.raises(ImageDataError, match="broken.png"):
        load_images(path.parent.parent)
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = load_images(path.parent.parent, on_bad_file="skip")
    assert data.skipped == (str(path),) and len(data.train) + len(data.valid) + len(data.test) == 12


def test_mixed_sizes_need_a_fit(tmp_path: Path) -> None:
    path = _write_folder_with(tmp_path, "big.png", np.zeros((50, 40, 3), np.uint8))
    with pytest.raises(ImageDataError, match="big.png is 50x40 .* image_size"):
        load_images(path.parent.parent)
    assert load_images(path.parent.parent, image_size=32, fit="resize").image_shape == (32, 32)
    with pytest.raises(ImageDataError, match="big.png is 50x40, larger"):
        load_images(path.parent.parent, image_size=32, fit="pad")


def test_empty_class_and_empty_folder(tmp_path: Path) -> None:
    root = write_image_folder(tmp_path / "set", per_class=3)
    (root / "zzz_empty").mkdir()
    with pytest.raises(ImageDataError, match="zzz_empty: empty class"):
        load_images(root)
    (tmp_path / "nothing" / "a").mkdir(parents=True)
    with pytest.raises(ImageDataError, match="empty class"):
        load_images(tmp_path / "nothing")
    (tmp_path / "flat").mkdir()
    cv2.imwrite(str(tmp_path / "flat" / "x.png"), np.zeros((4, 4), np.uint8))
    with pytest.raises(ImageDataError, match="no class subfolders"):
        load_images(tmp_path / "flat")


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((10, 8, 8), np.float32), np.zeros(10, int), "images must be uint8"),
        (np.zeros((10, 8), np.uint8), np.zeros(10, int), r"shape \(N, H, W\)"),
        (np.zeros((10, 8, 8), np.uint8), np.zeros(9, int), "holds 9 labels but images holds 10"),
        (np.zeros((10, 8, 8), np.uint8), np.full(10, -1), r"labels\[0\] is -1"),
        (np.zeros((10, 8, 8), np.uint8), np.zeros(10) + 0.5, "integer class indices"),
        (np.zeros((10, 8, 8), np.uint8), np.array([0, 2] * 5), "class 1 has no images"),
    ],
)
def test_bad_arrays_name_the_field(images: np.ndarray, labels: np.ndarray, message: str) -> None:
    with pytest.raises(ImageDataError, match=message):
        load_images((images, labels))


def test_bad_names_and_settings() -> None:
    images, labels = shape_arrays(20)
    with pytest.raises(ImageDataError, match="unknown arrays \\['label'\\]"):
        load_images({"images": images, "label": labels})
    with pytest.raises(ImageDataError, match="image_size must be given"):
        load_images((images, labels), fit="resize")
    with pytest.raises(ValueError, match="test_fraction must be in"):
        load_images((images, labels), test_fraction=1.5)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_images("/no/such/folder")
