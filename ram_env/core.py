"""The batched-episodes machinery every ram_env task is built on: a batch of episodes, and the two base env
classes that run one.

A task is an ``Episodes`` subclass: ``num_envs`` episodes reset and stepped with array operations.
``BatchedEnv`` runs one of them as a ``gymnasium.Env``; ``BatchedVectorEnv`` runs ``num_envs`` as a
natively batched ``gymnasium.vector.VectorEnv`` with same-step autoreset. Both drive the same code, so
sub-env ``i`` of a vector env reset with ``seed=s`` plays exactly the episodes of a single env reset
with ``seed=s + i``. The tasks and their env classes: ``ram_env.classification`` and ``ram_env.catch``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ram_env import counter_rng
from ram_env.rendering import HumanWindow, draw_glimpses
from ram_env.retina import Retina, locations_to_pixels
from ram_env.validation import check_int, check_options, check_render_mode, check_seed

__all__ = ["BatchedEnv", "BatchedVectorEnv", "Episodes"]

EpisodesT = TypeVar("EpisodesT", bound="Episodes")  # the task an env class runs


class Episodes(ABC):
    """``num_envs`` episodes of one task seen through a retina, advanced together.

    Each episode's random choices come from its own counter-based stream: the stream of the ``j``-th
    episode since ``seed(s)`` is a function of ``(s, j)`` alone, whatever the batch.

    Episodes come in groups of ``group_size`` consecutive envs (``0..M-1``, ``M..2M-1``, ...) that are
    reset together and share what they show (the image and its canvas, or the ball's start): those
    draws come from the stream of the group's first env (``shared_streams``), while each env keeps its
    own stream for the rest (its first-glimpse location). ``group_size=1`` is the ungrouped task.

    Args:
        num_envs: episodes run side by side.
        size: side of the square canvas (or screen) in pixels.
        glimpse_size, n_scales: the retina's patch side ``g`` and number of scales ``k``.
        max_steps: the most steps an episode takes.
        group_size: envs per group; ``num_envs`` must be a multiple of it.
        channels: ``C``, colour channels of each canvas (1: grayscale). The retina holds ``num_envs * C``
            single-channel canvases (episode ``e``'s channel ``c`` is canvas ``e * C + c``) and a glimpse
            is ``(k * C, g, g)``, scale-major: scale 0's ``C`` channels, then scale 1's, ... (for ``C = 1``
            the ``(k, g, g)`` of a grayscale task; docs/design.md says why).

    Attributes:
        observation_space, action_space: the spaces of one episode.
        retina: the ``Retina`` holding the episodes' canvases.
        steps: ``(n,)`` int64 steps taken in each episode.
        path: ``(n, max_steps + 1, 2)`` float32, the locations glimpsed so far (row 0 at reset).
    """

    action_space: spaces.Dict

    def __init__(
        self,
        num_envs: int,
        *,
        size: int,
        glimpse_size: int,
        n_scales: int,
        max_steps: int,
        group_size: int = 1,
        channels: int = 1,
    ) -> None:
        check_int("num_envs", num_envs, 1)
        check_int("group_size", group_size, 1)
        if num_envs % group_size:
            raise ValueError(f"num_envs ({num_envs}) must be a multiple of group_size ({group_size})")
        self.num_envs, self.size, self.max_steps, self.group_size = num_envs, size, max_steps, group_size
        self.channels = channels
        self.observation_space = spaces.Dict(
            {
                "glimpse": spaces.Box(0.0, 1.0, (n_scales * channels, glimpse_size, glimpse_size), dtype=np.float32),
                "location": spaces.Box(-1.0, 1.0, (2,), dtype=np.float32),
            }
        )
        self.retina = Retina(num_envs * channels, size, size, size=glimpse_size, n_scales=n_scales)
        self.steps = np.zeros(num_envs, dtype=np.int64)
        self.path = np.zeros((num_envs, max_steps + 1, 2), dtype=np.float32)
        self._keys = np.zeros(num_envs, dtype=np.uint64)
        self._episodes = np.zeros(num_envs, dtype=np.uint64)
        self._rows = np.arange(num_envs)

    def seed(self, seeds: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Start the random streams of the episodes ``ids`` (default all) from integer ``seeds``."""
        rows = slice(None) if ids is None else ids
        self._keys[rows] = counter_rng.mix64(np.asarray(seeds).astype(np.uint64))
        self._episodes[rows] = 0

    def next_streams(self, ids: np.ndarray | None) -> np.ndarray:
        """The stream keys of the next episodes of ``ids`` (default all), counting them as started."""
        rows = self._rows if ids is None else ids
        streams = counter_rng.derive_keys(self._keys[rows], self._episodes[rows])
        self._episodes[rows] += np.uint64(1)
        return streams

    def check_groups(self, ids: np.ndarray | None) -> None:
        """Raise ``ValueError`` unless the episodes ``ids`` (default all) are whole groups."""
        m = self.group_size
        if m == 1 or ids is None:
            return
        rows = np.asarray(ids)
        groups = rows.reshape(-1, m) if len(rows) % m == 0 else None
        if groups is None or (groups[:, 0] % m).any() or (groups != groups[:, :1] + np.arange(m)).any():
            raise ValueError(
                f"envs are reset in whole groups of group_size={m} consecutive envs, got envs {rows.tolist()}: "
                "make a reset mask True for all the envs of a group or for none"
            )

    def shared_streams(self, streams: np.ndarray) -> np.ndarray:
        """The keys of what episodes share with their group: for each of ``streams`` (``next_streams`` of
        whole groups), the key of its group's first env. ``streams`` itself when ungrouped."""
        return streams if self.group_size == 1 else np.repeat(streams[:: self.group_size], self.group_size)

    def check_options(self, options: dict[str, Any], n: int, known: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """Validate reset options for ``n`` episodes; return per-episode ``(n, ...)`` arrays.

        Every task takes ``location``: where the first glimpse is taken, ``(x, y)`` in [-1, 1] for all the
        episodes or ``(n, 2)`` one each (instead of the ``start`` rule). A subclass checks its own options
        (named in ``known``) and passes them here.
        """
        unknown = set(options) - {"location", *known}
        if unknown:
            names = ", ".join(repr(name) for name in ("location", *known))
            raise ValueError(f"unknown reset options {sorted(unknown)}: {type(self).__name__} takes {names}")
        if "location" not in options:
            return {}
        try:
            location = np.asarray(options["location"], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"options['location'] must be numbers (x, y), got {options['location']!r}") from exc
        if location.shape not in ((2,), (n, 2)) or not np.isfinite(location).all() or np.abs(location).max() > 1:
            raise ValueError(
                f"options['location'] must be (x, y) or ({n}, 2) values in [-1, 1], got {options['location']!r}"
            )
        return {"location": np.broadcast_to(location, (n, 2)).astype(np.float32)}

    @abstractmethod
    def reset(self, ids: np.ndarray | None, options: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Start episodes ``ids`` (default all) with checked ``options`` for them; return (glimpse, location)."""

    @abstractmethod
    def parse_action(self, action: Any, batch: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """Validate an action (``batch=()`` single, ``(n,)`` batched); return its parts batched, location first."""

    @abstractmethod
    def step(self, parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step every episode; return (glimpse, location, reward float64, terminated bool), all batched."""

    @abstractmethod
    def split_sizes(self) -> dict[str, int]:
        """The episodes of each split ("train", "valid", "test") under this task's settings: its dataset's
        images, or a game's blocks of seeds (``ram_env.data.splits``)."""

    @abstractmethod
    def info(self) -> dict[str, np.ndarray]:
        """The info every step and reset carries, one ``(n,)`` array per key."""

    @abstractmethod
    def final_info(self, parts: tuple[np.ndarray, ...], reward: np.ndarray) -> dict[str, np.ndarray]:
        """The info of an episode's last step (meaningful where it ended), one ``(n,)`` array per key."""

    def first_glimpse(self, location: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
        """Start the paths of episodes ``ids`` (default all) at ``location`` (``(m, 2)`` float32); glimpse there."""
        rows = self._rows if ids is None else ids
        self.steps[rows] = 0
        self.path[rows, 0] = location
        return self._read(location, ids)

    def next_glimpse(self, location: np.ndarray) -> np.ndarray:
        """Count a step of every episode, record ``location`` (``(n, 2)`` float32) and glimpse there."""
        self.steps += 1
        self.path[self._rows, np.minimum(self.steps, self.max_steps)] = location
        return self._read(location, None)

    def canvas_rows(self, ids: np.ndarray | None) -> np.ndarray | None:
        """The retina's canvases of episodes ``ids`` (``(m,)``): ``(m * C,)``, each episode's ``C`` channels
        in order; None (all) stays None."""
        c = self.channels
        if ids is None or c == 1:
            return ids
        return (np.asarray(ids)[:, None] * c + np.arange(c)).reshape(-1)

    def _read(self, location: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
        """Glimpses of episodes ``ids`` (default all) at ``location`` (``(m, 2)``): ``(m, k * C, g, g)`` float32."""
        centres = locations_to_pixels(location, self.size, self.size)
        c = self.channels
        if c == 1:
            return self.retina.read(centres, ids)
        patches = self.retina.read(np.repeat(centres, c, axis=0), self.canvas_rows(ids))  # (m * C, k, g, g)
        m, k, g = len(location), self.retina.n_scales, self.retina.size
        return np.ascontiguousarray(patches.reshape(m, c, k, g, g).transpose(0, 2, 1, 3, 4)).reshape(m, k * c, g, g)

    def frame(self, index: int) -> np.ndarray:
        """An RGB picture of episode ``index``: its canvas, glimpse path so far and the retina's squares."""
        p, size, c = self.retina.pad, self.size, self.channels
        canvas = self.retina.canvases[index * c : (index + 1) * c, p : p + size, p : p + size]
        path = self.path[index, : self.steps[index] + 1]
        return draw_glimpses(canvas.transpose(1, 2, 0), path, self.retina.size, self.retina.n_scales)


class BatchedEnv(gym.Env, Generic[EpisodesT]):
    """A ``gymnasium.Env`` playing one episode of an ``Episodes`` task at a time."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 4}
    choice_key: ClassVar[str]  # the name of the action's discrete part: "label" (a classification) or "move"

    def __init__(self, episodes: EpisodesT, render_mode: str | None = None) -> None:
        check_render_mode(render_mode, self.metadata["render_modes"])
        self._episodes = episodes
        self.observation_space = episodes.observation_space
        self.action_space = episodes.action_space
        self.render_mode = render_mode
        self._window: HumanWindow | None = None
        self._started = self._done = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """Start an episode and take its first glimpse.

        Args:
            seed: an integer in ``[0, 2**64)`` restarts the episodes' random stream (the same seed gives the
                same episodes); None continues it.
            options: the task's reset options (its class docstring's Starting State; ``Episodes.check_options``),
                e.g. ``{"location": (x, y)}`` in [-1, 1], the first glimpse there.

        Returns:
            ``(observation, info)``: ``{"glimpse": (k, g, g) float32 in [0, 1], "location": (2,) float32}`` and
            the task's ``info`` (its class docstring's Info) as Python scalars.

        Raises:
            ValueError: a bad seed or option; the message names it.
        """
        seeds = check_seed(seed)
        super().reset(seed=None if seeds is None else int(seeds))
        episodes = self._episodes
        checked = episodes.check_options(check_options(options), 1)
        if seeds is not None:
            episodes.seed(seeds[None])
        elif not self._started:
            episodes.seed(self.np_random.integers(0, 2**63 - 1, size=1))
        glimpse, location = episodes.reset(None, checked)
        self._started, self._done = True, False
        if self.render_mode == "human":
            self.render()
        return {"glimpse": glimpse[0], "location": location[0]}, self._single(episodes.info())

    def step(self, action: dict[str, Any]) -> tuple[dict, float, bool, bool, dict]:
        """Move the retina to ``action["location"]``, act with the task's choice, and glimpse.

        Args:
            action: ``{"location": (x, y) floats, clipped to [-1, 1], CHOICE: int}``, CHOICE the task's
                (``"label"`` in [0, n_classes), or Catch's ``"move"``: 0 left, 1 stay, 2 right).

        Returns:
            ``(observation, reward, terminated, truncated, info)``: the observation as ``reset``'s; the
            reward and the end as the class docstring's Rewards and Episode End; ``truncated`` is always
            False, and the step that ends the episode adds the task's ``final_info`` to ``info``.

        Raises:
            ValueError: a malformed action (``Episodes.parse_action``).
            RuntimeError: called before ``reset`` or after the episode ended.
        """
        if not self._started or self._done:
            raise RuntimeError("step() called before reset() or after the episode ended: call reset() first")
        episodes = self._episodes
        parts = episodes.parse_action(action, ())
        glimpse, location, reward, terminated = episodes.step(tuple(part[None] for part in parts))
        info = self._single(episodes.info())
        self._done = bool(terminated[0])
        if self._done:
            info.update(self._single(episodes.final_info(parts, reward)))
        if self.render_mode == "human":
            self.render()
        return {"glimpse": glimpse[0], "location": location[0]}, float(reward[0]), self._done, False, info

    @staticmethod
    def _single(batched: dict[str, np.ndarray]) -> dict[str, Any]:
        return {key: np.asarray(value).reshape(-1)[0].item() for key, value in batched.items()}

    def render(self) -> np.ndarray | None:
        """An RGB picture of the episode so far ("rgb_array"), or the same shown in a window ("human")."""
        if self.render_mode is None:
            gym.logger.warn('render() called without a render_mode: make the env with render_mode="rgb_array"')
            return None
        if not self._started:
            raise RuntimeError("render() called before reset(): call reset() first")
        frame = self._episodes.frame(0)
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = HumanWindow(type(self).__name__, self.metadata["render_fps"])
        self._window.show(frame)
        return None

    def split_sizes(self) -> dict[str, int]:
        """The episodes of each split ("train", "valid", "test") of this env's task and data: what an
        evaluation over a whole split plays (images, or games for Catch)."""
        return self._episodes.split_sizes()

    def close(self) -> None:
        """Close the render window, if any."""
        if self._window is not None:
            self._window.close()
            self._window = None


class BatchedVectorEnv(VectorEnv, Generic[EpisodesT]):
    """A natively batched ``VectorEnv`` over an ``Episodes`` task: one array operation per step for all envs.

    Autoreset is same-step (``metadata["autoreset_mode"]``, as stable-baselines3's VecEnv): the step that
    ends an episode returns the first observation of the next one, and its ``info`` holds the ended
    episodes under ``final_obs`` and ``final_info``, with ``_final_obs``/``_final_info`` masks. Unlike
    ``SyncVectorEnv``, whose ``final_obs`` is an object array of per-env dicts, ``final_obs`` here is
    batched like the observation, so that no step loops over the envs. Every info value is an array over
    the envs, each key ``key`` with a boolean mask ``_key`` (Gymnasium's vector info convention).

    ``reset(seed=s)`` seeds sub-env ``i`` with ``s + i`` (or takes one seed per env); ``options`` may hold
    ``reset_mask`` (a bool array: reset only those envs) and the task's own options, one value for all
    envs or one per env. ``render_mode="rgb_array"`` makes ``render()`` return one picture per env.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4, "autoreset_mode": AutoresetMode.SAME_STEP}
    choice_key: ClassVar[str]  # the name of the action's discrete part: "label" (a classification) or "move"

    def __init__(self, episodes: EpisodesT, render_mode: str | None = None) -> None:
        check_render_mode(render_mode, self.metadata["render_modes"])
        self._episodes = episodes
        self.num_envs = n = episodes.num_envs
        self.single_observation_space = episodes.observation_space
        self.single_action_space = episodes.action_space
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.render_mode = render_mode
        self._started = False
        self._all = np.ones(n, dtype=bool)

    def _check_reset_mask(self, options: dict[str, Any]) -> np.ndarray | None:
        mask = options.get("reset_mask")
        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.shape != (self.num_envs,) or mask.dtype != np.bool_ or not mask.any():
            raise ValueError(
                f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) with a True, got {mask!r}"
            )
        return mask

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start new episodes in every env, or in those of ``options["reset_mask"]``.

        Args:
            seed: an integer ``s`` in ``[0, 2**64)`` seeds env ``i`` with ``s + i``; a list seeds each env;
                None continues the streams.
            options: ``"reset_mask"``: ``(num_envs,)`` bool, the envs to restart (after a first full reset);
                the task's options (its class docstring's Starting State) as one value for all envs or one
                per env, e.g. ``"location"``: ``(x, y)`` or ``(num_envs, 2)`` in [-1, 1].

        Returns:
            ``(observation, info)``: ``{"glimpse": (num_envs, k, g, g) float32, "location": (num_envs, 2)
            float32}`` and the task's info, each key with its ``_key`` mask of the envs reset.

        Raises:
            ValueError: a bad seed or option; the message names it.
        """
        n, episodes = self.num_envs, self._episodes
        seeds = check_seed(seed, n)
        super().reset(seed=None if seeds is None else int(seeds.reshape(-1)[0]))
        options = check_options(options)
        mask = self._check_reset_mask(options)
        options.pop("reset_mask", None)
        checked = episodes.check_options(options, n)
        ids = None if mask is None or mask.all() else np.flatnonzero(mask)
        episodes.check_groups(ids)
        if ids is not None and not self._started:
            raise ValueError(
                "options['reset_mask'] resets only some envs, but none has started yet: call reset() without "
                "reset_mask first"
            )
        if seeds is not None:  # one seed s: env i gets s + i (modulo 2**64)
            seeds = seeds + np.arange(n, dtype=np.uint64) if seeds.ndim == 0 else seeds
            episodes.seed(seeds if ids is None else seeds[ids], ids)
        elif not self._started:
            episodes.seed(self.np_random.integers(0, 2**63 - 1, size=n))
        glimpse, location = episodes.reset(ids, checked if ids is None else {k: v[ids] for k, v in checked.items()})
        self._started = True
        if ids is None:
            self._glimpse, self._location = glimpse, location
        else:  # copies: the arrays returned by the last step stay as they were
            self._glimpse, self._location = self._glimpse.copy(), self._location.copy()
            self._glimpse[ids], self._location[ids] = glimpse, location
        reset = self._all if ids is None or mask is None else mask  # ids come from mask
        info = {}
        for key, value in episodes.info().items():
            info[key], info[f"_{key}"] = np.where(reset, value, 0).astype(value.dtype), reset.copy()
        return {"glimpse": self._glimpse.copy(), "location": self._location.copy()}, info

    def step(
        self, actions: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every env; where an episode ends, report it in ``final_obs`` and ``final_info`` (with their
        masks) and start the next one (same-step autoreset).

        Args:
            actions: ``{"location": (num_envs, 2) floats, clipped to [-1, 1], CHOICE: (num_envs,) ints}``,
                CHOICE the task's (``"label"`` or Catch's ``"move"``).

        Returns:
            ``(observation, reward, terminated, truncated, info)``: observation as ``reset``'s (where an
            episode ended, the next one's first glimpse); ``(num_envs,)`` float64 rewards, bool ``terminated``
            and ``truncated`` (always False); the task's info.

        Raises:
            ValueError: a malformed action; the message names the field.
            RuntimeError: called before the first ``reset``.
        """
        if not self._started:
            raise RuntimeError("step() called before reset(): call reset() first")
        episodes = self._episodes
        parts = episodes.parse_action(actions, (self.num_envs,))
        glimpse, location, reward, terminated = episodes.step(parts)
        info: dict[str, Any] = {}
        if terminated.any():
            ended = terminated.copy()
            final_info = {**episodes.info(), **episodes.final_info(parts, reward)}
            info["final_obs"], info["_final_obs"] = {"glimpse": glimpse, "location": location}, ended
            info["final_info"] = {}
            for key, value in final_info.items():
                info["final_info"][key] = np.where(ended, value, 0).astype(value.dtype)
                info["final_info"][f"_{key}"] = ended
            info["_final_info"] = ended
            ids = None if ended.all() else np.flatnonzero(ended)
            episodes.check_groups(ids)
            new_glimpse, new_location = episodes.reset(ids, {})
            if ids is None:
                glimpse, location = new_glimpse, new_location
            else:
                glimpse, location = glimpse.copy(), location.copy()
                glimpse[ids], location[ids] = new_glimpse, new_location
        self._glimpse, self._location = glimpse, location
        for key, value in episodes.info().items():
            info[key], info[f"_{key}"] = value, self._all
        truncated = np.zeros(self.num_envs, dtype=bool)
        return {"glimpse": glimpse, "location": location}, reward, terminated, truncated, info

    def split_sizes(self) -> dict[str, int]:
        """The episodes of each split ("train", "valid", "test") of this env's task and data (images, or
        games for Catch)."""
        return self._episodes.split_sizes()

    def render(self) -> tuple[np.ndarray, ...] | None:
        """One RGB picture per env of its episode so far."""
        if self.render_mode is None:
            return None
        if not self._started:
            raise RuntimeError("render() called before reset(): call reset() first")
        return tuple(self._episodes.frame(i) for i in range(self.num_envs))
