"""Score an agent on a split of a glimpse env: each image of a classification split once, or a fixed set
of games of Catch; and what kind of task an env id is, read from its action space rather than from a list of ids.

Every glimpse env's action is ``Dict(location=Box, <choice>=Discrete)`` (``docs/design.md#spaces``): a
classification task names a ``"label"`` at its last step and has a dataset with splits; a game (Catch)
makes a ``"move"`` at every step and has no labels, its splits being blocks of episode seeds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import load_env_creator

from ram_env.data.splits import GAME_SPLITS, SPLITS, game_seeds  # a game's splits: blocks of episode seeds
from ram_env.wrappers import choice_key

__all__ = [
    "GAME_CHOICE",
    "GAME_SPLITS",
    "Agent",
    "RandomLocations",
    "choice_key_of",
    "entry_point_of",
    "evaluate",
    "first_location_of",
    "is_game",
    "reset_arguments",
    "split_arguments",
    "split_size",
]


GAME_CHOICE = "move"  # the choice of a game; a classification task's is "label"


def entry_point_of(env_id: str) -> Callable[..., Any]:
    """What ``gym.make(env_id)`` calls (the env class, for ram-env's ids): its registered entry point, imported."""
    entry_point = gym.spec(env_id).entry_point
    if entry_point is None:
        raise ValueError(f"{env_id} is registered without an entry point")
    return load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point


@functools.cache
def choice_key_of(env_id: str) -> str:
    """The discrete part of ``env_id``'s action besides the location: "label" or "move".

    Read from the registered env class's ``choice_key`` (the key of its action space, the same for every
    keyword argument), so that no env is made: an id such as ``GlimpseImages-v0`` needs a data source first.
    Any other env id that speaks the glimpse contract is probed with its defaults.
    """
    key = getattr(entry_point_of(env_id), "choice_key", None)
    if isinstance(key, str):
        return key
    probe = gym.make(env_id, disable_env_checker=True)
    try:
        return choice_key(probe.action_space)
    finally:
        probe.close()


def is_game(env_id: str) -> bool:
    """Whether ``env_id`` is a game (its choice is a move: no labels, no dataset)."""
    return choice_key_of(env_id) == GAME_CHOICE


def split_size(env_id: str, split: str, data_dir: str | None = None, **env_kwargs: Any) -> int:
    """Episodes in ``split`` of ``env_id`` made with ``env_kwargs``, as the env reports them
    (``split_sizes()``: a dataset's images, or a game's block of seeds)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    kwargs = env_kwargs if data_dir is None else {**env_kwargs, "data_dir": data_dir}
    env = gym.make(env_id, **kwargs)
    try:
        return int(env.get_wrapper_attr("split_sizes")()[split])
    finally:
        env.close()


def split_arguments(env_id: str, split: str) -> dict[str, Any]:
    """The keyword arguments that make ``env_id`` play ``split``: ``{"split": split}``, or none for a game."""
    return {} if is_game(env_id) else {"split": split}


def reset_arguments(
    env_id: str, split: str, seed: int, index: np.ndarray, first_location: np.ndarray | None = None
) -> dict[str, Any]:
    """The ``reset`` keyword arguments of episode(s) ``index`` of ``split``, as ``evaluate`` plays them;
    ``first_location`` (an agent's ``first_location()``) becomes the reset option ``location``."""
    options: dict[str, Any] = {} if first_location is None else {"location": np.tile(first_location, (len(index), 1))}
    if is_game(env_id):
        return {"seed": game_seeds(split, seed, index).tolist(), "options": options}
    return {"seed": (seed + index).tolist(), "options": {**options, "image_index": index}}


def first_location_of(agent: Any) -> np.ndarray | None:
    """The agent's own first-glimpse location (its ``first_location()``), or None: the env's start."""
    method = getattr(agent, "first_location", None)
    return None if method is None else method()


class Agent(Protocol):
    """What ``evaluate`` needs: stable-baselines3's ``predict``."""

    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], Any]: ...


