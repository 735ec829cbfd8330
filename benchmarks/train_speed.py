"""Training speed of the REINFORCE agent, and what the env costs of it.

Times training updates (episodes from ``gym.make_vec``, forward, backward, optimizer step) of an env id's
configuration (its ``agents/hyperparams`` file, then ``--set KEY=VALUE`` overrides) and prints images/s,
episodes/s, glimpses/s and the time per epoch (training updates plus the validation pass), for each of the
``--threads`` settings and each ``--precisions`` (fp32, bf16: ``agents.precision``), alternated round by round
so that drifts in CPU speed cancel, with the ratio to the first one. ``--profile`` prints where an update's time
goes (cProfile, top functions by own time).

On GlimpseMNIST-v0 with one rollout per image it then times the same updates with the env replaced by
direct array access (the images in one padded uint8 array, glimpses cut by fancy indexing, labels read
from the array: what an implementation without an env does), and prints the env's share of the training
time, both as the time spent inside the env's ``reset``/``step`` and as the difference from the
direct-array run.

    python benchmarks/train_speed.py [--env ID] [--set batch_size=32 rollouts_per_image=10 ...]
        [--threads 1 2] [--precisions fp32 bf16] [--updates 40] [--rounds 3] [--profile] [--device cpu]
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import os
import pstats
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import agents
import ram_env
from agents.defaults import default_hyperparams
from agents.evaluation import split_arguments, split_size


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
        start = (
            np.floor((location + 1.0) / 2.0 * self.side - self.size / 2.0 + 0.5).astype(np.int64) + (self.size + 1) // 2
        )
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


def overrides(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items as ReinforceConfig keyword arguments (values read as Python literals)."""
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="GlimpseMNIST-v0", help="env id (its hyperparameter file is the start)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="ReinforceConfig overrides")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[0], help="torch thread counts to compare (0: the default)"
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["fp32"],
        choices=("fp32", "bf16"),
        help="training precisions to compare (agents.precision)",
    )
    parser.add_argument("--updates", type=int, default=40, help="timed updates per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per setting (the best one counts)")
    parser.add_argument("--profile", action="store_true", help="print where the time of the updates goes")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    config = agents.ReinforceConfig(**{**default_hyperparams(args.env, "reinforce"), **overrides(args.set)})
    agent = agents.ReinforceRAM(args.env, config, device=args.device)
    b, m, t = config.batch_size, config.rollouts_per_image, agent.n_glimpses
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, device {args.device}, env {args.env}")
    print(
        f"config: core={config.core}, batch_size={b} images x {m} rollouts, {t} glimpses, "
        f"full_gradient={config.full_gradient}"
    )
    envs = gym.make_vec(args.env, num_envs=b * m, group_size=m, **split_arguments(args.env, "train"))
    timed = Timed(envs)
    settings = [(threads, precision) for threads in args.threads for precision in args.precisions]
    best = {setting: float("inf") for setting in settings}
    inside = float("inf")
    direct = float("inf")
    use_direct = args.env == "GlimpseMNIST-v0" and m == 1
    arrays = DirectArrays(b, t, envs.unwrapped.task.glimpse_size) if use_direct else None
    for _ in range(args.rounds):
        for threads, precision in settings:
            torch.set_num_threads(threads or os.cpu_count() or 1)
            agent.precision = precision
            timed.seconds = 0.0
            seconds = seconds_per_update(agent, timed, args.updates)
            if seconds < best[threads, precision]:
                best[threads, precision] = seconds
                if (threads, precision) == settings[0]:
                    inside = timed.seconds / (args.updates + 5)
        if arrays is not None:
            torch.set_num_threads(args.threads[0] or os.cpu_count() or 1)
            agent.precision = args.precisions[0]
            direct = min(direct, seconds_per_update(agent, arrays, args.updates))
    torch.set_num_threads(args.threads[0] or os.cpu_count() or 1)
    start = time.perf_counter()
    agents.evaluate(agent, args.env, split="valid")
    valid_seconds = time.perf_counter() - start
    updates_per_epoch = -(-split_size(args.env, "train") // b)
    first = best[settings[0]]
    for (threads, precision), seconds in best.items():
        print(
            f"{threads or torch.get_num_threads()} threads, {precision}: {b / seconds:8.0f} images/s  "
            f"{b * m / seconds:8.0f} "
            f"episodes/s  {b * m * t / seconds:9.0f} glimpses/s  "
            f"epoch {updates_per_epoch * seconds + valid_seconds:6.1f} s (validation {valid_seconds:.1f} s)  "
            f"speed x{first / seconds:.2f} of the first"
        )
    print(
        f"time inside env.reset/step: {1000 * inside:.2f} ms of {1000 * first:.2f} ms per update "
        f"({100 * inside / first:.1f}% of training time)"
    )
    if arrays is not None:
        print(
            f"direct arrays: {b / direct:8.0f} images/s; env vs direct arrays: {1000 * (first - direct):.2f} ms "
            f"more per update ({100 * (1 - direct / first):.1f}% of training time)"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        seconds_per_update(agent, envs, args.updates)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
