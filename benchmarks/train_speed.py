"""Training speed of the default REINFORCE agent, and what the env costs of it.

Times updates of the default configuration (``agents.ReinforceConfig()``: episodes from
``gym.make_vec``, forward, backward, Adam step) and prints images/s, glimpses/s and the time per
epoch (training updates plus the validation pass). Then times the same updates with the env replaced
by direct array access (the images in one padded uint8 array, glimpses cut by fancy indexing, labels
read from the array: what an implementation without an env does), and prints the env's share of the
training time, both as the time spent inside the env's ``reset``/``step`` and as the difference from the
direct-array run.

    python benchmarks/train_speed.py [--updates 40] [--rounds 3] [--threads N] [--batch-size B] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import agents
import ram_env
from agents.evaluation import split_size


class DirectArrays:
    """Stands in for the batched GlimpseMNIST env (same spaces, same step results, fixed-length episodes
    with same-step autoreset), reading the train split's arrays directly. Single-scale retina only."""

    def __init__(self, num_envs: int, n_glimpses: int, glimpse_size: int, seed: int = 0) -> None:
        split = ram_env.load_dataset().train
        self.num_envs, self.n_glimpses, self.size = num_envs, n_glimpses, glimpse_size
        pad = (glimpse_size + 1) // 2
        self.images = np.pad(split.images, ((0, 0), (pad, pad), (pad, pad)))
        self.labels = split.labels
        self.side, self.padded = split.images.shape[1], self.images.shape[1]
        self.rng = np.random.default_rng(seed)
        offsets = np.arange(glimpse_size)
        self.offsets = (offsets[:, None] * self.padded + offsets[None, :]).reshape(-1)

    def _glimpses(self, location: np.ndarray) -> np.ndarray:
        start = np.floor((location + 1.0) / 2.0 * self.side - self.size / 2.0 + 0.5).astype(np.int64) + (
            self.size + 1
        ) // 2
        base = self.index * self.padded**2 + start[:, 1] * self.padded + start[:, 0]
        patch = self.images.reshape(-1).take(base[:, None] + self.offsets)
        return (patch.astype(np.float32) / 255.0).reshape(self.num_envs, 1, self.size, self.size)

    def _new_episodes(self) -> dict[str, np.ndarray]:
        self.index = self.rng.integers(0, len(self.labels), self.num_envs)
        self.t = 0
        location = self.rng.uniform(-1, 1, (self.num_envs, 2)).astype(np.float32)
        return {"glimpse": self._glimpses(location), "location": location}

    def reset(self, seed: Any = None) -> tuple[dict[str, np.ndarray], dict]:
        return self._new_episodes(), {}

    def step(self, action: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, Any, dict]:
        self.t += 1
        location = np.clip(action["location"], -1.0, 1.0).astype(np.float32)
        if self.t < self.n_glimpses:
            done = np.zeros(self.num_envs, dtype=bool)
            return {"glimpse": self._glimpses(location), "location": location}, done.astype(float), done, done, {}
        label = self.labels[self.index]
        reward = (action["label"] == label).astype(np.float64)
        done = np.ones(self.num_envs, dtype=bool)
        return self._new_episodes(), reward, done, done, {"final_info": {"label": label}}


class Timed:
    """Forwards ``reset``/``step`` to ``envs`` and adds up the seconds spent in them."""

    def __init__(self, envs: Any) -> None:
        self.envs, self.num_envs, self.seconds = envs, envs.num_envs, 0.0

    def reset(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = self.envs.reset(**kwargs)
        self.seconds += time.perf_counter() - start
        return result

    def step(self, action: Any) -> Any:
        start = time.perf_counter()
        result = self.envs.step(action)
        self.seconds += time.perf_counter() - start
        return result


def seconds_per_update(agent: agents.ReinforceRAM, envs: Any, updates: int) -> float:
    """Mean wall time of one training update (after a few warm-up updates)."""
    generator = torch.Generator(device=agent.device).manual_seed(0)
    obs, _ = envs.reset(seed=0)
    for _ in range(5):
        obs, _ = agent.train_step(envs, obs, generator)
    start = time.perf_counter()
    for _ in range(updates):
        obs, _ = agent.train_step(envs, obs, generator)
    return (time.perf_counter() - start) / updates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=40, help="timed updates per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per setting (the best one counts)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: the default config's)")
    parser.add_argument("--batch-size", type=int, default=None, help="override the default batch size")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    config = agents.ReinforceConfig()
    if args.batch_size:
        config.batch_size = args.batch_size
    if args.threads:
        config.num_threads = args.threads
    agent = agents.ReinforceRAM("GlimpseMNIST-v0", config, args.device)
    b, t = config.batch_size, agent.n_glimpses
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, device {args.device}")
    print(f"default config: core={config.core}, batch_size={b}, {t} glimpses")

    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=b, split="train")
    arrays = DirectArrays(b, t, envs.unwrapped.task.glimpse_size)
    # Alternate the two settings and keep each one's best round, so that drifts in CPU speed cancel.
    with_env, direct, inside = float("inf"), float("inf"), float("inf")
    for _ in range(args.rounds):
        timed = Timed(envs)
        seconds = seconds_per_update(agent, timed, args.updates)
        if seconds < with_env:
            with_env, inside = seconds, timed.seconds / (args.updates + 5)
        direct = min(direct, seconds_per_update(agent, arrays, args.updates))
    start = time.perf_counter()
    agents.evaluate(agent, "GlimpseMNIST-v0", split="valid")
    valid_seconds = time.perf_counter() - start
    updates_per_epoch = -(-split_size("GlimpseMNIST-v0", "train") // b)
    for name, seconds in (("env (gym.make_vec)", with_env), ("direct arrays", direct)):
        print(
            f"{name:20s} {b / seconds:8.0f} images/s  {b * t / seconds:9.0f} glimpses/s  "
            f"epoch {updates_per_epoch * seconds + valid_seconds:5.1f} s (of which validation {valid_seconds:.1f} s)"
        )
    print(f"time inside env.reset/step: {1000 * inside:.2f} ms of {1000 * with_env:.2f} ms per update "
          f"({100 * inside / with_env:.1f}% of training time)")
    print(f"env vs direct arrays: {1000 * (with_env - direct):.2f} ms more per update "
          f"({100 * (1 - direct / with_env):.1f}% of training time)")


if __name__ == "__main__":
    main()
