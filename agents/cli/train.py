"""Train an agent on a ram-env glimpse task, or evaluate a saved one.

    python train_agent.py --algo reinforce --env GlimpseMNIST-v0 --run-dir runs/ram   # the paper's RAM
    python train_agent.py --run-dir runs/ram --resume                                  # after a kill
    python train_agent.py --eval-only --checkpoint runs/ram/checkpoints/best.pt
    python train_agent.py --eval-only --pretrained GlimpseClutteredMNIST-v0           # a shipped agent
    python train_agent.py --algo ppo -n 2000000 --hyperparams learning_rate=1e-3       # stable-baselines3
    python train_agent.py --algo ram_ppo --env GlimpseCatch-v0                         # the project's PPO

The run directory gets ``config.json``, ``checkpoints/latest.pt`` and ``checkpoints/best.pt`` (lowest
validation error), ``tensorboard/``, ``metrics.jsonl`` (one line per epoch), and at the end ``test.json``
(the test error) and ``pictures/glimpse_paths.png`` / ``.gif``. Hyperparameter flags default to the
settings of the env id's file in ``agents/hyperparams/`` (``agents.defaults``), then to the library's
defaults (``agents.ReinforceConfig``, ``agents/hyperparams/defaults.toml``); a flag overrides the file.
``--algo ppo | recurrent_ppo | a2c`` trains stable-baselines3 / sb3-contrib unchanged (``agents.SB3Agent``:
grid actions, the glimpse network as features extractor) from the reward alone, with SB3's progress bar
and TensorBoard scalars, a validation every ``--eval-freq`` env steps, and the same run-directory files.
``--algo ram_ppo`` trains the project's own recurrent PPO (``agents.RAMPPO``, from the reward alone; its flags:
``--help-ram-ppo``, ``agents.RecurrentPPOConfig``) in the same run directory, validating every ``--eval-freq``.

``main`` parses the flags once (``agents.cli.parser.parse_flags``) and ``agents.cli.settings.prepare`` resolves
them into one frozen ``RunSettings``; ``run_training`` then runs ``start`` (or ``resume``), ``train`` and
``report`` over it.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.checkpoints import check_data, data_fingerprint
from agents.cli.checks import FlagError, check_run_dir, check_seed, check_split_count, read_run_config
from agents.cli.parser import EVAL_FLAGS, Flags, build_parser, parse_flags
from agents.cli.settings import OWN_ALGOS, RunSettings, SB3Settings, env_kwargs_of, prepare
from agents.distributed import Distributed, DistributedSetupError
from agents.evaluation import is_game
from agents.reinforce import TrainingDiverged
from agents.run_dir import RunDirectory, RunDirectoryBusy


class DivergenceError(Exception):
    """Training produced a non-finite loss or weights: reported as one line and exit status 1."""


def start_distributed(flags: Flags) -> Distributed | None:
    """Join the other workers when ``torchrun`` started this process (None otherwise). Rank 0 alone writes
    the run directory and prints; ``--device cuda`` becomes this worker's GPU. A restart by torchrun
    (``--max-restarts``) continues from the run's latest checkpoint (``agents.cli.settings.prepare``)."""
    distributed = Distributed.from_environment()
    if distributed is None:
        return None
    if flags.algo != "reinforce" or flags.eval_only:
        raise FlagError("torchrun runs --algo reinforce training only; start other runs with python train_agent.py")
    device = distributed.device(flags.device)
    check_device(device)
    distributed.start(device)
    if not distributed.is_main:
        sys.stdout = open(os.devnull, "w")  # rank 0 prints for all
    return distributed


def run_training(settings: RunSettings, distributed: Distributed | None = None) -> None:
    """Train as ``settings`` say, in its run directory: start (or resume), train, report."""
    from agents.checkpoints import remove_orphans

    files = RunDirectory(settings.run_dir)
    check_run_dir(files.path)
    if distributed is None or distributed.is_main:
        try:
            files.lock()  # one run per run dir; workers other than rank 0 never write it
        except RunDirectoryBusy as exc:
            raise FlagError(str(exc)) from None
        remove_orphans(files.path / "checkpoints")
    agent = resume(settings, files) if settings.resume else start(settings, files, distributed)
    if agent is None:
        return
    train(agent, settings, files, distributed)
    if distributed is not None:
        distributed.barrier()  # rank 0 has written its last checkpoints
    report(agent, settings, files, distributed)


