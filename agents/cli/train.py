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
"""

from __future__ import annotations

import argparse
import ast
import errno
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, NoReturn

import ram_env
from agents.checkpoints import ALGORITHMS, check_data, data_fingerprint
from agents.cli.checks import (
    FlagError,
    check_data_dir,
    check_run_dir,
    check_sb3_hyperparams,
    check_seed,
    check_split_count,
    read_run_config,
)
from agents.cli.env_flags import ENV_FLAGS, add_env_flags, env_flag_kwargs
from agents.config import ReinforceConfig
from agents.defaults import SB3_RUN_SETTINGS, default_hyperparams, env_hyperparams, hyperparams_file, library_defaults
from agents.distributed import Distributed, DistributedSetupError
from agents.evaluation import is_game
from agents.recurrent_ppo import RecurrentPPOConfig
from agents.reinforce import TrainingDiverged
from agents.run_dir import RunDirectory, RunDirectoryBusy

ALGOS = tuple(ALGORITHMS)
DEFAULT_ALGO, DEFAULT_ENV = "reinforce", "GlimpseMNIST-v0"
# The flags --eval-only takes besides --checkpoint; the others train, and are refused with it.
EVAL_FLAGS = (
    "algo",
    "env",
    "seed",
    "device",
    "data_dir",
    "n_glimpses",
    "start",
    "eval_only",
    "checkpoint",
    "pretrained",
    "no_progress_bar",
    "allow_other_data",
    *ENV_FLAGS,
)
# The SB3 run settings when neither a flag nor the env id's hyperparameter file gives them.
SB3_SETTINGS = library_defaults(SB3_RUN_SETTINGS)


class UsageError(Exception):
    """A bad flag or path: reported as one line and exit status 2."""


def parse_bool(text: str) -> bool:
    """``true``/``false`` (also 1/0, yes/no) as a flag value."""
    value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


class DivergenceError(Exception):
    """Training produced a non-finite loss or weights: reported as one line and exit status 1."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line and a pointer to ``--help`` rather than the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


HELP_GROUPS = {
    "reinforce": "the REINFORCE hyperparameters",
    "ram_ppo": "the ram_ppo (recurrent PPO) hyperparameters",
    "sb3": "the stable-baselines3 settings",
    "env": "the task (canvas, retina, your own images)",
}
# The algorithms trained by the project's own loop (agents.TrainingCallback, agents.RunDirectoryCallback), each
# with its hyperparameters in one dataclass whose fields are flags; the others are stable-baselines3's.
OWN_ALGOS = ("reinforce", "ram_ppo")
# The SB3 run settings that ram_ppo's fields share (one flag, one meaning); SB3's others are not ram_ppo's.
SHARED_SB3_FLAGS = ("num_envs", "eval_freq")
ENV_CHOICES = (*ram_env.ENV_IDS, ram_env.IMAGES_ID, *ram_env.GAME_IDS)
USAGE = """examples:
  %(prog)s  # train the paper's RAM on GlimpseMNIST-v0 (REINFORCE)
  %(prog)s --env GlimpseClutteredMNIST-v0 --seed 1
  %(prog)s --run-dir runs/reinforce_GlimpseMNIST-v0_0_1 --resume
  %(prog)s --eval-only --pretrained GlimpseClutteredMNIST-v0  # a shipped agent
  %(prog)s --algo recurrent_ppo  # stable-baselines3 / sb3-contrib
  %(prog)s --algo ram_ppo --env GlimpseCatch-v0  # the project's own recurrent PPO, from the reward alone

more flags: --help-reinforce, --help-ram-ppo, --help-sb3, --help-env. A run directory holds config.json, checkpoints/,
tensorboard/, metrics.jsonl, test.json and pictures/ (docs/design.md#command-line)."""


