"""Training runs of the SB3 algorithms: the run directory kept up to date while SB3's ``learn`` runs.

SB3 writes its own TensorBoard scalars (``rollout/*``, ``train/*``, ``time/fps``) under
``run_dir/tensorboard``; ``SB3RunDirectoryCallback`` adds ``eval/valid_error``, and keeps ``metrics.jsonl``,
``checkpoints/latest.pt`` and ``checkpoints/best.pt`` (lowest validation error) through
``agents.run_dir.RunDirectory``, as the REINFORCE runs do, printing one line per evaluation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from agents.callbacks import validation_line
from agents.evaluation import evaluate
from agents.run_dir import RunDirectory
from agents.sb3.agent import SB3Agent

__all__ = ["SB3RunDirectoryCallback"]


class SB3RunDirectoryCallback(BaseCallback):
    """Evaluates on the valid split every ``eval_freq`` env steps and keeps the run directory.

    Args:
        agent: the agent being trained (its ``model`` runs this callback).
        run_dir: the run directory.
        eval_freq: env steps (summed over the envs) between evaluations.
        eval_episodes: validation images per evaluation (None: the whole split).
        history: the records of earlier evaluations, for a resumed run.
        verbose: 1 prints a line per evaluation (``agents.callbacks.validation_line``), 0 nothing.
    """

    def __init__(
        self,
        agent: SB3Agent,
        run_dir: str | Path,
        *,
        eval_freq: int,
        eval_episodes: int | None = None,
        history: list[dict[str, Any]] | None = None,
        verbose: int = 1,
    ) -> None:
        super().__init__(verbose)
        self.agent, self.run_dir = agent, Path(run_dir)
        self.eval_freq, self.eval_episodes = eval_freq, eval_episodes
        self.history = list(history or [])
        self.files = RunDirectory(run_dir)
        self.latest, self.best, self.metrics = self.files.latest, self.files.best, self.files.metrics
        self._last_eval = self.history[-1]["timesteps"] if self.history else 0
        self._start = time.perf_counter()

    def _on_training_start(self) -> None:
        self.files.start(self.history)

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last_eval >= self.eval_freq:
            self._evaluate()
        return True

    def _on_training_end(self) -> None:
        if self.num_timesteps > self._last_eval:
            self._evaluate()

    def _evaluate(self) -> None:
        agent = self.agent
        result = evaluate(agent, agent.env_id, split="valid", n_episodes=self.eval_episodes, **agent.env_kwargs)
        previous = self.history[-1]["train_seconds"] if self.history else 0.0
        record = {
            "timesteps": self.num_timesteps,
            "valid_error": result["error"],
            "train_seconds": round(previous + time.perf_counter() - self._start, 1),
        }
        self._start, self._last_eval = time.perf_counter(), self.num_timesteps
        self.history.append(record)
        self.logger.record("eval/valid_error", record["valid_error"])
        agent.history = self.history
        best_error = self.files.validated(agent, self.history)
        if self.verbose:
            print(validation_line(record, best_error), flush=True)
