"""Glimpse-steps per second of the environments, resets included, on one core.

For every registered id it measures (a) one env from ``gym.make``, (b) Gymnasium's ``SyncVectorEnv`` of
N single envs (same-step autoreset, as the native env), (c) the natively batched env from
``gym.make_vec`` at N = 256 and 1024, and prints the ratio c/b at the same N. Actions are random,
drawn before timing. The process is pinned to one CPU core.

    python benchmarks/env_throughput.py [--seconds 3] [--ids GlimpseMNIST-v0 ...] [--num-envs 256 1024]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import ram_env


def random_actions(space: gym.spaces.Space, count: int, seed: int) -> list:
    space.seed(seed)
    return [space.sample() for _ in range(count)]


def rate_single(env_id: str, seconds: float) -> float:
    """Glimpse-steps/s of one env, reset called at each episode end."""
    env = gym.make(env_id)
    actions = random_actions(env.action_space, 64, 0)
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for action in actions:
            _, _, terminated, _, _ = env.step(action)
            if terminated:
                env.reset()
        steps += len(actions)
    return steps / (time.perf_counter() - start)


def rate_vector(envs: gym.vector.VectorEnv, seconds: float) -> float:
    """Glimpse-steps/s (summed over the envs) of a vector env with autoreset."""
    actions = random_actions(envs.action_space, 8, 0)
    envs.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for action in actions:
            envs.step(action)
        steps += len(actions) * envs.num_envs
    envs.close()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per measurement (default 3)")
    parser.add_argument("--ids", nargs="+", default=list(ram_env.ENV_IDS), choices=ram_env.ENV_IDS)
    parser.add_argument("--num-envs", nargs="+", type=int, default=[256, 1024])
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}, one core, {args.seconds:g} s each")
    header = "| id | (a) one env | " + " | ".join(
        f"(b) sync N={n} | (c) native N={n} | c/b N={n}" for n in args.num_envs
    )
    print(header + " |")
    print("|" + "---|" * (2 + 3 * len(args.num_envs)))
    for env_id in args.ids:
        cells = [env_id, f"{rate_single(env_id, args.seconds):,.0f}"]
        for n in args.num_envs:
            sync = gym.make_vec(
                env_id, num_envs=n, vectorization_mode="sync", vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP}
            )
            b = rate_vector(sync, args.seconds)
            c = rate_vector(gym.make_vec(env_id, num_envs=n), args.seconds)
            cells += [f"{b:,.0f}", f"{c:,.0f}", f"{c / b:.0f}x"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
