"""Glimpse-steps per second of the environments, resets included, on one core.

For every registered id it measures (a) one env from ``gym.make``, (b) Gymnasium's ``SyncVectorEnv`` of
N single envs (same-step autoreset, as the native env), (c) the natively batched env from
``gym.make_vec`` at N = 256 and 1024, and prints the ratio c/b at the same N. Actions are random,
drawn before timing. The process is pinned to one CPU core. Each figure is the best of ``--rounds``
timed rounds of ``--seconds / --rounds`` each (shared machines are noisy; the best round is the one
least disturbed).

``--images ROWS`` adds ``GlimpseImages-v0`` over a 3-channel 64x64 set of ``ROWS`` images, with the retina
of GlimpseTranslatedMNIST-v0 (8 glimpses of 12x12 at 3 scales), to compare with that grayscale 60x60
task: once from arrays in memory, once memory-mapped from a ``.npy`` file written to a temporary
folder, and prints the process's resident memory (RSS) against the file's size.

    python benchmarks/env_throughput.py [--seconds 3] [--rounds 5] [--ids GlimpseMNIST-v0 ...] [--num-envs 256 1024]
    python benchmarks/env_throughput.py --ids GlimpseTranslatedMNIST-v0 --images 100000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def rate_single(env_id: str, seconds: float, rounds: int, **env_kwargs: Any) -> float:
    """Glimpse-steps/s of one env, reset called at each episode end."""
    env = gym.make(env_id, **env_kwargs)
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
    parser.add_argument(
        "--images",
        type=int,
        default=0,
        metavar="ROWS",
        help="also measure GlimpseImages-v0 on ROWS random 64x64x3 images (0: not)",
    )
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
        print_row(env_id, env_id, {}, args)
    if args.images:
        own_images_rows(args)


def print_row(name: str, env_id: str, env_kwargs: dict[str, Any], args: argparse.Namespace) -> None:
    """One table row: the single env, then the sync and native vector envs at each N."""
    cells = [name, f"{rate_single(env_id, args.seconds, args.rounds, **env_kwargs):,.0f}"]
    for n in args.num_envs:
        sync = gym.make_vec(
            env_id,
            num_envs=n,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
            **env_kwargs,
        )
        b = rate_vector(sync, args.seconds, args.rounds)
        c = rate_vector(gym.make_vec(env_id, num_envs=n, **env_kwargs), args.seconds, args.rounds)
        cells += [f"{b:,.0f}", f"{c:,.0f}", f"{c / b:.0f}x"]
    print("| " + " | ".join(cells) + " |", flush=True)


def rss_mib() -> float:
    """The process's resident memory now (Linux /proc; else the peak from getrusage), MiB."""
    status = Path("/proc/self/status")
    if status.is_file():
        line = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_images_rows(args: argparse.Namespace) -> None:
    """GlimpseImages-v0 rows (64x64x3, the translated task's retina): arrays in memory, then a memory-mapped
    ``.npy`` pair, with the RSS after the memory-mapped measurements against the file's size."""
    retina = dict(n_glimpses=8, glimpse_size=12, n_scales=3)
    rng = np.random.default_rng(0)
    labels = np.arange(args.images) % 10
    with tempfile.TemporaryDirectory() as folder:
        images = np.lib.format.open_memmap(Path(folder) / "images.npy", "w+", np.uint8, (args.images, 64, 64, 3))
        for start in range(0, args.images, 4096):  # written in blocks: never all in memory
            stop = min(args.images, start + 4096)
            images[start:stop] = rng.integers(0, 256, (stop - start, 64, 64, 3), dtype=np.uint8)
        images.flush()
        del images
        np.save(Path(folder) / "labels.npy", labels)
        size_mib = (Path(folder) / "images.npy").stat().st_size / 2**20
        before = rss_mib()
        print_row(f"GlimpseImages-v0 64x64x3, .npy memory-mapped ({args.images:,} rows)", ram_env.IMAGES_ID,
                  dict(source=folder, **retina), args)  # fmt: skip
        print(f"# RSS {before:,.0f} MiB before, {rss_mib():,.0f} MiB after the memory-mapped rows; "
              f"the images file is {size_mib:,.0f} MiB")  # fmt: skip
        if size_mib < 2048:
            arrays = np.load(Path(folder) / "images.npy")
            print_row("GlimpseImages-v0 64x64x3, arrays in memory", ram_env.IMAGES_ID,
                      dict(source=(arrays, labels), **retina), args)  # fmt: skip


if __name__ == "__main__":
    main()
