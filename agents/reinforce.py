"""The Recurrent Attention Model trained as in the paper: REINFORCE for the locations, cross-entropy for
the classifier (the hybrid loss), a state-dependent baseline by MSE, all through the batched env.

It reads in the order of a training step, as CleanRL's ``ppo.py``: the config (``agents.config``), the
rollout, the loss, the update and the training loop (``ReinforceRAM.learn``).

One update plays one episode in each of the ``batch_size`` envs of ``gym.make_vec``: the model takes
each glimpse, samples where to look next, and at the last step names the class; the env's reward
(1 if right) drives REINFORCE and the episode's ``info["final_info"]["label"]`` the cross-entropy.

In a game (an env whose choice is a "move": Catch) there are no labels: the model samples a move at every
step as well as a location, and REINFORCE from the final reward alone trains both policies and, through the
moves, the core (the paper's section 4.2). With no classifier to shape the core, the baseline's MSE
reaches the core there too.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import ram_env  # noqa: F401  (registers the env ids)
from agents.callbacks import TrainingCallback
from agents.config import ReinforceConfig
from agents.distributed import Distributed, RolloutLoss, evaluate_sharded
from agents.ema import WeightAverage
from agents.evaluation import split_arguments, split_size
from agents.glimpse_agent import GlimpseAgent, as_tensor, sample_choice
from agents.networks import RecurrentAttentionModel
from agents.precision import autocast
from ram_env.classification import ClutterControl

__all__ = [
    "EpochFigures",
    "ReinforceRAM",
    "Rollout",
    "TrainingDiverged",
    "advantages",
    "check_finite",
    "classification_rollout",
    "epoch_seeds",
    "game_rollout",
    "hybrid_loss",
    "leave_one_out_mean",
]

_LOG_EVERY = 25  # updates between logged training scalars

# ------------------------------------------------------------------------------------------------ rollout


def epoch_seeds(seed: int, epoch: int, num_envs: int) -> tuple[list[int], int]:
    """The env seeds (one per env) and the location-noise seed of ``epoch``: a fixed function of
    ``(seed, epoch)``, so that a run resumed at an epoch boundary replays exactly."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(num_envs + 1, dtype=np.uint64) >> np.uint64(1)
    return [int(s) for s in state[:num_envs]], int(state[num_envs])


@dataclass(kw_only=True)
class Rollout:
    """One episode per env, as a rollout played them (``n`` envs, ``T`` glimpses, ``S`` sampled decisions:
    ``T - 1`` locations in a classification env, ``T`` moves (with ``T - 1`` locations) in a game).

    Attributes:
        reward: ``(n,)`` float32 the env's final rewards (1 if the guess was right, or the ball caught).
        log_prob: ``(n, S)`` log-probabilities of the sampled decisions (location and move of a step summed).
        baseline: ``(n, S)`` the baseline's reward estimates at those steps.
        next_obs: the env's observation after the episodes (the next episodes' first glimpses).
        logits: classification: ``(n, n_classes)`` the classifier's output after the last glimpse.
        label: classification: ``(n,)`` int64 true classes, from ``info["final_info"]["label"]``.
        entropy: game: ``(n, T)`` entropy of the move policy at each step.
        start_log_prob: with a learned start: ``(n,)`` log-probabilities of the first glimpse's locations.
    """

    reward: torch.Tensor
    log_prob: torch.Tensor
    baseline: torch.Tensor
    next_obs: dict[str, np.ndarray]
    logits: torch.Tensor | None = None
    label: torch.Tensor | None = None
    entropy: torch.Tensor | None = None
    start_log_prob: torch.Tensor | None = None


def _clutter_control(envs: gym.vector.VectorEnv) -> ClutterControl:
    """The ``n_clutter`` control of a classification env (``ram_env.classification.ClutterControl``)."""
    control = envs.unwrapped
    if not isinstance(control, ClutterControl):
        raise TypeError(f"a clutter curriculum needs a ram_env classification env, got {type(control).__name__}")
    return control


def _first_glimpses(
    model: RecurrentAttentionModel,
    envs: gym.vector.VectorEnv,
    obs: dict[str, np.ndarray],
    generator: torch.Generator | None,
    rows: tuple[int, int] | None,
) -> tuple[dict[str, np.ndarray], torch.Tensor | None]:
    """The episodes' first observation, and the ``(n,)`` log-probabilities of its locations if they were
    sampled: ``(obs, None)`` without a learned start; with one, ``envs`` reset to new episodes whose first
    glimpse is at a location sampled around it."""
    if model.start is None:
        return obs, None
    start_mean = model.start_mean(envs.num_envs)
    start = model.location.sample(start_mean, generator, rows)
    obs, _ = envs.reset(options={"location": start.clamp(-1.0, 1.0).cpu().numpy()})
    return obs, model.location.log_prob(start_mean, start)


