"""Pictures of glimpse episodes: the canvas, a square per retina scale, and the path of the glimpses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # matplotlib is optional (ram-env[render]) and imported when a window opens
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

__all__ = ["SCALE_COLOURS", "HumanWindow", "canvas_rgb", "draw_glimpses"]

# RGB colour of the square of each scale (finest first), and of the path.
SCALE_COLOURS = ((0, 255, 0), (255, 170, 0), (255, 60, 60), (190, 90, 255), (0, 200, 255))
_PATH_COLOUR = (255, 255, 0)
_MIN_SIDE = 280  # pixels: canvases are upscaled by a whole factor to at least this side


def canvas_rgb(canvas: np.ndarray) -> np.ndarray:
    """A canvas as ``(h, w, 3)`` uint8 RGB: ``(h, w)`` or ``(h, w, 1)`` grayscale is repeated, ``(h, w, 3)``
    is taken as RGB, and any other number of channels is shown as the grayscale of their mean."""
    if canvas.ndim == 3 and canvas.shape[2] == 3:
        return np.ascontiguousarray(canvas)
    if canvas.ndim == 2 or canvas.shape[2] == 1:
        gray = canvas.reshape(canvas.shape[:2])
    else:
        gray = canvas.mean(axis=2).round().astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(gray), cv2.COLOR_GRAY2RGB)


def draw_glimpses(canvas: np.ndarray, path: np.ndarray, size: int, n_scales: int) -> np.ndarray:
    """Draw an episode so far.

    Args:
        canvas: ``(h, w)`` or ``(h, w, C)`` uint8 (``canvas_rgb`` says how channels are shown).
        path: ``(t, 2)`` locations ``(x, y)`` in [-1, 1] glimpsed so far, oldest first; the squares mark
            the last one.
        size: retina patch side ``g`` in pixels.
        n_scales: number of retina scales.

    Returns:
        ``(H, W, 3)`` uint8 RGB, the canvas upscaled by a whole factor to at least 280 pixels a side.
    """
    h, w = canvas.shape[:2]
    zoom = max(1, -(-_MIN_SIDE // min(h, w)))
    image = cv2.resize(canvas_rgb(canvas), (w * zoom, h * zoom), interpolation=cv2.INTER_NEAREST)
    points = np.round((np.asarray(path, dtype=np.float64) + 1.0) / 2.0 * [w * zoom, h * zoom]).astype(np.int32)
    if len(points) > 1:
        cv2.polylines(image, [points.reshape(-1, 1, 2)], isClosed=False, color=_PATH_COLOUR, thickness=1)
    for x, y in points:
        cv2.circle(image, (int(x), int(y)), 2, _PATH_COLOUR, thickness=-1)
    if len(points):
        x, y = points[-1]
        for i in range(n_scales):
            half = size * 2**i * zoom // 2
            colour = SCALE_COLOURS[i % len(SCALE_COLOURS)]
            cv2.rectangle(image, (int(x) - half, int(y) - half), (int(x) + half, int(y) + half), colour, 1)
    return image


class HumanWindow:
    """A matplotlib window that shows frames as they come (render_mode="human")."""

    def __init__(self, title: str, fps: int) -> None:
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                'render_mode="human" needs matplotlib: pip install "ram-env[render]" (or use render_mode="rgb_array")'
            ) from exc
        self._plt, self._fps, self._title = plt, fps, title
        self._figure: Figure | None = None
        self._artist: AxesImage | None = None

    def show(self, frame: np.ndarray) -> None:
        """Show ``frame`` (``(H, W, 3)`` uint8) and let the window draw."""
        plt = self._plt
        if self._figure is None or self._artist is None or not plt.fignum_exists(self._figure.number):
            self._figure = plt.figure(self._title)
            axes = self._figure.add_subplot()
            axes.set_axis_off()
            self._artist = axes.imshow(frame)
        else:
            self._artist.set_data(frame)
        if plt.get_backend().lower() == "agg":  # no display: nothing to show, nothing to wait for
            self._figure.canvas.draw()
        else:
            plt.pause(1.0 / self._fps)

    def close(self) -> None:
        """Close the window, if open."""
        if self._figure is not None:
            self._plt.close(self._figure)
            self._figure = None