class _GroupHelp(argparse.Action):
    """``--help-GROUP``: print the help of one group of flags, and exit."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help=f"the flags of {HELP_GROUPS[dest.removeprefix('help_')]}")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        build_parser(self.dest.removeprefix("help_")).print_help()
        parser.exit()


def build_parser(shown: str = "main") -> argparse.ArgumentParser:
    """The command's parser; ``shown``: which flags its help describes, the main ones or one of ``HELP_GROUPS``
    (all are parsed whichever it is)."""
    prog = "python -m agents" if Path(sys.argv[0]).name == "__main__.py" else None  # else argv[0]: ram-train, ...
    parser = Parser(
        prog=prog,
        description="Train an agent on a ram-env glimpse task, or evaluate a saved one.",
        epilog=USAGE if shown == "main" else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    def main_help(text: str) -> str:
        return text if shown == "main" else argparse.SUPPRESS

    for name in HELP_GROUPS:
        parser.add_argument(
            f"--help-{name.replace('_', '-')}", action=_GroupHelp, dest=f"help_{name}", default=argparse.SUPPRESS
        )
    parser.add_argument("--algo", default=DEFAULT_ALGO, choices=ALGOS, help=main_help("learning algorithm"))
    parser.add_argument(
        "--env",
        default=DEFAULT_ENV,
        choices=ENV_CHOICES,
        metavar="ID",
        help=main_help(f"env id: {', '.join(ENV_CHOICES)}"),
    )
    parser.add_argument(
        "-n",
        "--n-timesteps",
        type=int,
        default=None,
        help=main_help("stop after this many env steps (glimpses); default: all --epochs (ram_ppo: --total-timesteps)"),
    )
    parser.add_argument("--seed", type=int, default=None, help=main_help("random seed (default 0)"))
    parser.add_argument("--device", default="cpu", help=main_help("torch device: cpu, cuda, cuda:1, ..."))
    parser.add_argument(
        "--data-dir", default=None, help=main_help("folder of MNIST-format IDX files (default: shipped MNIST)")
    )
    parser.add_argument(
        "--n-glimpses", type=int, default=None, help=main_help("glimpses per episode (default: the env's)")
    )
    parser.add_argument(
        "--start",
        choices=("random", "center"),
        default=None,
        help=main_help("first glimpse location (default: the env's, random)"),
    )
    parser.add_argument(
        "--run-dir", default=None, help=main_help("run directory (default: the next free runs/ALGO_ENV_SEED_K)")
    )
    parser.add_argument(
        "--tensorboard-log", default=None, help=main_help("TensorBoard folder (default: RUN_DIR/tensorboard)")
    )
    parser.add_argument(
        "--resume", action="store_true", help=main_help("continue the --run-dir run from its latest checkpoint")
    )
    parser.add_argument(
        "--eval-only",
        action="store_true",
        help=main_help("only evaluate --checkpoint or --pretrained on the test split"),
    )
    parser.add_argument("--checkpoint", default=None, help=main_help("saved agent to evaluate (with --eval-only)"))
    parser.add_argument(
        "--allow-other-data",
        action="store_true",
        help=main_help(
            "with --eval-only: score a GlimpseImages-v0 agent on images other than those "
            "it was trained on (as many classes and channels)"
        ),
    )
    parser.add_argument(
        "--pretrained",
        default=None,
        metavar="ENV_ID",
        help=main_help("with --eval-only: evaluate the shipped --algo agent of ENV_ID"),
    )
    parser.add_argument(
        "--init-from",
        default=None,
        metavar="PATH",
        help=main_help(
            "reinforce: start from the weights of this saved agent (e.g. a shipped 60x60 "
            "agent for the 100x100 task: new retina scales start at zero)"
        ),
    )
    parser.add_argument(
        "--pictures", type=int, default=8, help=main_help("test images whose glimpse paths are drawn (0: none)")
    )
    parser.add_argument("--no-progress-bar", action="store_true", help=main_help("hide the progress bar"))
    add_env_flags(parser, shown == "env")
    group = parser.add_argument_group("hyperparameters (reinforce)")
    kinds: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": parse_bool}
    for field in fields(ReinforceConfig):
        if field.name == "seed":
            continue
        kind = kinds[str(field.type)]
        text = f"{field.metadata['help']} (default: the env's file, else {field.default})"
        group.add_argument(
            "--" + field.name.replace("_", "-"),
            type=kind,
            default=None,
            help=text if shown == "reinforce" else argparse.SUPPRESS,
        )
    sb3 = parser.add_argument_group(
        f"stable-baselines3 (ppo, recurrent_ppo, a2c; defaults: the env's file, else -n {SB3_SETTINGS['n_timesteps']})"
    )

    def sb3_help(text: str) -> str:
        return text if shown == "sb3" else argparse.SUPPRESS

    sb3.add_argument(
        "--num-envs",
        type=int,
        default=None,
        help=sb3_help(f"episodes run side by side (default: the env's file, else {SB3_SETTINGS['num_envs']})"),
    )
    sb3.add_argument(
        "--grid-size",
        type=int,
        default=None,
        help=sb3_help(f"location grid points per axis (default: the env's file, else {SB3_SETTINGS['grid_size']})"),
    )
    sb3.add_argument(
        "--location-init-std",
        type=float,
        default=None,
        help=sb3_help(
            "std of the centred Gaussian the location grid policy starts from, in [-1, 1] units; inf: uniform "
            f"(default: the env's file, else {SB3_SETTINGS['location_init_std']})"
        ),
    )
    sb3.add_argument(
        "--eval-freq",
        type=int,
        default=None,
        help=sb3_help(f"env steps between validations (default: the env's file, else {SB3_SETTINGS['eval_freq']})"),
    )
    sb3.add_argument("--eval-episodes", type=int, default=None, help=sb3_help("validation images (default: all 5000)"))
    sb3.add_argument(
        "--hyperparams",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help=sb3_help("keyword arguments of the SB3 class, e.g. learning_rate=1e-3 n_steps=24"),
    )
    add_ram_ppo_flags(parser, shown == "ram_ppo", kinds)
    return parser


def add_ram_ppo_flags(parser: argparse.ArgumentParser, shown: bool, kinds: dict[str, Callable[[str], Any]]) -> None:
    """Add a flag for each ``RecurrentPPOConfig`` field (the seed aside) that no other group has; a field of the
    same name as a REINFORCE field or an SB3 run setting (``--learning-rate``, ``--num-envs``) is that flag, of
    the same type. With ``shown``, the group lists all the fields, each with its ram_ppo help."""
    group = parser.add_argument_group("hyperparameters (ram_ppo)")
    existing = {action.dest: action for action in parser._actions}
    for field in fields(RecurrentPPOConfig):
        if field.name == "seed":
            continue
        text = f"{field.metadata['help']} (default: the env's file, else {field.default})"
        action = existing.get(field.name)
        if action is None:
            group.add_argument(
                "--" + field.name.replace("_", "-"),
                type=kinds[str(field.type)],
                default=None,
                help=text if shown else argparse.SUPPRESS,
            )
        elif shown:  # listed here, with its ram_ppo meaning, rather than in its first group
            for other in parser._action_groups:
                if action in other._group_actions:
                    other._group_actions.remove(action)
            action.help = text
            group._group_actions.append(action)


def hyperparams_of(args: argparse.Namespace) -> dict[str, Any]:
    """``--hyperparams KEY=VALUE ...`` as a dict, values read as Python literals (numbers, True, strings)."""
    out: dict[str, Any] = {}
    for item in args.hyperparams:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--hyperparams {item!r}: expected KEY=VALUE, e.g. learning_rate=1e-3")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def env_kwargs_of(args: argparse.Namespace) -> dict[str, Any]:
    """The env keyword overrides the flags ask for."""
    kwargs: dict[str, Any] = {}
    if args.data_dir is not None:
        check_data_dir(args.env, args.data_dir)
        kwargs["data_dir"] = str(Path(args.data_dir).resolve())
    if args.n_glimpses is not None:
        kwargs["n_glimpses"] = args.n_glimpses
    if args.start is not None:
        kwargs["start"] = args.start
    kwargs.update(env_flag_kwargs(args))
    return kwargs


def file_defaults(env_id: str, algo: str, with_library: bool = False) -> dict[str, Any]:
    """The ``[algo]`` table of ``env_id``'s hyperparameter file (``with_library``: over the library's
    defaults); a broken file is a usage error."""
    try:
        return (env_hyperparams if with_library else default_hyperparams)(env_id, algo)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _settings_of(args: argparse.Namespace, cls: Any, table: str, prefix: str = "", skip: tuple[str, ...] = ()) -> Any:
    """``cls`` (a hyperparameter dataclass) from the env's ``[table]`` over its defaults, and the flags given
    over both (but those of ``skip``); a bad file or flag is a ``UsageError`` naming it."""
    given = {
        f.name: getattr(args, f.name)
        for f in fields(cls)
        if f.name not in skip and getattr(args, f.name, None) is not None
    }
    file = file_defaults(args.env, table)
    try:
        cls(**file)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{hyperparams_file(args.env)}: {prefix}{exc}") from exc
    try:
        return cls(**{**file, **given})
    except ValueError as exc:
        raise UsageError(f"--{str(exc).replace('_', '-')}") from exc


def config_of(args: argparse.Namespace) -> ReinforceConfig:
    """The REINFORCE hyperparameters: the env's file over ``ReinforceConfig``'s defaults, the flags over both."""
    return _settings_of(args, ReinforceConfig, "reinforce")


def ram_ppo_config_of(args: argparse.Namespace) -> RecurrentPPOConfig:
    """ram_ppo's hyperparameters: the env's ``[ram_ppo]`` table over ``RecurrentPPOConfig``'s defaults, the flags
    given over both."""
    return _settings_of(args, RecurrentPPOConfig, "ram_ppo", "[ram_ppo] ", skip=("seed",))


def ram_ppo_only_flags(args: argparse.Namespace) -> list[str]:
    """The ram_ppo hyperparameter flags given that no other algorithm takes."""
    others = {*ReinforceConfig.field_names(), *SHARED_SB3_FLAGS}
    return [
        name
        for name in RecurrentPPOConfig.field_names()
        if name not in others and getattr(args, name, None) is not None
    ]


def resolve_sb3_settings(args: argparse.Namespace) -> None:
    """Fill the SB3 run settings and keyword arguments the flags left out from the env's file, then from the
    library's defaults (``agents.defaults.env_hyperparams``); ``--hyperparams`` overrides the keyword arguments."""
    file = file_defaults(args.env, args.algo, with_library=True)
    for name in SB3_SETTINGS:
        if getattr(args, name) is None:
            setattr(args, name, file[name])
    kwargs = {key: value for key, value in file.items() if key not in SB3_SETTINGS}
    args.sb3_kwargs = {**kwargs, **hyperparams_of(args)}


