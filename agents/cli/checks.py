"""Checks of ``train_agent.py``'s flags, files and folders, run before the first update.

Each raises ``FlagError`` with one line naming the flag (or file), what is wrong and the fix;
``train_agent.py`` prints it and exits with status 2.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import ram_env
from agents.evaluation import is_game, split_size
from ram_env.data.datasets import MNIST_FILES, missing_files

__all__ = [
    "RUN_FILES",
    "SEED_LIMIT",
    "FlagError",
    "check_data_dir",
    "check_run_dir",
    "check_sb3_hyperparams",
    "check_seed",
    "check_split_count",
    "read_run_config",
]

SEED_LIMIT = 2**32  # stable-baselines3 seeds numpy's legacy generator, which takes seeds below 2**32
# What a run directory holds: True for a folder, False for a file.
RUN_FILES = {"checkpoints": True, "tensorboard": True, "pictures": True, "config.json": False,
             "metrics.jsonl": False, "test.json": False}  # fmt: skip
_SHIPPED = "leave out --data-dir for the MNIST shipped with ram_env"
# SB3 keyword arguments that count something, and those that are fractions.
_COUNTS = ("n_steps", "batch_size", "n_epochs")
_FRACTIONS = ("gamma", "gae_lambda")


class FlagError(ValueError):
    """A bad flag, file or folder of the command line, said in one line."""


def check_seed(seed: int | None) -> None:
    """``--seed``: None, or an integer in ``[0, 2**32)``."""
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise FlagError(f"--seed must be an integer in [0, 2**32), got {seed}")


def check_data_dir(env_id: str, data_dir: str) -> None:
    """``--data-dir``: only for the classification tasks, and a folder holding a readable MNIST-format set."""
    if is_game(env_id):
        raise FlagError(f"--data-dir is for the classification tasks; {env_id} has no dataset: leave it out")
    if not Path(data_dir).is_dir():
        raise FlagError(f"--data-dir {data_dir}: no such folder (it must hold the four MNIST IDX files)")
    missing = missing_files(data_dir)
    if missing:
        raise FlagError(
            f"--data-dir {data_dir} lacks {', '.join(m + '[.gz]' for m in missing)}: give a folder holding the four "
            f"MNIST-format files {', '.join(MNIST_FILES.values())} (each raw or .gz), or {_SHIPPED}"
        )
    try:
        ram_env.load_dataset(data_dir)
    except (OSError, ValueError) as exc:  # IDXFormatError is a ValueError
        raise FlagError(f"--data-dir {data_dir}: {exc}; fix the files, or {_SHIPPED}") from exc


def check_split_count(flag: str, count: int | None, env_id: str, split: str, **env_kwargs: Any) -> None:
    """A flag counting episodes of ``split`` (``--pictures``, ``--eval-episodes``) of the env ``env_id``
    with ``env_kwargs``: at most the split's size."""
    if count is None:
        return
    available = split_size(env_id, split, **env_kwargs)
    if count > available:
        raise FlagError(f"{flag} {count}: the {split} split of {env_id} has only {available:,} episodes")


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a number, a number's text ("nan", "inf") or a ``lin_X`` schedule, else None."""
    if isinstance(value, str):
        try:
            return float(value[4:] if value.startswith("lin_") else value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def check_sb3_hyperparams(hyperparams: dict[str, Any]) -> None:
    """``--hyperparams``: every number finite; ``n_steps``, ``batch_size``, ``n_epochs`` integers >= 1;
    ``learning_rate`` > 0; ``gamma`` and ``gae_lambda`` in [0, 1]. SB3 itself accepts NaN and fails late."""
    for key, value in hyperparams.items():
        number = _number(value)
        if number is None:
            continue
        item = f"--hyperparams {key}={value}"
        if not math.isfinite(number):
            raise FlagError(f"{item}: must be a finite number")
        if key in _COUNTS and (not isinstance(value, int) or value < 1):
            raise FlagError(f"{item}: must be an integer >= 1")
        if key == "learning_rate" and number <= 0:
            raise FlagError(f"{item}: must be > 0")
        if key in _FRACTIONS and not 0 <= number <= 1:
            raise FlagError(f"{item}: must be in [0, 1]")


def check_run_dir(run_dir: Path) -> None:
    """Create ``run_dir`` if needed; refuse one that cannot be written, or whose files are of the wrong kind."""
    if run_dir.exists() and not run_dir.is_dir():
        raise FlagError(f"--run-dir {run_dir} is a file, not a folder")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FlagError(f"--run-dir {run_dir}: cannot create it ({exc.strerror}); choose another --run-dir") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise FlagError(f"--run-dir {run_dir} is not writable; choose another --run-dir")
    for name, folder in RUN_FILES.items():
        path = run_dir / name
        if path.exists() and path.is_dir() != folder:
            kind, wanted = ("a folder", "a file") if path.is_dir() else ("a file", "a folder")
            raise FlagError(
                f"--run-dir {run_dir}: {path} is {kind}, not {wanted}; move it away or choose another --run-dir"
            )


def read_run_config(run_dir: Path) -> dict[str, Any]:
    """The run's ``config.json`` (``{}`` if there is none); a damaged one is a ``FlagError``."""
    path = run_dir / "config.json"
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FlagError(f"--resume: {path} is not valid JSON ({exc}); restore it or start a new run") from None
    if not isinstance(config, dict):
        raise FlagError(f"--resume: {path} holds {type(config).__name__}, not the run's settings; restore it")
    n_timesteps = config.get("n_timesteps")
    if n_timesteps is not None and (
        isinstance(n_timesteps, bool) or not isinstance(n_timesteps, int) or n_timesteps < 1
    ):
        raise FlagError(
            f"--resume: {path} says n_timesteps {n_timesteps!r}: it must be null or an integer >= 1; restore it"
        )
    for name in ("config", "env_kwargs"):
        if name in config and not isinstance(config[name], dict):
            raise FlagError(f"--resume: {path} says {name} {config[name]!r:.40}: it must be a JSON object; restore it")
    for name in ("eval_freq", "eval_episodes"):
        value = config.get("config", {}).get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise FlagError(f"--resume: {path} says {name} {value!r}: it must be null or an integer >= 1; restore it")
    return config
