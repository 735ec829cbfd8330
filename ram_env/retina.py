"""The paper's multi-scale retina ("glimpse sensor"), batched over canvases with array operations.

Patch ``i`` (``i = 0 .. k-1``) is a square of ``g * 2**i`` pixels centred on the location, area-averaged
down to ``g x g`` (each output pixel is the mean of a ``2**i x 2**i`` block); pixels outside the
canvas read as 0.

Coordinates: a location ``(x, y)`` in [-1, 1] maps to the canvas point
``((x + 1) / 2 * width, (y + 1) / 2 * height)`` in pixel units (pixel ``j`` spans ``[j, j + 1)``), so
``(-1, -1)`` is the top-left corner and ``(0, 0)`` the centre. A patch of side ``s`` starts at pixel
``floor(c - s / 2 + 0.5)`` on each axis.

How it is computed: canvases are held inside a zero border of ``retina_pad(g)`` pixels, so scale 0 is a
plain gather of ``g * g`` pixels with no bounds checks. Coarser scales read block sums from a
summed-area table: ``(g + 1)**2`` look-ups per patch whatever its size, with block edges clipped to the
canvas (clipping drops exactly the zeros outside it).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["Retina", "glimpse", "locations_to_pixels", "max_scales", "retina_pad"]

_PIXEL_VALUES = np.arange(256, dtype=np.float32) / np.float32(255)
_INT32_MAX = np.iinfo(np.int32).max


def retina_pad(size: int) -> int:
    """Zero border (pixels) a canvas needs for scale-0 patches of side ``size`` anywhere in [-1, 1]."""
    return (size + 1) // 2


def max_scales(height: int, width: int, size: int) -> int:
    """The most scales a retina of patch side ``size`` can use on a ``height x width`` canvas: up to the
    first scale whose patch (``size * 2**i`` pixels) is at least twice the canvas's larger side, so that
    it covers the whole canvas wherever it is centred; a coarser scale would only shrink the same view."""
    scales = 1
    while size * 2 ** (scales - 1) < 2 * max(height, width):
        scales += 1
    return scales


def locations_to_pixels(locations: np.ndarray, height: int, width: int) -> np.ndarray:
    """Map ``(n, 2)`` locations ``(x, y)`` in [-1, 1] to ``(n, 2)`` float64 canvas points ``(x, y)``."""
    scale = np.array([width / 2.0, height / 2.0])
    return (np.asarray(locations, dtype=np.float64) + 1.0) * scale


def _stacked_integral(padded: np.ndarray, out: np.ndarray) -> None:
    """Summed-area table of the padded canvases stacked as one tall image, into ``out``.

    ``out`` is ``(n * hp + 1, wp + 1)`` int32. Canvas ``j`` owns rows ``j * hp .. j * hp + hp - 1``; its
    values include the sums of the canvases above it, which cancel in every block sum, and the zero
    border keeps each canvas's block corners inside its own rows. Chunks keep sums inside int32.
    """
    n, hp, wp = padded.shape
    per_chunk = max(1, _INT32_MAX // (255 * hp * wp))
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        cv2.integral(padded[start:stop].reshape(-1, wp), sum=out[start * hp : stop * hp + 1], sdepth=cv2.CV_32S)


class Retina:
    """Holds a batch of ``n`` canvases and takes glimpses of them.

    Args:
        n: number of canvases.
        height, width: canvas size in pixels.
        size: ``g``, the side of each output patch in pixels.
        n_scales: ``k``, the number of scales, at most ``max_scales(height, width, size)``.

    Raises:
        ValueError: more scales than the canvas can use (the message gives the limit).

    Attributes:
        canvases: ``(n, height + 2 pad, width + 2 pad)`` uint8, the canvases inside their zero border.
        pad: ``retina_pad(size)``.
    """

    def __init__(self, n: int, height: int, width: int, *, size: int, n_scales: int) -> None:
        if n_scales > max_scales(height, width, size):
            raise ValueError(
                f"n_scales {n_scales} is more than a {height}x{width} canvas can use with glimpse_size {size}: "
                f"scale {max_scales(height, width, size) - 1} already covers the whole canvas from any location; "
                f"use n_scales <= {max_scales(height, width, size)}"
            )
        self.size, self.n_scales, self.height, self.width = size, n_scales, height, width
        self.pad = retina_pad(size)
        hp, wp = height + 2 * self.pad, width + 2 * self.pad
        self.canvases = np.zeros((n, hp, wp), dtype=np.uint8)
        self._table = np.zeros((n * hp + 1, wp + 1), dtype=np.int32) if n_scales > 1 else None
        self._scale0_offsets = (np.arange(size)[:, None] * wp + np.arange(size)[None, :]).reshape(-1)
        self._factors = 2 ** np.arange(1, n_scales)  # block side of each coarser scale
        self._block_steps = self._factors[:, None] * np.arange(size + 1)  # (k - 1, g + 1)
        self._block_scale = (1.0 / (255.0 * self._factors.astype(np.float32) ** 2))[None, :, None, None]

    def interior(self, ids: np.ndarray | None = None) -> np.ndarray:
        """The canvases without their border, ``(m, height, width)`` uint8: a writable view of all of them
        (``ids=None``), or a fresh array for ``ids`` to fill and pass to ``load``."""
        if ids is not None:
            return np.empty((len(ids), self.height, self.width), dtype=np.uint8)
        p = self.pad
        return self.canvases[:, p : p + self.height, p : p + self.width]

    def load(self, canvases: np.ndarray | None = None, ids: np.ndarray | None = None) -> None:
        """Take new canvases: with ``ids=None``, those written into ``interior()``; else ``canvases``
        (``(len(ids), height, width)`` uint8) for the canvases ``ids``. Updates the summed-area tables."""
        p = self.pad
        if ids is None:
            if self._table is not None:
                _stacked_integral(self.canvases, self._table)
            return
        if canvases is None:
            raise ValueError("load(canvases, ids): the canvases of ids are needed")
        self.canvases[ids, p : p + self.height, p : p + self.width] = canvases
        if self._table is not None:
            m, hp, wp = len(ids), self.canvases.shape[1], self.canvases.shape[2]
            table = np.empty((m * hp + 1, wp + 1), dtype=np.int32)
            _stacked_integral(self.canvases[ids], table)
            self._table[:-1].reshape(-1, hp, wp + 1)[ids] = table[:-1].reshape(m, hp, wp + 1)

    def read(self, centres: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Glimpses centred on ``centres``.

        Args:
            centres: ``(m, 2)`` float64 patch centres ``(x, y)`` in canvas pixels, inside
                ``[0, width] x [0, height]``; ``m = n``, or ``len(ids)``.
            ids: which canvases (default: all, in order).

        Returns:
            ``(m, k, g, g)`` float32 in [0, 1] (pixel values / 255).
        """
        g, pad, k = self.size, self.pad, self.n_scales
        n, hp, wp = self.canvases.shape
        rows = np.arange(n) if ids is None else np.asarray(ids)
        m = len(rows)
        out = np.empty((m, k, g, g), dtype=np.float32)
        # Indices are in bounds by construction; mode="wrap" only skips numpy's bounds checks.
        starts = np.floor(centres - g / 2.0 + 0.5).astype(np.int64) + pad  # (m, 2) in the padded canvas
        base = rows * (hp * wp) + starts[:, 1] * wp + starts[:, 0]
        pixels = self.canvases.reshape(-1).take(base[:, None] + self._scale0_offsets[None, :], mode="wrap")
        out[:, 0] = _PIXEL_VALUES.take(pixels, mode="wrap").reshape(m, g, g)
        if self._table is None:
            return out
        # Block edges of the coarser scales, in padded-canvas pixels, clipped to the canvas.
        starts = np.floor(centres[:, None, :] - (g * self._factors)[None, :, None] / 2.0 + 0.5).astype(np.int64)
        edges_x = np.clip(starts[:, :, 0, None] + self._block_steps, 0, self.width) + pad  # (m, k - 1, g + 1)
        edges_y = np.clip(starts[:, :, 1, None] + self._block_steps, 0, self.height) + pad
        row_starts = ((rows * hp)[:, None, None] + edges_y) * (wp + 1)
        corners = self._table.take((row_starts[:, :, :, None] + edges_x[:, :, None, :]).reshape(-1), mode="wrap")
        # Block sums as two long differences over the flat corner grids (g + 1 per row, (g + 1)**2 per
        # patch): element j of `sums_at` is the sum of the block whose top-left corner is corner j.
        across = np.subtract(corners[1:], corners[:-1])
        sums_at = np.subtract(across[g + 1 :], across[: -(g + 1)])
        step = sums_at.itemsize
        sums = as_strided(
            sums_at, (m, k - 1, g, g), ((k - 1) * (g + 1) ** 2 * step, (g + 1) ** 2 * step, (g + 1) * step, step)
        )
        np.multiply(sums, self._block_scale, out=out[:, 1:], casting="unsafe")
        return out


def glimpse(canvases: np.ndarray, locations: np.ndarray, size: int, n_scales: int = 1) -> np.ndarray:
    """Glimpses of a batch of canvases at a batch of locations.

    Args:
        canvases: ``(n, h, w)`` uint8 images.
        locations: ``(n, 2)`` locations ``(x, y)``; values outside [-1, 1] are clipped.
        size: ``g``, the side of each output patch in pixels.
        n_scales: ``k``, the number of scales.

    Returns:
        ``(n, k, g, g)`` float32 in [0, 1].
    """
    canvases = np.asarray(canvases, dtype=np.uint8)
    n, h, w = canvases.shape
    sensor = Retina(n, h, w, size=size, n_scales=n_scales)
    sensor.interior()[...] = canvases
    sensor.load()
    return sensor.read(locations_to_pixels(np.clip(locations, -1.0, 1.0), h, w))
