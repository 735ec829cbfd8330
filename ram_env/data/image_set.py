"""A user's image dataset split three ways: from a folder of image files, arrays in memory, or ``.npz`` /
``.npy`` files on disk (memory-mapped), for ``GlimpseImages-v0``.

Sources (``load_images``'s ``source``):

- a folder in the ImageFolder layout (``ram_env.data.image_folder``): one subfolder of PNG/JPEG files per
  class, or ``train/``, ``valid/``, ``test/`` each holding such subfolders;
- a mapping of numpy arrays (``ARRAY_NAMES``): ``images`` ``(N, H, W)`` or ``(N, H, W, C)`` uint8 and
  ``labels`` ``(N,)`` integers, or ``train_images``/``train_labels`` with optional ``valid_*`` and ``test_*``;
  ``(images, labels)`` is short for ``{"images": images, "labels": labels}``;
- an ``.npz`` file, or a folder of ``.npy`` files, holding arrays of those names (``ram_env.data.npy_files``).

Splits: those the source names are used as they are; a missing one is carved from ``train`` (from all the
images when the source names no split) with ``valid_fraction`` and ``test_fraction`` of its images and
``split_seed`` (``ram_env.data.splits.carved_rows``). The number of classes is the number of class folders, or
the largest label + 1; every class must have an image.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ram_env.data.datasets import Dataset
from ram_env.data.image_checks import ImageDataError, check_image_array, check_labels, check_no_empty_class
from ram_env.data.image_fit import FITS, fit_error
from ram_env.data.image_folder import BAD_FILE_POLICIES, read_image_folder
from ram_env.data.image_split import ImageSplit
from ram_env.data.npy_files import read_npy_folder, read_npz
from ram_env.data.splits import SPLITS, carved_rows

__all__ = ["ARRAY_NAMES", "ImageSet", "files_hash", "image_set_from_arrays", "load_images", "mnist_image_set"]

ARRAY_NAMES = ("images", "labels", *(f"{split}_{kind}" for split in SPLITS for kind in ("images", "labels")))


@dataclass(frozen=True, kw_only=True)
class ImageSet:
    """An image dataset split three ways.

    Attributes:
        train, valid, test: the splits.
        n_classes: number of classes.
        class_names: one name per class (the folder names; ``"0"``, ``"1"``, ... for arrays).
        source: where it came from, for messages (a path, or ``"arrays"``).
        skipped: unreadable image files left out (``on_bad_file="skip"``).
        files: ``files_hash`` of a path source when it was read; None for arrays in memory.
        origin: a path source's ``(path, load settings)``, from which it is read again when unpickled (a
            pickled env holds the path, not the images); None for arrays in memory.
        mapped: the images are memory-mapped from ``origin``'s files (``.npz``, ``.npy``), which
            ``check_unchanged`` watches.
    """

    train: ImageSplit
    valid: ImageSplit
    test: ImageSplit
    n_classes: int
    class_names: tuple[str, ...]
    source: str
    skipped: tuple[str, ...] = ()
    files: str | None = None
    origin: tuple[str, tuple[Any, ...]] | None = None
    mapped: bool = False

    def __reduce__(self) -> Any:
        """A path source pickles as its path and settings (``_reload``), not its arrays; arrays pickle whole."""
        if self.origin is None:
            return super().__reduce__()
        return _reload, (*self.origin, self.files)

    def check_unchanged(self) -> None:
        """Raise ``ImageDataError`` if the files under memory-mapped images changed since they were read: reading
        a rewritten file would show other images, and a shortened one would crash the process (SIGBUS). The
        envs call it before they read images (every reset); a stat of each file, no reading."""
        origin = self.origin
        if self.mapped and origin is not None and files_hash(Path(origin[0])) != self.files:
            raise ImageDataError(
                f"{origin[0]} changed on disk while an env was reading it (memory-mapped): make "
                "the env again to read the new files, and replace a source by writing a new file and "
                "renaming it over the old one"
            )

    def split(self, name: str) -> ImageSplit:
        """The split called ``name`` ("train", "valid" or "test")."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}: use one of {SPLITS}")
        return getattr(self, name)

    @property
    def channels(self) -> int:
        """``C``, colour channels per image."""
        return self.train.channels

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(h, w)`` pixels of an image as the env places it on the canvas (after fitting)."""
        return self.train.image_shape

    @property
    def fingerprint(self) -> dict[str, Any]:
        """What identifies these images, in plain values, for a checkpoint to store and compare: the files'
        hash (``files``), the split sizes, the class names, the channels and the image shape."""
        return {
            "files": self.files,
            "sizes": [len(self.split(name)) for name in SPLITS],
            "class_names": list(self.class_names),
            "channels": self.channels,
            "image_shape": list(self.image_shape),
        }


def files_hash(path: Path) -> str:
    """SHA-256 of the sorted names, sizes and modification times of the files at ``path`` (the file, or every
    file below the folder): it changes when a file is added, removed, replaced or rewritten, without reading
    the files."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        digest.update(
            f"{file.relative_to(path) if file != path else file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
    return digest.hexdigest()


