"""Score an agent on a split of a glimpse-classification env, each image once."""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import numpy as np

import ram_env  # noqa: F401  (registers the env ids)

__all__ = ["Agent", "RandomLocations", "evaluate", "split_size"]


def split_size(split: str, data_dir: str | None = None) -> int:
    """Number of images in ``split`` of the env's dataset (its size only: the images stay in the env)."""
    return len(ram_env.load_dataset(data_dir).split(split))


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
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Play one episode on each of the first ``n_episodes`` images of ``split`` (all when None).

    Image ``i`` is shown with ``reset(seed=seed + i, options={"image_index": i})``, so its first glimpse
    location (``start="random"``) is the same for every agent and every batch size.

    Args:
        agent: anything with stable-baselines3's ``predict``, taking the batched env's observations.
        env_id: a registered id; ``env_kwargs`` (``n_glimpses``, ``start``, ``data_dir``, ...) go to
            ``gym.make_vec``.
        split: "train", "valid" or "test".
        n_episodes: number of images (from index 0), or None for the whole split.
        deterministic: passed to ``predict`` (the policy's mean location rather than a sample).
        seed: the first image's seed.
        batch_size: episodes run side by side.

    Returns:
        ``{"error": float (fraction wrong, in [0, 1]), "n_episodes": int, "n_correct": int,
        "predictions": (n,) int64, "labels": (n,) int64}``.
    """
    n_images = split_size(split, env_kwargs.get("data_dir"))
    if n_episodes is None:
        n_episodes = n_images
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)) or not 0 < n_episodes <= n_images:
        raise ValueError(f"n_episodes must be an integer in [1, {n_images}] for split {split!r}, got {n_episodes!r}")
    width = min(batch_size, n_episodes)
    envs = gym.make_vec(env_id, num_envs=width, split=split, **env_kwargs)
    predictions = np.zeros(n_episodes, dtype=np.int64)
    labels = np.zeros(n_episodes, dtype=np.int64)
    for start in range(0, n_episodes, width):
        index = np.minimum(np.arange(start, start + width), n_episodes - 1)  # the last batch repeats its end
        obs, _ = envs.reset(seed=(seed + index).tolist(), options={"image_index": index})
        state, episode_start, done = None, np.ones(width, dtype=bool), False
        while not done:
            action, state = agent.predict(obs, state, episode_start, deterministic)
            obs, _, terminated, truncated, info = envs.step(action)
            episode_start = np.zeros(width, dtype=bool)
            done = bool(terminated.all())
        final = info["final_info"]
        keep = slice(0, min(width, n_episodes - start))
        predictions[start : start + width][keep] = final["prediction"][keep]
        labels[start : start + width][keep] = final["label"][keep]
    envs.close()
    n_correct = int((predictions == labels).sum())
    return {
        "error": 1.0 - n_correct / n_episodes,
        "n_episodes": int(n_episodes),
        "n_correct": n_correct,
        "predictions": predictions,
        "labels": labels,
    }


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
        """The agent's action (label and state) with a random location of the same shape."""
        action, state = self.agent.predict(observation, state, episode_start, deterministic)
        location = self.rng.uniform(-1.0, 1.0, np.shape(action["location"])).astype(np.float32)
        return {"location": location, "label": action["label"]}, state
