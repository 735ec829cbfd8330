"""The files of a training run's directory, kept the same way by every algorithm.

    RUN_DIR/config.json               the settings (written by train_agent.py)
    RUN_DIR/checkpoints/latest.pt     after every validation: the run continues from it (--resume)
    RUN_DIR/checkpoints/best.pt       the lowest validation error so far
    RUN_DIR/metrics.jsonl             one JSON line per validation
    RUN_DIR/tensorboard/              TensorBoard events

``agents.callbacks.RunDirectoryCallback`` (REINFORCE) and ``agents.sb3.training.SB3RunDirectoryCallback``
(stable-baselines3) write them through ``RunDirectory``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["RunDirectory"]


class RunDirectory:
    """A run directory's paths, and the writes that a validation makes there.

    Args:
        path: the run directory.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.latest = self.path / "checkpoints" / "latest.pt"
        self.best = self.path / "checkpoints" / "best.pt"
        self.metrics = self.path / "metrics.jsonl"
        self.tensorboard = self.path / "tensorboard"

    @staticmethod
    def default(algo: str, env_id: str, seed: int) -> RunDirectory:
        """The directory of a run given no ``--run-dir``: ``runs/ALGO_ENV_SEED``."""
        return RunDirectory(f"runs/{algo}_{env_id}_{seed}")

    def start(self, history: list[dict[str, Any]]) -> None:
        """Make the directory and write ``metrics.jsonl`` afresh from ``history`` (the records of the agent's
        validations so far): a resumed run drops the lines written after its checkpoint."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.metrics.write_text("".join(json.dumps(record) + "\n" for record in history))

    def validated(self, agent: Any, history: list[dict[str, Any]], **best_options: Any) -> float:
        """After a validation, the last record of ``history`` (``valid_error``, a fraction): append it to
        ``metrics.jsonl``, save ``agent`` to ``best.pt`` (with ``best_options``) if its error is the lowest so
        far, and to ``latest.pt``. Returns the lowest validation error so far."""
        record = history[-1]
        with open(self.metrics, "a") as file:
            file.write(json.dumps(record) + "\n")
        best_error = min(r["valid_error"] for r in history)
        if record["valid_error"] <= best_error:
            agent.save(self.best, **best_options)
        agent.save(self.latest)
        return best_error
