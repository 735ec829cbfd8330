"""What one training command does, resolved once from its flags: ``prepare`` checks the flags against the
algorithm, reads the env's hyperparameter file under them, chooses the run directory (and, resuming, reads the
run's own ``config.json``), and returns a frozen ``RunSettings`` that the rest of the command only reads."""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from agents.cli.checks import FlagError, check_data_dir, check_sb3_hyperparams, check_split_count, read_run_config
from agents.cli.env_flags import ENV_FLAGS, env_flag_kwargs
from agents.cli.parser import DEFAULT_ENV, SB3_SETTINGS, Flags
from agents.config import ReinforceConfig
from agents.defaults import default_hyperparams, env_hyperparams, hyperparams_file
from agents.distributed import Distributed
from agents.recurrent_ppo import RecurrentPPOConfig
from agents.run_dir import RunDirectory

__all__ = ["OWN_ALGOS", "RunSettings", "SB3Settings", "env_kwargs_of", "prepare"]

# The algorithms trained by the project's own loop (agents.TrainingCallback, agents.RunDirectoryCallback), each
# with its hyperparameters in one dataclass whose fields are flags; the others are stable-baselines3's.
OWN_ALGOS = ("reinforce", "ram_ppo")
# The SB3 run settings that ram_ppo's fields share (one flag, one meaning); SB3's others are not ram_ppo's.
SHARED_SB3_FLAGS = ("num_envs", "eval_freq")
# The flags of a new run's settings, which --resume refuses (the run keeps its own).
RUN_SETTING_FLAGS = (
    "seed",
    "num_envs",
    "grid_size",
    "location_init_std",
    "eval_freq",
    "eval_episodes",
    "hyperparams",
    "init_from",
    "data_dir",
    "n_glimpses",
    "start",
    *ENV_FLAGS,
)


@dataclass(frozen=True)
class SB3Settings:
    """A new stable-baselines3 run's settings: its length and validation interval (env steps), its batched env
    and location grid (each flag given, else the env's file, else the library's defaults), and the class's
    keyword arguments (``--hyperparams`` over the env's file over the library's defaults)."""

    n_timesteps: int
    num_envs: int
    grid_size: int
    location_init_std: float
    eval_freq: int
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class RunSettings:
    """One training command, resolved: never changed after ``prepare``.

    ``hyperparams`` is a new run's (``ReinforceConfig``, ``RecurrentPPOConfig`` or ``SB3Settings``), None when
    resuming (the checkpoint holds them). ``n_timesteps``: stop after this many env steps (None: the config's
    epochs or total). ``eval_freq`` / ``eval_episodes``: the SB3 validations (env steps apart; images).
    """

    algo: str
    env_id: str
    seed: int
    device: str
    run_dir: Path
    resume: bool
    n_timesteps: int | None
    env_kwargs: Mapping[str, Any]
    pictures: int
    progress_bar: bool
    tensorboard_log: str | None
    init_from: str | None = None
    hyperparams: ReinforceConfig | RecurrentPPOConfig | SB3Settings | None = None
    eval_freq: int | None = None
    eval_episodes: int | None = None
    world_size: int = 1


def prepare(flags: Flags, distributed: Distributed | None = None) -> RunSettings:
    """The settings of the training that ``flags`` ask for (a restart by torchrun: the continuation of the run
    its first workers numbered).

    Raises:
        FlagError: a flag that does not fit the algorithm, a bad value or hyperparameter file, ``--resume``
            of a run that is not there, or a ``--run-dir`` that already holds a run.
    """
    device = flags.device if distributed is None else distributed.device(flags.device)
    progress_bar = not flags.no_progress_bar and (distributed is None or distributed.is_main)
    restarted = torchrun_restarted_run(flags, distributed)
    if restarted is not None:
        print(f"torchrun restarted the workers: resuming {restarted.path} from its latest checkpoint")
        return resumed_settings(flags, restarted, device, progress_bar)
    check_flags_fit_algo(flags)
    seed = 0 if flags.seed is None else flags.seed
    files = run_directory(flags, seed, distributed)
    if flags.resume:
        refused = [name for name in (*RUN_SETTING_FLAGS, *config_flags(flags)) if name in flags.given]
        if refused:
            raise FlagError(
                f"--resume continues with the run's own settings: give only --run-dir (and --device), "
                f"not --{refused[0].replace('_', '-')}"
            )
        return resumed_settings(flags, files, device, progress_bar)
    if files.latest.exists():
        raise FlagError(f"--run-dir {files.path} already holds a run: add --resume, or choose another --run-dir")
    env_kwargs = env_kwargs_of(flags)  # checks --data-dir before anything reads it
    hyperparams: ReinforceConfig | RecurrentPPOConfig | SB3Settings
    n_timesteps, eval_freq, eval_episodes = flags.n_timesteps, None, None
    if flags.algo == "reinforce":
        hyperparams = config_of(flags, ReinforceConfig, "reinforce", seed=seed)
    elif flags.algo == "ram_ppo":
        hyperparams = config_of(flags, RecurrentPPOConfig, "ram_ppo", "[ram_ppo] ", seed=seed)
    else:
        hyperparams = sb3_settings_of(flags)
        n_timesteps, eval_freq, eval_episodes = hyperparams.n_timesteps, hyperparams.eval_freq, flags.eval_episodes
        check_split_count("--eval-episodes", eval_episodes, flags.env, "valid", **env_kwargs)
    check_split_count("--pictures", flags.pictures, flags.env, "test", **env_kwargs)
    return RunSettings(
        algo=flags.algo,
        env_id=flags.env,
        seed=seed,
        device=device,
        run_dir=files.path,
        resume=False,
        n_timesteps=n_timesteps,
        env_kwargs=MappingProxyType(env_kwargs),
        pictures=flags.pictures,
        progress_bar=progress_bar,
        tensorboard_log=flags.tensorboard_log,
        init_from=flags.init_from,
        hyperparams=hyperparams,
        eval_freq=eval_freq,
        eval_episodes=eval_episodes,
        world_size=1 if distributed is None else distributed.world_size,
    )


