"""PPO's env-steps per second with ``NativeVecEnv`` against SB3's ``DummyVecEnv`` of single envs.

Both run the same PPO (``MultiInputPolicy`` with the glimpse features extractor, grid actions) on the same
env id and N, in this process, one after the other; the figure is timesteps / wall time of
``model.learn``, so it includes PPO's own rollout and training work, as a user sees it.

    python benchmarks/sb3_throughput.py [--env GlimpseMNIST-v0] [--num-envs 64 256] [--timesteps 30000]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

import ram_env
from agents.sb3.extractor import GlimpseFeaturesExtractor
from agents.sb3.vec_env import make_sb3_vec_env
from ram_env.wrappers import GridActions


def steps_per_second(venv: VecEnv, timesteps: int) -> float:
    model = PPO(
        "MultiInputPolicy",
        venv,
        n_steps=32,
        batch_size=1024,
        n_epochs=4,
        seed=0,
        device="cpu",
        policy_kwargs={"features_extractor_class": GlimpseFeaturesExtractor},
    )
    start = time.perf_counter()
    model.learn(timesteps)
    return model.num_timesteps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="GlimpseMNIST-v0", choices=ram_env.ENV_IDS)
    parser.add_argument("--num-envs", nargs="+", type=int, default=[64, 256])
    parser.add_argument("--timesteps", type=int, default=30000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"# PPO on {args.env}, {args.timesteps} timesteps, n_steps=32, batch 1024, 4 epochs, "
        f"torch threads {args.threads}"
    )
    print("| N | DummyVecEnv steps/s | NativeVecEnv steps/s | ratio |")
    print("|---|---|---|---|")
    for n in args.num_envs:
        dummy = DummyVecEnv([lambda: GridActions(gym.make(args.env)) for _ in range(n)])
        baseline = steps_per_second(dummy, args.timesteps)
        native = steps_per_second(make_sb3_vec_env(args.env, n), args.timesteps)
        print(f"| {n} | {baseline:,.0f} | {native:,.0f} | {native / baseline:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
