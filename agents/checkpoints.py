"""Saved agents on disk: atomic writes, and ``load`` that rebuilds any saved agent whatever its algorithm."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["FORMAT", "atomic_save", "load", "portable_env_kwargs", "read_checkpoint"]

FORMAT = "ram-env-agent/1"


def portable_env_kwargs(env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Env keyword arguments as a checkpoint stores them: paths (``data_dir``) as strings."""
    return {key: str(value) if isinstance(value, Path) else value for key, value in env_kwargs.items()}


def atomic_save(payload: dict[str, Any], path: str | Path) -> Path:
    """``torch.save`` ``payload`` to ``path`` atomically: a temporary file in the same folder, then
    ``os.replace``, so a reader (or a run killed mid-write) never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """The payload of a saved agent, tensors on ``device``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not an agent saved by ``save``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved agent at {path}: give the path of a file written by agent.save()")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a saved agent (torch.load failed: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved agent: expected a file written by agent.save() ({FORMAT})")
    return payload


def load(path: str | Path, device: str = "cpu") -> Any:
    """Load an agent saved with ``agent.save(path)``, whatever its algorithm, onto ``device``.

    Training checkpoints load too: the agent comes back with its optimizer and progress, ready to
    continue ``learn``.
    """
    from agents.reinforce import ReinforceRAM
    from agents.sb3_agent import SB3_ALGOS, SB3Agent

    payload = read_checkpoint(path, device)
    algorithms = {ReinforceRAM.algo: ReinforceRAM, **{algo: SB3Agent for algo in SB3_ALGOS}}
    if payload.get("algo") not in algorithms:
        raise ValueError(f"{path} holds an agent of algorithm {payload.get('algo')!r}, not one of {list(algorithms)}")
    return algorithms[payload["algo"]].from_payload(payload, device)