def check_device(device: str) -> None:
    import torch

    try:
        torch.device(device)
    except RuntimeError as exc:
        raise UsageError(f"--device {device!r} is not a torch device: use cpu, cuda or cuda:N") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {device}: CUDA is not available on this machine; use --device cpu")


def evaluate_and_report(
    agent: Any,
    env_id: str,
    env_kwargs: dict[str, Any],
    out: Path | None,
    seed: int = 0,
    distributed: Distributed | None = None,
) -> dict[str, Any]:
    """Test error of ``agent`` on the whole test split (episode ``i`` seeded ``seed + i``; with
    ``distributed``, each worker scores its block); written to ``out`` if given."""
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
    if out is not None:
        out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def run_eval_only(args: argparse.Namespace, argv: list[str] | None) -> None:
    """Score ``--checkpoint`` (or the shipped agent ``--pretrained``) on the test split with the evaluation
    flags of ``argv`` (parsed into ``args``)."""
    import agents

    if (args.checkpoint is None) == (args.pretrained is None):
        raise UsageError(
            "--eval-only needs either --checkpoint PATH (a file written by agent.save or a training run) "
            "or --pretrained ENV_ID (a shipped agent), not both"
        )
    defaults = vars(build_parser().parse_args([]))
    training = [name for name, value in vars(args).items() if name not in EVAL_FLAGS and value != defaults[name]]
    if training:
        raise UsageError(
            f"--{training[0].replace('_', '-')} is for training; --eval-only takes --checkpoint or "
            "--pretrained, and --data-dir, --n-glimpses, --start, --seed, --device"
        )
    try:
        if args.pretrained is not None:
            agent = agents.load_pretrained(args.pretrained, args.algo, device=args.device)
            args.checkpoint = str(agents.pretrained_dir(args.pretrained, args.algo) / "agent.pt")
        else:
            agent = agents.load(args.checkpoint, device=args.device, allow_other_data=args.allow_other_data)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(f"--{'pretrained' if args.pretrained else 'checkpoint'}: {exc}") from exc
    explicit = build_parser()
    explicit.set_defaults(env=None, algo=None)  # None unless given, whatever the defaults
    given_args = explicit.parse_args(argv)
    for flag, given, saved in (("--env", given_args.env, agent.env_id), ("--algo", given_args.algo, agent.algo)):
        if given is not None and given != saved:
            raise UsageError(
                f"{flag} {given}: {args.checkpoint} holds a {agent.algo} agent of {agent.env_id}; "
                f"leave out {flag} or give another --checkpoint"
            )
    args.env = agent.env_id
    seed = args.seed or 0
    env_kwargs = {**agent.env_kwargs, **env_kwargs_of(args)}
    try:
        scored = data_fingerprint(agent.env_id, env_kwargs)
        check_data(agent.data_fingerprint, scored, args.allow_other_data)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(f"--source: {exc}") from exc
    if scored != agent.data_fingerprint:
        print(f"scoring on other images than {args.checkpoint} was trained on (--allow-other-data)")
    report = evaluate_and_report(agent, agent.env_id, env_kwargs, None, seed)
    report["seed"] = seed
    print(
        f"{score_words(agent.env_id, report['error'])} ({report['n_episodes'] - report['n_correct']:,} of "
        f"{report['n_episodes']:,} {'games missed' if is_game(agent.env_id) else 'episodes lost'}) on {agent.env_id}"
    )
    print(json.dumps(report))


