"""``GlimpseImages-v0``: the glimpse-classification task over a user's own images (colour, any size; a
folder, arrays, or memory-mapped ``.npz``/``.npy`` files: ``ram_env.data.image_set``).

The task is the MNIST tasks' (``ram_env.classification``) with its dataset swapped: the same episodes,
spaces (the glimpse ``(k * C, g, g)`` for ``C`` channels), seed rules, fixed valid and test canvases,
``image_index`` option, translation and clutter on the canvas, and rendering, in colour.

Examples:
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import ram_env
    >>> images = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    >>> env = gym.make("GlimpseImages-v0", source=(images, np.arange(40) % 4), n_scales=2)
    >>> obs, info = env.reset(seed=0)
    >>> obs["glimpse"].shape, int(env.action_space["label"].n)
    ((6, 8, 8), 4)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ram_env.classification import ClutterControl, GlimpseEpisodes, GlimpseTask
from ram_env.core import BatchedEnv, BatchedVectorEnv
from ram_env.data.image_set import ImageSet, load_images

__all__ = ["IMAGES_ID", "ImageGlimpseEnv", "ImageGlimpseVectorEnv", "load_source"]

IMAGES_ID = "GlimpseImages-v0"
Source = str | os.PathLike | Mapping[str, Any] | tuple[Any, Any]
# The keyword arguments that choose and split the images (``load_images``'s); the rest set the task.
SOURCE_KEYS = ("source", "image_size", "fit", "valid_fraction", "test_fraction", "split_seed", "on_bad_file")


def load_source(**env_kwargs: Any) -> ImageSet:
    """The ``ImageSet`` an env made with ``env_kwargs`` plays (only ``SOURCE_KEYS`` are read)."""
    if "source" not in env_kwargs:
        raise ValueError(f"{IMAGES_ID} needs source=: a folder, an .npz file, a dict of arrays or (images, labels)")
    return load_images(**{key: value for key, value in env_kwargs.items() if key in SOURCE_KEYS})


def _task(
    data: ImageSet,
    canvas_size: int | None,
    n_clutter: int,
    clutter_size: int,
    n_glimpses: int,
    glimpse_size: int,
    n_scales: int,
    split: str,
    start: str,
) -> GlimpseTask:
    canvas = max(data.image_shape) if canvas_size is None else canvas_size
    return GlimpseTask(
        canvas_size=canvas,
        n_clutter=n_clutter,
        clutter_size=clutter_size,
        n_glimpses=n_glimpses,
        glimpse_size=glimpse_size,
        n_scales=n_scales,
        split=split,
        start=start,
    )


class ImageGlimpseEnv(ClutterControl, BatchedEnv[GlimpseEpisodes]):
    """``GlimpseEnv``'s task over your own images (``GlimpseImages-v0``).

    Observation ``Dict(glimpse=Box(0, 1, (k * C, g, g)), location=Box(-1, 1, (2,)))``: the retina reads
    every channel at every scale, scale-major (scale 0's ``C`` channels, then scale 1's, ...). Action
    ``Dict(location=Box(-1, 1, (2,)), label=Discrete(n_classes))``, ``n_classes`` from the data. Episodes,
    rewards, info, seeding, splits and reset options are ``GlimpseEnv``'s.

    Args:
        source: a folder (class subfolders of PNG/JPEG files, optionally under ``train/``, ``valid/``,
            ``test/``; or ``.npy`` files), an ``.npz`` file, a dict of arrays, or ``(images, labels)``
            (``ram_env.data.image_set``). A path is portable (checkpoints store it); arrays are not.
        image_size: fit every image to ``image_size x image_size`` pixels; None: as stored.
        fit: ``"none"`` (all one size already), ``"resize"`` or ``"pad"`` (``ram_env.data.image_fit``).
        canvas_size: side of the square canvas, pixels (>= the images); None: the images' larger side.
        n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start: as ``GlimpseEnv``.
        valid_fraction, test_fraction, split_seed: how splits the source lacks are carved from train.
        on_bad_file: ``"raise"`` (stop at an unreadable image file, naming it) or ``"skip"`` (leave it out
            and warn).
        render_mode: ``"rgb_array"`` or ``"human"``: the canvas in colour, the glimpse path and the squares.

    Raises:
        ImageDataError: bad data, naming the file or field (``ram_env.data.image_checks``).
        ValueError: a bad setting, naming it.
    """

    choice_key = "label"  # the action's discrete part (agents.evaluation reads it without making an env)

    def __init__(
        self,
        source: Source,
        *,
        image_size: int | None = None,
        fit: str = "none",
        canvas_size: int | None = None,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 3,
        split: str = "train",
        start: str = "random",
        valid_fraction: float = 0.1,
        test_fraction: float = 0.1,
        split_seed: int = 0,
        on_bad_file: str = "raise",
        render_mode: str | None = None,
    ) -> None:
        self.data = load_images(source, image_size, fit, valid_fraction, test_fraction, split_seed, on_bad_file)
        self.task = _task(
            self.data, canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start
        )
        super().__init__(GlimpseEpisodes(self.task, 1, data=self.data), render_mode)


class ImageGlimpseVectorEnv(ClutterControl, BatchedVectorEnv[GlimpseEpisodes]):
    """A natively batched ``ImageGlimpseEnv`` (``gym.make_vec("GlimpseImages-v0", num_envs=N, source=...)``).

    Sub-env ``i`` after ``reset(seed=s)`` plays exactly the episodes of an ``ImageGlimpseEnv`` reset with
    ``seed=s + i``; ``group_size``, autoreset and info are ``GlimpseVectorEnv``'s. Arguments are
    ``ImageGlimpseEnv``'s, plus ``num_envs`` and ``group_size``; ``render_mode`` may be "rgb_array".
    """

    choice_key = "label"  # the action's discrete part (agents.evaluation reads it without making an env)

    def __init__(
        self,
        num_envs: int,
        source: Source,
        *,
        image_size: int | None = None,
        fit: str = "none",
        canvas_size: int | None = None,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 3,
        split: str = "train",
        start: str = "random",
        valid_fraction: float = 0.1,
        test_fraction: float = 0.1,
        split_seed: int = 0,
        on_bad_file: str = "raise",
        render_mode: str | None = None,
        group_size: int = 1,
    ) -> None:
        self.data = load_images(source, image_size, fit, valid_fraction, test_fraction, split_seed, on_bad_file)
        self.task = _task(
            self.data, canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start
        )
        super().__init__(GlimpseEpisodes(self.task, num_envs, group_size, self.data), render_mode)
