"""GlimpseVectorEnv: ``num_envs`` glimpse episodes stepped with one array operation per step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ram_env.episodes import GlimpseEpisodes, GlimpseTask, validate_action
from ram_env.rendering import draw_glimpses

__all__ = ["GlimpseVectorEnv"]


class GlimpseVectorEnv(VectorEnv):
    """A natively batched ``GlimpseEnv``: same task, spaces batched, no Python loop over the envs.

    ``gym.make_vec(id, num_envs=N)`` builds one. Sub-env ``i`` after ``reset(seed=s)`` plays exactly the
    episodes of a ``GlimpseEnv`` reset with ``seed=s + i`` (Gymnasium's seeding convention).

    Autoreset is same-step (``metadata["autoreset_mode"]``, as stable-baselines3's VecEnv): the step
    that ends an episode returns the first observation of the next one, and its ``info`` holds the
    ended episodes under ``final_obs`` and ``final_info``, each with a ``_final_obs``/``_final_info``
    mask. Unlike ``SyncVectorEnv``, whose ``final_obs`` is an object array of per-env dicts, here
    ``final_obs`` is batched like the observation (``{"glimpse": (N, k, g, g), "location": (N, 2)}``),
    so that no step loops over the envs. Info values are arrays over the envs, each key ``key`` with a
    boolean mask ``_key`` (Gymnasium's vector info convention): ``image_index`` always;
    ``final_info`` has ``image_index``, ``label``, ``prediction`` and ``is_correct``.

    ``reset(options=...)`` takes ``image_index`` (an int, or one per env) and ``reset_mask`` (a bool
    array: reset only those envs). Arguments are ``GlimpseEnv``'s, plus ``num_envs``; ``render_mode``
    "rgb_array" makes ``render()`` return a tuple of one picture per env.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4, "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int,
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
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.task = GlimpseTask(
            canvas_size, n_clutter, clutter_size, n_glimpses, glimpse_size, n_scales, split, start, data_dir
        )
        self._episodes = GlimpseEpisodes(self.task, num_envs)
        self.num_envs = num_envs
        self.single_observation_space = self.task.observation_space()
        self.single_action_space = self.task.action_space(self._episodes.n_classes)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.render_mode = render_mode
        self._started = False
        self._all = np.ones(num_envs, dtype=bool)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start new episodes in every env, or in those of ``options["reset_mask"]``."""
        n, episodes = self.num_envs, self._episodes
        seeds = None if seed is None else np.asarray(seed, dtype=np.int64)
        if seeds is not None and seeds.shape not in ((), (n,)):
            raise ValueError(f"seed must be an int or {n} ints, got {seed!r}")
        super().reset(seed=None if seeds is None else int(seeds.reshape(-1)[0]))
        options = options or {}
        mask = options.get("reset_mask")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (n,) or mask.dtype != np.bool_ or not mask.any():
                raise ValueError(
                    f"options['reset_mask'] must be a bool array of shape ({n},) with a True, got {mask!r}"
                )
        ids = None if mask is None or mask.all() else np.flatnonzero(mask)
        if seeds is not None:
            seeds = seeds + np.arange(n) if seeds.ndim == 0 else seeds
            episodes.seed(seeds if ids is None else seeds[ids], ids)
        elif not self._started:
            episodes.seed(self.np_random.integers(0, 2**63 - 1, size=n))
        image_index = None
        if "image_index" in options:
            image_index = episodes.check_image_index(options["image_index"], (n,))
            image_index = image_index if ids is None else image_index[ids]
        glimpse, location = episodes.reset(ids, image_index)
        self._started = True
        if ids is None:
            self._glimpse, self._location = glimpse, location
        else:  # copies: the arrays returned by the last step stay as they were
            self._glimpse, self._location = self._glimpse.copy(), self._location.copy()
            self._glimpse[ids], self._location[ids] = glimpse, location
        reset_mask = self._all if ids is None else mask
        info = {"image_index": np.where(reset_mask, episodes.image_index, 0), "_image_index": reset_mask.copy()}
        return {"glimpse": self._glimpse.copy(), "location": self._location.copy()}, info

    def step(
        self, actions: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Move every retina; judge the labels of the episodes that end and start new ones there."""
        if not self._started:
            raise RuntimeError("step() called before reset(): call reset() first")
        episodes = self._episodes
        location, label = validate_action(actions, (self.num_envs,), self.single_action_space["label"].n)
        glimpse, location, reward, terminated = episodes.step(location, label)
        info: dict[str, Any] = {}
        if terminated.any():
            ended = terminated.copy()
            ids = None if ended.all() else np.flatnonzero(ended)
            info["final_obs"] = {"glimpse": glimpse, "location": location}
            info["_final_obs"] = ended
            info["final_info"] = {
                "image_index": np.where(ended, episodes.image_index, 0),
                "label": np.where(ended, episodes.label, 0),
                "prediction": np.where(ended, label, 0),
                "is_correct": reward == 1.0,
            }
            info["final_info"].update({"_" + key: ended for key in list(info["final_info"])})
            info["_final_info"] = ended
            new_glimpse, new_location = episodes.reset(ids)
            if ids is None:
                glimpse, location = new_glimpse, new_location
            else:
                glimpse, location = glimpse.copy(), location.copy()
                glimpse[ids], location[ids] = new_glimpse, new_location
        self._glimpse, self._location = glimpse, location
        info["image_index"] = episodes.image_index.copy()
        info["_image_index"] = self._all
        truncated = np.zeros(self.num_envs, dtype=bool)
        return {"glimpse": glimpse, "location": location}, reward, terminated, truncated, info

    def render(self) -> tuple[np.ndarray, ...] | None:
        """One RGB picture per env: canvas, glimpse path so far and the retina's squares."""
        if self.render_mode is None:
            return None
        if not self._started:
            raise RuntimeError("render() called before reset(): call reset() first")
        episodes, task = self._episodes, self.task
        return tuple(
            draw_glimpses(
                episodes.canvas(i), episodes.path[i, : episodes.steps[i] + 1], task.glimpse_size, task.n_scales
            )
            for i in range(self.num_envs)
        )
