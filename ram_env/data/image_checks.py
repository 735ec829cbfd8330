"""Checks of a user's image arrays and labels: one clear ``ImageDataError`` naming the field or file."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ImageDataError", "check_image_array", "check_labels", "check_no_empty_class"]


class ImageDataError(ValueError):
    """An image dataset cannot be used as given; the message names the file or the field and what is wrong."""


def check_image_array(name: str, images: Any) -> np.ndarray:
    """``images`` as ``(N, H, W, C)`` uint8, a view (a memory-mapped array stays memory-mapped).

    Args:
        name: what to call the field in an error (``"images"``, ``"train_images"``, a file name).
        images: ``(N, H, W)`` or ``(N, H, W, C)`` uint8, ``N >= 1``.

    Raises:
        ImageDataError: not a numpy array, not uint8, another number of dimensions, or no images.
    """
    if not isinstance(images, np.ndarray):
        raise ImageDataError(
            f"{name} must be a numpy array (N, H, W) or (N, H, W, C) of uint8, got {type(images).__name__}"
        )
    if images.dtype != np.uint8:
        raise ImageDataError(
            f"{name} must be uint8 (pixel values 0..255), got {images.dtype}: convert it, e.g. "
            "(images * 255).round().astype(np.uint8) for values in [0, 1]"
        )
    if images.ndim not in (3, 4) or min(images.shape[1:]) < 1:
        raise ImageDataError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if len(images) == 0:
        raise ImageDataError(f"{name} holds no images (shape {images.shape})")
    return images if images.ndim == 4 else images[..., None]


def check_labels(name: str, labels: Any, n_images: int, images_name: str) -> np.ndarray:
    """``labels`` as a fresh read-only ``(n_images,)`` int64 array of class indices ``>= 0``.

    Raises:
        ImageDataError: not integers, not one-dimensional, a length other than the images', or a negative
            label; the message names ``name`` (and ``images_name`` for a length mismatch).
    """
    array = np.asarray(labels)
    if not np.issubdtype(array.dtype, np.integer):
        raise ImageDataError(f"{name} must be integer class indices, got {array.dtype}")
    if array.ndim != 1:
        raise ImageDataError(f"{name} must have shape (N,), got {array.shape}")
    if len(array) != n_images:
        raise ImageDataError(
            f"{name} holds {len(array)} labels but {images_name} holds {n_images} images: one label per image"
        )
    out = array.astype(np.int64)
    if (out < 0).any():
        bad = int(np.flatnonzero(out < 0)[0])
        raise ImageDataError(f"{name}[{bad}] is {out[bad]}: labels must be class indices 0, 1, ..., n_classes - 1")
    out.flags.writeable = False
    return out


def check_no_empty_class(labels: dict[str, np.ndarray], n_classes: int, where: str) -> None:
    """Raise ``ImageDataError`` naming the first class in ``[0, n_classes)`` that no label (of any split
    in ``labels``, ``{split: (n,) int64}``) names; ``where`` says which dataset."""
    counts = np.zeros(n_classes, dtype=np.int64)
    for values in labels.values():
        counts += np.bincount(values, minlength=n_classes)[:n_classes]
    if (counts == 0).any():
        empty = int(np.flatnonzero(counts == 0)[0])
        raise ImageDataError(
            f"{where}: class {empty} has no images (the labels run from 0 to {n_classes - 1}): number the classes "
            "0 .. n_classes - 1 without gaps"
        )
