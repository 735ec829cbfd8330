"""Train an agent on a ram-env glimpse task, or evaluate a saved one.

    python train_agent.py --algo reinforce --env GlimpseMNIST-v0 --run-dir runs/ram   # the paper's RAM
    python train_agent.py --run-dir runs/ram --resume                                  # after a kill
    python train_agent.py --eval-only --checkpoint runs/ram/checkpoints/best.pt

The run directory gets ``config.json``, ``checkpoints/latest.pt`` and ``checkpoints/best.pt`` (lowest
validation error), ``tensorboard/``, ``metrics.jsonl`` (one line per epoch), and at the end ``test.json``
(the test error) and ``pictures/glimpse_paths.png`` / ``.gif``. Hyperparameter flags default to the
configuration that reaches the paper's error on GlimpseMNIST-v0 (``agents.ReinforceConfig``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import ram_env
from agents.config import ReinforceConfig

ALGOS = ("reinforce", "ppo", "recurrent_ppo", "a2c")
IMPLEMENTED = ("reinforce",)
_HELP = {
    "core": "core network: rnn (the paper's) or lstm",
    "glimpse_hidden": "width of the glimpse network's glimpse layer h_g",
    "location_hidden": "width of the glimpse network's location layer h_l",
    "hidden_size": "width of g_t and of the core state h_t",
    "location_std": "std of the Gaussian location policy ([-1, 1] spans the canvas)",
    "batch_size": "episodes per update (= envs in the training gym.make_vec)",
    "epochs": "training epochs (an epoch = as many episodes as training images)",
    "learning_rate": "Adam's peak learning rate",
    "warmup_epochs": "linear learning-rate warm-up, in epochs, before the cosine decay",
    "weight_decay": "AdamW weight decay",
    "num_threads": "torch CPU threads (0: torch's default)",
}


class UsageError(Exception):
    """A bad flag or path: reported as one line and exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algo", default="reinforce", choices=ALGOS, help="learning algorithm")
    parser.add_argument("--env", default="GlimpseMNIST-v0", choices=ram_env.ENV_IDS, help="env id")
    parser.add_argument("-n", "--n-timesteps", type=int, default=None,
                        help="stop after this many env steps (glimpses); default: all --epochs")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, ...")
    parser.add_argument("--data-dir", default=None, help="folder of MNIST-format IDX files (default: shipped MNIST)")
    parser.add_argument("--n-glimpses", type=int, default=None, help="glimpses per episode (default: the env's)")
    parser.add_argument("--start", choices=("random", "center"), default=None,
                        help="first glimpse location (default: the env's, random)")
    parser.add_argument("--run-dir", default=None, help="run directory (default: runs/ALGO_ENV_SEED)")
    parser.add_argument("--tensorboard-log", default=None, help="TensorBoard folder (default: RUN_DIR/tensorboard)")
    parser.add_argument("--resume", action="store_true", help="continue the --run-dir run from its latest checkpoint")
    parser.add_argument("--eval-only", action="store_true", help="only evaluate --checkpoint on the test split")
    parser.add_argument("--checkpoint", default=None, help="saved agent to evaluate (with --eval-only)")
    parser.add_argument("--pictures", type=int, default=8, help="test images whose glimpse paths are drawn (0: none)")
    parser.add_argument("--no-progress-bar", action="store_true", help="hide the progress bar")
    group = parser.add_argument_group("hyperparameters (reinforce)")
    for field in fields(ReinforceConfig):
        if field.name == "seed":
            continue
        kind = {"int": int, "float": float, "str": str}[str(field.type)]
        group.add_argument("--" + field.name.replace("_", "-"), type=kind, default=None,
                           help=f"{_HELP[field.name]} (default {field.default})")
    return parser


def env_kwargs_of(args: argparse.Namespace) -> dict[str, Any]:
    """The env keyword overrides the flags ask for."""
    kwargs: dict[str, Any] = {}
    if args.data_dir is not None:
        if not Path(args.data_dir).is_dir():
            raise UsageError(f"--data-dir {args.data_dir}: no such folder (it must hold the four MNIST IDX files)")
        kwargs["data_dir"] = str(Path(args.data_dir).resolve())
    if args.n_glimpses is not None:
        kwargs["n_glimpses"] = args.n_glimpses
    if args.start is not None:
        kwargs["start"] = args.start
    return kwargs


def config_of(args: argparse.Namespace) -> ReinforceConfig:
    """The hyperparameters: the defaults, overridden by the flags given."""
    given = {f.name: getattr(args, f.name) for f in fields(ReinforceConfig) if getattr(args, f.name) is not None}
    try:
        return ReinforceConfig(**given)
    except ValueError as exc:
        raise UsageError(f"--{str(exc).replace('_', '-')}") from exc


def check_device(device: str) -> None:
    import torch

    try:
        torch.device(device)
    except RuntimeError as exc:
        raise UsageError(f"--device {device!r} is not a torch device: use cpu, cuda or cuda:N") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {device}: CUDA is not available on this machine; use --device cpu")