def score_words(env_id: str, error: float) -> str:
    """A test figure as the task speaks of it: "test error 0.76%", or for a game "caught 99.81%"."""
    return f"caught {100 * (1 - error):.2f}%" if is_game(env_id) else f"test error {100 * error:.2f}%"


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
            raise UsageError(
                f"--resume: {checkpoint} is not this run's checkpoint: its {key} is {value!r}, the run's "
                f"({run_dir / 'config.json'}) {saved[key]!r}; restore the run's own checkpoint or start "
                "a new run"
            )


def check_flags_fit_algo(args: argparse.Namespace) -> None:
    """Reject hyperparameter flags of the other family of algorithms."""
    defaults = build_parser().parse_args([])
    ppo_only = ram_ppo_only_flags(args)
    if ppo_only and args.algo != "ram_ppo":
        raise UsageError(
            f"--{ppo_only[0].replace('_', '-')} is a ram_ppo hyperparameter; --algo {args.algo} does not take it"
        )
    if args.algo == "ram_ppo":
        ppo_names = set(RecurrentPPOConfig.field_names())
        others = [f.name for f in fields(ReinforceConfig) if f.name not in ppo_names] + ["init_from"]
        given = [name for name in others if getattr(args, name, None) is not None]
        given += [
            name
            for name in ("grid_size", "location_init_std", "eval_episodes", "hyperparams")
            if getattr(args, name) != getattr(defaults, name)
        ]
        if given:
            raise UsageError(
                f"--{given[0].replace('_', '-')} is not a ram_ppo flag; --algo ram_ppo takes the flags "
                "of --help-ram-ppo"
            )
    elif args.algo == "reinforce":
        given = [
            name
            for name in ("num_envs", "grid_size", "location_init_std", "eval_freq", "eval_episodes", "hyperparams")
            if getattr(args, name) != getattr(defaults, name)
        ]
        if given:
            also = " and ram_ppo" if given[0] in SHARED_SB3_FLAGS else ""
            raise UsageError(
                f"--{given[0].replace('_', '-')} is for the SB3 algorithms{also}; --algo reinforce takes "
                "the reinforce hyperparameter flags"
            )
    else:
        # --seed seeds SB3 too
        reinforce_only = [f.name for f in fields(ReinforceConfig) if f.name != "seed"] + ["init_from"]
        given = [name for name in reinforce_only if getattr(args, name, None) is not None]
        if given:
            raise UsageError(
                f"--{given[0].replace('_', '-')} is a reinforce hyperparameter; for --algo {args.algo} "
                f"use --hyperparams KEY=VALUE (SB3's keyword arguments)"
            )
        for name in ("num_envs", "grid_size", "eval_freq", "eval_episodes"):
            if getattr(args, name) is not None and getattr(args, name) < (2 if name == "grid_size" else 1):
                raise UsageError(f"--{name.replace('_', '-')} must be >= {2 if name == 'grid_size' else 1}")
        if args.location_init_std is not None and not args.location_init_std > 0:
            raise UsageError(f"--location-init-std must be > 0 (inf: a uniform start), got {args.location_init_std}")


