"""Glimpse-steps per second of the environments, resets included, on one core.

For every registered id it measures (a) one env from ``gym.make``, (b) Gymnasium's ``SyncVectorEnv`` of
N single envs (same-step autoreset, as the native env), (c) the natively batched env from
``gym.make_vec`` at N = 256 and 1024, and prints the ratio c/b at the same N. Actions are random,
drawn before timing. The process is pinned to one CPU core. Each figure is the best of ``--rounds``
timed rounds of ``--seconds / --rounds`` each (shared machines are noisy; the best round is the one
least disturbed).

    python benchmarks/env_throughput.py [--seconds 3] [--rounds 5] [--ids GlimpseMNIST-v0 ...] [--num-envs 256 1024]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import cv2
import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import ram_env


def random_actions(space: gym.spaces.Space, count: int, seed: int) -> list:
    space.seed(seed)
    return [space.sample() for _ in range(count)]


def best_rate(run_batch: Callable[[], int], seconds: float, rounds: int) -> float:
    """The best steps/s over ``rounds`` rounds of ``seconds / rounds``; ``run_batch`` returns steps done."""
    best = 0.0
    for _ in range(rounds):
        steps, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds:
            steps += run_batch()
        best = max(best, steps / elapsed)
    return best


def rate_single(env_id: str, seconds: float, rounds: int) -> float:
    """Glimpse-steps/s of one env, reset called at each episode end."""
    env = gym.make(env_id)
    actions = random_actions(env.action_space, 64, 0)
    env.reset(seed=0)

    def run_batch() -> int:
        for action in actions:
            if env.step(action)[2]:
                env.reset()
        return len(actions)

    return best_rate(run_batch, seconds, rounds)


def rate_vector(envs: gym.vector.VectorEnv, seconds: float, rounds: int) -> float:
    """Glimpse-steps/s (summed over the envs) of a vector env with autoreset."""
    actions = random_actions(envs.action_space, 8, 0)
    envs.reset(seed=0)

    def run_batch() -> int:
        for action in actions:
            envs.step(action)
        return len(actions) * envs.num_envs

    rate = best_rate(run_batch, seconds, rounds)
    envs.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per measurement (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per measurement, best kept (default 5)")
    ids = [*ram_env.ENV_IDS, ram_env.CATCH_ID]
    parser.add_argument("--ids", nargs="+", default=ids, choices=ids)
    parser.add_argument("--num-envs", nargs="+", type=int, default=[256, 1024])
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    machine = platform.processor() or platform.machine()
    print(f"# {machine}, numpy {np.__version__}, one core, best of {args.rounds} rounds in {args.seconds:g} s")
    header = "| id | (a) one env | " + " | ".join(
        f"(b) sync N={n} | (c) native N={n} | c/b N={n}" for n in args.num_envs
    )
    print(header + " |")
    print("|" + "---|" * (2 + 3 * len(args.num_envs)))
    for env_id in args.ids:
        cells = [env_id, f"{rate_single(env_id, args.seconds, args.rounds):,.0f}"]
        for n in args.num_envs:
            sync = gym.make_vec(
                env_id, num_envs=n, vectorization_mode="sync", vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP}
            )
            b = rate_vector(sync, args.seconds, args.rounds)
            c = rate_vector(gym.make_vec(env_id, num_envs=n), args.seconds, args.rounds)
            cells += [f"{b:,.0f}", f"{c:,.0f}", f"{c / b:.0f}x"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
