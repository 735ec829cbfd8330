"""The paper's table of test errors, rebuilt from REINFORCE runs of train_agent.py.

For every classification task it reads the run's ``test.json`` (written at the end of
``python train_agent.py --algo reinforce --env ID``; default run directory ``runs/reinforce_ID_SEED``) and
prints a markdown table: the task, glimpses, retina, the paper's error, ours, the error of the same
networks with uniformly random glimpse locations (the paper's point: the learned policy should matter
most on clutter), epochs and training wall time. ``--train`` first trains the tasks whose run is missing
(or resumes an unfinished one) with their default hyperparameters (``agents/hyperparams/ID.toml``);
extra train_agent.py flags such as ``--epochs 1`` give a small budget (CI runs it so).

    python benchmarks/paper_table.py                                  # from finished runs
    python benchmarks/paper_table.py --train                          # train what is missing (hours)
    python benchmarks/paper_table.py --train --runs-dir /tmp/t -- --epochs 1   # tiny budget
    python benchmarks/paper_table.py --pretrained                     # score the shipped agents (minutes)
    python benchmarks/paper_table.py --pretrained --vote-paths 10     # and a column of 10-path votes
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

import ram_env

TRAIN_AGENT = Path(__file__).resolve().parents[1] / "train_agent.py"


def default_run_dir(runs_dir: Path, env_id: str, seed: int) -> Path:
    """train_agent.py's default run directory of a REINFORCE run."""
    return runs_dir / f"reinforce_{env_id}_{seed}"


