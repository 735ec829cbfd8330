"""The Recurrent Attention Model's classification task (Mnih et al., 2014): ``GlimpseEnv`` and its natively
batched ``GlimpseVectorEnv``.

``GlimpseTask`` holds a task's settings (the keyword arguments of every classification id),
``GlimpseEpisodes`` runs ``num_envs`` of its episodes with array operations, and the two env classes run
them through ``ram_env.core``: ``GlimpseEnv`` one at a time, ``GlimpseVectorEnv`` ``num_envs`` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ram_env import counter_rng
from ram_env.canvas import CanvasLayout
from ram_env.core import BatchedEnv, BatchedVectorEnv, Episodes
from ram_env.data.datasets import load_dataset
from ram_env.data.image_set import ImageSet, mnist_image_set
from ram_env.data.splits import SPLITS
from ram_env.validation import STARTS, check_int, validate_action

__all__ = ["ClutterControl", "GlimpseEnv", "GlimpseEpisodes", "GlimpseTask", "GlimpseVectorEnv"]

# Stream keys of the fixed valid/test layouts, and the tag of a training episode's layout stream.
_SPLIT_KEYS = {"valid": np.uint64(0x76616C6964), "test": np.uint64(0x74657374)}
_LAYOUT_TAG = 0x6C61796F7574


@dataclass(frozen=True, kw_only=True)
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
        if self.n_clutter and self.clutter_size > self.canvas_size:
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
        data: the images (``ram_env.data.image_set``, any number of channels); None: the MNIST-format set of
            ``task.data_dir``.

    Attributes:
        image_index, label: ``(n,)`` int64, the image of each episode and its class.
        (and those of ``Episodes``: ``retina``, ``steps``, ``path``)
    """

    def __init__(self, task: GlimpseTask, num_envs: int, group_size: int = 1, data: ImageSet | None = None) -> None:
        data = mnist_image_set(load_dataset(task.data_dir)) if data is None else data
        super().__init__(
            num_envs,
            size=task.canvas_size,
            glimpse_size=task.glimpse_size,
            n_scales=task.n_scales,
            max_steps=task.n_glimpses,
            group_size=group_size,
            channels=data.channels,
        )
        self.task = task
        self._data = data
        self.n_classes = data.n_classes
        split = data.split(task.split)
        self._split, self._labels, self._clutter_pool = split, split.labels, data.train
        h, w = split.image_shape
        if task.canvas_size < max(h, w):
            raise ValueError(f"canvas_size {task.canvas_size} is smaller than the {h}x{w} images of {data.source}")
        if task.n_clutter and task.clutter_size > min(h, w):
            raise ValueError(f"clutter_size {task.clutter_size} is larger than the {h}x{w} images it is cut from")
        self.action_space = task.action_space(self.n_classes)
        self._layout = CanvasLayout(task.canvas_size, task.n_clutter, task.clutter_size)
        self._n_clutter = task.n_clutter
        self.image_index = np.zeros(num_envs, dtype=np.int64)
        self.label = np.zeros(num_envs, dtype=np.int64)

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state leaves out the split's arrays, which ``_data`` holds (a path source pickles as its
        path: ``ram_env.ImageSet``)."""
        state = self.__dict__.copy()
        for name in ("_split", "_labels", "_clutter_pool"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._split = self._data.split(self.task.split)
        self._labels, self._clutter_pool = self._split.labels, self._data.train

    def split_sizes(self) -> dict[str, int]:
        """The images of each split of the data (``ram_env.data.splits``)."""
        return {name: len(self._data.split(name).labels) for name in SPLITS}

    @property
    def n_images(self) -> int:
        """Number of images in the split."""
        return len(self._labels)

    @property
    def n_clutter(self) -> int:
        """Distractor crops on the canvases of the episodes reset from now on (``task.n_clutter`` unless set)."""
        return self._n_clutter

    @n_clutter.setter
    def n_clutter(self, value: int) -> None:
        check_int("n_clutter", value, 0)
        if value > self.task.n_clutter:
            raise ValueError(
                f"n_clutter can be lowered from the task's {self.task.n_clutter} but not raised above it, "
                f"got {value}: make the env with n_clutter={value} instead"
            )
        if value != self.task.n_clutter and self.task.split != "train":
            raise ValueError(
                f"n_clutter of a {self.task.split!r} env stays the task's {self.task.n_clutter}: its "
                "canvases are fixed, so that every agent is scored on the same ones"
            )
        self._n_clutter = int(value)

    def check_options(self, options: dict[str, Any], n: int, known: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """``image_index``: an int, or ``n`` of them, each in ``[0, n_images)``, the same within a group;
        and ``location`` (see ``Episodes.check_options``). A subclass's own options (named in ``known``)
        are passed on to it as they are."""
        others = {k: v for k, v in options.items() if k != "image_index"}
        checked = super().check_options(others, n, ("image_index", *known))
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
            ``(glimpse, location)``: ``(m, k * C, g, g)`` float32 and ``(m, 2)`` float32.
        """
        rows = self._rows if ids is None else ids
        task = self.task
        self._data.check_unchanged()  # memory-mapped files rewritten under the env would be misread
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
        canvas_rows = self.canvas_rows(ids)
        canvases = self.retina.interior(canvas_rows)  # (m * C, size, size)
        self._layout.build(
            self._split.gather(image_index),
            self._clutter_pool,
            counter_rng.uniforms(layout_keys, self._layout.n_uniforms),
            out=canvases.reshape(len(rows), self.channels, *canvases.shape[1:]),
            n_clutter=self._n_clutter,
        )
        self.retina.load(canvases, canvas_rows)
        self.image_index[rows] = image_index
        self.label[rows] = self._labels[image_index]
        return self.first_glimpse(location, ids), location

    def parse_action(self, action: Any, batch: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``(location, label)``, see ``validate_action``."""
        return validate_action(action, batch, "label", self.n_classes)

    def step(self, parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Move every episode's retina to ``location`` and judge ``label`` where the episode ends.

        Args:
            parts: ``(location, label)``: ``(n, 2)`` float64 in [-1, 1] and ``(n,)`` int64 class guesses.

        Returns:
            ``(glimpse, location, reward, terminated)``: ``(n, k * C, g, g)`` float32, ``(n, 2)`` float32,
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

    def final_info(self, parts: tuple[np.ndarray, ...], reward: np.ndarray) -> dict[str, np.ndarray]:
        """``label`` (the true class), ``prediction`` and ``is_correct``."""
        return {"label": self.label.copy(), "prediction": parts[1].copy(), "is_correct": reward == 1.0}


class ClutterControl:
    """The ``n_clutter`` of a live classification env (single or batched), for a curriculum.

    ``env.n_clutter = k`` (through wrappers: ``env.set_wrapper_attr("n_clutter", k)``; a batched env:
    ``envs.unwrapped.n_clutter = k``) lays only the first ``k`` of each canvas's distractor crops on the
    episodes reset from then on (those under way keep their canvas): the same draws as the full canvas,
    with fewer distractors. ``k`` goes from 0 to the task's ``n_clutter``, never above (make the env with
    more instead); on "valid" and "test" it stays the task's value (a ``ValueError`` otherwise), so every
    agent is scored on the same canvases.
    """

    _episodes: GlimpseEpisodes

    @property
    def n_clutter(self) -> int:
        """Distractor crops on the canvases of the episodes reset from now on."""
        return self._episodes.n_clutter

    @n_clutter.setter
    def n_clutter(self, value: int) -> None:
        self._episodes.n_clutter = value


class GlimpseEnv(ClutterControl, BatchedEnv[GlimpseEpisodes]):
    """The Recurrent Attention Model's task (Mnih et al., 2014) as a Gymnasium environment.

    ## Description
    An image (an MNIST digit, possibly translated on a larger canvas and surrounded by clutter) is
    hidden from the agent, which sees it only through a retina: ``k`` square patches centred on one
    location, patch ``i`` covering ``g * 2**i`` pixels, each area-averaged down to ``g x g`` pixels. At
    each step the agent chooses where to look next; at the last step it names the class.

    ## Action Space
    ``Dict(location=Box(-1, 1, (2,), float32), label=Discrete(n_classes))``. ``location`` is ``(x, y)``,
    ``(-1, -1)`` the top-left corner of the canvas and ``(0, 0)`` its centre; values outside [-1, 1] are
    clipped. ``label`` is read at the last step only. NaN or inf, a label out of range, or a wrongly
    shaped action raises ``ValueError`` naming the field.

    ## Observation Space
    ``Dict(glimpse=Box(0, 1, (k, g, g), float32), location=Box(-1, 1, (2,), float32))``: the retina
    patches (pixel values / 255, scale 0 first; outside the canvas reads 0) and the location they were
    taken at.

    ## Rewards
    0 at every step but the last, where it is 1.0 if ``label`` is the image's class, else 0.0.

    ## Starting State
    A random image of the split (or ``options={"image_index": i}``) on a fresh canvas; the first
    glimpse is at a uniformly random location (``start="center"``: at the centre;
    ``options={"location": (x, y)}``: there).

    ## Episode End
    After ``n_glimpses`` steps (terminated). The agent sees ``n_glimpses`` glimpses: the reset's and
    those of the first ``n_glimpses - 1`` steps. There is no truncation.

    ## Info
    ``image_index`` always; at the end also ``label`` (the true class, for the paper's hybrid
    supervised loss), ``prediction`` and ``is_correct``.

    ## Arguments
    ``canvas_size`` (pixels), ``n_clutter``, ``clutter_size`` (pixels), ``n_glimpses``, ``glimpse_size``
    (``g``, pixels), ``n_scales`` (``k``), ``split`` ("train": first 55,000 training images, canvases drawn
    afresh each episode; "valid": the last 5,000; "test": the 10,000 test images; on valid and test the
    canvas is a fixed function of the image index; see ``ram_env.data.splits``), ``start`` ("random" or
    "center"), ``data_dir`` (a folder of MNIST-format IDX files, default the MNIST shipped with ram_env),
    ``render_mode`` ("rgb_array" or "human"). See ``GlimpseTask``. The registered ids
    (``ram_env.ENV_IDS``) set the paper's values; every one can be overridden by keyword.

    ## Examples
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import ram_env
    >>> env = gym.make("GlimpseMNIST-v0", n_glimpses=2)
    >>> obs, info = env.reset(seed=0, options={"image_index": 7})
    >>> obs["glimpse"].shape, obs["location"].shape, info
    ((1, 8, 8), (2,), {'image_index': 7})
    >>> obs, reward, terminated, truncated, info = env.step({"location": np.zeros(2, np.float32), "label": 0})
    >>> reward, terminated, truncated
    (0.0, False, False)
    >>> obs, reward, terminated, truncated, info = env.step({"location": np.zeros(2, np.float32), "label": 3})
    >>> reward, terminated, info
    (1.0, True, {'image_index': 7, 'label': 3, 'prediction': 3, 'is_correct': True})
    """

    choice_key = "label"  # the action's discrete part (agents.evaluation reads it without making an env)

    def __init__(
        self,
        *,
        canvas_size: int = 28,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 1,
        split: str = "train",
        start: str = "random",
        data_dir: str | Path | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.task = GlimpseTask(
            canvas_size=canvas_size,
            n_clutter=n_clutter,
            clutter_size=clutter_size,
            n_glimpses=n_glimpses,
            glimpse_size=glimpse_size,
            n_scales=n_scales,
            split=split,
            start=start,
            data_dir=data_dir,
        )
        super().__init__(GlimpseEpisodes(self.task, 1), render_mode)


class GlimpseVectorEnv(ClutterControl, BatchedVectorEnv[GlimpseEpisodes]):
    """A natively batched ``GlimpseEnv``: same task, spaces batched, no Python loop over the envs.

    ``gym.make_vec(id, num_envs=N)`` builds one. Sub-env ``i`` after ``reset(seed=s)`` plays exactly the
    episodes of a ``GlimpseEnv`` reset with ``seed=s + i`` (Gymnasium's seeding convention).

    ``gym.make_vec(id, num_envs=N, group_size=M)`` (``N`` a multiple of ``M``) groups the envs ``0..M-1``,
    ``M..2M-1``, ...: in every episode the ``M`` envs of a group see the same image on the same canvas (on
    the train split drawn afresh for each group; on valid and test the image's fixed canvas), each from
    its own first-glimpse location; this is what several rollouts of one image (a leave-one-out
    baseline) need. The seed rule then holds whole for each group's first env (``i`` a multiple of
    ``M``); every other env ``i`` plays its group's images and canvases, from the first-glimpse locations
    of a ``GlimpseEnv`` seeded ``s + i``. Groups are reset together: a ``reset_mask`` and an
    ``image_index`` option must be the same within each group. ``group_size=1`` is the default.

    Autoreset is same-step: the step that ends an episode returns the first observation of the next one;
    ``info["final_obs"]`` (batched like the observation) and ``info["final_info"]`` (``image_index``,
    ``label``, ``prediction``, ``is_correct``) hold the ended ones, with ``_final_obs``/``_final_info``
    masks; ``info["image_index"]`` is always there. See ``ram_env.core.BatchedVectorEnv``.

    Arguments are ``GlimpseEnv``'s, plus ``num_envs`` and ``group_size``; ``render_mode`` may be "rgb_array".

    Examples:
        >>> import gymnasium as gym
        >>> import ram_env
        >>> envs = gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=4, group_size=2)
        >>> obs, info = envs.reset(seed=0, options={"image_index": [5, 5, 8, 8]})
        >>> obs["glimpse"].shape, obs["location"].shape, info["image_index"].tolist()
        ((4, 3, 12, 12), (4, 2), [5, 5, 8, 8])
    """

    choice_key = "label"  # the action's discrete part (agents.evaluation reads it without making an env)

    def __init__(
        self,
        num_envs: int,
        *,
        canvas_size: int = 28,
        n_clutter: int = 0,
        clutter_size: int = 8,
        n_glimpses: int = 6,
        glimpse_size: int = 8,
        n_scales: int = 1,
        split: str = "train",
        start: str = "random",
        data_dir: str | Path | None = None,
        render_mode: str | None = None,
        group_size: int = 1,
    ) -> None:
        self.task = GlimpseTask(
            canvas_size=canvas_size,
            n_clutter=n_clutter,
            clutter_size=clutter_size,
            n_glimpses=n_glimpses,
            glimpse_size=glimpse_size,
            n_scales=n_scales,
            split=split,
            start=start,
            data_dir=data_dir,
        )
        super().__init__(GlimpseEpisodes(self.task, num_envs, group_size), render_mode)
