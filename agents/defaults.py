"""Default hyperparameters: ``agents.ReinforceConfig``'s and ``agents.RecurrentPPOConfig``'s (``ram_ppo``) are
written in their dataclasses, the SB3 ones in TOML files in ``agents/hyperparams/``; each in one place.

``defaults.toml`` holds the library's SB3 defaults: ``[sb3]`` (the run settings ``n_timesteps``,
``num_envs``, ``grid_size``, ``location_init_std`` and ``eval_freq`` of every stable-baselines3 algorithm)
and ``[ppo]``, ``[a2c]``, ``[recurrent_ppo]`` (keyword arguments of the SB3 classes). As rl-baselines3-zoo
keeps its hyperparameters, each env id then has a file (``agents/hyperparams/<env id>.toml``) with one table
per algorithm (``[reinforce]`` and ``[ram_ppo]`` among them) that overrides the library's key by key (an SB3
table may set run settings too). ``ram-train`` starts from them and lets flags override each value.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "HYPERPARAMS_DIR",
    "LIBRARY_DEFAULTS",
    "SB3_RUN_SETTINGS",
    "default_hyperparams",
    "env_hyperparams",
    "hyperparams_file",
    "library_defaults",
]

HYPERPARAMS_DIR = Path(__file__).with_name("hyperparams")
LIBRARY_DEFAULTS = HYPERPARAMS_DIR / "defaults.toml"
SB3_RUN_SETTINGS = "sb3"  # the table of the SB3 algorithms' run settings
# The tables of the algorithms whose defaults are a dataclass's (written there, not in defaults.toml), whose
# keys an env id's file may only take from that dataclass: REINFORCE's and the recurrent PPO's (ram_ppo).
OWN_TABLES = ("reinforce", "ram_ppo")


def _config_class(table: str) -> Any:
    """The dataclass of the hyperparameters of ``table`` (one of ``OWN_TABLES``), imported now."""
    if table == "ram_ppo":
        from agents.recurrent_ppo import RecurrentPPOConfig  # noqa: PLC0415 (imports nothing from here)

        return RecurrentPPOConfig
    from agents.config import ReinforceConfig  # noqa: PLC0415 (config imports nothing from here)

    return ReinforceConfig


def _tables(path: Path) -> dict[str, Any]:
    """The tables of the TOML file at ``path``.

    Raises:
        ValueError: the file is not valid TOML (the message names it).
    """
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc


@functools.cache
def _library() -> dict[str, Any]:
    return _tables(LIBRARY_DEFAULTS)


def library_defaults(table: str) -> dict[str, Any]:
    """The library's defaults of ``table``: "reinforce" or "ram_ppo" (``ReinforceConfig``'s or
    ``RecurrentPPOConfig``'s field defaults, the seed aside), or a copy of the ``[table]`` of ``defaults.toml``:
    "sb3" (the run settings) or an SB3 algo."""
    if table in OWN_TABLES:
        return {f.name: f.default for f in fields(_config_class(table)) if f.name != "seed"}
    return dict(_library()[table])


def hyperparams_file(env_id: str, directory: Path = HYPERPARAMS_DIR) -> Path:
    """The file of ``env_id``'s defaults (it may not exist)."""
    return directory / f"{env_id}.toml"


def default_hyperparams(env_id: str, algo: str, directory: Path = HYPERPARAMS_DIR) -> dict[str, Any]:
    """The ``[algo]`` table of ``env_id``'s file (what it changes from the library's defaults), or ``{}`` when
    there is none.

    Raises:
        ValueError: the file is not valid TOML, or its ``[reinforce]`` or ``[ram_ppo]`` table names a field that
            ``ReinforceConfig`` or ``RecurrentPPOConfig`` does not have (the message names the file and the key).
    """
    path = hyperparams_file(env_id, directory)
    if not path.is_file():
        return {}
    table = _tables(path).get(algo, {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [{algo}] must be a table of key = value lines")
    if algo in OWN_TABLES:
        known = set(library_defaults(algo))
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(f"{path}: [{algo}] has unknown keys {unknown}; known: {sorted(known)}")
    return dict(table)


def env_hyperparams(env_id: str, algo: str, directory: Path = HYPERPARAMS_DIR) -> dict[str, Any]:
    """Everything ``algo`` starts from on ``env_id``: the library's defaults (for an SB3 algo, its run settings
    and keyword arguments), with ``env_id``'s own table over them. Raises as ``default_hyperparams``."""
    library = (
        library_defaults(algo)
        if algo in OWN_TABLES
        else {**library_defaults(SB3_RUN_SETTINGS), **library_defaults(algo)}
    )
    return {**library, **default_hyperparams(env_id, algo, directory)}
