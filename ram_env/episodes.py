"""Glimpse-classification episodes advanced as a batch: the engine behind both environment classes.

``GlimpseEnv`` runs one of these with ``num_envs=1``; ``GlimpseVectorEnv`` runs ``num_envs`` of them
with the same array operations, so both give the same glimpses, rewards and episodes for the same
per-episode seeds by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ram_env import counter_rng
from ram_env.canvas import CanvasLayout
from ram_env.datasets import SPLITS, load_dataset
from ram_env.retina import Retina, locations_to_pixels

__all__ = ["GlimpseEpisodes", "GlimpseTask", "STARTS"]

STARTS = ("random", "center")
# Stream keys of the fixed valid/test layouts, and the tag of a training episode's layout stream.
_SPLIT_KEYS = {"valid": np.uint64(0x76616C6964), "test": np.uint64(0x74657374)}
_LAYOUT_TAG = 0x6C61796F7574


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class GlimpseTask:
    """The settings of a glimpse-classification task (the keyword arguments every env id accepts).

    Attributes:
        canvas_size: side of the square canvas in pixels (28, 60, 100 in the paper).
        n_clutter: number of distractor crops on the canvas.
        clutter_size: side of each distractor crop in pixels.
        n_glimpses: glimpses per episode (= steps per episode).
        glimpse_size: side ``g`` of each retina patch after downsampling, in pixels.
        n_scales: number of retina scales ``k``; patch ``i`` covers ``g * 2**i`` pixels.
        split: "train", "valid" or "test".
        start: "random" (first glimpse at a uniformly random location) or "center".
        data_dir: folder of MNIST-format IDX files; None for the MNIST shipped with ram_env.
    """

    canvas_size: int = 28
    n_clutter: int = 0
    clutter_size: int = 8
    n_glimpses: int = 6
    glimpse_size: int = 8
    n_scales: int = 1
    split: str = "train"
    start: str = "random"
    data_dir: str | Path | None = None

    def __post_init__(self) -> None:
        for name, low in (
            ("canvas_size", 1),
            ("n_clutter", 0),
            ("clutter_size", 1),
            ("n_glimpses", 1),
            ("glimpse_size", 1),
            ("n_scales", 1),
        ):
            _check_int(name, getattr(self, name), low)
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.clutter_size > self.canvas_size:
            raise ValueError(f"clutter_size {self.clutter_size} is larger than canvas_size {self.canvas_size}")

    def observation_space(self) -> spaces.Dict:
        """``Dict(glimpse=Box(0, 1, (k, g, g)), location=Box(-1, 1, (2,)))``, float32."""
        k, g = self.n_scales, self.glimpse_size
        return spaces.Dict(
            {
                "glimpse": spaces.Box(0.0, 1.0, (k, g, g), dtype=np.float32),
                "location": spaces.Box(-1.0, 1.0, (2,), dtype=np.float32),
            }
        )

    def action_space(self, n_classes: int) -> spaces.Dict:
        """``Dict(location=Box(-1, 1, (2,), float32), label=Discrete(n_classes))``."""
        return spaces.Dict(
            {"location": spaces.Box(-1.0, 1.0, (2,), dtype=np.float32), "label": spaces.Discrete(n_classes)}
        )


def validate_action(action: Any, batch: tuple[int, ...], n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Check an action (single: ``batch=()``, batched: ``batch=(n,)``) and return its parts.

    Returns:
        ``(location, label)``: ``batch + (2,)`` float64 clipped to [-1, 1], and ``batch`` int64.

    Raises:
        ValueError: not a mapping with "location" and "label", a wrongly shaped field, a location with NaN
            or inf, or a label that is not an integer in ``[0, n_classes)``; the message names the field.
    """
    if not isinstance(action, Mapping) or "location" not in action or "label" not in action:
        raise ValueError(
            "action must be a dict with keys 'location' (x, y in [-1, 1]) and 'label' (class index), got "
            f"{type(action).__name__}{'' if not isinstance(action, Mapping) else ' with keys ' + str(list(action))}"
        )
    try:
        location = np.asarray(action["location"], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"action['location'] must be numbers (x, y), got {action['location']!r}") from exc
    if location.shape != batch + (2,):
        raise ValueError(f"action['location'] must have shape {batch + (2,)}, got {location.shape}")
    if not np.isfinite(location).all():
        raise ValueError(f"action['location'] must be finite, got NaN or inf in {location.tolist()}")
    label = np.asarray(action["label"])
    if label.shape != batch:
        raise ValueError(f"action['label'] must have shape {batch}, got {label.shape}")
    if not np.issubdtype(label.dtype, np.integer) or ((label < 0) | (label >= n_classes)).any():
        raise ValueError(f"action['label'] must be an integer class in [0, {n_classes}), got {label.tolist()}")
    return np.clip(location, -1.0, 1.0), label.astype(np.int64)


