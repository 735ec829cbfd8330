"""One split of an image dataset, read a batch of rows at a time.

The images stay where they are (in memory, or memory-mapped from disk): a split is a base array and the
rows of it that the split owns, and ``gather`` reads only the rows of a batch, so a dataset larger than
RAM works and nothing copies the whole array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ram_env.data.image_fit import fit_image

__all__ = ["ImageSplit"]


@dataclass(frozen=True, kw_only=True)
class ImageSplit:
    """The images and labels of one split.

    Attributes:
        base: ``(N, H, W, C)`` uint8, the images the split's rows point into (an array or a ``np.memmap``;
            never copied whole).
        labels: ``(n,)`` int64 class indices of the split's images, read-only.
        rows: ``(n,)`` int64, the split's rows of ``base``; None: all of them, in order.
        size: the side the images are fitted to when gathered (``ram_env.data.image_fit``); None: as stored.
        fit: the fit policy (``ram_env.data.image_fit.FITS``) used when ``size`` differs from the stored size.
    """

    base: np.ndarray
    labels: np.ndarray
    rows: np.ndarray | None = None
    size: int | None = None
    fit: str = "none"

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def channels(self) -> int:
        """``C``, colour channels per image."""
        return int(self.base.shape[3])

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(h, w)`` pixels of a gathered image."""
        size = self._fit_size
        return (size, size) if size is not None else (int(self.base.shape[1]), int(self.base.shape[2]))

    @property
    def _fit_size(self) -> int | None:
        """The side gathered images are fitted to; None when they are read as stored."""
        size = self.size
        return size if size is not None and tuple(self.base.shape[1:3]) != (size, size) else None

    def _base_rows(self, index: np.ndarray) -> np.ndarray:
        return index if self.rows is None else self.rows[index]

    def gather(self, index: np.ndarray) -> np.ndarray:
        """Images ``index`` (``(m,)`` int64 into the split), fitted: ``(m, C, h, w)`` uint8 (a fresh array
        of those rows only; the channel axis first, as the canvases hold them)."""
        images = self.base[self._base_rows(index)]
        size = self._fit_size
        if size is not None:
            images = np.stack([fit_image(image, size, self.fit) for image in images])
        return images.transpose(0, 3, 1, 2)

    def crops(self, index: np.ndarray, y: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
        """Of image ``index[j]``, the ``size``-pixel square with top-left pixel ``(y[j], x[j])``: ``(m, C,
        size, size)`` uint8 (the distractor crops of cluttered canvases: ``ram_env.canvas.ClutterPool``)."""
        if self._fit_size is None:
            return sliding_window_view(self.base, (size, size), axis=(1, 2))[self._base_rows(index), y, x]
        return sliding_window_view(self.gather(index), (size, size), axis=(2, 3))[np.arange(len(index)), :, y, x]