def start(settings: RunSettings, files: RunDirectory, distributed: Distributed | None) -> Any:
    """A new agent for ``settings`` (checked against the split sizes), its run's ``config.json`` written."""
    agent, config = new_agent(settings, files.path)
    if distributed is None or distributed.is_main:
        record = {
            "algo": settings.algo,
            "env_id": settings.env_id,
            "env_kwargs": agent.env_kwargs,
            "device": settings.device,
            "seed": settings.seed,
            "n_timesteps": settings.n_timesteps,
            "config": config,
            **({"precision": agent.precision} if settings.algo in OWN_ALGOS else {}),
            **({"init_from": settings.init_from} if settings.algo == "reinforce" else {}),
            "command": sys.argv,
            "world_size": settings.world_size,
        }
        files.config.write_text(json.dumps(record, indent=2) + "\n")
    return agent


def resume(settings: RunSettings, files: RunDirectory) -> Any:
    """The run's agent at its latest checkpoint, to train on; None when the run is finished and tested."""
    import agents

    try:
        agent = agents.load(files.latest, device=settings.device)
    except ValueError as exc:
        raise FlagError(f"--resume: {exc}") from exc
    check_checkpoint_fits_run(agent, read_run_config(files.path), files.latest, files.path)
    if finished(agent, settings.n_timesteps) and (files.path / "test.json").is_file():
        print(
            f"{files.path} is finished ({agent.num_timesteps:,} env steps) and tested: --resume did nothing; "
            f"the test result is in {files.path / 'test.json'}"
        )
        return None
    if finished(agent, settings.n_timesteps):
        print(
            f"{files.path} finished training ({agent.num_timesteps:,} env steps) but was not tested: --resume tests it"
        )
    else:
        print(f"resuming {files.path} at {agent.num_timesteps} env steps")
        if settings.algo not in OWN_ALGOS:  # REINFORCE's episodes are a function of (seed, epoch) already, and
            agent.reseed_for_resume()  # ram_ppo's of (seed, update)
    return agent


def new_agent(settings: RunSettings, run_dir: Path) -> tuple[Any, dict[str, Any]]:
    """A fresh agent of ``settings``, and its hyperparameters for config.json."""
    import agents

    hyperparams, env_kwargs = settings.hyperparams, dict(settings.env_kwargs)
    if isinstance(hyperparams, SB3Settings):
        tensorboard = str(settings.tensorboard_log or run_dir / "tensorboard")
        try:
            sb3_agent = agents.SB3Agent(
                settings.algo,
                settings.env_id,
                num_envs=hyperparams.num_envs,
                seed=settings.seed,
                device=settings.device,
                grid_size=hyperparams.grid_size,
                location_init_std=hyperparams.location_init_std,
                env_kwargs=env_kwargs,
                hyperparams=dict(hyperparams.kwargs),
                tensorboard_log=tensorboard,
            )
        except TypeError as exc:
            raise FlagError(f"--hyperparams: {exc}") from exc
        except ValueError as exc:
            raise FlagError(str(exc)) from exc
        return sb3_agent, {
            "num_envs": hyperparams.num_envs,
            "grid_size": hyperparams.grid_size,
            "location_init_std": hyperparams.location_init_std,
            "eval_freq": settings.eval_freq,
            "eval_episodes": settings.eval_episodes,
            **sb3_agent.hyperparams,
        }
    if isinstance(hyperparams, agents.RecurrentPPOConfig):
        try:
            ppo_agent = agents.RAMPPO(
                settings.env_id, config=hyperparams, device=settings.device, env_kwargs=env_kwargs
            )
        except ValueError as exc:
            raise FlagError(str(exc)) from exc
        return ppo_agent, asdict(hyperparams)
    assert isinstance(hyperparams, agents.ReinforceConfig)
    agent = agents.ReinforceRAM(settings.env_id, hyperparams, device=settings.device, env_kwargs=env_kwargs)
    if settings.init_from is not None:
        try:
            init = agents.load(settings.init_from)
            if init.algo != "reinforce":
                raise ValueError(f"it holds a {init.algo} agent; a reinforce agent's file is needed")
            agent.initialize_from(init)
        except (FileNotFoundError, ValueError) as exc:
            raise FlagError(f"--init-from {settings.init_from}: {exc}") from exc
    return agent, asdict(hyperparams)