class GlimpseEpisodes:
    """``num_envs`` glimpse-classification episodes, reset and stepped with array operations.

    Args:
        task: the task settings.
        num_envs: number of episodes run side by side.

    Attributes:
        image_index, label: ``(n,)`` int64, the image of each episode and its class.
        steps: ``(n,)`` int64, steps taken in each episode.
        path: ``(n, n_glimpses + 1, 2)`` float32, the locations glimpsed so far (row 0 from reset).
        retina: the ``Retina`` holding the episodes' canvases.
    """

    def __init__(self, task: GlimpseTask, num_envs: int) -> None:
        _check_int("num_envs", num_envs, 1)
        self.task, self.num_envs = task, num_envs
        data = load_dataset(task.data_dir)
        self.n_classes = data.n_classes
        split = data.split(task.split)
        self._images, self._labels, self._clutter_pool = split.images, split.labels, data.train.images
        h, w = self._images.shape[1:]
        if task.canvas_size < max(h, w):
            raise ValueError(f"canvas_size {task.canvas_size} is smaller than the {h}x{w} images of {data.source}")
        if task.clutter_size > min(h, w):
            raise ValueError(f"clutter_size {task.clutter_size} is larger than the {h}x{w} images it is cut from")
        size = task.canvas_size
        self.retina = Retina(num_envs, size, size, task.glimpse_size, task.n_scales)
        self._layout = CanvasLayout(size, task.n_clutter, task.clutter_size)
        self._keys = np.zeros(num_envs, dtype=np.uint64)
        self._episodes = np.zeros(num_envs, dtype=np.uint64)
        self.image_index = np.zeros(num_envs, dtype=np.int64)
        self.label = np.zeros(num_envs, dtype=np.int64)
        self.steps = np.zeros(num_envs, dtype=np.int64)
        self.path = np.zeros((num_envs, task.n_glimpses + 1, 2), dtype=np.float32)
        self._rows = np.arange(num_envs)

    @property
    def n_images(self) -> int:
        """Number of images in the split."""
        return len(self._labels)

    def seed(self, seeds: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Start the random streams of the episodes ``ids`` (default all) from integer ``seeds``.

        The episodes after seeding with ``s`` are the same in any env and at any batch position.
        """
        ids = slice(None) if ids is None else ids
        self._keys[ids] = counter_rng.mix64(np.asarray(seeds).astype(np.uint64))
        self._episodes[ids] = 0

    def check_image_index(self, image_index: Any, batch: tuple[int, ...]) -> np.ndarray:
        """Validate a reset option ``image_index`` (an int, or one per episode) and return it as int64."""
        index = np.asarray(image_index)
        if index.shape not in ((), batch) or not np.issubdtype(index.dtype, np.integer):
            raise ValueError(
                f"options['image_index'] must be an integer or integers of shape {batch}, got {image_index!r}"
            )
        if ((index < 0) | (index >= self.n_images)).any():
            raise ValueError(
                f"options['image_index'] must be in [0, {self.n_images}) for split {self.task.split!r}, "
                f"got {index.tolist()}"
            )
        return np.broadcast_to(index, batch).astype(np.int64)

    def reset(
        self, ids: np.ndarray | None = None, image_index: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Start new episodes for ``ids`` (default all): draw images, build canvases, take the first glimpse.

        Args:
            ids: which episodes, an int array.
            image_index: the image of each, ``(len(ids),)`` int64; None draws them at random.

        Returns:
            ``(glimpse, location)``: ``(m, k, g, g)`` float32 and ``(m, 2)`` float32.
        """
        rows = self._rows if ids is None else ids
        task = self.task
        streams = counter_rng.derive_keys(self._keys[rows], self._episodes[rows])
        self._episodes[rows] += np.uint64(1)
        draws = counter_rng.uniforms(streams, 3)
        if image_index is None:
            image_index = (draws[:, 0] * self.n_images).astype(np.int64)
        if task.start == "random":
            location = (draws[:, 1:] * 2.0 - 1.0).astype(np.float32)
        else:
            location = np.zeros((len(rows), 2), dtype=np.float32)
        layout_keys = (
            counter_rng.derive_keys(streams, _LAYOUT_TAG)
            if task.split == "train"
            else counter_rng.derive_keys(_SPLIT_KEYS[task.split], image_index)
        )
        canvases = self.retina.interior(ids)
        self._layout.build(
            self._images[image_index],
            self._clutter_pool,
            counter_rng.uniforms(layout_keys, self._layout.n_uniforms),
            out=canvases,
        )
        self.retina.load(canvases, ids)
        self.image_index[rows] = image_index
        self.label[rows] = self._labels[image_index]
        self.steps[rows] = 0
        self.path[rows, 0] = location
        return self._read(location, ids), location

    def step(self, location: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Move every episode's retina to ``location`` and judge ``label`` where the episode ends.

        Args:
            location: ``(n, 2)`` float64 in [-1, 1] (see ``validate_action``).
            label: ``(n,)`` int64 class guesses.

        Returns:
            ``(glimpse, location, reward, terminated)``: ``(n, k, g, g)`` float32, ``(n, 2)`` float32,
            ``(n,)`` float64 (1.0 for a correct final guess, else 0.0) and ``(n,)`` bool.
        """
        self.steps += 1
        terminated = self.steps >= self.task.n_glimpses
        location = location.astype(np.float32)
        self.path[self._rows, np.minimum(self.steps, self.task.n_glimpses)] = location
        reward = (terminated & (label == self.label)).astype(np.float64)
        return self._read(location, None), location, reward, terminated

    def _read(self, location: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
        size = self.task.canvas_size
        return self.retina.read(locations_to_pixels(location, size, size), ids)

    def canvas(self, index: int) -> np.ndarray:
        """The ``(size, size)`` uint8 canvas of episode ``index``."""
        p, size = self.retina.pad, self.task.canvas_size
        return self.retina.canvases[index, p : p + size, p : p + size]