def evaluate(
    agent: Agent,
    env_id: str = "GlimpseMNIST-v0",
    split: str = "test",
    n_episodes: int | None = None,
    deterministic: bool = True,
    seed: int = 0,
    batch_size: int = 1000,
    first: int = 0,
    probabilities: bool = False,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Play one episode on each of ``n_episodes`` images of ``split`` from image ``first`` (all when None).

    Image ``i`` is shown with ``reset(seed=seed + i, options={"image_index": i})``, so its first glimpse
    location (``start="random"``) is the same for every agent and every batch size; an agent with a
    ``first_location()`` method that returns a location takes its first glimpses there. A game
    (``agents.evaluation.is_game``) plays its ``i``-th game of the split with ``reset(seed=offset + seed + i)``, the
    offset separating the splits (``ram_env.data.splits``).

    Args:
        agent: anything with stable-baselines3's ``predict``, taking the batched env's observations.
        env_id: a registered id; ``env_kwargs`` (``n_glimpses``, ``start``, ``data_dir``, ...) go to
            ``gym.make_vec``.
        split: "train", "valid" or "test".
        n_episodes: number of images (from index ``first``), or None for the rest of the split.
        deterministic: passed to ``predict`` (the policy's mean location rather than a sample).
        seed: the first image's seed.
        batch_size: episodes run side by side.
        first: the first image (or game) index; the episodes are the ones a whole-split call plays there.
        probabilities: also return the class probabilities the agent's last step chose from (the agent
            needs ``predict_probabilities``, as ``agents.ReinforceRAM``'s).

    Returns:
        ``{"error": float (fraction of episodes lost, in [0, 1]), "n_episodes": int, "n_correct": int
        (episodes won: right label, or ball caught)}``; a classification env adds ``"predictions"`` and
        ``"labels"``, ``(n,)`` int64, and with ``probabilities`` ``"probabilities"``, ``(n, n_classes)``
        float32.
    """
    game = is_game(env_id)
    n_available = split_size(env_id, split, **env_kwargs)
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or not 0 <= first < n_available:
        raise ValueError(f"first must be an integer in [0, {n_available}) for split {split!r}, got {first!r}")
    n_available -= first
    if n_episodes is None:
        n_episodes = n_available
    if (
        isinstance(n_episodes, bool)
        or not isinstance(n_episodes, (int, np.integer))
        or not 0 < n_episodes <= n_available
    ):
        raise ValueError(
            f"n_episodes must be an integer in [1, {n_available}] for split {split!r} from image {first}, "
            f"got {n_episodes!r}"
        )
    predict_probabilities = getattr(agent, "predict_probabilities", None) if probabilities else None
    if probabilities and predict_probabilities is None:
        raise TypeError(
            f"probabilities=True needs an agent with predict_probabilities (as agents.ReinforceRAM's), "
            f"got {type(agent).__name__}"
        )
    width = min(batch_size, n_episodes)
    envs = gym.make_vec(env_id, num_envs=width, **split_arguments(env_id, split), **env_kwargs)
    won = np.zeros(n_episodes, dtype=bool)
    predictions = np.zeros(n_episodes, dtype=np.int64)
    labels = np.zeros(n_episodes, dtype=np.int64)
    chosen_from: list[np.ndarray] = []
    for start in range(0, n_episodes, width):
        index = first + np.minimum(np.arange(start, start + width), n_episodes - 1)  # the last batch repeats its end
        obs, _ = envs.reset(**reset_arguments(env_id, split, seed, index, first_location_of(agent)))
        state, episode_start, done = None, np.ones(width, dtype=bool), False
        while not done:
            if predict_probabilities is not None:
                action, state, chosen = predict_probabilities(obs, state, episode_start, deterministic)
            else:
                action, state = agent.predict(obs, state, episode_start, deterministic)
            obs, reward, terminated, truncated, info = envs.step(action)
            episode_start = np.zeros(width, dtype=bool)
            done = bool(terminated.all())
        keep = slice(0, min(width, n_episodes - start))
        won[start : start + width] = (reward == 1.0)[keep]
        if probabilities:
            chosen_from.append(chosen[keep])
        if not game:
            predictions[start : start + width] = info["final_info"]["prediction"][keep]
            labels[start : start + width] = info["final_info"]["label"][keep]
    envs.close()
    n_correct = int(won.sum())
    result: dict[str, Any] = {"error": 1 - n_correct / n_episodes, "n_episodes": n_episodes, "n_correct": n_correct}
    if not game:
        result.update(predictions=predictions, labels=labels)
    if probabilities:
        result["probabilities"] = np.concatenate(chosen_from)
    return result


class RandomLocations:
    """``agent`` with its location policy replaced by uniformly random locations in [-1, 1]: the same
    glimpse, core and classifier networks, so that ``evaluate`` shows what the learned locations are worth.

    Args:
        agent: an agent with ``predict``.
        seed: seeds the random locations.
    """

    def __init__(self, agent: Agent, seed: int = 0) -> None:
        self.agent, self.rng = agent, np.random.default_rng(seed)

    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], Any]:
        """The agent's action (label or move) and state, with a random location of the same shape."""
        action, state = self.agent.predict(observation, state, episode_start, deterministic)
        location = self.rng.uniform(-1.0, 1.0, np.shape(action["location"])).astype(np.float32)
        return {**action, "location": location}, state