def train(agent: Any, settings: RunSettings, files: RunDirectory, distributed: Distributed | None) -> None:
    """Train ``agent`` to ``-n`` env steps (else all its epochs or steps), keeping the run directory up to date
    (on the main rank). A divergence or a full disk ends it with one line that says what was kept."""
    import agents
    from agents.sb3.training import SB3RunDirectoryCallback

    check_split_count("--pictures", settings.pictures, agent.env_id, "test", **agent.env_kwargs)
    main_rank = distributed is None or distributed.is_main
    if distributed is not None:
        distributed.shard(agent.config.batch_size, "images per update (--batch-size)")
        agent.distributed = distributed
    callback: Any
    if settings.algo in OWN_ALGOS:
        callback = agents.RunDirectoryCallback(files.path, settings.tensorboard_log) if main_rank else None
    else:
        assert settings.eval_freq is not None, "prepare gives every SB3 run its validation interval"
        callback = SB3RunDirectoryCallback(
            agent, files.path, eval_freq=settings.eval_freq, eval_episodes=settings.eval_episodes,
            history=agent.history,
        )  # fmt: skip
    try:
        agent.learn(settings.n_timesteps, callback=callback, progress_bar=settings.progress_bar)
    except TrainingDiverged as exc:
        kept = "no checkpoint was written"
        if files.latest.is_file():
            kept = f"the last good checkpoint, {files.latest}, is kept"
        raise DivergenceError(f"training stopped at {agent.num_timesteps:,} env steps: {exc}; {kept}") from exc
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise FlagError(
            f"no space left on {mount_point(files.path)}; {last_checkpoint(files)}: free some space, then "
            f"continue with python train_agent.py --run-dir {files.path} --resume"
        ) from None


def report(agent: Any, settings: RunSettings, files: RunDirectory, distributed: Distributed | None) -> None:
    """Test the trained run by the selection rule (docs/design.md): the chosen weights, the others, random
    locations and the sampled-path protocols; write ``test.json``, the learning curves and the glimpse paths."""
    import agents
    from agents.pictures import save_glimpse_pictures, save_learning_curves

    if not files.best.is_file():
        print("stopped before the first validation: no checkpoint to test")
        return
    chosen, selection = selected_agent(agent, files, settings.device)
    other = agent if selection == "best" else agents.load(files.best, device=settings.device)
    env_id, env_kwargs = agent.env_id, agent.env_kwargs
    scored = score_test_split(chosen, env_id, env_kwargs, distributed=distributed)
    other_scored = score_test_split(other, env_id, env_kwargs, distributed=distributed)
    guessing = agents.RandomLocations(chosen)
    random_locations = score_test_split(guessing, env_id, env_kwargs, distributed=distributed)
    if distributed is not None and not distributed.is_main:
        return
    best_record = min(agent.history, key=lambda r: r["valid_error"])
    scored.update(
        algo=settings.algo,
        selection=selection,
        checkpoint=str(files.latest if selection == "final" else files.best),
        final_error=scored["error"] if selection == "final" else other_scored["error"],
        best_checkpoint_error=scored["error"] if selection == "best" else other_scored["error"],
        random_location_error=random_locations["error"],
        **sampled_path_errors(chosen, env_id, env_kwargs),
        timesteps=agent.num_timesteps,
        train_seconds=round(agent.history[-1]["train_seconds"], 1),
        best=best_record,
        valid_errors=[r["valid_error"] for r in agent.history],
    )
    (files.path / "test.json").write_text(json.dumps(scored, indent=2) + "\n")
    at = f"epoch {best_record['epoch']}" if "epoch" in best_record else f"{best_record['timesteps']:,} env steps"
    weights = "final weights" if selection == "final" else f"best validation checkpoint, at {at}"
    print(
        f"{score_words(env_id, scored['error'])} ({weights}; best validation "
        f"{100 * best_record['valid_error']:.2f}% at {at}; with random locations "
        f"{score_words(env_id, random_locations['error']).split(' ')[-1]}), {agent.num_timesteps:,} env steps "
        f"in {scored['train_seconds'] / 60:.1f} min -> {files.path / 'test.json'}"
    )
    curves = save_learning_curves(files.metrics, files.path / "pictures" / "learning_curves.png", env_id)
    print(f"learning curves: {curves}")
    if settings.pictures:
        png, gif = save_glimpse_pictures(chosen, env_id, files.path / "pictures", settings.pictures, **env_kwargs)
        print(f"glimpse paths: {png}, {gif}")