def mnist_image_set(data: Dataset) -> ImageSet:
    """An MNIST-format ``Dataset`` as an ``ImageSet`` of one channel (views of its arrays, no copy)."""
    splits = {
        name: ImageSplit(base=data.split(name).images[..., None], labels=data.split(name).labels) for name in SPLITS
    }
    names = tuple(str(i) for i in range(data.n_classes))
    return ImageSet(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        n_classes=data.n_classes,
        class_names=names,
        source=str(data.source),
    )


def _given_splits(arrays: Mapping[str, Any], where: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{split or "all": (images (N, H, W, C), labels (N,) int64)}`` of the arrays, checked."""
    unknown = sorted(set(arrays) - set(ARRAY_NAMES))
    if unknown:
        raise ImageDataError(f"{where}: unknown arrays {unknown}; the names are {', '.join(ARRAY_NAMES)}")
    plain = "images" in arrays or "labels" in arrays
    prefixes = (
        [""]
        if plain
        else [f"{split}_" for split in SPLITS if f"{split}_images" in arrays or f"{split}_labels" in arrays]
    )
    if plain and len(arrays) > 2:
        raise ImageDataError(f"{where}: give either images and labels, or train_images, train_labels, ... ; not both")
    if not prefixes or (not plain and "train_" not in prefixes):
        raise ImageDataError(f"{where}: no training images: give images and labels, or train_images and train_labels")
    out = {}
    for prefix in prefixes:
        for kind in ("images", "labels"):
            if prefix + kind not in arrays:
                raise ImageDataError(
                    f"{where}: {prefix}images and {prefix}labels go together; {prefix}{kind} is missing"
                )
        images = check_image_array(f"{where}: {prefix}images", arrays[prefix + "images"])
        labels = check_labels(f"{where}: {prefix}labels", arrays[prefix + "labels"], len(images), f"{prefix}images")
        out[prefix.rstrip("_") or "all"] = (images, labels)
    shapes = {name: images.shape[1:] for name, (images, _) in out.items()}
    if len(set(shapes.values())) > 1:
        raise ImageDataError(f"{where}: the splits' images differ in (H, W, C): {shapes}; fit them to one size first")
    return out


def image_set_from_arrays(
    arrays: Mapping[str, Any],
    class_names: tuple[str, ...] | None = None,
    where: str = "arrays",
    image_size: int | None = None,
    fit: str = "none",
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    split_seed: int = 0,
    skipped: tuple[str, ...] = (),
) -> ImageSet:
    """An ``ImageSet`` over arrays named as ``ARRAY_NAMES`` (not copied; memory-mapped ones stay so).

    Args:
        arrays: the images and labels (module docstring).
        class_names: the classes' names (their number is then ``n_classes``); None: ``"0"``, ``"1"``, ...
            up to the largest label.
        where: the source, for messages.
        image_size, fit: fit every image to ``image_size x image_size`` by ``fit``
            (``ram_env.data.image_fit``) when it is gathered; None and ``"none"``: as stored.
        valid_fraction, test_fraction, split_seed: how a split the arrays lack is carved from train.
        skipped: bad files left out of a folder source.

    Raises:
        ImageDataError: a wrong name, dtype or shape, labels that do not match the images in length or
            range, an empty class, or an image size the fit cannot take; the message names the field.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    given = _given_splits(arrays, where)
    pool_name = "all" if "all" in given else "train"
    pool_images, pool_labels = given[pool_name]
    if image_size is None and fit != "none":
        raise ImageDataError(f"image_size must be given with fit={fit!r}: the side, in pixels, to fit the images to")
    problem = None if image_size is None else fit_error(pool_images.shape[1:3], image_size, fit)
    if problem:
        raise ImageDataError(f"{where}: the images {problem}")
    missing = {name: fraction for name, fraction in (("valid", valid_fraction), ("test", test_fraction))
               if name not in given}  # fmt: skip
    carved = carved_rows(len(pool_labels), missing, split_seed, where) if missing else {"train": None}
    splits = {
        name: ImageSplit(base=images, labels=labels, size=image_size, fit=fit)
        for name, (images, labels) in given.items()
    }
    for name, rows in carved.items():
        labels = pool_labels if rows is None else pool_labels[rows]
        labels.flags.writeable = False
        splits[name] = ImageSplit(base=pool_images, labels=labels, rows=rows, size=image_size, fit=fit)
    labels = {name: splits[name].labels for name in SPLITS}
    largest = max(int(values.max()) for values in labels.values() if len(values))
    n_images = sum(len(values) for values in labels.values())
    if class_names is None and largest >= n_images:  # checked before anything of that size is made
        raise ImageDataError(
            f"{where}: label {largest} is out of range for {n_images} images: every class 0 .. n_classes - 1 needs "
            "an image, so the labels must run from 0 without gaps"
        )
    n_classes = len(class_names) if class_names else largest + 1
    names = class_names or tuple(str(i) for i in range(n_classes))
    if largest >= n_classes:
        raise ImageDataError(f"{where}: label {largest} is out of range for the {n_classes} classes {list(names)}")
    check_no_empty_class(labels, n_classes, where)
    return ImageSet(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        n_classes=n_classes,
        class_names=names,
        source=where,
        skipped=skipped,
    )


@functools.lru_cache(maxsize=8)
def _load_path(path: Path, files: str, settings: tuple[Any, ...]) -> ImageSet:
    """The images at ``path``, cached by its ``files_hash`` ``files`` (a changed file reads them again)."""
    image_size, fit, valid_fraction, test_fraction, split_seed, on_bad_file = settings
    fractions = dict(valid_fraction=valid_fraction, test_fraction=test_fraction, split_seed=split_seed)
    mapped = True  # .npz and .npy files are memory-mapped; image files are decoded into memory
    if path.is_file():
        if path.suffix != ".npz":
            raise ImageDataError(f"{path}: a file source must be an .npz file; give .npy files as their folder")
        image_set = image_set_from_arrays(read_npz(path, ARRAY_NAMES), None, str(path), image_size, fit, **fractions)
    elif arrays := read_npy_folder(path, ARRAY_NAMES):
        image_set = image_set_from_arrays(arrays, None, str(path), image_size, fit, **fractions)
    else:
        mapped = False
        found = read_image_folder(path, image_size, fit, on_bad_file)
        # The folder's images are fitted as they are decoded.
        image_set = image_set_from_arrays(found.arrays, found.class_names, str(path), None, "none", **fractions,
                                          skipped=found.skipped)  # fmt: skip
    return dataclasses.replace(image_set, files=files, origin=(str(path), settings), mapped=mapped)


def _reload(path: str, settings: tuple[Any, ...], files: str) -> ImageSet:
    """The unpickling of a path source: read it again, as it was when pickled."""
    image_set = _load_path(Path(path), files_hash(Path(path)), settings)
    if image_set.files != files:
        raise ImageDataError(f"{path} changed since the env was pickled: make the env again from the new files")
    return image_set


def load_images(
    source: str | os.PathLike | Mapping[str, Any] | tuple[Any, Any],
    image_size: int | None = None,
    fit: str = "none",
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    split_seed: int = 0,
    on_bad_file: str = "raise",
) -> ImageSet:
    """Load an image dataset from any source (module docstring); a path is read once per process (cached
    until a file in it changes: ``files_hash``).

    Args:
        source: a folder (of class subfolders, or of ``.npy`` files), an ``.npz`` file, a mapping of arrays,
            or ``(images, labels)``.
        image_size: the side, pixels, every image is fitted to; None: as stored (all one size).
        fit: ``"none"``, ``"resize"`` or ``"pad"`` (``ram_env.data.image_fit``).
        valid_fraction, test_fraction: the share of train (or of all images) carved into a split the source lacks.
        split_seed: the seed of that carving.
        on_bad_file: ``"raise"`` or ``"skip"`` an image file that cannot be decoded (``ram_env.data.image_folder``).

    Raises:
        FileNotFoundError: a path that does not exist.
        ImageDataError: bad data; the message names the file or the field.
        ValueError: a bad setting, naming it.
    """
    if isinstance(source, tuple) and len(source) == 2:
        source = {"images": source[0], "labels": source[1]}
    if isinstance(source, Mapping):
        return image_set_from_arrays(source, None, "arrays", image_size, fit, valid_fraction, test_fraction, split_seed)
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(
            f"source must be a folder or .npz path, a dict of arrays or (images, labels), got {type(source).__name__}"
        )
    if on_bad_file not in BAD_FILE_POLICIES:
        raise ValueError(f"on_bad_file must be one of {BAD_FILE_POLICIES}, got {on_bad_file!r}")
    path = Path(source).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"source {path} does not exist: give a folder of class subfolders, .npy files, or an .npz file"
        )
    settings = (image_size, fit, valid_fraction, test_fraction, split_seed, on_bad_file)
    return _load_path(path, files_hash(path), settings)