def new_agent(args: argparse.Namespace, seed: int, run_dir: Path) -> tuple[Any, dict[str, Any]]:
    """A fresh agent for ``--algo``, and its hyperparameters for config.json."""
    import agents

    if args.algo == "reinforce":
        config = config_of(args)
        config.seed = seed
        agent = agents.ReinforceRAM(args.env, config, device=args.device, env_kwargs=env_kwargs_of(args))
        if args.init_from is not None:
            try:
                start = agents.load(args.init_from)
                if start.algo != "reinforce":
                    raise ValueError(f"it holds a {start.algo} agent; a reinforce agent's file is needed")
                agent.initialize_from(start)
            except (FileNotFoundError, ValueError) as exc:
                raise UsageError(f"--init-from {args.init_from}: {exc}") from exc
        return agent, asdict(config)
    if args.algo == "ram_ppo":
        ppo_config = ram_ppo_config_of(args)
        ppo_config.seed = seed
        try:
            ppo_agent = agents.RAMPPO(args.env, config=ppo_config, device=args.device, env_kwargs=env_kwargs_of(args))
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        return ppo_agent, asdict(ppo_config)
    tensorboard = str(args.tensorboard_log or run_dir / "tensorboard")
    try:
        sb3_agent = agents.SB3Agent(
            args.algo,
            args.env,
            num_envs=args.num_envs,
            seed=seed,
            device=args.device,
            grid_size=args.grid_size,
            location_init_std=args.location_init_std,
            env_kwargs=env_kwargs_of(args),
            hyperparams=args.sb3_kwargs,
            tensorboard_log=tensorboard,
        )
    except TypeError as exc:
        raise UsageError(f"--hyperparams: {exc}") from exc
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return sb3_agent, {
        "num_envs": args.num_envs,
        "grid_size": args.grid_size,
        "location_init_std": args.location_init_std,
        "eval_freq": args.eval_freq,
        "eval_episodes": args.eval_episodes,
        **sb3_agent.hyperparams,
    }


