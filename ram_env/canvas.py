"""Canvases of the paper's tasks: a digit placed on a larger black canvas, optionally with clutter.

Images may have colour channels: ``(m, C, h, w)`` images make ``(m, C, size, size)`` canvases, every
channel laid out with the same draws (``(m, h, w)`` is the grayscale case).

Clutter follows the public mnist-cluttered recipe: ``n_clutter`` crops of ``clutter_size`` pixels
square, each cut at a random position from a random image of the clutter pool, are added at random
positions; then the digit is added at a random position; values are clipped to 255 (1.0). (Clipping
once at the end equals the recipe's clipping after each stage, as every value added is >= 0.)

Every random choice of a canvas comes from ``uniforms`` passed in, so the same uniforms always give the
same canvas. Canvases are built per batch of episodes, never for a whole split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["ArrayPool", "CanvasLayout", "ClutterPool"]


class ClutterPool(Protocol):
    """The images distractor crops are cut from."""

    def __len__(self) -> int: ...

    def crops(self, index: np.ndarray, y: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
        """``(m, C, size, size)`` uint8: of image ``index[j]`` (``(m,)`` int64), the square of side ``size``
        whose top-left pixel is ``(y[j], x[j])``."""
        ...


class ArrayPool:
    """A ``ClutterPool`` over an array of images, ``(p, h, w)`` or ``(p, C, h, w)`` uint8 (not copied)."""

    def __init__(self, images: np.ndarray) -> None:
        self.images = images if images.ndim == 4 else images[:, None]

    def __len__(self) -> int:
        return len(self.images)

    def crops(self, index: np.ndarray, y: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
        """See ``ClutterPool.crops``."""
        return sliding_window_view(self.images, (size, size), axis=(2, 3))[index, :, y, x]


def _positions(u: np.ndarray, n_positions: int) -> np.ndarray:
    """Map uniforms in [0, 1) to integer positions in [0, n_positions)."""
    return (u * n_positions).astype(np.int64)


def _add_saturating(target: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``min(target + values, 255)`` for uint8 arrays, without a wider type."""
    return target + np.minimum(values, 255 - target)


@dataclass(frozen=True)
class CanvasLayout:
    """How a task lays out its canvas.

    Attributes:
        size: side of the square canvas in pixels (28 for plain MNIST, 60 or 100 for the larger tasks).
        n_clutter: number of distractor crops (0 for none).
        clutter_size: side of each distractor crop in pixels.
    """

    size: int
    n_clutter: int = 0
    clutter_size: int = 8

    @property
    def n_uniforms(self) -> int:
        """Uniforms consumed per canvas: the digit's (y, x), then per crop (source, sy, sx, ty, tx)."""
        return 2 + 5 * self.n_clutter

    def digit_offsets(self, digit_shape: tuple[int, int], uniforms: np.ndarray) -> np.ndarray:
        """``(m, 2)`` top-left ``(y, x)`` canvas pixel of each digit, from the first two uniforms."""
        h, w = digit_shape
        return np.stack(
            [_positions(uniforms[:, 0], self.size - h + 1), _positions(uniforms[:, 1], self.size - w + 1)], axis=1
        )

    def build(
        self,
        digits: np.ndarray,
        clutter_pool: np.ndarray | ClutterPool,
        uniforms: np.ndarray,
        out: np.ndarray,
        n_clutter: int | None = None,
    ) -> None:
        """Build canvases into ``out``.

        Args:
            digits: ``(m, h, w)`` or ``(m, C, h, w)`` uint8, the images to classify.
            clutter_pool: the images the distractor crops are cut from: ``(p, h, w)`` or ``(p, C, h, w)``
                uint8, or a ``ClutterPool`` of images of the digits' size.
            uniforms: ``(m, n_uniforms)`` float64 in [0, 1).
            out: ``(m, size, size)`` or ``(m, C, size, size)`` uint8 (as ``digits``), overwritten with the
                canvases (it may be a strided view).
            n_clutter: lay only the first ``n_clutter`` of the layout's distractor crops (None: all): the
                canvas of the same uniforms with fewer distractors, for a curriculum.
        """
        if digits.ndim == 3:  # grayscale: a channel axis of 1, as views
            digits, out = digits[:, None], out[:, None]
        pool = ArrayPool(clutter_pool) if isinstance(clutter_pool, np.ndarray) else clutter_pool
        m, _, h, w = digits.shape
        side, c = self.size, self.clutter_size
        rows = np.arange(m)
        out[...] = 0
        n_clutter = self.n_clutter if n_clutter is None else min(n_clutter, self.n_clutter)
        if n_clutter:
            out_crops = sliding_window_view(out, (c, c), axis=(2, 3), writeable=True)
            for j in range(n_clutter):
                u = uniforms[:, 2 + 5 * j : 7 + 5 * j]
                source = _positions(u[:, 0], len(pool))
                sy, sx = _positions(u[:, 1], h - c + 1), _positions(u[:, 2], w - c + 1)
                ty, tx = _positions(u[:, 3], side - c + 1), _positions(u[:, 4], side - c + 1)
                crops = pool.crops(source, sy, sx, c)
                out_crops[rows, :, ty, tx] = _add_saturating(out_crops[rows, :, ty, tx], crops)
        digit_y, digit_x = self.digit_offsets((h, w), uniforms).T
        out_digits = sliding_window_view(out, (h, w), axis=(2, 3), writeable=True)
        out_digits[rows, :, digit_y, digit_x] = _add_saturating(out_digits[rows, :, digit_y, digit_x], digits)