def finished(agent: Any, n_timesteps: int | None) -> bool:
    """Whether ``agent`` has trained as far as its run asks: ``-n`` env steps, or (REINFORCE) all its ``epochs``, or
    (ram_ppo) its ``total_timesteps``."""
    if n_timesteps is not None and agent.num_timesteps >= n_timesteps:
        return True
    if agent.algo == "ram_ppo":
        return bool(agent.num_timesteps >= agent.config.total_timesteps)
    return agent.algo == "reinforce" and agent.epoch >= agent.epochs


def selected_agent(agent: Any, files: RunDirectory, device: str) -> tuple[Any, str]:
    """The weights a finished run is tested and shipped with, by the rule of docs/design.md, and the rule's
    name: ``"final"``, ``agent`` as it ended, when it acts with a weight average (REINFORCE with
    ``ema_decay`` > 0): no choice among checkpoints by a noisy validation figure; else ``"best"``, the
    checkpoint of the lowest validation error (``best.pt``)."""
    import agents

    if getattr(agent, "ema", None) is not None:
        return agent, "final"
    return agents.load(files.best, device=device), "best"


def sampled_path_errors(agent: Any, env_id: str, env_kwargs: dict[str, Any], n_paths: int = 10) -> dict[str, float]:
    """Test errors of other protocols, never the table's: one sampled glimpse path per image (as slundqui/tfRAM
    scores), the majority vote of ``n_paths`` sampled paths, and (agents with class probabilities) the mean of
    their probabilities (as kevinzakka's and PrincipalComponent-zz's RAMs score). Empty for a game."""
    from agents.path_vote import evaluate_path_vote

    if is_game(env_id):
        return {}
    paths = evaluate_path_vote(agent, env_id, "test", n_paths, **env_kwargs)
    errors = {"sampled_path_error": paths["path_errors"][0], f"vote_{n_paths}_error": paths["error"]}
    if "average_error" in paths:
        errors[f"average_{n_paths}_error"] = paths["average_error"]
    return errors


def check_checkpoint_fits_run(agent: Any, saved: dict[str, Any], checkpoint: Path, run_dir: Path) -> None:
    """Refuse to resume a run from a checkpoint of another run: its algorithm, env id and env keyword
    arguments must be those of the run's ``config.json`` (``saved``)."""
    from agents.checkpoints import portable_env_kwargs

    ours = {
        "algo": agent.algo,
        "env_id": agent.env_id,
        "env_kwargs": json.loads(json.dumps(portable_env_kwargs(agent.env_kwargs))),
    }
    for key, value in ours.items():
        if key in saved and saved[key] != value:
            raise FlagError(
                f"--resume: {checkpoint} is not this run's checkpoint: its {key} is {value!r}, the run's "
                f"({run_dir / 'config.json'}) {saved[key]!r}; restore the run's own checkpoint or start "
                "a new run"
            )


def check_device(device: str) -> None:
    import torch

    try:
        torch.device(device)
    except RuntimeError as exc:
        raise FlagError(f"--device {device!r} is not a torch device: use cpu, cuda or cuda:N") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise FlagError(f"--device {device}: CUDA is not available on this machine; use --device cpu")


def score_test_split(
    agent: Any, env_id: str, env_kwargs: dict[str, Any], seed: int = 0, distributed: Distributed | None = None
) -> dict[str, Any]:
    """Test error of ``agent`` on the whole test split (episode ``i`` seeded ``seed + i``; with
    ``distributed``, each worker scores its block), with the counts and the seconds it took."""
    from agents.distributed import evaluate_sharded

    start = time.perf_counter()
    result = evaluate_sharded(agent, env_id, "test", distributed, seed=seed, **env_kwargs)
    report = {
        "env_id": env_id,
        "split": "test",
        "error": result["error"],
        "error_percent": round(100 * result["error"], 3),
        "n_episodes": result["n_episodes"],
        "n_correct": result["n_correct"],
        "eval_seconds": round(time.perf_counter() - start, 2),
    }
    return report


def score_words(env_id: str, error: float) -> str:
    """A test figure as the task speaks of it: "test error 0.76%", or for a game "caught 99.81%"."""
    return f"caught {100 * (1 - error):.2f}%" if is_game(env_id) else f"test error {100 * error:.2f}%"


def mount_point(path: Path) -> Path:
    """The mount point of the file system that holds ``path``."""
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def last_checkpoint(files: RunDirectory) -> str:
    """What the run directory's latest checkpoint holds, in words: "the last checkpoint (epoch N) is intact"."""
    from agents.checkpoints import read_checkpoint

    try:
        payload = read_checkpoint(files.latest)
    except (FileNotFoundError, ValueError):
        return "no checkpoint was written yet"
    training = payload.get("training") or {}
    at = f"epoch {training['epoch']}" if "epoch" in training else f"{training.get('num_timesteps', 0):,} env steps"
    return f"the last checkpoint ({at}) is intact"