def learn(agent: Any, args: argparse.Namespace, run_dir: Path, main_rank: bool = True) -> None:
    """Train ``agent`` to ``-n`` env steps, keeping the run directory up to date (on the main rank)."""
    import agents
    from agents.sb3.training import SB3RunDirectoryCallback

    progress_bar = not args.no_progress_bar
    if args.algo in OWN_ALGOS:
        callback = agents.RunDirectoryCallback(run_dir, args.tensorboard_log) if main_rank else None
        agent.learn(args.n_timesteps, callback=callback, progress_bar=progress_bar)
    else:
        sb3_callback = SB3RunDirectoryCallback(
            agent, run_dir, eval_freq=args.eval_freq, eval_episodes=args.eval_episodes, history=agent.history
        )
        agent.learn(args.n_timesteps, callback=sb3_callback, progress_bar=progress_bar)


def finished(agent: Any, n_timesteps: int | None) -> bool:
    """Whether ``agent`` has trained as far as its run asks: ``-n`` env steps, or (REINFORCE) all its epochs, or
    (ram_ppo) its ``total_timesteps``."""
    if n_timesteps is not None and agent.num_timesteps >= n_timesteps:
        return True
    if agent.algo == "ram_ppo":
        return bool(agent.num_timesteps >= agent.config.total_timesteps)
    return agent.algo == "reinforce" and agent.epoch >= agent.config.epochs


def run_directory(args: argparse.Namespace, seed: int, distributed: Distributed | None = None) -> RunDirectory:
    """The run directory: ``--run-dir``, else the next free ``runs/ALGO_ENV_SEED_K`` (rank 0's choice under
    torchrun). ``--resume`` needs ``--run-dir``."""
    if args.run_dir:
        return RunDirectory(args.run_dir)
    if args.resume:
        raise UsageError("--resume needs --run-dir: the run to continue, e.g. runs/reinforce_GlimpseMNIST-v0_0_1")
    files = RunDirectory.next_free(args.algo, args.env, seed)
    return files if distributed is None else RunDirectory(distributed.share(str(files.path)))


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


def start_distributed(args: argparse.Namespace) -> Distributed | None:
    """Join the other workers when ``torchrun`` started this process (None otherwise). Rank 0 alone writes
    the run directory and prints; ``--device cuda`` becomes this worker's GPU. A restart by torchrun
    (``--max-restarts``) continues from the run's latest checkpoint."""
    distributed = Distributed.from_environment()
    if distributed is None:
        return None
    if args.algo != "reinforce" or args.eval_only:
        raise UsageError("torchrun runs --algo reinforce training only; start other runs with python train_agent.py")
    args.device = distributed.device(args.device)
    check_device(args.device)
    distributed.start(args.device)
    if not distributed.is_main:
        sys.stdout = open(os.devnull, "w")  # rank 0 prints for all
        args.no_progress_bar = True
    if int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0 and not args.resume:
        seed = 0 if args.seed is None else args.seed
        started = RunDirectory.numbered(args.algo, args.env, seed)  # the run the first workers numbered
        files = RunDirectory(args.run_dir) if args.run_dir else started[-1] if started else None
        if files is not None and files.latest.is_file():
            print(f"torchrun restarted the workers: resuming {files.path} from its latest checkpoint")
            args.run_dir, args.resume, args.env = str(files.path), True, DEFAULT_ENV  # the env: the checkpoint's
            for name in ("seed", "data_dir", "n_glimpses", "start", *ENV_FLAGS, *ReinforceConfig.field_names()):
                setattr(args, name, None)  # the run's own settings come from its checkpoint, as --resume asks
    return distributed


