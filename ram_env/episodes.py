"""The glimpse-classification task: its settings, and its episodes advanced as a batch.

``GlimpseEnv`` runs ``GlimpseEpisodes`` with ``num_envs=1``; ``GlimpseVectorEnv`` runs ``num_envs`` of
them with the same array operations (see ``ram_env.batched_env``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ram_env import counter_rng
from ram_env.canvas import CanvasLayout
from ram_env.core import Episodes
from ram_env.datasets import SPLITS, load_dataset
from ram_env.validation import STARTS, check_int, validate_action

__all__ = ["GlimpseEpisodes", "GlimpseTask", "STARTS"]

# Stream keys of the fixed valid/test layouts, and the tag of a training episode's layout stream.
_SPLIT_KEYS = {"valid": np.uint64(0x76616C6964), "test": np.uint64(0x74657374)}
_LAYOUT_TAG = 0x6C61796F7574


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
            check_int(name, getattr(self, name), low)
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.clutter_size > self.canvas_size:
            raise ValueError(f"clutter_size {self.clutter_size} is larger than canvas_size {self.canvas_size}")

    def action_space(self, n_classes: int) -> spaces.Dict:
        """``Dict(location=Box(-1, 1, (2,), float32), label=Discrete(n_classes))``."""
        return spaces.Dict(
            {"location": spaces.Box(-1.0, 1.0, (2,), dtype=np.float32), "label": spaces.Discrete(n_classes)}
        )


class GlimpseEpisodes(Episodes):
    """``num_envs`` glimpse-classification episodes, reset and stepped with array operations.

    Args:
        task: the task settings.
        num_envs: number of episodes run side by side.
        group_size: envs per group (see ``Episodes``): the envs of a group show the same image on the same
            canvas, each from its own first-glimpse location.

    Attributes:
        image_index, label: ``(n,)`` int64, the image of each episode and its class.
        (and those of ``Episodes``: ``retina``, ``steps``, ``path``)
    """

    def __init__(self, task: GlimpseTask, num_envs: int, group_size: int = 1) -> None:
        super().__init__(
            num_envs, task.canvas_size, task.glimpse_size, task.n_scales, task.n_glimpses, group_size
        )
        self.task = task
        data = load_dataset(task.data_dir)
        self.n_classes = data.n_classes
        split = data.split(task.split)
        self._images, self._labels, self._clutter_pool = split.images, split.labels, data.train.images
        h, w = self._images.shape[1:]
        if task.canvas_size < max(h, w):
            raise ValueError(f"canvas_size {task.canvas_size} is smaller than the {h}x{w} images of {data.source}")
        if task.clutter_size > min(h, w):
            raise ValueError(f"clutter_size {task.clutter_size} is larger than the {h}x{w} images it is cut from")
        self.action_space = task.action_space(self.n_classes)
        self._layout = CanvasLayout(task.canvas_size, task.n_clutter, task.clutter_size)
        self.image_index = np.zeros(num_envs, dtype=np.int64)
        self.label = np.zeros(num_envs, dtype=np.int64)

    @property
    def n_images(self) -> int:
        """Number of images in the split."""
        return len(self._labels)

    def check_options(self, options: dict[str, Any], n: int) -> dict[str, np.ndarray]:
        """``image_index``: an int, or ``n`` of them, each in ``[0, n_images)``, the same within a group;
        and ``location`` (see ``Episodes.check_options``)."""
        checked = super().check_options({k: v for k, v in options.items() if k != "image_index"}, n, ("image_index",))
        if "image_index" not in options:
            return checked
        image_index = options["image_index"]
        index = np.asarray(image_index)
        if index.shape not in ((), (n,)) or not np.issubdtype(index.dtype, np.integer):
            raise ValueError(
                f"options['image_index'] must be an integer or integers of shape ({n},), got {image_index!r}"
            )
        if ((index < 0) | (index >= self.n_images)).any():
            raise ValueError(
                f"options['image_index'] must be in [0, {self.n_images}) for split {self.task.split!r}, "
                f"got {index.tolist()}"
            )
        index = np.broadcast_to(index, (n,)).astype(np.int64)
        m = self.group_size
        if m > 1 and n % m == 0 and (index.reshape(-1, m) != index.reshape(-1, m)[:, :1]).any():
            raise ValueError(
                f"options['image_index'] must be the same for the {m} envs of each group (group_size={m}), "
                f"got {index.tolist()}"
            )
        return {**checked, "image_index": index}

    def reset(self, ids: np.ndarray | None, options: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Draw images (or take ``options["image_index"]``), build canvases, take the first glimpses.

        The image and the canvas come from the group's shared stream, the first location from each env's own.

        Returns:
            ``(glimpse, location)``: ``(m, k, g, g)`` float32 and ``(m, 2)`` float32.
        """
        rows = self._rows if ids is None else ids
        task = self.task
        streams = self.next_streams(ids)
        shared = self.shared_streams(streams)
        draws = counter_rng.uniforms(streams, 3)  # column 0 (ungrouped: the image) is drawn from `shared`
        image_index = options.get("image_index")
        if image_index is None:
            image_index = (counter_rng.uniforms(shared, 1)[:, 0] * self.n_images).astype(np.int64)
        if "location" in options:
            location = options["location"]
        elif task.start == "random":
            location = (draws[:, 1:] * 2.0 - 1.0).astype(np.float32)
        else:
            location = np.zeros((len(rows), 2), dtype=np.float32)
        layout_keys = (
            counter_rng.derive_keys(shared, _LAYOUT_TAG)
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
        return self.first_glimpse(location, ids), location

    def parse_action(self, action: Any, batch: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``(location, label)``, see ``validate_action``."""
        return validate_action(action, batch, "label", self.n_classes)

    def step(self, parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Move every episode's retina to ``location`` and judge ``label`` where the episode ends.

        Args:
            parts: ``(location, label)``: ``(n, 2)`` float64 in [-1, 1] and ``(n,)`` int64 class guesses.

        Returns:
            ``(glimpse, location, reward, terminated)``: ``(n, k, g, g)`` float32, ``(n, 2)`` float32,
            ``(n,)`` float64 (1.0 for a correct final guess, else 0.0) and ``(n,)`` bool.
        """
        location, label = parts
        location = location.astype(np.float32)
        glimpse = self.next_glimpse(location)
        terminated = self.steps >= self.task.n_glimpses
        reward = (terminated & (label == self.label)).astype(np.float64)
        return glimpse, location, reward, terminated

    def info(self) -> dict[str, np.ndarray]:
        """``image_index`` of every episode."""
        return {"image_index": self.image_index.copy()}

    def final_info(self, parts: tuple[np.ndarray, np.ndarray], reward: np.ndarray) -> dict[str, np.ndarray]:
        """``label`` (the true class), ``prediction`` and ``is_correct``."""
        return {"label": self.label.copy(), "prediction": parts[1].copy(), "is_correct": reward == 1.0}
