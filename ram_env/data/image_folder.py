"""A folder of image files in the ImageFolder layout, decoded with OpenCV into arrays.

Layouts: ``ROOT/CLASS/*.png`` (one subfolder per class), or ``ROOT/train/CLASS/...`` with optional
``ROOT/valid/CLASS/...`` and ``ROOT/test/CLASS/...``. The class names are the sorted subfolder names (of
``train`` in the second layout); class ``i`` is the ``i``-th name. Files ending ``.png``, ``.jpg``,
``.jpeg`` or ``.bmp`` (any case) are images; other files and hidden entries are ignored.

Channels: a grayscale file gives one channel, a colour one three (RGB order; an alpha channel is dropped);
when a set mixes them, the grayscale images are repeated to three channels. A file OpenCV cannot decode, or
one that is not 8-bit, is a bad file: ``on_bad_file="raise"`` (the default) stops with an error naming it,
``"skip"`` leaves it out, warns once with the count and the first names, and lists it in ``skipped``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ram_env.data.image_checks import ImageDataError
from ram_env.data.image_fit import fit_error, fit_image
from ram_env.data.splits import SPLITS

__all__ = ["BAD_FILE_POLICIES", "IMAGE_SUFFIXES", "FolderImages", "read_image_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
BAD_FILE_POLICIES = ("raise", "skip")


@dataclass(frozen=True)
class FolderImages:
    """What ``read_image_folder`` found.

    Attributes:
        arrays: ``{"images": (N, h, w, C) uint8, "labels": (N,) int64}``, or ``"train_images"``,
            ``"train_labels"`` and the same for each split subfolder (``ram_env.data.image_set.ARRAY_NAMES``).
        class_names: the class subfolder names, sorted.
        skipped: the bad files left out (``on_bad_file="skip"``).
    """

    arrays: dict[str, np.ndarray]
    class_names: tuple[str, ...]
    skipped: tuple[str, ...]


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _decode(path: Path) -> np.ndarray | str:
    """The image as ``(h, w, C)`` uint8 RGB or grayscale, or why it cannot be read."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if data.size == 0:
        return "it is empty (0 bytes)"
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:  # e.g. more pixels than OpenCV's limit
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "an OpenCV error"
        return f"OpenCV cannot decode it ({reason})"
    if image is None:
        return "OpenCV cannot decode it (corrupt, truncated or not an image)"
    if image.dtype != np.uint8:
        return f"it is {image.dtype}, not 8-bit: save 8-bit images"
    if image.ndim == 2:
        return image[..., None]
    if image.shape[2] < 3:  # grayscale with alpha
        return image[..., :1]
    return cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)


def _class_files(split_dir: Path, class_names: tuple[str, ...] | None) -> list[tuple[Path, int]]:
    """``(file, class index)`` of every image under ``split_dir``'s class subfolders."""
    folders = _subfolders(split_dir)
    if not folders:
        loose = "image files but " if _image_files(split_dir) else ""
        raise ImageDataError(
            f"{split_dir} holds {loose}no class subfolders: put the images of each class in a subfolder named "
            "after it (ROOT/CLASS/image.png)"
        )
    names = class_names or tuple(p.name for p in folders)
    files: list[tuple[Path, int]] = []
    for folder in folders:
        if folder.name not in names:
            raise ImageDataError(f"{folder}: class {folder.name!r} is not one of the train classes {list(names)}")
        images = _image_files(folder)
        if not images:
            raise ImageDataError(
                f"{folder}: empty class, no image files ({', '.join(IMAGE_SUFFIXES)}); add images or remove the folder"
            )
        files += [(path, names.index(folder.name)) for path in images]
    return files


def _fitted(
    path: Path, image: np.ndarray, image_size: int | None, fit: str, first: tuple[Path, tuple[int, int]] | None
) -> np.ndarray:
    """``image`` fitted to ``image_size`` by ``fit`` as soon as it is decoded (so memory follows the fitted
    size), or (``fit="none"``) checked to have the size of the ``first`` image ``(path, (h, w))``."""
    if image_size is None and fit == "none":
        if first is not None and image.shape[:2] != first[1]:
            h, w = image.shape[:2]
            raise ImageDataError(
                f"{path} is {h}x{w} but {first[0]} is {first[1][0]}x{first[1][1]}: the images differ in size; pass "
                "image_size=S with fit='resize' or fit='pad'"
            )
        return image
    if image_size is None:
        raise ImageDataError(f"image_size must be given with fit={fit!r}: the side, in pixels, to fit the images to")
    problem = fit_error(image.shape[:2], image_size, fit)
    if problem:
        raise ImageDataError(f"{path} {problem}")
    return fit_image(image, image_size, fit)


def read_image_folder(root: Path, image_size: int | None, fit: str, on_bad_file: str) -> FolderImages:
    """Decode every image under ``root`` (see the module docstring for the layouts and the policies).

    Args:
        root: the folder.
        image_size: the side the images are fitted to, pixels; None: they must all have one size.
        fit: ``ram_env.data.image_fit.FITS``.
        on_bad_file: ``"raise"`` or ``"skip"``.

    Raises:
        ImageDataError: no images, an empty class, a bad file (``"raise"``), mixed sizes without a fit, an
            image a fit cannot take; the message names the folder or file.
    """
    if on_bad_file not in BAD_FILE_POLICIES:
        raise ValueError(f"on_bad_file must be one of {BAD_FILE_POLICIES}, got {on_bad_file!r}")
    top = _subfolders(root)
    split_layout = any(p.name == "train" for p in top)
    if split_layout:
        extra = [p.name for p in top if p.name not in SPLITS]
        if extra:
            raise ImageDataError(f"{root}: next to train/ only valid/ and test/ may be, found {extra}")
        train_classes = tuple(p.name for p in _subfolders(root / "train"))
        parts = {f"{p.name}_": _class_files(p, train_classes or None) for p in top}
        class_names = train_classes
    else:
        files = _class_files(root, None)
        parts = {"": files}
        class_names = tuple(p.name for p in _subfolders(root))
    images: list[np.ndarray] = []  # fitted as they are decoded: none is held at its full size
    first: tuple[Path, tuple[int, int]] | None = None
    kept: dict[str, list[int]] = {prefix: [] for prefix in parts}
    skipped: list[str] = []
    for prefix, files in parts.items():
        for path, label in files:
            image = _decode(path)
            if isinstance(image, str):
                if on_bad_file == "raise":
                    raise ImageDataError(f"{path}: {image}; remove or replace it, or pass on_bad_file='skip'")
                skipped.append(str(path))
                continue
            images.append(_fitted(path, image, image_size, fit, first))
            first = first or (path, image.shape[:2])
            kept[prefix].append(label)
    if skipped:
        warnings.warn(f"{root}: skipped {len(skipped)} unreadable image files, e.g. {skipped[:3]}", stacklevel=3)
    if not images:
        raise ImageDataError(f"{root}: no readable images")
    if any(image.shape[2] == 3 for image in images):
        images = [np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image for image in images]
    arrays: dict[str, np.ndarray] = {}
    start = 0
    for prefix, labels in kept.items():
        if not labels:
            raise ImageDataError(f"{root / prefix.rstrip('_')}: every image file was unreadable")
        arrays[f"{prefix}images"] = np.stack(images[start : start + len(labels)])
        arrays[f"{prefix}labels"] = np.array(labels, dtype=np.int64)
        start += len(labels)
    return FolderImages(arrays, class_names, tuple(skipped))