def train(env_id: str, run_dir: Path, seed: int, extra: list[str]) -> None:
    """Train (or resume) the REINFORCE run of ``env_id`` in ``run_dir`` to its end, with train_agent.py."""
    if (run_dir / "checkpoints" / "latest.pt").is_file():
        command = ["--algo", "reinforce", "--run-dir", str(run_dir), "--resume"]
    else:
        command = ["--algo", "reinforce", "--env", env_id, "--seed", str(seed), "--run-dir", str(run_dir), *extra]
    print(f"training {env_id}: train_agent.py {' '.join(command)}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(TRAIN_AGENT), "--no-progress-bar", *command], check=True)


def retina_of(env_id: str, env_kwargs: dict[str, Any]) -> tuple[int, str]:
    """``(glimpses, "g x g x k")`` of ``env_id`` with the run's env keyword arguments."""
    env = gym.make(env_id, **env_kwargs)
    task = env.unwrapped.task
    env.close()
    return task.n_glimpses, f"{task.glimpse_size}x{task.glimpse_size} x {task.n_scales}"


def row_of(env_id: str, env_kwargs: dict[str, Any], test: dict[str, Any], where: Path) -> list[str]:
    """One markdown row of the table from a run's ``test.json`` contents (read from ``where``)."""
    glimpses, retina = retina_of(env_id, env_kwargs)
    missing = [key for key in ("error", "random_location_error", "valid_errors", "train_seconds") if key not in test]
    if missing:
        raise SystemExit(
            f"{where} lacks {', '.join(missing)}: it was written by an older train_agent.py; "
            f"train the task again, or name another run with --run {env_id}=DIR"
        )
    return [
        env_id,
        str(glimpses),
        retina,
        f"{ram_env.PAPER_ERRORS[env_id]:.2f}%",
        f"{100 * test['error']:.2f}%",
        f"{100 * test['random_location_error']:.2f}%",
        str(len(test["valid_errors"])),
        f"{test['train_seconds'] / 60:.1f} min",
    ]


def table_row(env_id: str, run_dir: Path) -> list[str]:
    """One markdown row of the table for the run in ``run_dir`` (dashes if it has not finished)."""
    config_path, test_path = run_dir / "config.json", run_dir / "test.json"
    env_kwargs = json.loads(config_path.read_text())["env_kwargs"] if config_path.is_file() else {}
    if not test_path.is_file():
        glimpses, retina = retina_of(env_id, env_kwargs)
        paper = f"{ram_env.PAPER_ERRORS[env_id]:.2f}%"
        return [env_id, str(glimpses), retina, paper, f"not run ({run_dir}/test.json missing)", "-", "-", "-"]
    return row_of(env_id, env_kwargs, json.loads(test_path.read_text()), test_path)


def pretrained_row(env_id: str, vote_paths: int = 0) -> list[str]:
    """One markdown row for the shipped REINFORCE agent of ``env_id``: its test error and random-location
    error measured now on the whole test split; epochs and training time from its run's record; with
    ``vote_paths``, the test error of the majority vote of that many sampled paths per image
    (``agents.path_vote``) as a last column."""
    import agents
    from agents.path_vote import evaluate_path_vote

    if ("reinforce", env_id) not in agents.available_pretrained():
        glimpses, retina = retina_of(env_id, {})
        return [
            env_id,
            str(glimpses),
            retina,
            f"{ram_env.PAPER_ERRORS[env_id]:.2f}%",
            "no shipped agent",
            "-",
            "-",
            "-",
        ] + ["-"] * bool(vote_paths)
    folder = agents.pretrained_dir(env_id)
    agent = agents.load_pretrained(env_id)
    test = json.loads((folder / "test.json").read_text())
    print(f"evaluating the shipped agent of {env_id} on its test split", file=sys.stderr, flush=True)
    test["error"] = agents.evaluate(agent, env_id, split="test", **agent.env_kwargs)["error"]
    test["random_location_error"] = agents.evaluate(
        agents.RandomLocations(agent), env_id, split="test", **agent.env_kwargs
    )["error"]
    row = row_of(env_id, agent.env_kwargs, test, folder / "test.json")
    if vote_paths:
        print(f"voting over {vote_paths} sampled paths per image", file=sys.stderr, flush=True)
        vote = evaluate_path_vote(agent, env_id, "test", vote_paths, **agent.env_kwargs)["error"]
        row.append(f"{100 * vote:.2f}%")
    return row


def markdown(rows: list[list[str]], vote_paths: int = 0) -> str:
    """The table, headed by the date and the machine."""
    import torch

    header = [
        "task",
        "glimpses",
        "retina (size x scales)",
        "paper",
        "ours (test error)",
        "random locations",
        "epochs",
        "training time",
    ]
    if vote_paths:
        header.append(f"vote of {vote_paths} sampled paths (extra)")
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__} (REINFORCE, seed as in each run's config.json).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--ids", nargs="+", default=list(ram_env.ENV_IDS), choices=ram_env.ENV_IDS, help="tasks (default: all four)"
    )
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"), help="folder of the run directories")
    parser.add_argument("--run", nargs="+", default=[], metavar="ID=DIR", help="a run directory for a task")
    parser.add_argument("--seed", type=int, default=0, help="seed of the default run directories")
    parser.add_argument("--train", action="store_true", help="train the tasks whose run has no test.json")
    parser.add_argument(
        "--pretrained",
        action="store_true",
        help="score the agents shipped in the package (agents.load_pretrained) instead of runs",
    )
    parser.add_argument(
        "--vote-paths",
        type=int,
        default=0,
        metavar="K",
        help="with --pretrained: add the test error of the majority vote of K sampled paths per image",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this file")
    parser.add_argument("train_flags", nargs="*", help="after --: train_agent.py flags for --train (e.g. --epochs 1)")
    args = parser.parse_args(argv)
    run_dirs = {env_id: default_run_dir(args.runs_dir, env_id, args.seed) for env_id in args.ids}
    for item in args.run:
        env_id, sep, folder = item.partition("=")
        if not sep or env_id not in run_dirs:
            parser.error(f"--run {item!r}: expected ID=DIR with ID one of {args.ids}")
        run_dirs[env_id] = Path(folder)
    if args.pretrained and (args.train or args.run):
        parser.error("--pretrained scores the shipped agents: leave out --train and --run")
    if args.vote_paths < 0 or (args.vote_paths and not args.pretrained):
        parser.error(f"--vote-paths {args.vote_paths}: give a number of paths >= 1, with --pretrained")
    for env_id, run_dir in run_dirs.items():
        if args.train and not (run_dir / "test.json").is_file():
            train(env_id, run_dir, args.seed, args.train_flags)
    if args.pretrained:
        table = markdown([pretrained_row(env_id, args.vote_paths) for env_id in args.ids], args.vote_paths)
    else:
        table = markdown([table_row(env_id, run_dir) for env_id, run_dir in run_dirs.items()])
    print(table, end="")
    if args.out is not None:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
