"""Fitting images of any size to one declared size: the ``fit`` policies of the image envs.

``"none"``: the images must already have the size. ``"resize"``: scaled to ``size x size`` (aspect not kept;
OpenCV's area interpolation when shrinking, bilinear when enlarging). ``"pad"``: centred on a black
``size x size`` square (an image larger than ``size`` on either side is an error).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["FITS", "fit_image", "fit_error"]

FITS = ("none", "resize", "pad")


def fit_error(shape: tuple[int, int], size: int, fit: str) -> str | None:
    """Why an image of ``shape`` (``(h, w)`` pixels) cannot be fitted to ``size`` by ``fit``, or None."""
    h, w = shape
    if fit == "none" and (h, w) != (size, size):
        return f"is {h}x{w}, not {size}x{size}: pass fit='resize' or fit='pad' to fit it"
    if fit == "pad" and max(h, w) > size:
        return (
            f"is {h}x{w}, larger than the {size}x{size} it should be padded to: use fit='resize' or a larger image_size"
        )
    return None


def fit_image(image: np.ndarray, size: int, fit: str) -> np.ndarray:
    """One image fitted to ``size x size`` by ``fit`` (``fit_error`` must be None).

    Args:
        image: ``(h, w, C)`` uint8.
        size: the side of the result, pixels.
        fit: one of ``FITS``.

    Returns:
        ``(size, size, C)`` uint8 (``image`` itself when it already has that size).
    """
    h, w, c = image.shape
    if (h, w) == (size, size):
        return image
    if fit == "resize":
        shrink = size < h or size < w
        resized = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return resized.reshape(size, size, c)
    out = np.zeros((size, size, c), dtype=np.uint8)
    top, left = (size - h) // 2, (size - w) // 2
    out[top : top + h, left : left + w] = image
    return out