def resumed_settings(flags: Flags, files: RunDirectory, device: str, progress_bar: bool) -> RunSettings:
    """The settings of the run in ``files`` continued: its own, from its ``config.json``, with ``-n`` where given."""
    if not files.latest.is_file():
        raise FlagError(f"--resume: no checkpoint at {files.latest}; start the run without --resume")
    saved = read_run_config(files.path)
    algo = saved.get("algo", flags.algo)
    if "algo" in flags.given and algo != flags.algo:
        raise FlagError(f"--resume: {files.path} holds a {algo} run; pass --algo {algo}")
    config = saved.get("config", {})
    n_timesteps = flags.n_timesteps if flags.n_timesteps is not None else saved.get("n_timesteps")
    eval_freq, eval_episodes = config.get("eval_freq"), config.get("eval_episodes")
    if algo not in OWN_ALGOS:
        n_timesteps = n_timesteps or SB3_SETTINGS["n_timesteps"]
        eval_freq = eval_freq or SB3_SETTINGS["eval_freq"]
    return RunSettings(
        algo=algo,
        env_id=saved.get("env_id", DEFAULT_ENV),
        seed=saved.get("seed", 0),
        device=device,
        run_dir=files.path,
        resume=True,
        n_timesteps=n_timesteps,
        env_kwargs=MappingProxyType(dict(saved.get("env_kwargs", {}))),
        pictures=flags.pictures,
        progress_bar=progress_bar,
        tensorboard_log=flags.tensorboard_log,
        eval_freq=eval_freq,
        eval_episodes=eval_episodes,
        world_size=saved.get("world_size", 1),
    )


def torchrun_restarted_run(flags: Flags, distributed: Distributed | None) -> RunDirectory | None:
    """When torchrun (``--max-restarts``) restarted the workers of a run that has a checkpoint: that run (the
    ``--run-dir``, else the last numbered one of the flags' algorithm, env and seed), to continue."""
    if distributed is None or flags.resume or int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) == 0:
        return None
    started = RunDirectory.numbered(flags.algo, flags.env, 0 if flags.seed is None else flags.seed)
    files = RunDirectory(flags.run_dir) if flags.run_dir else started[-1] if started else None
    return files if files is not None and files.latest.is_file() else None


def run_directory(flags: Flags, seed: int, distributed: Distributed | None = None) -> RunDirectory:
    """The run directory: ``--run-dir``, else the next free ``runs/ALGO_ENV_SEED_K`` (rank 0's choice under
    torchrun). ``--resume`` needs ``--run-dir``."""
    if flags.run_dir:
        return RunDirectory(flags.run_dir)
    if flags.resume:
        raise FlagError("--resume needs --run-dir: the run to continue, e.g. runs/reinforce_GlimpseMNIST-v0_0_1")
    files = RunDirectory.next_free(flags.algo, flags.env, seed)
    return files if distributed is None else RunDirectory(distributed.share(str(files.path)))


def env_kwargs_of(flags: Flags, env_id: str | None = None) -> dict[str, Any]:
    """The keyword arguments of ``env_id`` (default ``--env``) that the flags ask for, checked (``--data-dir``'s
    files, the env made once)."""
    env_id = flags.env if env_id is None else env_id
    kwargs: dict[str, Any] = {}
    if flags.data_dir is not None:
        check_data_dir(env_id, flags.data_dir)
        kwargs["data_dir"] = str(Path(flags.data_dir).resolve())
    if flags.n_glimpses is not None:
        kwargs["n_glimpses"] = flags.n_glimpses
    if flags.start is not None:
        kwargs["start"] = flags.start
    kwargs.update(env_flag_kwargs(flags, env_id))
    return kwargs


