"""Training speed of the project's recurrent PPO (``--algo ram_ppo``, ``agents.RAMPPO``) beside sb3-contrib's
RecurrentPPO (``agents.SB3Agent("recurrent_ppo")``), in env steps per second of rollout and update together, on the
same env id and number of envs N, in one process (issue 27: the goal is at least 20x SB3's).

Both run the same schedule: rollouts of ``--episodes`` whole episodes per env (SB3's ``n_steps`` = that many episode
lengths), ``--epochs`` passes of ``--minibatches`` minibatches, the same glimpse-network and LSTM widths, one LSTM
for the policy and the value (SB3: ``shared_lstm``), gamma 1, GAE lambda 0.95. Each is warmed up by ``--warmup``
updates, then timed over whole updates until ``--seconds`` have passed (at least one): ram_ppo's
``train_update`` (rollout, GAE, the passes; no validation), SB3's ``learn`` of one rollout at a time (its
rollout and ``train``, as a user sees it). ram_ppo runs at ``--precision`` (``agents.precision``: auto is bf16
where the CPU or GPU has it natively); SB3 in float32. The two run one after the other, so a machine busy with
other work gives both the same handicap only roughly: measure on an otherwise idle machine (each line also
gives steps per second of the process's CPU time, a rougher figure that a busy machine disturbs less).

    python benchmarks/ppo_speed.py [--env GlimpseCatch-v0] [--num-envs 1024] [--seconds 60] [--threads N]
        [--device cpu] [--precision auto] [--only ram_ppo|sb3]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import gymnasium as gym
import torch

import agents
import ram_env
from agents.evaluation import split_arguments
from agents.recurrent_ppo import RAMPPO, RecurrentPPOConfig


def ram_ppo_speed(args: argparse.Namespace) -> tuple[float, str]:
    """ram_ppo's env steps/s, and a line saying what was timed."""
    config = RecurrentPPOConfig(
        glimpse_hidden=args.glimpse_hidden, location_hidden=args.location_hidden, hidden_size=args.hidden_size,
        num_envs=args.num_envs, episodes_per_rollout=args.episodes, update_epochs=args.epochs,
        num_minibatches=args.minibatches, learning_rate=1e-3, gamma=1.0, gae_lambda=0.95, entropy_coef=0.01,
        precision=args.precision, num_threads=args.threads)  # fmt: skip
    agent = RAMPPO(args.env, config=config, device=args.device)
    envs = gym.make_vec(args.env, num_envs=args.num_envs, **split_arguments(args.env, "train"))
    generator = torch.Generator(device=agent.device)
    for _ in range(args.warmup):
        agent.train_update(envs, generator)
        agent.updates += 1
    updates, start, cpu = 0, time.perf_counter(), time.process_time()
    while updates == 0 or time.perf_counter() - start < args.seconds:
        agent.train_update(envs, generator)
        agent.updates += 1
        updates += 1
    if agent.device.type == "cuda":
        torch.cuda.synchronize()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    envs.close()
    steps = updates * agent.steps_per_rollout
    return steps / seconds, (
        f"{updates} updates, {steps:,} steps in {seconds:.1f} s, {steps / cpu:,.0f} per CPU second, {agent.precision}"
    )


def sb3_speed(args: argparse.Namespace, episode_length: int) -> tuple[float, str]:
    """sb3-contrib RecurrentPPO's env steps/s on the same schedule, and a line saying what was timed."""
    n_steps = args.episodes * episode_length
    rollout = args.num_envs * n_steps
    policy_kwargs: dict[str, Any] = {
        "lstm_hidden_size": args.hidden_size, "shared_lstm": True, "enable_critic_lstm": False,
        "features_extractor_kwargs": {"glimpse_hidden": args.glimpse_hidden, "location_hidden": args.location_hidden,
                                      "features_dim": args.hidden_size}}  # fmt: skip
    hyperparams = {"n_steps": n_steps, "batch_size": rollout // args.minibatches, "n_epochs": args.epochs,
                   "learning_rate": 1e-3, "gamma": 1.0, "gae_lambda": 0.95, "ent_coef": 0.01,
                   "policy_kwargs": policy_kwargs}  # fmt: skip
    agent = agents.SB3Agent(
        "recurrent_ppo", args.env, num_envs=args.num_envs, device=args.device, hyperparams=hyperparams
    )
    for _ in range(args.warmup):
        agent.learn(agent.num_timesteps + rollout)
    first, updates, start, cpu = agent.num_timesteps, 0, time.perf_counter(), time.process_time()
    while updates == 0 or time.perf_counter() - start < args.seconds:
        agent.learn(agent.num_timesteps + rollout)
        updates += 1
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    steps = agent.num_timesteps - first
    return steps / seconds, (
        f"{updates} updates, {steps:,} steps in {seconds:.1f} s, {steps / cpu:,.0f} per CPU second, float32"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="GlimpseCatch-v0", choices=(*ram_env.ENV_IDS, *ram_env.GAME_IDS))
    parser.add_argument("--num-envs", type=int, default=1024, help="N, envs side by side (both)")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed seconds of each (at least one update)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed updates first")
    parser.add_argument("--episodes", type=int, default=1, help="whole episodes per env per rollout")
    parser.add_argument("--epochs", type=int, default=4, help="passes over each rollout")
    parser.add_argument("--minibatches", type=int, default=4, help="minibatches per pass")
    parser.add_argument("--glimpse-hidden", type=int, default=64)
    parser.add_argument("--location-hidden", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=128, help="glimpse features and LSTM width")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"), help="ram_ppo's")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=("ram_ppo", "sb3"), default=None, help="time one of them only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    probe = gym.make(args.env)
    episode_length = int(probe.get_wrapper_attr("task").n_glimpses)
    probe.close()
    print(
        f"# {args.env}, N={args.num_envs}, rollouts of {args.episodes} x {episode_length} steps, {args.epochs} "
        f"passes x {args.minibatches} minibatches, widths {args.glimpse_hidden}/{args.location_hidden}/"
        f"{args.hidden_size}, torch threads {args.threads}, device {args.device}",
        flush=True,
    )
    speeds = {}
    if args.only in (None, "ram_ppo"):
        speeds["ram_ppo"], what = ram_ppo_speed(args)
        print(f"ram_ppo:              {speeds['ram_ppo']:>10,.0f} env steps/s ({what})", flush=True)
    if args.only in (None, "sb3"):
        speeds["sb3"], what = sb3_speed(args, episode_length)
        print(f"sb3-contrib RecurrentPPO: {speeds['sb3']:>6,.0f} env steps/s ({what})", flush=True)
    if len(speeds) == 2:
        print(f"ratio ram_ppo / sb3: {speeds['ram_ppo'] / speeds['sb3']:.1f}x (goal: at least 20x)")


if __name__ == "__main__":
    main()