def run_eval_only(flags: Flags) -> None:
    """Score ``--checkpoint`` (or the shipped agent ``--pretrained``) on the test split, with the evaluation
    flags given."""
    import agents

    if (flags.checkpoint is None) == (flags.pretrained is None):
        raise FlagError(
            "--eval-only needs either --checkpoint PATH (a file written by agent.save or a training run) "
            "or --pretrained ENV_ID (a shipped agent), not both"
        )
    training = [name for name in flags.given if name not in EVAL_FLAGS]
    if training:
        raise FlagError(
            f"--{training[0].replace('_', '-')} is for training; --eval-only takes --checkpoint or "
            "--pretrained, and --data-dir, --n-glimpses, --start, --seed, --device"
        )
    try:
        if flags.pretrained is not None:
            agent = agents.load_pretrained(flags.pretrained, flags.algo, device=flags.device)
            checkpoint = str(agents.pretrained_dir(flags.pretrained, flags.algo) / "agent.pt")
        else:
            agent = agents.load(flags.checkpoint, device=flags.device, allow_other_data=flags.allow_other_data)
            checkpoint = flags.checkpoint
    except (FileNotFoundError, ValueError) as exc:
        raise FlagError(f"--{'pretrained' if flags.pretrained else 'checkpoint'}: {exc}") from exc
    for name, saved in (("env", agent.env_id), ("algo", agent.algo)):
        if name in flags.given and getattr(flags, name) != saved:
            raise FlagError(
                f"--{name} {getattr(flags, name)}: {checkpoint} holds a {agent.algo} agent of {agent.env_id}; "
                f"leave out --{name} or give another --checkpoint"
            )
    seed = flags.seed or 0
    env_kwargs = {**agent.env_kwargs, **env_kwargs_of(flags, agent.env_id)}
    try:
        scored = data_fingerprint(agent.env_id, env_kwargs)
        check_data(agent.data_fingerprint, scored, flags.allow_other_data)
    except (FileNotFoundError, ValueError) as exc:
        raise FlagError(f"--source: {exc}") from exc
    if scored != agent.data_fingerprint:
        print(f"scoring on other images than {checkpoint} was trained on (--allow-other-data)")
    result = score_test_split(agent, agent.env_id, env_kwargs, seed)
    result["seed"] = seed
    print(
        f"{score_words(agent.env_id, result['error'])} ({result['n_episodes'] - result['n_correct']:,} of "
        f"{result['n_episodes']:,} {'games missed' if is_game(agent.env_id) else 'episodes lost'}) on {agent.env_id}"
    )
    print(json.dumps(result))


def check_values(flags: Flags) -> None:
    """Refuse flag values out of range, and ``--pretrained`` without ``--eval-only``."""
    if flags.n_timesteps is not None and flags.n_timesteps < 1:
        raise FlagError(f"-n/--n-timesteps must be >= 1, got {flags.n_timesteps}")
    if flags.pictures < 0:
        raise FlagError(f"--pictures must be >= 0, got {flags.pictures}")
    if flags.n_glimpses is not None and flags.n_glimpses < 2:
        raise FlagError(f"--n-glimpses must be >= 2 (the agents choose at least one location), got {flags.n_glimpses}")
    check_seed(flags.seed)
    check_device(flags.device)
    if flags.pretrained is not None and not flags.eval_only:
        raise FlagError(
            "--pretrained evaluates a shipped agent: add --eval-only (training starts afresh: leave out --pretrained)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    flags = parse_flags(argv, parser)
    settings: RunSettings | None = None
    try:
        check_values(flags)
        distributed = start_distributed(flags)
        try:
            if flags.eval_only:
                run_eval_only(flags)
            else:
                settings = prepare(flags, distributed)
                run_training(settings, distributed)
        finally:
            if distributed is not None:
                distributed.stop()
    except (FlagError, DistributedSetupError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except DivergenceError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if settings is None or not RunDirectory(settings.run_dir).latest.is_file():
            print(f"{parser.prog}: stopped", file=sys.stderr)
        else:
            print(
                f"{parser.prog}: stopped; resume with: python train_agent.py --run-dir {settings.run_dir} --resume",
                file=sys.stderr,
            )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
