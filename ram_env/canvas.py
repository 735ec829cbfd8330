"""Canvases of the paper's tasks: a digit placed on a larger black canvas, optionally with clutter.

Clutter follows the public mnist-cluttered recipe: ``n_clutter`` crops of ``clutter_size`` pixels
square, each cut at a random position from a random image of the clutter pool, are added at random
positions; then the digit is added at a random position; values are clipped to 255 (1.0). (Clipping
once at the end equals the recipe's clipping after each stage, as every value added is >= 0.)

Every random choice of a canvas comes from ``uniforms`` passed in, so the same uniforms always give the
same canvas. Canvases are built per batch of episodes, never for a whole split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["CanvasLayout"]


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

    def build(self, digits: np.ndarray, clutter_pool: np.ndarray, uniforms: np.ndarray, out: np.ndarray) -> None:
        """Build canvases into ``out``.

        Args:
            digits: ``(m, h, w)`` uint8, the images to classify.
            clutter_pool: ``(p, h, w)`` uint8 images the distractor crops are cut from.
            uniforms: ``(m, n_uniforms)`` float64 in [0, 1).
            out: ``(m, size, size)`` uint8, overwritten with the canvases (it may be a strided view).
        """
        m, h, w = digits.shape
        side, c = self.size, self.clutter_size
        rows = np.arange(m)
        out[...] = 0
        if self.n_clutter:
            pool_crops = sliding_window_view(clutter_pool, (c, c), axis=(1, 2))
            out_crops = sliding_window_view(out, (c, c), axis=(1, 2), writeable=True)
            for j in range(self.n_clutter):
                u = uniforms[:, 2 + 5 * j : 7 + 5 * j]
                source = _positions(u[:, 0], len(clutter_pool))
                sy, sx = _positions(u[:, 1], h - c + 1), _positions(u[:, 2], w - c + 1)
                ty, tx = _positions(u[:, 3], side - c + 1), _positions(u[:, 4], side - c + 1)
                out_crops[rows, ty, tx] = _add_saturating(out_crops[rows, ty, tx], pool_crops[source, sy, sx])
        digit_y, digit_x = self.digit_offsets((h, w), uniforms).T
        out_digits = sliding_window_view(out, (h, w), axis=(1, 2), writeable=True)
        out_digits[rows, digit_y, digit_x] = _add_saturating(out_digits[rows, digit_y, digit_x], digits)