def _take_in(
    model: RecurrentAttentionModel, obs: dict[str, np.ndarray], state: Any, device: torch.device
) -> tuple[torch.Tensor, Any]:
    """The core's ``(h_t, state_t)`` after the glimpses of ``obs`` (``h_t``: ``(n, hidden_size)``)."""
    return model.step(as_tensor(obs["glimpse"], device), as_tensor(obs["location"], device), state)


def _next_location(
    model: RecurrentAttentionModel,
    hidden: torch.Tensor,
    generator: torch.Generator | None,
    rows: tuple[int, int] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The location sampled from the policy at ``hidden`` ``(n, h)``: ``(n, 2)``, and its ``(n,)`` log-probability."""
    mean = model.location_mean(hidden)
    location = model.location.sample(mean, generator, rows)
    return location, model.location.log_prob(mean, location)


def classification_rollout(
    model: RecurrentAttentionModel,
    envs: gym.vector.VectorEnv,
    obs: dict[str, np.ndarray],
    n_glimpses: int,
    generator: torch.Generator | None = None,
    rows: tuple[int, int] | None = None,
) -> Rollout:
    """Play one episode in each env of a classification task (all at their first glimpse, ``obs``):
    ``n_glimpses - 1`` locations sampled from the policy, then the most likely class named at the last step.

    ``generator`` draws the location noise (``rows``: a distributed worker's rows of the batch's noise). With a
    learned start the envs are first reset to new episodes starting around it (``obs`` is then not used). The
    baseline sees the core's state detached: the core learns from the cross-entropy.
    """
    device, n, last = next(model.parameters()).device, envs.num_envs, n_glimpses - 1
    obs, start_log_prob = _first_glimpses(model, envs, obs, generator, rows)
    no_label, state = torch.zeros(n, dtype=torch.int64), None
    log_probs, baselines = [], []
    for t in range(n_glimpses):
        hidden, state = _take_in(model, obs, state, device)
        label = no_label
        if t < last:
            location, log_prob = _next_location(model, hidden, generator, rows)
            log_probs.append(log_prob)
            baselines.append(model.baseline(hidden.detach()))
        else:
            location = torch.zeros(n, 2)
            logits = model.action(hidden)
            label = logits.argmax(1)
        action = {"location": location.cpu().numpy(), "label": label.cpu().numpy()}
        obs, reward, terminated, _, info = envs.step(action)
    label = as_tensor(info["final_info"]["label"], device)
    return _ended(terminated, reward, log_probs, baselines, obs, start_log_prob, logits=logits, label=label)


def game_rollout(
    model: RecurrentAttentionModel,
    envs: gym.vector.VectorEnv,
    obs: dict[str, np.ndarray],
    n_glimpses: int,
    generator: torch.Generator | None = None,
    rows: tuple[int, int] | None = None,
    move_generator: torch.Generator | None = None,
) -> Rollout:
    """Play one episode in each env of a game (all at their first glimpse, ``obs``): at every step a move
    sampled from the move policy, and before the last one a location sampled from the location policy.

    ``generator`` draws the location noise, and the moves unless ``move_generator`` is given (a distributed
    worker's own stream); ``rows`` and a learned start as in ``classification_rollout``. The baseline sees the
    core's state undetached: with no classifier, its MSE shapes the core too.
    """
    device, n, last = next(model.parameters()).device, envs.num_envs, n_glimpses - 1
    obs, start_log_prob = _first_glimpses(model, envs, obs, generator, rows)
    state = None
    log_probs, baselines, entropies = [], [], []
    for t in range(n_glimpses):
        hidden, state = _take_in(model, obs, state, device)
        location, location_log_prob = (
            _next_location(model, hidden, generator, rows) if t < last else (torch.zeros(n, 2), None)
        )
        log_policy = model.action(hidden).log_softmax(1)
        move = sample_choice(log_policy, move_generator or generator)
        log_prob = log_policy.gather(1, move[:, None]).squeeze(1)
        log_probs.append(log_prob if location_log_prob is None else location_log_prob + log_prob)
        entropies.append(-(log_policy.exp() * log_policy).sum(1))
        baselines.append(model.baseline(hidden))
        obs, reward, terminated, _, _ = envs.step({"location": location.cpu().numpy(), "move": move.cpu().numpy()})
    return _ended(terminated, reward, log_probs, baselines, obs, start_log_prob, entropy=torch.stack(entropies, 1))


def _ended(
    terminated: np.ndarray,
    reward: np.ndarray,
    log_probs: list[torch.Tensor],
    baselines: list[torch.Tensor],
    next_obs: dict[str, np.ndarray],
    start_log_prob: torch.Tensor | None,
    **parts: torch.Tensor,
) -> Rollout:
    """The ``Rollout`` of episodes that the last step ended (``terminated``, ``reward``: ``(n,)``), from the
    per-step ``(n,)`` log-probabilities and baselines; ``parts``: the task's own fields."""
    if not terminated.all():
        raise RuntimeError("the env's episodes did not end after n_glimpses steps")
    return Rollout(
        reward=as_tensor(reward.astype(np.float32), log_probs[0].device),
        log_prob=torch.stack(log_probs, 1),
        baseline=torch.stack(baselines, 1),
        next_obs=next_obs,
        start_log_prob=start_log_prob,
        **parts,
    )


# --------------------------------------------------------------------------------------------------- loss


def leave_one_out_mean(values: torch.Tensor, group_size: int) -> torch.Tensor:
    """For each row of ``values`` ``(n, ...)``, the mean of the other ``group_size - 1`` rows of its group
    (rows ``0..M-1``, ``M..2M-1``, ...); same shape as ``values``."""
    if group_size < 2 or values.shape[0] % group_size:
        raise ValueError(f"leave-one-out needs groups of >= 2 rows dividing {values.shape[0]}, got {group_size}")
    groups = values.reshape(-1, group_size, *values.shape[1:])
    return ((groups.sum(1, keepdim=True) - groups) / (group_size - 1)).reshape(values.shape)


def advantages(
    reward: torch.Tensor,
    baseline: torch.Tensor,
    gae_lambda: float = 1.0,
    kind: str = "learned",
    group_size: int = 1,
) -> torch.Tensor:
    """The advantage of each sampled decision, ``(n, S)``, from the final ``reward`` ``(n,)`` and the
    baseline's estimates ``baseline`` ``(n, S)`` (undiscounted, the only reward at the end).

    ``kind`` "learned" with ``gae_lambda = 1``: REINFORCE's ``reward - b_t``. Below 1, the generalised
    advantage estimate ``sum_k lambda^(k-t) (b_(k+1) - b_k)`` (``b_S`` = the reward), which trades bias for
    less variance. "leave_one_out": ``reward`` minus the mean reward of the other rollouts of the same image
    (groups of ``group_size`` consecutive rows); "both": ``reward - b_t`` minus its leave-one-out mean.
    """
    baseline = baseline.detach()
    if kind == "leave_one_out":
        return (reward - leave_one_out_mean(reward, group_size))[:, None].expand_as(baseline)
    if kind == "both":
        residual = reward[:, None] - baseline
        return residual - leave_one_out_mean(residual, group_size)
    if gae_lambda == 1.0:
        return reward[:, None] - baseline
    deltas = torch.cat([baseline[:, 1:], reward[:, None]], 1) - baseline
    out, running = torch.empty_like(deltas), torch.zeros_like(reward)
    for t in range(deltas.shape[1] - 1, -1, -1):
        running = deltas[:, t] + gae_lambda * running
        out[:, t] = running
    return out


def hybrid_loss(
    rollout: Rollout,
    entropy_coef: float = 0.0,
    gae_lambda: float = 1.0,
    baseline: str = "learned",
    group_size: int = 1,
) -> dict[str, torch.Tensor]:
    """The paper's hybrid loss: REINFORCE with a baseline for the sampled decisions, MSE to the reward
    for the baseline network, and (classification) cross-entropy for the classifier; in a game,
    ``entropy_coef`` times the move policy's entropy (summed over an episode's steps) is subtracted.

    ``baseline`` and ``group_size`` choose the advantage (see ``advantages``); with "leave_one_out" the
    baseline network is not used, and its MSE is reported but not trained.

    Returns:
        scalars ``{"loss", "reinforce", "baseline_mse"}`` and ``"cross_entropy"`` (classification) or
        ``"entropy"`` (game); ``loss`` is the sum of the trained terms.
    """
    reward = rollout.reward[:, None].expand_as(rollout.baseline)
    baseline_mse = F.mse_loss(rollout.baseline, reward)
    advantage = advantages(rollout.reward, rollout.baseline, gae_lambda, baseline, group_size)
    reinforce = -(rollout.log_prob * advantage).sum(1).mean()
    if rollout.start_log_prob is not None:  # no state before the first glimpse: the other rollouts' mean reward
        others = leave_one_out_mean(rollout.reward, group_size if baseline != "learned" else len(rollout.reward))
        reinforce = reinforce - (rollout.start_log_prob * (rollout.reward - others)).mean()
    loss = reinforce if baseline == "leave_one_out" else reinforce + baseline_mse
    losses = {"loss": loss, "reinforce": reinforce, "baseline_mse": baseline_mse}
    if rollout.logits is not None and rollout.label is not None:  # a classification's rollout has both
        losses["cross_entropy"] = F.cross_entropy(rollout.logits, rollout.label)
        losses["loss"] = losses["loss"] + losses["cross_entropy"]
    if rollout.entropy is not None:
        losses["entropy"] = rollout.entropy.sum(1).mean()  # per episode, as the REINFORCE term
        losses["loss"] = losses["loss"] - entropy_coef * losses["entropy"]
    return losses


# ------------------------------------------------------------------------------- divergence, bookkeeping

# A run that has diverged: a non-finite loss or weights. ``ReinforceRAM.train_step`` checks after each update;
# train_agent.py turns ``TrainingDiverged`` into one line, and the run directory keeps its last checkpoint.
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


class EpochFigures:
    """The figures of one epoch's updates so far, from the moment it is made.

    Args:
        images_per_update: images of one update (``batch_size``).
        episodes_per_update: episodes of one update (``batch_size * rollouts_per_image``).
        n_glimpses: env steps per episode.
    """

    def __init__(self, images_per_update: int, episodes_per_update: int, n_glimpses: int) -> None:
        self.images_per_update, self.episodes_per_update = images_per_update, episodes_per_update
        self.n_glimpses = n_glimpses
        self.start = time.perf_counter()
        self.updates = 0
        self._sums: dict[str, float] = {}

    def add(self, figures: dict[str, float]) -> None:
        """Count one update's figures (losses, reward, ...)."""
        self.updates += 1
        for key, value in figures.items():
            self._sums[key] = self._sums.get(key, 0.0) + value

    def seconds(self) -> float:
        """Wall seconds since the epoch started."""
        return time.perf_counter() - self.start

    def means(self) -> dict[str, float]:
        """Each figure's mean over the updates so far."""
        return {key: value / self.updates for key, value in self._sums.items()}

    def speeds(self, seconds: float) -> dict[str, float]:
        """The updates so far per second of ``seconds``: ``images_per_second``, ``episodes_per_second`` and
        ``glimpses_per_second`` (env steps)."""
        episodes = self.updates * self.episodes_per_update
        return {
            "images_per_second": self.updates * self.images_per_update / seconds,
            "episodes_per_second": episodes / seconds,
            "glimpses_per_second": episodes * self.n_glimpses / seconds,
        }


# ------------------------------------------------------------------------------ the agent: act, update, learn


class ReinforceRAM(GlimpseAgent):
    """The Recurrent Attention Model (Mnih et al., 2014) with its REINFORCE + cross-entropy training
    (``GlimpseAgent``: acting, files).

    Args:
        env_id: a registered env id: a classification task (its action names a "label") or a game (its
            action is a "move", ``agents.evaluation.is_game``).
        config: the hyperparameters (defaults: ``ReinforceConfig()``).
        device: torch device, "cpu" or "cuda".
        env_kwargs: keyword overrides for the env (``n_glimpses``, ``start``, ``data_dir``, ...), used for
            training, validation and ``evaluate``.

    Attributes:
        model: the ``RecurrentAttentionModel`` being trained; its action network names the class, or in a
            game the move.
        ema: the exponential moving average of ``model``'s weights (``agents.ema.WeightAverage``), or None
            when ``config.ema_decay`` is 0.
        policy: the weights the agent acts with (``predict``: validation, test, pictures): ``ema.module``,
            or ``model`` without an average.
        full_clutter: the task's distractor crops per canvas (0 without clutter, or in a game).
        epoch: completed training epochs.
        epochs: the run's length in epochs, which the schedules span: ``config.epochs``, or with
            ``config.time_budget`` the epochs that fit the budget (set after the first epoch).
        history: one dict of figures per completed epoch.
        distributed: set (``agents.distributed.Distributed``) to train as one of several ``torchrun``
            workers; None (the default): one process.
    """

    algo = "reinforce"
    config_class = ReinforceConfig
    samples_labels = False  # the label is the classifier's most likely class; a game's move is sampled
    config: ReinforceConfig

    def __init__(
        self,
        env_id: str = "GlimpseMNIST-v0",
        config: ReinforceConfig | None = None,
        *,
        device: str | torch.device = "cpu",
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(env_id, config or ReinforceConfig(), device=device, env_kwargs=env_kwargs)
        self.full_clutter = getattr(self.task, "n_clutter", 0)
        if self.config.clutter_curriculum and not self.full_clutter:
            raise ValueError(f"clutter_curriculum needs an env with clutter; {env_id} has none here: set it to 0")
        torch.manual_seed(self.config.seed)
        cfg = self.config
        self.model = RecurrentAttentionModel(
            self.glimpse_shape,
            self.n_actions,
            core=cfg.core,
            glimpse_hidden=cfg.glimpse_hidden,
            location_hidden=cfg.location_hidden,
            hidden_size=cfg.hidden_size,
            location_std=cfg.location_std,
            learn_location_std=cfg.learn_location_std,
            full_gradient=cfg.full_gradient,
            learned_start=cfg.learned_start,
        ).to(self.device)
        self.ema = WeightAverage(self.model, cfg.ema_decay) if cfg.ema_decay > 0 else None
        if cfg.optimizer == "sgd":
            self.optimizer: torch.optim.Optimizer = torch.optim.SGD(
                self.model.parameters(),
                lr=cfg.learning_rate,
                momentum=cfg.momentum,
                weight_decay=cfg.weight_decay,
                foreach=True,
            )
        else:
            self.optimizer = torch.optim.AdamW(
                self.model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay, foreach=True
            )
        self.distributed: Distributed | None = None
        self._ddp: torch.nn.parallel.DistributedDataParallel | None = None
        self._noise_rows: tuple[int, int] | None = None  # (first, total): a worker's rows of the location noise
        self._move_generator: torch.Generator | None = None  # a worker's own stream of game moves
        self.epoch = 0
        self.epochs = cfg.epochs

    @property
    def policy(self) -> RecurrentAttentionModel:
        """The weights the agent acts with: the weight average, or the trained model without one."""
        return self.model if self.ema is None else self.ema.module

    # --------------------------------------------------------------------------------------- training

    @property
    def episodes_per_update(self) -> int:
        """Episodes played per update: ``batch_size`` images times ``rollouts_per_image``."""
        return self.config.batch_size * self.config.rollouts_per_image

    def timesteps_per_epoch(self) -> int:
        """Env steps in one epoch: ``ceil(train images / batch_size)`` updates of ``episodes_per_update``
        episodes (train images: the train split's, or ``agents.evaluation.GAME_SPLITS["train"]`` games)."""
        train = split_size(self.env_id, "train", **self.env_kwargs)
        updates = math.ceil(train / self.config.batch_size)
        return updates * self.episodes_per_update * self.n_glimpses

    def learning_rate(self, progress: float) -> float:
        """The learning rate at ``progress`` (fraction of training done, epochs in ``progress * epochs``):
        linear warm-up over ``warmup_epochs``, then ``lr_schedule``."""
        cfg = self.config
        epochs = progress * self.epochs
        if epochs < cfg.warmup_epochs:
            return cfg.learning_rate * epochs / cfg.warmup_epochs
        done = epochs - cfg.warmup_epochs
        frac = min(1.0, done / max(self.epochs - cfg.warmup_epochs, 1e-9))
        if cfg.lr_schedule == "cosine":
            return cfg.learning_rate * 0.5 * (1.0 + math.cos(math.pi * frac))
        if cfg.lr_schedule == "linear":
            return cfg.learning_rate * (1.0 - frac)
        if cfg.lr_schedule == "exponential":
            return cfg.learning_rate * cfg.lr_decay**done
        return cfg.learning_rate

    def location_std(self, progress: float) -> float:
        """The (not learned) location std at ``progress``: ``location_std``, or annealed linearly to
        ``location_std_final`` when that is > 0."""
        cfg = self.config
        if not cfg.location_std_final:
            return cfg.location_std
        return cfg.location_std + (cfg.location_std_final - cfg.location_std) * min(1.0, progress)

    def clutter(self, progress: float) -> int:
        """The distractor crops per training canvas at ``progress`` (fraction of training done): with a
        ``clutter_curriculum`` fraction ``c``, ``floor(full * progress / c)``, so from 0 up to the task's
        ``full`` at ``progress = c``, one crop at a time; else the task's ``full``."""
        fraction, full = self.config.clutter_curriculum, self.full_clutter
        if not fraction:
            return full
        return min(full, math.floor(full * progress / fraction))

    def rollout(
        self, envs: gym.vector.VectorEnv, obs: dict[str, np.ndarray], generator: torch.Generator | None = None
    ) -> Rollout:
        """Play one episode in each env of ``envs`` (all at their first glimpse, ``obs``) with this agent's
        model: ``game_rollout`` in a game, else ``classification_rollout``. ``generator`` draws the location
        noise (and, in one process, the moves)."""
        if self.game:
            return game_rollout(
                self.model, envs, obs, self.n_glimpses, generator, self._noise_rows, self._move_generator
            )
        return classification_rollout(self.model, envs, obs, self.n_glimpses, generator, self._noise_rows)

    def rollout_and_loss(
        self, envs: gym.vector.VectorEnv, obs: dict[str, np.ndarray], generator: torch.Generator
    ) -> tuple[Rollout, dict[str, torch.Tensor]]:
        """One update's episodes (``rollout``, its networks autocast to ``precision``) and their ``hybrid_loss``."""
        cfg = self.config
        with autocast(self.precision, self.device):
            rollout = self.rollout(envs, obs, generator)
        return rollout, hybrid_loss(rollout, cfg.entropy_coef, cfg.gae_lambda, cfg.baseline, cfg.rollouts_per_image)

    def train_step(
        self, envs: gym.vector.VectorEnv, obs: dict[str, np.ndarray], generator: torch.Generator
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The update: play one episode in every env and take one gradient step on ``hybrid_loss`` (its
        gradient's norm clipped to ``max_grad_norm`` if that is > 0), then move the weight average.

        ``obs`` holds the episodes' first glimpses; returns the next episodes' first glimpses (same-step
        autoreset) and the update's figures, ``grad_norm`` (before clipping) among them. Raises
        ``TrainingDiverged`` if the loss or the updated weights are not finite.
        """
        cfg = self.config
        rollout, losses = (self._ddp or self.rollout_and_loss)(envs, obs, generator)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        losses["grad_norm"] = torch.nn.utils.clip_grad_norm_(
            self.model.parameters(), cfg.max_grad_norm or math.inf, foreach=True
        )
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update(self.model)
        figures = {key: value.item() for key, value in losses.items()}
        check_finite(figures["loss"], self.model, self.config.learning_rate)
        figures["reward"] = rollout.reward.mean().item()
        figures["train_error"] = 1.0 - figures["reward"]
        if self.distributed is not None:
            figures = self.distributed.mean(figures)
        return rollout.next_obs, figures

    def learn(
        self,
        total_timesteps: int | None = None,
        callback: TrainingCallback | None = None,
        progress_bar: bool = False,
    ) -> ReinforceRAM:
        """Train until ``epochs`` epochs are done (``config.epochs``, or what fits ``config.time_budget``),
        continuing from ``self.epoch`` (so a loaded checkpoint resumes). An epoch plays as many episodes as the
        train split has images, then scores the validation split.

        Args:
            total_timesteps: stop after this many env steps (glimpses) in all, at the end of an update;
                None: all ``epochs``. The learning-rate schedule always spans ``epochs``.
            callback: told about training figures and each finished epoch (``TrainingCallback``).
            progress_bar: show a tqdm bar with the current figures.

        With ``distributed`` set (``agents.distributed``), this process plays its shard of every update's
        episodes and validates its block of the split; the figures are the workers' means and sums.
        """
        cfg, callback = self.config, callback or TrainingCallback()
        n_envs = self.episodes_per_update
        steps_per_update = n_envs * self.n_glimpses
        per_epoch = self.timesteps_per_epoch()
        updates_per_epoch = per_epoch // steps_per_update
        self.num_timesteps = min(self.num_timesteps, self.epoch * per_epoch)  # a stopped epoch is played whole
        shard = self._start_distributed()
        envs = gym.make_vec(
            self.env_id,
            num_envs=shard.stop - shard.start,
            group_size=cfg.rollouts_per_image,
            **split_arguments(self.env_id, "train"),
            **self.env_kwargs,
        )
        generator = torch.Generator(device=self.device)
        bar = tqdm(initial=self.num_timesteps, disable=not progress_bar, unit="glimpse", unit_scale=True)
        callback.on_training_start(self)
        while True:
            end = self.epochs * per_epoch if total_timesteps is None else min(total_timesteps, self.epochs * per_epoch)
            if self.num_timesteps >= end:
                break
            bar.total = end
            env_seeds, noise_seed = epoch_seeds(cfg.seed, self.epoch, n_envs)
            self._set_schedules(self.epoch / self.epochs, envs)
            obs, _ = envs.reset(seed=env_seeds[shard])  # type: ignore[arg-type]  # one seed per env (as SyncVectorEnv)
            generator.manual_seed(noise_seed)
            if self._move_generator is not None and self.distributed is not None:  # set together
                self._move_generator.manual_seed(epoch_seeds(noise_seed, self.distributed.rank, 0)[1])
            figures = EpochFigures(cfg.batch_size, n_envs, self.n_glimpses)
            for update in range(updates_per_epoch):
                if self.num_timesteps >= end:
                    break
                self._set_schedules((self.epoch + update / updates_per_epoch) / self.epochs, envs)
                obs, update_figures = self.train_step(envs, obs, generator)
                self.num_timesteps += steps_per_update
                figures.add(update_figures)
                if figures.updates % _LOG_EVERY == 0 or figures.updates == updates_per_epoch:
                    self._log(figures, callback, bar, envs)
                bar.update(steps_per_update)
            if figures.updates < updates_per_epoch:  # stopped inside an epoch by total_timesteps: validate there
                self._end_epoch(figures, callback, figures.updates / updates_per_epoch)
                break
            self._end_epoch(figures, callback)
        bar.close()
        envs.close()
        self._ddp = self._noise_rows = self._move_generator = None
        return self

    def _set_schedules(self, progress: float, envs: gym.vector.VectorEnv) -> None:
        """The learning rate, (unless learned) the location std and the training canvases' clutter (for the
        episodes reset from now on) at ``progress`` (fraction of training)."""
        if self.config.clutter_curriculum:
            _clutter_control(envs).n_clutter = self.clutter(progress)
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate(progress)
        if not self.config.learn_location_std:
            self._set_location_std(self.location_std(progress))

    def _set_location_std(self, std: float) -> None:
        """A constant location std, for the trained model and the weight average alike."""
        self.model.location.set_std(std)
        self.policy.location.set_std(std)

    def _log(self, figures: EpochFigures, callback: TrainingCallback, bar: Any, envs: gym.vector.VectorEnv) -> None:
        """Tell ``callback`` and the progress bar the epoch's figures so far (and ``envs``' clutter)."""
        scalars = figures.means()
        scalars["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        scalars["location_std"] = self.model.location.std
        if self.config.clutter_curriculum:
            scalars["n_clutter"] = _clutter_control(envs).n_clutter
        scalars.update(figures.speeds(figures.seconds()))
        callback.on_log(self, scalars)
        bar.set_postfix(
            epoch=self.epoch + 1,
            loss=f"{scalars['loss']:.3f}",
            train_error=f"{scalars['train_error']:.4f}",
            valid_error=f"{self.history[-1]['valid_error']:.4f}" if self.history else "-",
            img_s=f"{scalars['images_per_second']:.0f}",
        )

    def _end_epoch(self, figures: EpochFigures, callback: TrainingCallback, done: float = 1.0) -> None:
        """Count the finished epoch, score the validation split, and record the epoch in ``history``. A run
        stopped inside an epoch (``done``: the fraction played) is validated and recorded there too, as epoch
        ``epoch + done`` (not counted as finished: a resume plays that epoch whole)."""
        update_seconds = figures.seconds()
        if done == 1.0:
            self.epoch += 1
        valid = evaluate_sharded(
            self, self.env_id, "valid", self.distributed, n_episodes=self.config.valid_size or None, **self.env_kwargs
        )
        self.train_seconds += figures.seconds()  # wall time, validation included
        if self.config.time_budget and self.epoch == 1 and done == 1.0:
            self._fit_to_budget()
        record = figures.means()
        record.update(
            epoch=self.epoch if done == 1.0 else round(self.epoch + done, 4),
            timesteps=self.num_timesteps,
            train_seconds=self.train_seconds,
            learning_rate=self.optimizer.param_groups[0]["lr"],
            location_std=self.model.location.std,
            valid_error=valid["error"],
            **figures.speeds(update_seconds),
        )
        self.history.append(record)
        callback.on_epoch_end(self, record)

    def _fit_to_budget(self) -> None:
        """Set ``epochs`` to what fits ``config.time_budget`` at the pace of the first epoch (``train_seconds``),
        at least 1; every torchrun worker takes rank 0's figure."""
        epochs = max(1, math.floor(self.config.time_budget * 60.0 / self.train_seconds))
        self.epochs = epochs if self.distributed is None else self.distributed.share(epochs)

    def _start_distributed(self) -> slice:
        """This process's rows of every update's episodes: all of them, or (distributed) its shard, with the
        model wrapped in ``DistributedDataParallel`` for the updates."""
        n_envs = self.episodes_per_update
        if self.distributed is None:
            return slice(0, n_envs)
        images = self.distributed.shard(self.config.batch_size, "images per update (--batch-size)")
        m = self.config.rollouts_per_image
        shard = slice(images.start * m, images.stop * m)
        self._noise_rows = (shard.start, n_envs)
        self._move_generator = torch.Generator(device=self.device)
        self._ddp = torch.nn.parallel.DistributedDataParallel(
            RolloutLoss(self),
            device_ids=[self.device] if self.device.type == "cuda" else None,
            find_unused_parameters=self.config.baseline == "leave_one_out",  # the baseline network is idle then
        )
        return shard

    # ------------------------------------------------------------------------------------ persistence

    def initialize_from(self, other: ReinforceRAM) -> None:
        """Start from the weights ``other`` acts with (its ``policy``; a warm start, e.g. the 100x100 task
        from an agent of the 60x60 one), before training.

        Every weight must have this model's shape, except the glimpse network's first layer, which may take
        fewer inputs: a retina with fewer scales (the glimpse is scale-major, so the old scales' pixels come
        first). Its weights for the new inputs start at zero, so the warm-started model first computes
        what ``other`` did. The weight average and the optimizer start afresh from the result.

        Raises:
            ValueError: the networks differ otherwise (core, widths, classes); the message names the weight.
        """
        source = other.policy.state_dict()
        target = self.model.state_dict()
        if source.keys() != target.keys():
            raise ValueError(
                f"cannot start from a {other.config.core} model with weights {sorted(source)}: this "
                f"{self.config.core} model has {sorted(target)}"
            )
        merged = {}
        for name, weight in source.items():
            shape = target[name].shape
            grows_inputs = name == "glimpse.glimpse_fc.weight" and weight.shape[0] == shape[0]
            if weight.shape != shape and not (grows_inputs and weight.shape[1] < shape[1]):
                raise ValueError(
                    f"cannot start from weight {name} of shape {tuple(weight.shape)}: this model's "
                    f"is {tuple(shape)} (same widths and classes needed; only the retina may grow)"
                )
            merged[name] = weight
            if weight.shape != shape:  # the new scales' inputs start at zero
                merged[name] = torch.zeros(shape, dtype=weight.dtype)
                merged[name][:, : weight.shape[1]] = weight
        self.model.load_state_dict(merged)
        if self.ema is not None:
            self.ema = WeightAverage(self.model, self.config.ema_decay)
        self.optimizer.state.clear()

    def _progress(self) -> dict[str, Any]:
        return {"ema": None if self.ema is None else self.ema.state_dict(), "epoch": self.epoch, "epochs": self.epochs}

    def _restore_progress(self, training: dict[str, Any]) -> None:
        if self.ema is not None and training.get("ema") is not None:
            self.ema.load_state_dict(training["ema"])
        self.epoch, self.epochs = training["epoch"], training.get("epochs", self.config.epochs)

    def _load_model(self, weights: dict[str, torch.Tensor], location_std: float | None) -> None:
        """The saved weights for the trained model and the weight average alike (a training checkpoint's
        average is then taken back by ``_restore_progress``)."""
        self.model.load_state_dict(weights)
        if self.ema is not None:
            self.ema.module.load_state_dict(weights)
        if location_std is not None and not self.config.learn_location_std:  # an annealed std where it stopped
            self._set_location_std(location_std)
