"""Hooks into ``learn``: the base callback, and the one that keeps a run directory (TensorBoard scalars,
metrics file, checkpoints)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from agents.run_dir import RunDirectory

__all__ = ["RunDirectoryCallback", "TrainingCallback", "validation_line"]


def validation_line(record: dict[str, Any], best_error: float) -> str:
    """The line printed after a validation: env steps, epoch if any, error and the best so far (%), time.

    ``record`` holds ``timesteps``, ``valid_error`` (a fraction), ``train_seconds`` and optionally ``epoch``.
    """
    epoch = f" (epoch {record['epoch']})" if "epoch" in record else ""
    return (
        f"validation at {record['timesteps']:,} env steps{epoch}: error {100 * record['valid_error']:.2f}% "
        f"(best {100 * best_error:.2f}%), {record['train_seconds'] / 60:.1f} min of training"
    )


class TrainingCallback:
    """Does nothing; subclasses override what they need. ``agent.num_timesteps`` is the global step."""

    def on_training_start(self, agent: Any) -> None:
        """Called once when ``learn`` starts (or resumes)."""

    def on_log(self, agent: Any, scalars: dict[str, float]) -> None:
        """Training figures averaged over the epoch so far (losses, reward, learning rate, speed)."""

    def on_epoch_end(self, agent: Any, record: dict[str, float]) -> None:
        """An epoch is done (``agent.epoch`` counts it); ``record`` has its figures and ``valid_error``."""


class RunDirectoryCallback(TrainingCallback):
    """Keeps a run directory up to date.

    - ``tensorboard/``: scalars ``losses/*``, ``charts/*`` (reward, learning rate, location std, the training
      canvases' clutter under a curriculum, gradient norm,
      glimpses/s, episodes/s, images/s)
      and ``eval/valid_error``, against env steps;
    - ``metrics.jsonl``: one JSON line per epoch;
    - ``checkpoints/latest.pt`` after every epoch and ``checkpoints/best.pt`` (without the training state)
      when the validation error is the lowest so far, both written atomically and loadable with
      ``agents.load`` (``agents.run_dir.RunDirectory``);
    - with ``verbose``, one line per epoch on stdout (``validation_line``), so that a run whose output goes
      to a file can be followed there.

    Args:
        run_dir: the run directory.
        tensorboard_dir: where the TensorBoard events go (default ``run_dir / "tensorboard"``).
        verbose: 1 prints a line per validation, 0 nothing.
    """

    def __init__(self, run_dir: str | Path, tensorboard_dir: str | Path | None = None, verbose: int = 1) -> None:
        self.run_dir, self.files = Path(run_dir), RunDirectory(run_dir)
        self.verbose = verbose
        self.tensorboard_dir = Path(tensorboard_dir) if tensorboard_dir else self.files.tensorboard
        self.latest, self.best, self.metrics = self.files.latest, self.files.best, self.files.metrics
        self._writer: Any = None

    def on_training_start(self, agent: Any) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.files.start(agent.history)
        # A resumed run drops the events logged after its checkpoint, whose step is num_timesteps: those
        # logged at that step (the checkpoint's epoch) stay.
        purge_step = agent.num_timesteps + 1 if agent.num_timesteps else None
        self._writer = SummaryWriter(str(self.tensorboard_dir), purge_step=purge_step)

    def on_log(self, agent: Any, scalars: dict[str, float]) -> None:
        step, writer = agent.num_timesteps, self._writer
        for key in (
            "loss",
            "cross_entropy",
            "reinforce",
            "baseline_mse",
            "entropy",
            "policy_loss",
            "value_loss",
            "approx_kl",
            "clipfrac",
        ):
            if key in scalars:  # cross_entropy: classification; entropy: games; policy_loss...: ram_ppo
                writer.add_scalar(f"losses/{key}", scalars[key], step)
        for key in (
            "reward",
            "train_error",
            "learning_rate",
            "location_std",
            "n_clutter",
            "grad_norm",
            "explained_variance",
            "glimpses_per_second",
            "episodes_per_second",
            "images_per_second",
        ):
            if key in scalars:
                writer.add_scalar(f"charts/{key}", scalars[key], step)

    def on_epoch_end(self, agent: Any, record: dict[str, float]) -> None:
        self._writer.add_scalar("eval/valid_error", record["valid_error"], agent.num_timesteps)
        if "epoch" in record:  # REINFORCE's; ram_ppo validates every eval_freq env steps
            self._writer.add_scalar("charts/epoch", record["epoch"], agent.num_timesteps)
        self._writer.flush()
        best_error = self.files.validated(agent, agent.history, training_state=False)
        if self.verbose:
            tqdm.write(validation_line(record, best_error))  # above the progress bar, if one is drawn
            sys.stdout.flush()
