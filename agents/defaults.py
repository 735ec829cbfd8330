"""Default hyperparameters per env id, read from one TOML file per id in ``agents/hyperparams/``.

As rl-baselines3-zoo keeps its hyperparameters, each file (``agents/hyperparams/<env id>.toml``) has one
table per algorithm: ``[reinforce]`` holds ``agents.ReinforceConfig`` fields; ``[ppo]``, ``[a2c]`` and
``[recurrent_ppo]`` hold keyword arguments of the stable-baselines3 class plus the run settings
``n_timesteps``, ``num_envs``, ``grid_size``, ``location_init_std`` and ``eval_freq``. ``train_agent.py``
starts from them and lets flags override each value. An id or algorithm without an entry gets the library's defaults.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from agents.config import ReinforceConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["HYPERPARAMS_DIR", "default_hyperparams", "hyperparams_file"]

HYPERPARAMS_DIR = Path(__file__).with_name("hyperparams")


def hyperparams_file(env_id: str, directory: Path = HYPERPARAMS_DIR) -> Path:
    """The file of ``env_id``'s defaults (it may not exist)."""
    return directory / f"{env_id}.toml"


def default_hyperparams(env_id: str, algo: str, directory: Path = HYPERPARAMS_DIR) -> dict[str, Any]:
    """The ``[algo]`` table of ``env_id``'s file, or ``{}`` when there is none.

    Raises:
        ValueError: the file is not valid TOML, or its ``[reinforce]`` table names a field that
            ``ReinforceConfig`` does not have (the message names the file and the key).
    """
    path = hyperparams_file(env_id, directory)
    if not path.is_file():
        return {}
    try:
        tables = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc
    table = tables.get(algo, {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [{algo}] must be a table of key = value lines")
    if algo == "reinforce":
        known = set(ReinforceConfig.field_names()) - {"seed"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(f"{path}: [reinforce] has unknown keys {unknown}; known: {sorted(known)}")
    return dict(table)
