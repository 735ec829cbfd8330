"""The training command's flags: the parser (a short ``--help``, each group's flags behind ``--help-GROUP``), and
``parse_flags``, the command line parsed once into read-only ``Flags`` that know which flags were given."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

import ram_env
from agents.checkpoints import ALGORITHMS
from agents.cli.env_flags import ENV_FLAGS, add_env_flags
from agents.config import ReinforceConfig
from agents.defaults import SB3_RUN_SETTINGS, library_defaults
from agents.recurrent_ppo import RecurrentPPOConfig

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


def parse_bool(text: str) -> bool:
    """``true``/``false`` (also 1/0, yes/no) as a flag value."""
    value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


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
    parser.add_argument(  # None unless given, so that Flags.given tells; parse_flags fills in the default
        "--algo", default=None, choices=ALGOS, help=main_help(f"learning algorithm (default {DEFAULT_ALGO})")
    )
    parser.add_argument(
        "--env",
        default=None,
        choices=ENV_CHOICES,
        metavar="ID",
        help=main_help(f"env id: {', '.join(ENV_CHOICES)} (default {DEFAULT_ENV})"),
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


class Flags(argparse.Namespace):
    """The command line, parsed once (``parse_flags``) and read-only from then on: each flag's value (its
    default where not given) and ``given``, the flags the command line set to a value other than their
    default, in the parser's order (``--algo`` and ``--env`` count as given whenever they are on it)."""

    given: tuple[str, ...] = ()
    _parsed = False

    def __setattr__(self, name: str, value: Any) -> None:
        if self._parsed:
            raise AttributeError(f"the parsed flags are read-only (tried to set {name})")
        super().__setattr__(name, value)


def parse_flags(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None) -> Flags:
    """Parse ``argv`` (default: ``sys.argv[1:]``) once with ``parser`` (default: ``build_parser()``); a bad
    flag exits with status 2 and one line."""
    parser = build_parser() if parser is None else parser
    flags = parser.parse_args(argv, namespace=Flags())
    given = tuple(name for name, value in vars(flags).items() if value != parser.get_default(name))
    for name, value in (("given", given), ("algo", flags.algo or DEFAULT_ALGO), ("env", flags.env or DEFAULT_ENV)):
        object.__setattr__(flags, name, value)
    object.__setattr__(flags, "_parsed", True)
    return flags