def evaluate_and_report(agent: Any, env_id: str, env_kwargs: dict[str, Any], out: Path | None) -> dict[str, Any]:
    """Test error of ``agent`` on the whole test split; printed, and written to ``out`` if given."""
    import agents

    start = time.perf_counter()
    result = agents.evaluate(agent, env_id, split="test", **env_kwargs)
    report = {
        "env_id": env_id,
        "split": "test",
        "error": result["error"],
        "error_percent": round(100 * result["error"], 3),
        "n_episodes": result["n_episodes"],
        "n_correct": result["n_correct"],
        "eval_seconds": round(time.perf_counter() - start, 2),
    }
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def run_eval_only(args: argparse.Namespace) -> None:
    import agents

    if args.checkpoint is None:
        raise UsageError("--eval-only needs --checkpoint PATH (a file written by agent.save or a training run)")
    try:
        agent = agents.load(args.checkpoint, device=args.device)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(f"--checkpoint: {exc}") from exc
    report = evaluate_and_report(agent, agent.env_id, {**agent.env_kwargs, **env_kwargs_of(args)}, None)
    print(json.dumps(report))


def run_training(args: argparse.Namespace) -> None:
    import agents
    from agents.pictures import save_glimpse_pictures

    seed = 0 if args.seed is None else args.seed
    run_dir = Path(args.run_dir or f"runs/{args.algo}_{args.env}_{seed}")
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--run-dir {run_dir} is a file, not a folder")
    callback = agents.RunDirectoryCallback(run_dir, args.tensorboard_log)
    if args.resume:
        if not callback.latest.is_file():
            raise UsageError(f"--resume: no checkpoint at {callback.latest}; start the run without --resume")
        config_given = {f.name for f in fields(ReinforceConfig) if getattr(args, f.name, None) is not None}
        if config_given or args.seed is not None or env_kwargs_of(args):
            raise UsageError("--resume continues with the run's own settings: give only --run-dir (and --device)")
        agent = agents.load(callback.latest, device=args.device)
        if args.n_timesteps is None and (run_dir / "config.json").is_file():
            args.n_timesteps = json.loads((run_dir / "config.json").read_text()).get("n_timesteps")
        print(f"resuming {run_dir} at epoch {agent.epoch} ({agent.num_timesteps} env steps)")
    else:
        if callback.latest.exists():
            raise UsageError(f"--run-dir {run_dir} already holds a run: add --resume, or choose another --run-dir")
        config = config_of(args)
        config.seed = seed
        agent = agents.ReinforceRAM(args.env, config, args.device, env_kwargs_of(args))
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(json.dumps(
            {"algo": args.algo, "env_id": args.env, "env_kwargs": agent.env_kwargs, "device": args.device,
             "n_timesteps": args.n_timesteps, "config": asdict(config), "command": sys.argv}, indent=2) + "\n")
    agent.learn(args.n_timesteps, callback=callback, progress_bar=not args.no_progress_bar)
    if agent.epoch == 0:
        print("stopped before the first epoch ended: no checkpoint to test")
        return
    best = agents.load(callback.best, device=args.device)
    report = evaluate_and_report(best, agent.env_id, agent.env_kwargs, None)
    final = evaluate_and_report(agent, agent.env_id, agent.env_kwargs, None)
    random_locations = evaluate_and_report(agents.RandomLocations(best), agent.env_id, agent.env_kwargs, None)
    report.update(
        checkpoint=str(callback.best),
        best_epoch=min(agent.history, key=lambda r: r["valid_error"])["epoch"],
        final_error=final["error"],
        random_location_error=random_locations["error"],
        epochs=agent.epoch,
        train_seconds=round(agent.train_seconds, 1),
        valid_error_per_epoch=[r["valid_error"] for r in agent.history],
    )
    (run_dir / "test.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"test error {report['error_percent']}% (best validation epoch {report['best_epoch']}; with random "
          f"locations {100 * random_locations['error']:.2f}%), {agent.epoch} epochs in "
          f"{agent.train_seconds / 60:.1f} min -> {run_dir / 'test.json'}")
    if args.pictures:
        png, gif = save_glimpse_pictures(best, agent.env_id, run_dir / "pictures", args.pictures, **agent.env_kwargs)
        print(f"glimpse paths: {png}, {gif}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.algo not in IMPLEMENTED:
            raise UsageError(f"--algo {args.algo} is not implemented yet (implemented: {', '.join(IMPLEMENTED)})")
        if args.n_timesteps is not None and args.n_timesteps < 1:
            raise UsageError(f"-n/--n-timesteps must be >= 1, got {args.n_timesteps}")
        if args.pictures < 0:
            raise UsageError(f"--pictures must be >= 0, got {args.pictures}")
        check_device(args.device)
        if args.eval_only:
            run_eval_only(args)
        else:
            run_training(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