def file_defaults(env_id: str, algo: str, with_library: bool = False) -> dict[str, Any]:
    """The ``[algo]`` table of ``env_id``'s hyperparameter file (``with_library``: over the library's
    defaults); a broken file is a flag error naming it."""
    try:
        return (env_hyperparams if with_library else default_hyperparams)(env_id, algo)
    except ValueError as exc:
        raise FlagError(str(exc)) from exc


def config_flags(flags: Flags) -> list[str]:
    """The hyperparameter flags given: fields of ``ReinforceConfig`` or ``RecurrentPPOConfig``."""
    names = {*ReinforceConfig.field_names(), *RecurrentPPOConfig.field_names()} - {"seed", *SHARED_SB3_FLAGS}
    return [name for name in flags.given if name in names]


def config_of(flags: Flags, cls: Any, table: str, prefix: str = "", *, seed: int) -> Any:
    """``cls`` (a hyperparameter dataclass) from the env's ``[table]`` over its defaults, the flags given over
    both, and ``seed``; a bad file or flag is a ``FlagError`` naming it."""
    given = {f.name: getattr(flags, f.name) for f in fields(cls) if f.name != "seed" and f.name in flags.given}
    file = file_defaults(flags.env, table)
    try:
        cls(**file)
    except (TypeError, ValueError) as exc:
        raise FlagError(f"{hyperparams_file(flags.env)}: {prefix}{exc}") from exc
    try:
        return cls(**{**file, **given, "seed": seed})
    except ValueError as exc:
        raise FlagError(f"--{str(exc).replace('_', '-')}") from exc


def hyperparams_of(flags: Flags) -> dict[str, Any]:
    """``--hyperparams KEY=VALUE ...`` as a dict, values read as Python literals (numbers, True, strings)."""
    out: dict[str, Any] = {}
    for item in flags.hyperparams:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise FlagError(f"--hyperparams {item!r}: expected KEY=VALUE, e.g. learning_rate=1e-3")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def sb3_settings_of(flags: Flags) -> SB3Settings:
    """A new SB3 run's settings: each flag given, else the env's file, else the library's defaults
    (``agents.defaults.env_hyperparams``); ``--hyperparams`` over the keyword arguments (checked)."""
    file = file_defaults(flags.env, flags.algo, with_library=True)
    value = {name: file[name] if getattr(flags, name) is None else getattr(flags, name) for name in SB3_SETTINGS}
    kwargs = {**{key: v for key, v in file.items() if key not in SB3_SETTINGS}, **hyperparams_of(flags)}
    check_sb3_hyperparams(kwargs)
    return SB3Settings(**value, kwargs=MappingProxyType(kwargs))


def check_flags_fit_algo(flags: Flags) -> None:
    """Reject hyperparameter flags of the other family of algorithms, and bad SB3 run settings."""
    ppo_names = set(RecurrentPPOConfig.field_names())
    reinforce_names = set(ReinforceConfig.field_names())
    ppo_only = [name for name in flags.given if name in ppo_names - reinforce_names - set(SHARED_SB3_FLAGS)]
    if ppo_only and flags.algo != "ram_ppo":
        raise FlagError(
            f"--{ppo_only[0].replace('_', '-')} is a ram_ppo hyperparameter; --algo {flags.algo} does not take it"
        )
    sb3_only = ("grid_size", "location_init_std", "eval_episodes", "hyperparams")
    if flags.algo == "ram_ppo":
        others = [*(reinforce_names - ppo_names), "init_from", *sb3_only]
        given = [name for name in flags.given if name in others]
        if given:
            raise FlagError(
                f"--{given[0].replace('_', '-')} is not a ram_ppo flag; --algo ram_ppo takes the flags "
                "of --help-ram-ppo"
            )
    elif flags.algo == "reinforce":
        given = [name for name in flags.given if name in (*SHARED_SB3_FLAGS, *sb3_only)]
        if given:
            also = " and ram_ppo" if given[0] in SHARED_SB3_FLAGS else ""
            raise FlagError(
                f"--{given[0].replace('_', '-')} is for the SB3 algorithms{also}; --algo reinforce takes "
                "the reinforce hyperparameter flags"
            )
    else:
        # --seed seeds SB3 too
        given = [name for name in flags.given if name in (reinforce_names - {"seed"}) | {"init_from"}]
        if given:
            raise FlagError(
                f"--{given[0].replace('_', '-')} is a reinforce hyperparameter; for --algo {flags.algo} "
                f"use --hyperparams KEY=VALUE (SB3's keyword arguments)"
            )
        for name in ("num_envs", "grid_size", "eval_freq", "eval_episodes"):
            if getattr(flags, name) is not None and getattr(flags, name) < (2 if name == "grid_size" else 1):
                raise FlagError(f"--{name.replace('_', '-')} must be >= {2 if name == 'grid_size' else 1}")
        if flags.location_init_std is not None and not flags.location_init_std > 0:
            raise FlagError(f"--location-init-std must be > 0 (inf: a uniform start), got {flags.location_init_std}")
