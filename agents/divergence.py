"""Detecting a training run that has diverged: a non-finite loss or non-finite weights.

``ReinforceRAM.train_step`` calls ``check_finite`` after each update; ``train_agent.py`` turns the
``TrainingDiverged`` it raises into one line, and the run directory keeps its last checkpoint, written
before the bad update.
"""

from __future__ import annotations

import math

import torch

__all__ = ["TrainingDiverged", "check_finite"]

_LIKELY_CAUSE = (
    "the likely cause is a learning rate too large for this task (--learning-rate, now {lr:g}); "
    "a smaller one, or a longer --warmup-epochs, usually cures it"
)


class TrainingDiverged(ArithmeticError):
    """The loss or the weights of a model in training became NaN or infinite."""


def check_finite(loss: float, model: torch.nn.Module, learning_rate: float) -> None:
    """Raise ``TrainingDiverged`` unless ``loss`` and every parameter of ``model`` are finite.

    Args:
        loss: the update's loss, as a number.
        model: the model just updated.
        learning_rate: the configured peak learning rate, named in the message.
    """
    if not math.isfinite(loss):
        what = f"the loss is {loss}"
    elif not torch.stack([p.detach().isfinite().all() for p in model.parameters()]).all():
        bad = next(name for name, p in model.named_parameters() if not p.detach().isfinite().all())
        what = f"the weights {bad} hold NaN or inf"
    else:
        return
    raise TrainingDiverged(f"{what}; {_LIKELY_CAUSE.format(lr=learning_rate)}")