def run_training(args: argparse.Namespace, distributed: Distributed | None = None) -> None:
    import agents
    from agents.checkpoints import remove_orphans
    from agents.pictures import save_glimpse_pictures, save_learning_curves

    main_rank = distributed is None or distributed.is_main
    check_flags_fit_algo(args)
    env_kwargs_of(args)  # checks --data-dir before anything reads it
    seed = 0 if args.seed is None else args.seed
    files = run_directory(args, seed, distributed)
    args.run_dir = str(files.path)  # for the line that a Ctrl-C prints (main)
    run_dir, latest, best_path = files.path, files.latest, files.best
    if args.resume and not latest.is_file():
        raise UsageError(f"--resume: no checkpoint at {latest}; start the run without --resume")
    check_run_dir(run_dir)
    if main_rank:
        try:
            files.lock()  # one run per run dir; workers other than rank 0 never write it
        except RunDirectoryBusy as exc:
            raise UsageError(str(exc)) from None
        remove_orphans(run_dir / "checkpoints")
    if args.resume:
        defaults = build_parser().parse_args([])
        settings = (
            "seed",
            "num_envs",
            "grid_size",
            "location_init_std",
            "eval_freq",
            "eval_episodes",
            "hyperparams",
            "init_from",
        )
        config_given = {f.name for f in fields(ReinforceConfig) if getattr(args, f.name, None) is not None}
        config_given.update(ram_ppo_only_flags(args))
        if config_given or env_kwargs_of(args) or any(getattr(args, k) != getattr(defaults, k) for k in settings):
            raise UsageError("--resume continues with the run's own settings: give only --run-dir (and --device)")
        try:
            agent = agents.load(latest, device=args.device)
        except ValueError as exc:
            raise UsageError(f"--resume: {exc}") from exc
        saved = read_run_config(run_dir)
        check_checkpoint_fits_run(agent, saved, latest, run_dir)
        if saved.get("algo", agent.algo) != args.algo:
            raise UsageError(f"--resume: {run_dir} holds a {saved.get('algo')} run; pass --algo {saved.get('algo')}")
        if args.n_timesteps is None:
            args.n_timesteps = saved.get("n_timesteps")
        for name in ("eval_freq", "eval_episodes"):
            setattr(args, name, saved.get("config", {}).get(name, getattr(args, name)))
        if args.algo not in OWN_ALGOS:
            args.n_timesteps = args.n_timesteps or SB3_SETTINGS["n_timesteps"]
            args.eval_freq = args.eval_freq or SB3_SETTINGS["eval_freq"]
        if finished(agent, args.n_timesteps) and (run_dir / "test.json").is_file():
            print(
                f"{run_dir} is finished ({agent.num_timesteps:,} env steps) and tested: --resume did nothing; "
                f"the test result is in {run_dir / 'test.json'}"
            )
            return
        if finished(agent, args.n_timesteps):
            print(
                f"{run_dir} finished training ({agent.num_timesteps:,} env steps) but was not tested: --resume tests it"
            )
        else:
            print(f"resuming {run_dir} at {agent.num_timesteps} env steps")
            if args.algo not in OWN_ALGOS:  # REINFORCE's episodes are a function of (seed, epoch) already, and
                agent.reseed_for_resume()  # ram_ppo's of (seed, update)
    else:
        if latest.exists():
            raise UsageError(f"--run-dir {run_dir} already holds a run: add --resume, or choose another --run-dir")
        if args.algo not in OWN_ALGOS:
            resolve_sb3_settings(args)
            check_sb3_hyperparams(args.sb3_kwargs)
            check_split_count("--eval-episodes", args.eval_episodes, args.env, "valid", **env_kwargs_of(args))
        check_split_count("--pictures", args.pictures, args.env, "test", **env_kwargs_of(args))
        agent, config = new_agent(args, seed, run_dir)
        if main_rank:
            files.config.write_text(
                json.dumps(
                    {
                        "algo": args.algo,
                        "env_id": args.env,
                        "env_kwargs": agent.env_kwargs,
                        "device": args.device,
                        "seed": seed,
                        "n_timesteps": args.n_timesteps,
                        "config": config,
                        **({"precision": agent.precision} if args.algo in OWN_ALGOS else {}),
                        **({"init_from": args.init_from} if args.algo == "reinforce" else {}),
                        "command": sys.argv,
                        "world_size": 1 if distributed is None else distributed.world_size,
                    },
                    indent=2,
                )
                + "\n"
            )
    check_split_count("--pictures", args.pictures, agent.env_id, "test", **agent.env_kwargs)
    if distributed is not None:
        distributed.shard(agent.config.batch_size, "images per update (--batch-size)")
        agent.distributed = distributed
    try:
        learn(agent, args, run_dir, main_rank)
    except TrainingDiverged as exc:
        kept = f"the last good checkpoint, {latest}, is kept" if latest.is_file() else "no checkpoint was written"
        raise DivergenceError(f"training stopped at {agent.num_timesteps:,} env steps: {exc}; {kept}") from exc
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise UsageError(
            f"no space left on {mount_point(run_dir)}; {last_checkpoint(files)}: free some space, then "
            f"continue with python train_agent.py --run-dir {run_dir} --resume"
        ) from None
    if distributed is not None:
        distributed.barrier()  # rank 0 has written its last checkpoints
    if not best_path.is_file():
        print("stopped before the first validation: no checkpoint to test")
        return
    chosen, selection = selected_agent(agent, files, args.device)
    other = agent if selection == "best" else agents.load(best_path, device=args.device)
    report = evaluate_and_report(chosen, agent.env_id, agent.env_kwargs, None, distributed=distributed)
    other_report = evaluate_and_report(other, agent.env_id, agent.env_kwargs, None, distributed=distributed)
    random_locations = evaluate_and_report(
        agents.RandomLocations(chosen), agent.env_id, agent.env_kwargs, None, distributed=distributed
    )
    if not main_rank:
        return
    best_record = min(agent.history, key=lambda r: r["valid_error"])
    report.update(
        algo=args.algo,
        selection=selection,
        checkpoint=str(files.latest if selection == "final" else best_path),
        final_error=report["error"] if selection == "final" else other_report["error"],
        best_checkpoint_error=report["error"] if selection == "best" else other_report["error"],
        random_location_error=random_locations["error"],
        **sampled_path_errors(chosen, agent.env_id, agent.env_kwargs),
        timesteps=agent.num_timesteps,
        train_seconds=round(agent.history[-1]["train_seconds"], 1),
        best=best_record,
        valid_errors=[r["valid_error"] for r in agent.history],
    )
    (run_dir / "test.json").write_text(json.dumps(report, indent=2) + "\n")
    at = f"epoch {best_record['epoch']}" if "epoch" in best_record else f"{best_record['timesteps']:,} env steps"
    weights = "final weights" if selection == "final" else f"best validation checkpoint, at {at}"
    print(
        f"{score_words(agent.env_id, report['error'])} ({weights}; best validation "
        f"{100 * best_record['valid_error']:.2f}% at {at}; with random locations "
        f"{score_words(agent.env_id, random_locations['error']).split(' ')[-1]}), {agent.num_timesteps:,} env steps "
        f"in {report['train_seconds'] / 60:.1f} min -> {run_dir / 'test.json'}"
    )
    curves = save_learning_curves(files.metrics, run_dir / "pictures" / "learning_curves.png", agent.env_id)
    print(f"learning curves: {curves}")
    if args.pictures:
        png, gif = save_glimpse_pictures(chosen, agent.env_id, run_dir / "pictures", args.pictures, **agent.env_kwargs)
        print(f"glimpse paths: {png}, {gif}")


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.n_timesteps is not None and args.n_timesteps < 1:
            raise UsageError(f"-n/--n-timesteps must be >= 1, got {args.n_timesteps}")
        if args.pictures < 0:
            raise UsageError(f"--pictures must be >= 0, got {args.pictures}")
        if args.n_glimpses is not None and args.n_glimpses < 2:
            raise UsageError(
                f"--n-glimpses must be >= 2 (the agents choose at least one location), got {args.n_glimpses}"
            )
        check_seed(args.seed)
        check_device(args.device)
        if args.pretrained is not None and not args.eval_only:
            raise UsageError(
                "--pretrained evaluates a shipped agent: add --eval-only (training starts afresh: "
                "leave out --pretrained)"
            )
        distributed = start_distributed(args)
        try:
            if args.eval_only:
                run_eval_only(args, argv)
            else:
                run_training(args, distributed)
        finally:
            if distributed is not None:
                distributed.stop()
    except (UsageError, FlagError, DistributedSetupError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except DivergenceError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.eval_only or args.run_dir is None or not RunDirectory(args.run_dir).latest.is_file():
            print(f"{parser.prog}: stopped", file=sys.stderr)
        else:
            print(
                f"{parser.prog}: stopped; resume with: python train_agent.py --run-dir {args.run_dir} --resume",
                file=sys.stderr,
            )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
