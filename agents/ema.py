"""An exponential moving average of a model's weights (Polyak averaging), updated after every optimizer step.

Raw weights trained by a noisy gradient jump from update to update (the REINFORCE agent's validation error
moves by +-0.5 points between epochs); their average over the last few thousand updates is smoother and
usually better. The average is what the agent acts with (``agents.ReinforceRAM``: validation, test, the
shipped agents); training goes on with the raw weights.
"""

from __future__ import annotations

import copy
from typing import Any, Generic, TypeVar

import torch
from torch import nn

__all__ = ["WeightAverage"]

ModuleT = TypeVar("ModuleT", bound=nn.Module)


class WeightAverage(Generic[ModuleT]):
    """A copy of ``model`` whose parameters follow ``model``'s as an exponential moving average.

    After update ``t`` (``t = 1, 2, ...``), each averaged parameter ``a`` becomes
    ``a + (1 - d_t) * (p - a)`` with ``p`` the model's parameter and ``d_t = min(decay, t / (t + 9))``: the
    warm-up ``t / (t + 9)`` (``(1 + n) / (10 + n)`` with ``n = t - 1`` updates before, as TensorFlow's
    ``ExponentialMovingAverage``) keeps the first averages close to the young weights. ``decay = 0``
    makes the average the raw weights. Buffers (none in the RAM's networks) are copied as they are.

    Args:
        model: the trained module; its parameters are read, never written.
        decay: the average's decay per update, in [0, 1); its horizon is about ``1 / (1 - decay)`` updates.

    Attributes:
        module: the averaged copy (no gradients): act with it.
        updates: updates averaged so far.
    """

    def __init__(self, model: ModuleT, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {decay!r}")
        self.decay = decay
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.updates = 0

    def decay_at(self, update: int) -> float:
        """``d_t`` of update ``update`` (counted from 1): ``min(decay, update / (update + 9))``."""
        return min(self.decay, update / (update + 9.0))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current parameters (call after each optimizer step)."""
        self.updates += 1
        weight = 1.0 - self.decay_at(self.updates)
        averaged: list[torch.Tensor] = list(self.module.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in model.parameters()], weight)
        for mine, theirs in zip(self.module.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights and the update count, for a checkpoint."""
        return {"weights": self.module.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        self.module.load_state_dict(state["weights"])
        self.updates = int(state["updates"])
