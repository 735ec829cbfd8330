"""A user's images cannot exhaust memory or crash the process (issue 26, items 5 and 7): labels are checked
before anything is sized by them, images are fitted as they are read, memory-mapped files changed under a live
env stop it with one error (no SIGBUS), a pickled env holds its source's path, the folder cache sees changes
inside class folders, and bad image files (empty, too many pixels, unreadable) are named or skipped."""

from __future__ import annotations

import pickle
import re
import struct
import subprocess
import sys
import weakref
import zlib
from pathlib import Path

import cv2
import gymnasium as gym
import numpy as np
import pytest
from image_data import shape_arrays, write_image_folder

import ram_env
import ram_env.data.image_folder
from ram_env.data.image_set import load_images

REPO = Path(__file__).resolve().parents[1]


def test_a_huge_label_is_refused_before_anything_is_sized_by_it() -> None:
    images = np.zeros((10, 8, 8), np.uint8)
    for label in (2**40, 10**7, 10):
        with pytest.raises(ram_env.ImageDataError, match=f"label {label} is out of range for 10 images"):
            load_images((images, np.array([0] * 9 + [label])))


def test_folder_images_are_fitted_as_they_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At most one decoded full-size image is alive at a time: each is fitted before the next is decoded."""
    source = write_image_folder(tmp_path / "shapes", per_class=5, size=64)
    alive: list[weakref.ref] = []
    most = 0
    decode = ram_env.data.image_folder._decode

    def counting(path: Path) -> np.ndarray | str:
        nonlocal most
        image = decode(path)
        alive.append(weakref.ref(image))
        most = max(most, sum(ref() is not None for ref in alive))
        return image

    monkeypatch.setattr(ram_env.data.image_folder, "_decode", counting)
    data = load_images(source, image_size=16, fit="resize")
    assert data.image_shape == (16, 16) and most <= 2  # the image being fitted, and at most the last one


def _write_npz(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    np.savez(path, images=images, labels=labels)  # uncompressed: memory-mapped


def test_a_memory_mapped_file_rewritten_under_a_live_env_stops_it(tmp_path: Path) -> None:
    """In a child process, so that a SIGBUS (the failure this guards against) cannot take pytest down."""
    script = f"""
import numpy as np, gymnasium as gym, ram_env
path = {str(tmp_path / "data.npz")!r}
rng = np.random.default_rng(0)
np.savez(path, images=rng.integers(0, 255, (400, 28, 28), dtype=np.uint8), labels=np.arange(400) % 4)
envs = gym.make_vec("GlimpseImages-v0", num_envs=8, source=path, n_scales=1)
envs.reset(seed=0)
np.savez(path, images=np.zeros((2, 28, 28), np.uint8), labels=np.arange(2))  # shorter: old pages would SIGBUS
try:
    envs.reset(seed=1)
except ram_env.ImageDataError as exc:
    print("refused:", exc)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "refused:" in done.stdout and "changed on disk while an env was reading it" in done.stdout


def test_a_pickled_env_holds_the_path_not_the_images(tmp_path: Path) -> None:
    images, labels = shape_arrays(2000, 0, 64)
    _write_npz(tmp_path / "data.npz", images, labels)
    envs = gym.make_vec("GlimpseImages-v0", num_envs=4, source=str(tmp_path / "data.npz"), n_scales=1)
    blob = pickle.dumps(envs)
    assert images.nbytes > 20_000_000 and len(blob) < 1_000_000
    copy = pickle.loads(blob)
    first, again = envs.reset(seed=5)[0], copy.reset(seed=5)[0]
    np.testing.assert_array_equal(first["glimpse"], again["glimpse"])


def test_the_folder_cache_sees_a_file_added_inside_a_class(tmp_path: Path) -> None:
    source = write_image_folder(tmp_path / "shapes", per_class=10)
    before = load_images(source)
    first_class = sorted(p for p in source.iterdir() if p.is_dir())[0]
    image = cv2.imread(str(next(first_class.iterdir())))
    cv2.imwrite(str(first_class / "extra.png"), image)
    after = load_images(source)
    assert sum(len(after.split(s)) for s in ("train", "valid", "test")) == 41
    assert sum(len(before.split(s)) for s in ("train", "valid", "test")) == 40


def _png_claiming(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims ``width x height`` pixels (with a valid CRC)."""
    ok, data = cv2.imencode(".png", np.zeros((1, 1), np.uint8))
    assert ok
    data = bytearray(data.tobytes())
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "it is empty (0 bytes)"), (_png_claiming(50000, 50000), "OpenCV cannot decode it")],
    ids=["zero-bytes", "50000x50000"],
)
def test_bad_image_files_are_named_or_skipped(tmp_path: Path, content: bytes, reason: str) -> None:
    source = write_image_folder(tmp_path / "shapes", per_class=10)
    bad = sorted(p for p in source.iterdir() if p.is_dir())[0] / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(ram_env.ImageDataError, match=re.escape(f"bad.png: {reason}")):
        load_images(source)
    with pytest.warns(UserWarning, match="skipped 1 unreadable image files"):
        skipped = load_images(source, on_bad_file="skip")
    assert skipped.skipped == (str(bad),)


def test_an_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_image_folder(tmp_path / "shapes", per_class=10)
    locked = sorted(next(p for p in source.iterdir() if p.is_dir()).iterdir())[0]
    read = np.fromfile

    def denied(path: Path, *args: object, **kwargs: object) -> np.ndarray:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return read(path, *args, **kwargs)

    monkeypatch.setattr(ram_env.data.image_folder.np, "fromfile", denied)
    with pytest.raises(ram_env.ImageDataError, match="it cannot be read \\(Permission denied\\)"):
        load_images(source)
    with pytest.warns(UserWarning, match="skipped 1"):
        assert load_images(source, on_bad_file="skip").skipped == (str(locked),)


def test_small_images_without_clutter_and_bad_file_policies_of_arrays(tmp_path: Path) -> None:
    tiny = np.zeros((20, 6, 6), np.uint8)
    env = gym.make("GlimpseImages-v0", source=(tiny, np.arange(20) % 2), n_scales=1, glimpse_size=4)
    assert env.reset(seed=0)[0]["glimpse"].shape == (1, 4, 4)  # no clutter: no clutter_size to fit
    with pytest.raises(ValueError, match="clutter_size 8 is larger than canvas_size 6"):
        gym.make("GlimpseImages-v0", source=(tiny, np.arange(20) % 2), n_clutter=1)
    _write_npz(tmp_path / "data.npz", tiny, np.arange(20) % 2)
    with pytest.raises(ValueError, match="on_bad_file must be one of"):
        load_images(tmp_path / "data.npz", on_bad_file="ignore")
