"""The hyperparameters of the REINFORCE-trained Recurrent Attention Model, in one dataclass.

Each field's default is written here, the one place it is: the GlimpseMNIST-v0 configuration (measured:
``docs/results.md#glimpsemnist-v0``); the other tasks' files in ``agents/hyperparams/`` override some of them
(their ``[reinforce]`` tables). Each field's meaning is its ``metadata["help"]``, which
``ram-train --help-reinforce`` prints beside the field's flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from agents.networks import CORES
from agents.precision import PRECISIONS

__all__ = ["BASELINES", "LR_SCHEDULES", "OPTIMIZERS", "ReinforceConfig", "check_ranges"]

BASELINES = ("learned", "leave_one_out", "both")
OPTIMIZERS = ("adamw", "sgd")
LR_SCHEDULES = ("cosine", "linear", "constant", "exponential")


def _field(default: Any, help: str) -> Any:
    """A field with its ``default`` and its meaning, ``help`` (the flag's help text)."""
    return field(default=default, metadata={"help": help})


def check_ranges(
    config: Any, positive: tuple[str, ...] = (), non_negative: tuple[str, ...] = (), unit: tuple[str, ...] = ()
) -> None:
    """Raise ``ValueError`` naming the first field of ``config`` out of its range: ``positive`` fields > 0,
    ``non_negative`` >= 0, ``unit`` in [0, 1]."""
    for names, inside, words in (
        (positive, lambda v: v > 0, "> 0"),
        (non_negative, lambda v: v >= 0, ">= 0"),
        (unit, lambda v: 0 <= v <= 1, "in [0, 1]"),
    ):
        for name in names:
            if not inside(getattr(config, name)):
                raise ValueError(f"{name} must be {words}, got {getattr(config, name)!r}")


@dataclass(kw_only=True)
class ReinforceConfig:
    """Hyperparameters of ``agents.ReinforceRAM``: each field's ``metadata["help"]`` says what it is
    (``dataclasses.fields(ReinforceConfig)``); an env id's file in ``agents/hyperparams/`` overrides the defaults."""

    core: str = _field("rnn", "core network: rnn (the paper's 256-unit RNN) or lstm")
    glimpse_hidden: int = _field(128, "width of the glimpse network's glimpse layer h_g (paper: 128)")
    location_hidden: int = _field(128, "width of the glimpse network's location layer h_l (paper: 128)")
    hidden_size: int = _field(256, "width of g_t and of the core's state h_t (paper: 256)")
    location_std: float = _field(
        0.1,
        "std of the Gaussian location policy, in location units ([-1, 1] spans the canvas); with "
        "learn_location_std its starting value",
    )
    location_std_final: float = _field(
        0.0, "if > 0, anneal the location std linearly from location_std to this value over the training; 0: constant"
    )
    learn_location_std: bool = _field(
        False, "the location std is a parameter of the location network, trained by REINFORCE (true/false)"
    )
    batch_size: int = _field(
        512,
        "images per update; each is played rollouts_per_image times, so the training "
        "gym.make_vec has batch_size x rollouts_per_image envs",
    )
    rollouts_per_image: int = _field(
        1,
        "episodes played on each image, on the same canvas, each from its own first-glimpse "
        "location and with its own location noise (the env's group_size)",
    )
    baseline: str = _field(
        "learned",
        "what REINFORCE's reward is compared with: learned (the baseline network's per-step estimate "
        "b_t), leave_one_out (the mean reward of the image's other rollouts) or both (the leave-one-out mean of "
        "reward - b_t over the other rollouts, subtracted from the rollout's own reward - b_t); the last two need "
        "rollouts_per_image >= 2",
    )
    full_gradient: bool = _field(
        False,
        "REINFORCE's gradient also reaches the core and glimpse networks, as the paper's eq. 2 "
        "(true/false); false: the location network's input h_t is detached and the core learns from the "
        "cross-entropy alone",
    )
    max_grad_norm: float = _field(0.0, "clip the gradient's global L2 norm to this value (0: no clipping)")
    learned_start: bool = _field(
        False,
        "take the first glimpse where the agent chooses before seeing anything: a Gaussian (the "
        "location std) around a trained location, its log-probability in REINFORCE with the other rollouts' mean "
        "reward as baseline (true/false); false: where the env's start puts it",
    )
    epochs: int = _field(
        230,
        "training length in epochs; an epoch plays each training image about once "
        "(ceil(train images / batch_size) updates)",
    )
    time_budget: float = _field(
        0.0,
        "if > 0, minutes of training (validation included) to fit the run to: after the first epoch the run's "
        "length becomes the whole number of epochs that fit the budget at that epoch's pace (at least 1), and "
        "the schedules span it; 0: the run is epochs long",
    )
    optimizer: str = _field("adamw", "adamw or sgd (with momentum, as the paper)")
    momentum: float = _field(0.9, "SGD's momentum")
    learning_rate: float = _field(0.002, "the peak learning rate")
    warmup_epochs: float = _field(
        1.0, "epochs of linear learning-rate warm-up from 0 to learning_rate, before lr_schedule"
    )
    lr_schedule: str = _field(
        "cosine",
        "after the warm-up: cosine (decay to 0), linear (to 0), constant, or exponential (times lr_decay per epoch)",
    )
    lr_decay: float = _field(0.98, "the exponential schedule's factor per epoch")
    weight_decay: float = _field(0.0, "the optimizer's weight decay (decoupled for adamw)")
    entropy_coef: float = _field(0.0, "games only: weight of the move policy's entropy bonus")
    gae_lambda: float = _field(
        1.0,
        "the advantages' lambda: 1 is REINFORCE's reward - baseline; below 1, generalised advantage "
        "estimation over the baseline's per-step estimates",
    )
    clutter_curriculum: float = _field(
        0.0,
        "if > 0, the fraction of training over which the training canvases' distractor "
        "crops ramp from 0 up to the task's n_clutter, one at a time (validation and test keep the task's); 0: "
        "the task's clutter throughout",
    )
    ema_decay: float = _field(
        0.999,
        "decay per update of the exponential moving average of the weights that the agent acts with "
        "(validation, test, the saved agent), in [0, 1); 0: act with the trained weights",
    )
    precision: str = _field(
        "auto",
        "training precision: fp32, bf16 (the networks' matrix products autocast to bfloat16; weights, "
        "optimizer, log-probabilities and losses float32), or auto (bf16 where the CPU or GPU has native "
        "bfloat16, else fp32)",
    )
    valid_size: int = _field(
        0,
        "validation images scored after each epoch, the first of the valid split (0: all of it); the "
        "selection rule and test.json do not depend on it",
    )
    seed: int = field(default=0, metadata={"help": "seeds the weights, the env episodes and the location noise"})
    num_threads: int = _field(0, "torch CPU threads (0: torch's default)")

    def __post_init__(self) -> None:
        for name, choices in (
            ("core", CORES),
            ("baseline", BASELINES),
            ("optimizer", OPTIMIZERS),
            ("lr_schedule", LR_SCHEDULES),
            ("precision", PRECISIONS),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name in ("full_gradient", "learn_location_std", "learned_start"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("glimpse_hidden", "location_hidden", "hidden_size", "batch_size", "rollouts_per_image", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in (
            "location_std",
            "location_std_final",
            "max_grad_norm",
            "learning_rate",
            "warmup_epochs",
            "weight_decay",
            "entropy_coef",
            "gae_lambda",
            "clutter_curriculum",
            "time_budget",
        ):
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if isinstance(self.valid_size, bool) or not isinstance(self.valid_size, int):
            raise ValueError(f"valid_size must be an integer >= 0, got {self.valid_size!r}")
        check_ranges(
            self,
            positive=("location_std", "learning_rate"),
            non_negative=(
                "warmup_epochs",
                "weight_decay",
                "entropy_coef",
                "num_threads",
                "location_std_final",
                "max_grad_norm",
                "clutter_curriculum",
                "valid_size",
                "time_budget",
            ),
            unit=("gae_lambda", "momentum"),
        )
        if not (isinstance(self.ema_decay, (int, float)) and 0 <= self.ema_decay < 1):
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        if not self.clutter_curriculum <= 1:
            raise ValueError(f"clutter_curriculum must be in [0, 1], got {self.clutter_curriculum!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay!r}")
        if self.baseline != "learned" and self.rollouts_per_image < 2:
            raise ValueError(f"baseline {self.baseline!r} needs rollouts_per_image >= 2, got {self.rollouts_per_image}")
        if self.baseline != "learned" and self.gae_lambda != 1:
            raise ValueError(f"baseline {self.baseline!r} needs gae_lambda 1 (GAE uses the learned baseline alone)")
        if self.learn_location_std and self.location_std_final:
            raise ValueError(
                "learn_location_std and location_std_final exclude each other: a learned std is not annealed"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of the hyperparameters, in order."""
        return tuple(f.name for f in fields(cls))
