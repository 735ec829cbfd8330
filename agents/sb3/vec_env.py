"""A stable-baselines3 ``VecEnv`` over a natively batched Gymnasium ``VectorEnv``.

SB3's ``DummyVecEnv`` steps N single envs one by one in Python. ``NativeVecEnv`` hands the whole batch
of actions to one ``VectorEnv.step`` (for the glimpse envs: one array operation for all N episodes) and
gives SB3 what ``DummyVecEnv`` would: per env, the info a single env would give (for the glimpse envs
``image_index``, and at an episode's end ``label``, ``prediction``, ``is_correct``), ``TimeLimit.truncated``,
``terminal_observation`` where an episode ended, and the next episode's first observation in its place
(the wrapped env must autoreset on the same step, as ``GlimpseVectorEnv`` does). The per-env ``infos``
list of dicts is SB3's interface, and building it is the only per-env Python work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

import ram_env
from ram_env.wrappers import GridActionsVector

__all__ = ["NativeVecEnv", "make_sb3_vec_env"]


def _row(batch: Any, i: int) -> Any:
    """Entry ``i`` of a batched observation (a dict of arrays, an array, or an object array of entries)."""
    if isinstance(batch, dict):
        return {key: _row(value, i) for key, value in batch.items()}
    return batch[i]


def _per_env(info: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """A Gymnasium vector info (arrays with ``_key`` masks) as one dict per env, as single envs give it."""
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in info.items():
        if key.startswith("_") or key in ("final_obs", "final_info") or f"_{key}" not in info:
            continue
        values = values.tolist() if isinstance(values, np.ndarray) and values.dtype != object else values
        for i in np.flatnonzero(info[f"_{key}"]).tolist():
            out[i][key] = values[i]
    return out


class NativeVecEnv(VecEnv):
    """SB3 ``VecEnv`` interface to a batched Gymnasium ``VectorEnv`` with same-step autoreset.

    Args:
        venv: the batched env; its action space must be one SB3 accepts (e.g. through ``GridActionsVector``).
    """

    def __init__(self, venv: gym.vector.VectorEnv) -> None:
        mode = venv.metadata.get("autoreset_mode")
        if mode != AutoresetMode.SAME_STEP:
            raise ValueError(f"NativeVecEnv needs a VectorEnv with same-step autoreset, got autoreset_mode={mode!r}")
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset every env, with the seeds and options set by ``seed`` and ``set_options`` (used once)."""
        seeds = None if self._seeds[0] is None else list(self._seeds)
        options = self._options[0] or None
        # Gymnasium types a vector env's seed as one int; the glimpse envs (as SyncVectorEnv) take one per env.
        obs, info = self.venv.reset(seed=seeds, options=options)  # type: ignore[arg-type]
        self.reset_infos = _per_env(info, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        step_info = _per_env(info, self.num_envs)  # for ended envs: the info of the next episode's start
        time_limit = (truncated & ~terminated).tolist()
        infos = [{**entry, "TimeLimit.truncated": flag} for entry, flag in zip(step_info, time_limit, strict=True)]
        final_info = _per_env(info.get("final_info", {}), self.num_envs)
        for i in np.flatnonzero(dones).tolist():
            self.reset_infos[i] = step_info[i]
            infos[i] = {
                **final_info[i],
                "TimeLimit.truncated": time_limit[i],
                "terminal_observation": _row(info["final_obs"], i),
            }
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        frames = self.venv.render()
        return [np.asarray(frame) for frame in frames] if frames is not None else [None] * self.num_envs

    def _target(self, indices: VecEnvIndices) -> list[int]:
        return list(self._get_indices(indices))

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The batched env's attribute, once per requested index (every sub-env shares it)."""
        value = getattr(self.venv, attr_name)
        return [value for _ in self._target(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        if len(self._target(indices)) != self.num_envs:
            raise ValueError("the sub-envs of a batched env share their attributes: set them for all indices")
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        raise NotImplementedError(
            f"env_method({method_name!r}): a natively batched env has no per-env objects; call "
            f"NativeVecEnv.venv.{method_name}(...) on the batched env"
        )

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._target(indices)]


def make_sb3_vec_env(env_id: str, num_envs: int, grid_size: int = 7, **env_kwargs: Any) -> NativeVecEnv:
    """The SB3 ``VecEnv`` of ``num_envs`` batched glimpse episodes with grid actions (``ram_env.wrappers``)."""
    ids = (*ram_env.ENV_IDS, ram_env.IMAGES_ID, ram_env.CATCH_ID)
    if env_id not in ids:
        raise ValueError(f"unknown env id {env_id!r}: use one of {ids}")
    return NativeVecEnv(GridActionsVector(gym.make_vec(env_id, num_envs=num_envs, **env_kwargs), grid_size))
