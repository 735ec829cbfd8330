"""A recurrent PPO written for the glimpse envs (``--algo ram_ppo``), to read top to bottom as CleanRL's
``ppo_atari_lstm.py``: the hyperparameters (``RecurrentPPOConfig``), the rollout, GAE, the clipped loss over
whole episodes, the update, and the agent that trains and acts (``RAMPPO``).

It trains from the env's reward alone: no labels, no hybrid loss, no supervised term of any kind. In a
classification task the label is one more action, sampled from a categorical head and rewarded 1 at the last
step if right; in a game (Catch) the move is sampled at every step. (The paper's REINFORCE agent,
``agents.reinforce``, trains its classifier by cross-entropy on the true labels; this agent never reads them.)

The policy is the RAM's own networks (``agents.networks.RecurrentAttentionModel`` with an LSTM core): the
glimpse network, an LSTM core, a Gaussian location head in the env's continuous [-1, 1] coordinates (its std
learned, or constant, or annealed), a categorical head for the label or the move, and a value head on the same
LSTM state. PPO's losses reach every part (``full_gradient``).

It steps ``gym.make_vec(env_id, num_envs=N)`` directly: no stable-baselines3, no grid of locations. Every
episode of an env id has the same length ``L`` (``n_glimpses`` glimpses; Catch: ``screen_size - 1`` moves), so
a rollout of ``episodes_per_rollout * L`` steps started on fresh episodes holds whole episodes only, all
aligned. The update then re-runs each episode from its first glimpse and a zero LSTM state: truncated BPTT over
whole episodes, one ``(L, episodes)`` sequence per minibatch. Each rollout resets the envs with seeds that are
a function of ``(seed, update)`` and draws its noise from a generator seeded the same way, so a run resumed
from a checkpoint (saved between updates) replays the run that was not stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm.auto import tqdm

import ram_env  # noqa: F401  (registers the env ids)
from agents.callbacks import TrainingCallback
from agents.config import check_ranges
from agents.evaluation import GAME_CHOICE, evaluate, split_arguments
from agents.glimpse_agent import GlimpseAgent, as_tensor, sample_choice
from agents.networks import RecurrentAttentionModel
from agents.precision import PRECISIONS, autocast
from agents.reinforce import check_finite

__all__ = [
    "RAMPPO",
    "Rollout",
    "RecurrentPPOConfig",
    "collect_rollout",
    "evaluate_episodes",
    "gae",
    "layer_init",
    "ppo_loss",
    "rollout_seeds",
    "to_episodes",
]

# ------------------------------------------------------------------------------------------ hyperparameters


def _field(default: Any, help: str) -> Any:
    """A field with its ``default`` and its meaning, ``help`` (the flag's help text)."""
    return field(default=default, metadata={"help": help})


@dataclass(kw_only=True)
class RecurrentPPOConfig:
    """Hyperparameters of ``agents.RAMPPO`` (``--algo ram_ppo``): each field's ``metadata["help"]`` says what it
    is, and each is a flag of ``train_agent.py``; an env id's ``[ram_ppo]`` table in ``agents/hyperparams/``
    overrides the defaults. The defaults are untuned starting points (CleanRL's, on the RAM's widths)."""

    glimpse_hidden: int = _field(128, "width of the glimpse network's glimpse layer h_g (paper: 128)")
    location_hidden: int = _field(128, "width of the glimpse network's location layer h_l (paper: 128)")
    hidden_size: int = _field(256, "width of g_t and of the LSTM core's state h_t")
    location_std: float = _field(
        0.1,
        "std of the Gaussian location policy, in location units ([-1, 1] spans the canvas); with "
        "learn_location_std its starting value",
    )
    learn_location_std: bool = _field(
        False, "the location std is a trained parameter (true/false); the entropy bonus then widens it"
    )
    location_std_final: float = _field(
        0.0,
        "if > 0 (and the std is not learned), anneal the location std linearly from location_std to this "
        "value over total_timesteps; 0: constant",
    )
    num_envs: int = _field(256, "episodes run side by side (the training gym.make_vec's num_envs)")
    episodes_per_rollout: int = _field(
        1, "whole episodes each env plays per rollout: a rollout is this many episode lengths of steps"
    )
    total_timesteps: int = _field(
        10_000_000,
        "training length in env steps (glimpses), the span of the learning-rate and std schedules; -n stops earlier",
    )
    learning_rate: float = _field(1e-3, "Adam's learning rate (its start, with anneal_lr)")
    anneal_lr: bool = _field(True, "decay the learning rate linearly to 0 over total_timesteps (true/false)")
    update_epochs: int = _field(4, "passes over each rollout's episodes per update")
    num_minibatches: int = _field(4, "minibatches per pass, each a set of whole episodes")
    gamma: float = _field(1.0, "discount per step (1: the episode's one reward counts whole)")
    gae_lambda: float = _field(0.95, "GAE's lambda")
    clip_coef: float = _field(0.2, "PPO's clipping of the probability ratio (and of the value, with clip_vloss)")
    clip_vloss: bool = _field(True, "clip the value loss as the policy's (true/false)")
    norm_adv: bool = _field(True, "normalise the advantages in each minibatch (true/false)")
    entropy_coef: float = _field(0.01, "weight of the entropy bonus (the label's or move's and the location's)")
    vf_coef: float = _field(0.5, "weight of the value loss")
    max_grad_norm: float = _field(0.5, "clip the gradient's global L2 norm to this value (0: no clipping)")
    target_kl: float = _field(0.0, "stop an update's passes once the approximate KL exceeds this (0: never)")
    eval_freq: int = _field(500_000, "env steps between validations (and checkpoints)")
    valid_size: int = _field(
        0, "validation episodes scored at each validation, the first of the valid split (0: all of it)"
    )
    precision: str = _field(
        "auto",
        "training precision: fp32, bf16 (the networks' matrix products autocast to bfloat16 in the "
        "rollouts and updates; weights, optimizer, log-probabilities and losses float32), or auto (bf16 where the "
        "CPU or GPU has native bfloat16, else fp32)",
    )
    seed: int = _field(0, "seeds the weights, the env episodes and the sampling")
    num_threads: int = _field(0, "torch CPU threads (0: torch's default)")

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        for f in fields(self):
            value, kind = getattr(self, f.name), str(f.type)
            if kind == "bool" and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false, got {value!r}")
            if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{f.name} must be an integer, got {value!r}")
            if kind == "float" and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            ):
                raise ValueError(f"{f.name} must be a finite number, got {value!r}")
        for name in (
            "glimpse_hidden",
            "location_hidden",
            "hidden_size",
            "num_envs",
            "episodes_per_rollout",
            "total_timesteps",
            "update_epochs",
            "num_minibatches",
            "eval_freq",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        check_ranges(
            self,
            positive=("location_std", "learning_rate", "clip_coef"),
            non_negative=(
                "location_std_final",
                "entropy_coef",
                "vf_coef",
                "max_grad_norm",
                "target_kl",
                "valid_size",
                "num_threads",
                "seed",
            ),
            unit=("gamma", "gae_lambda"),
        )
        if self.learn_location_std and self.location_std_final:
            raise ValueError(
                "learn_location_std and location_std_final exclude each other: a learned std is not "
                "annealed (set learn_location_std false to anneal it)"
            )
        if self.num_minibatches > self.num_envs * self.episodes_per_rollout:
            raise ValueError(
                f"num_minibatches ({self.num_minibatches}) must be at most the episodes of a rollout, "
                f"num_envs x episodes_per_rollout = {self.num_envs * self.episodes_per_rollout}"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of the hyperparameters, in order."""
        return tuple(f.name for f in fields(cls))


# -------------------------------------------------------------------------------------------------- rollout


def rollout_seeds(seed: int, update: int, num_envs: int) -> tuple[list[int], int]:
    """The env seeds (one per env) and the noise seed of rollout ``update``: a fixed function of
    ``(seed, update)``, so that a run resumed between updates replays exactly."""
    state = np.random.SeedSequence([seed, update, 27]).generate_state(num_envs + 1, dtype=np.uint64) >> np.uint64(1)
    return [int(s) for s in state[:num_envs]], int(state[num_envs])


@dataclass(kw_only=True)
class Rollout:
    """``T`` steps of ``N`` envs (``T`` a whole number of episode lengths ``L``, every env at an episode's start
    at step 0), as ``collect_rollout`` played them; every tensor's first two axes are ``(T, N)``.

    Attributes:
        glimpse, location: the observations, ``(T, N, k, g, g)`` and ``(T, N, 2)``.
        action_location: the sampled locations, unclipped (the env clips them), ``(T, N, 2)``.
        choice: the sampled labels or moves, ``(T, N)`` int64.
        log_prob: the log-probabilities of the step's actions that the env uses (``action_masks``), ``(T, N)``.
        value: the value head's estimates, ``(T, N)``.
        reward, terminated: the env's, ``(T, N)`` float32.
    """

    glimpse: torch.Tensor
    location: torch.Tensor
    action_location: torch.Tensor
    choice: torch.Tensor
    log_prob: torch.Tensor
    value: torch.Tensor
    reward: torch.Tensor
    terminated: torch.Tensor


def action_masks(length: int, game: bool, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Which actions of each step of an ``length``-step episode the env uses, ``(length, 1)`` float32 each: the
    location at every step but the last (the last glimpse is never taken); the move at every step of a game, the
    label at the last step of a classification (the env ignores earlier ones). Only those enter the ratio and
    the entropy."""
    step = torch.arange(length, device=device)[:, None]
    location = (step < length - 1).float()
    choice = torch.ones_like(location) if game else (step == length - 1).float()
    return location, choice


@torch.no_grad()
def layer_init(model: RecurrentAttentionModel) -> None:
    """CleanRL's initialisation, in place: orthogonal weights and zero biases; gain sqrt(2) in the glimpse network
    (ReLU), 1 in the LSTM, 0.01 in the location and label or move heads (so the first policy looks near the centre
    and chooses almost uniformly), 1 in the value head. (Measured once on the 10x10 Catch, seed 0: validation error
    0.22 after 100k env steps, against 0.67 with PyTorch's default initialisation.)"""
    glimpse = model.glimpse
    layers = [
        (glimpse.glimpse_fc, math.sqrt(2.0)),
        (glimpse.location_fc, math.sqrt(2.0)),
        (glimpse.glimpse_out, math.sqrt(2.0)),
        (glimpse.location_out, math.sqrt(2.0)),
        (model.location.fc, 0.01),
        (model.action.fc, 0.01),
        (model.baseline.fc, 1.0),
    ]
    for layer, gain in layers:
        torch.nn.init.orthogonal_(layer.weight, gain)
        if layer.bias is not None:
            layer.bias.zero_()
    for name, parameter in model.core.cell.named_parameters():
        if name.startswith("bias"):
            parameter.zero_()
        else:
            torch.nn.init.orthogonal_(parameter, 1.0)


def location_entropy(model: RecurrentAttentionModel) -> torch.Tensor:
    """The Gaussian location policy's entropy (x and y), a scalar (differentiable in a learned std)."""
    learned = model.location.log_std
    log_std = learned if learned is not None else torch.tensor(math.log(model.location.std))
    return 2.0 * (0.5 + 0.5 * math.log(2.0 * math.pi) + log_std)


@torch.no_grad()
def collect_rollout(
    model: RecurrentAttentionModel,
    envs: gym.vector.VectorEnv,
    obs: dict[str, np.ndarray],
    n_steps: int,
    length: int,
    action_key: str,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Play ``n_steps`` steps in every env of ``envs``, all at an episode's first glimpse (``obs``), sampling the
    location and the label or move at each step; the LSTM state starts at zero with every episode.

    Raises:
        RuntimeError: an episode did not end after ``length`` steps (the rollout would not hold whole episodes).
    """
    device, n = next(model.parameters()).device, envs.num_envs
    space = envs.single_observation_space
    glimpse_shape = space["glimpse"].shape if isinstance(space, gym.spaces.Dict) else None
    if glimpse_shape is None:
        raise ValueError(f"not a glimpse env: its observation space is {space}")

    def empty(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.empty((n_steps, n, *shape), dtype=dtype, device=device)

    out = Rollout(
        glimpse=empty(*glimpse_shape),
        location=empty(2),
        action_location=empty(2),
        choice=empty(dtype=torch.int64),
        log_prob=empty(),
        value=empty(),
        reward=empty(),
        terminated=empty(),
    )
    location_mask, choice_mask = action_masks(length, action_key == GAME_CHOICE, device)
    state: Any = None
    for t in range(n_steps):
        step = t % length
        if step == 0:
            state = None  # every env starts an episode: a zero LSTM state
        out.glimpse[t].copy_(as_tensor(obs["glimpse"], device))
        out.location[t].copy_(as_tensor(obs["location"], device))
        hidden, state = model.step(out.glimpse[t], out.location[t], state)
        mean = model.location_mean(hidden)
        location = model.location.sample(mean, generator)
        log_policy = model.action(hidden).log_softmax(1)
        choice = sample_choice(log_policy, generator)
        out.action_location[t], out.choice[t] = location, choice
        out.log_prob[t] = location_mask[step] * model.location.log_prob(mean, location) + choice_mask[
            step
        ] * log_policy.gather(1, choice[:, None]).squeeze(1)
        out.value[t] = model.baseline(hidden)
        action = {"location": location.clamp(-1.0, 1.0).cpu().numpy(), action_key: choice.cpu().numpy()}
        obs, reward, terminated, _, _ = envs.step(action)
        if not (terminated == (step == length - 1)).all():
            raise RuntimeError(
                f"the env's episodes did not end together after {length} steps: ram_ppo needs "
                "episodes of one fixed length"
            )
        out.reward[t].copy_(torch.from_numpy(reward.astype(np.float32)))
        out.terminated[t].copy_(torch.from_numpy(terminated.astype(np.float32)))
    return out


# ---------------------------------------------------------------------------------------------------- GAE


def gae(
    reward: torch.Tensor,
    value: torch.Tensor,
    terminated: torch.Tensor,
    next_value: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over a rollout: ``(advantages, returns)``, both ``(T, N)``.

    ``terminated[t]`` is 1 where step ``t`` ended its episode (no bootstrap across it); ``next_value`` ``(N,)``
    is the value of the observation after the last step (unused where that step ended an episode, as it does
    in every rollout of ``RAMPPO``). ``delta_t = r_t + gamma V_(t+1) (1 - d_t) - V_t``,
    ``A_t = delta_t + gamma lambda (1 - d_t) A_(t+1)``; returns ``A + V``.
    """
    advantages = torch.zeros_like(reward)
    running = torch.zeros_like(next_value)
    for t in range(reward.shape[0] - 1, -1, -1):
        following = next_value if t == reward.shape[0] - 1 else value[t + 1]
        alive = 1.0 - terminated[t]
        delta = reward[t] + gamma * following * alive - value[t]
        running = delta + gamma * gae_lambda * alive * running
        advantages[t] = running
    return advantages, advantages + value


# ------------------------------------------------------------------------------------ loss over whole episodes


def to_episodes(x: torch.Tensor, length: int) -> torch.Tensor:
    """A rollout's ``(T, N, ...)`` tensor as whole episodes, ``(length, (T // length) * N, ...)``: episode ``j``
    of env ``n`` becomes column ``j * N + n``."""
    steps, n = x.shape[:2]
    rest = x.shape[2:]
    return x.reshape(steps // length, length, n, *rest).transpose(0, 1).reshape(length, -1, *rest)


def evaluate_episodes(
    model: RecurrentAttentionModel,
    glimpse: torch.Tensor,
    location: torch.Tensor,
    action_location: torch.Tensor,
    choice: torch.Tensor,
    location_mask: torch.Tensor,
    choice_mask: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Re-run whole episodes (``(L, B, ...)`` from ``to_episodes``) from a zero LSTM state, with gradients:
    the log-probabilities of their actions, the policy's entropy and the values, each ``(L, B)``.

    The glimpse network and the heads see all ``L * B`` steps at once; the core runs the ``L``-step sequence in
    one ``torch.lstm`` call with the LSTM cell's own weights (the same numbers as stepping the cell).
    """
    length, batch = choice.shape
    features = model.glimpse(glimpse.flatten(0, 1), location.flatten(0, 1)).view(length, batch, -1)
    cell = model.core.cell
    zeros = features.new_zeros(1, batch, cell.hidden_size)
    weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
    hidden = torch.lstm(features, (zeros, zeros), weights, True, 1, 0.0, model.training, False, False)[0]
    hidden = hidden.flatten(0, 1)
    mean = model.location_mean(hidden)
    location_log_prob = model.location.log_prob(mean, action_location.flatten(0, 1)).view(length, batch)
    log_policy = model.action(hidden).log_softmax(1)
    choice_log_prob = log_policy.gather(1, choice.reshape(-1, 1)).view(length, batch)
    choice_entropy = -(log_policy.exp() * log_policy).sum(1).view(length, batch)
    value = model.baseline(hidden).view(length, batch)
    log_prob = location_mask * location_log_prob + choice_mask * choice_log_prob
    entropy = location_mask * location_entropy(model) + choice_mask * choice_entropy
    return log_prob, entropy, value


def ppo_loss(
    log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    value: torch.Tensor,
    old_value: torch.Tensor,
    returns: torch.Tensor,
    entropy: torch.Tensor,
    config: RecurrentPPOConfig,
) -> dict[str, torch.Tensor]:
    """PPO's loss on a minibatch (tensors of one shape): the clipped surrogate, the (clipped) value loss and
    the entropy bonus, ``loss = policy_loss - entropy_coef * entropy + vf_coef * value_loss``; with
    ``approx_kl`` and ``clipfrac`` (no gradient), as CleanRL reports them."""
    c = config.clip_coef
    log_ratio = log_prob - old_log_prob
    ratio = log_ratio.exp()
    with torch.no_grad():
        approx_kl = ((ratio - 1.0) - log_ratio).mean()
        clipfrac = ((ratio - 1.0).abs() > c).float().mean()
    if config.norm_adv:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    policy_loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1.0 - c, 1.0 + c)).mean()
    if config.clip_vloss:
        clipped = old_value + (value - old_value).clamp(-c, c)
        value_loss = 0.5 * torch.max((value - returns) ** 2, (clipped - returns) ** 2).mean()
    else:
        value_loss = 0.5 * ((value - returns) ** 2).mean()
    entropy_mean = entropy.mean()
    loss = policy_loss - config.entropy_coef * entropy_mean + config.vf_coef * value_loss
    return {
        "loss": loss,
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "entropy": entropy_mean,
        "approx_kl": approx_kl,
        "clipfrac": clipfrac,
    }


# ------------------------------------------------------------------------------ the agent: act, update, learn


class RAMPPO(GlimpseAgent):
    """Recurrent PPO on a glimpse env, from the reward alone (see the module's docstring; ``GlimpseAgent``:
    acting, files).

    Args:
        env_id: a registered env id: a classification task (its action names a "label") or a game (a "move").
        config: the hyperparameters (defaults: ``RecurrentPPOConfig()``).
        device: torch device.
        env_kwargs: keyword overrides for the env (``n_glimpses``, ``screen_size``, ``data_dir``, ...), used for
            training, validation and ``evaluate``.

    Attributes:
        model: the ``RecurrentAttentionModel`` (LSTM core; ``baseline`` is the value head), trained and acted with.
        n_glimpses: steps of every episode; a rollout is ``episodes_per_rollout`` of them.
        updates: PPO updates so far.
        history: one record per validation (``timesteps``, ``valid_error``, ...).
    """

    algo = "ram_ppo"
    config_class = RecurrentPPOConfig
    samples_labels = True  # the label is an action of the policy like the location
    config: RecurrentPPOConfig

    def __init__(
        self,
        env_id: str,
        *,
        config: RecurrentPPOConfig | None = None,
        device: str | torch.device = "cpu",
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(env_id, config or RecurrentPPOConfig(), device=device, env_kwargs=env_kwargs)
        cfg = self.config
        torch.manual_seed(cfg.seed)
        self.model = RecurrentAttentionModel(
            self.glimpse_shape,
            self.n_actions,
            core="lstm",
            glimpse_hidden=cfg.glimpse_hidden,
            location_hidden=cfg.location_hidden,
            hidden_size=cfg.hidden_size,
            location_std=cfg.location_std,
            learn_location_std=cfg.learn_location_std,
            full_gradient=True,
        )
        layer_init(self.model)
        self.model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate, eps=1e-5, foreach=True)
        self.ema = None  # no weight average: a run is tested with its best validation checkpoint
        self.updates = 0

    # --------------------------------------------------------------------------------------- training

    @property
    def steps_per_rollout(self) -> int:
        """Env steps of one rollout, all envs: ``num_envs * episodes_per_rollout * episode_length``."""
        return self.config.num_envs * self.config.episodes_per_rollout * self.n_glimpses

    def total_updates(self) -> int:
        """Updates in ``config.total_timesteps`` (the schedules' span)."""
        return math.ceil(self.config.total_timesteps / self.steps_per_rollout)

    def _set_schedules(self) -> None:
        """The learning rate and (unless learned) the location std of the next update."""
        cfg, progress = self.config, min(1.0, self.updates / self.total_updates())
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.learning_rate * (1.0 - progress) if cfg.anneal_lr else cfg.learning_rate
        if not cfg.learn_location_std and cfg.location_std_final:
            self.model.location.set_std(cfg.location_std + (cfg.location_std_final - cfg.location_std) * progress)

    def train_update(self, envs: gym.vector.VectorEnv, generator: torch.Generator) -> dict[str, float]:
        """One PPO update: a rollout of whole episodes (the envs reset with ``rollout_seeds``), GAE, then
        ``update_epochs`` passes of minibatches of whole episodes. Returns the update's figures.

        Raises:
            TrainingDiverged: the loss or the updated weights are not finite.
        """
        cfg, length = self.config, self.n_glimpses
        env_seeds, noise_seed = rollout_seeds(cfg.seed, self.updates, cfg.num_envs)
        obs, _ = envs.reset(seed=env_seeds)  # type: ignore[arg-type]  # one seed per env (as SyncVectorEnv)
        generator.manual_seed(noise_seed)
        self._set_schedules()
        with autocast(self.precision, self.device):
            rollout = collect_rollout(
                self.model, envs, obs, cfg.episodes_per_rollout * length, length, self.action_key, generator
            )
        next_value = torch.zeros(cfg.num_envs, device=self.device)  # every rollout ends with its episodes
        advantages, returns = gae(
            rollout.reward, rollout.value, rollout.terminated, next_value, cfg.gamma, cfg.gae_lambda
        )
        episodes = {
            name: to_episodes(tensor, length)
            for name, tensor in (
                ("glimpse", rollout.glimpse),
                ("location", rollout.location),
                ("action_location", rollout.action_location),
                ("choice", rollout.choice),
                ("log_prob", rollout.log_prob),
                ("value", rollout.value),
                ("advantages", advantages),
                ("returns", returns),
            )
        }
        location_mask, choice_mask = action_masks(length, self.game, self.device)
        n_episodes = episodes["choice"].shape[1]
        sums: dict[str, float] = {}
        passes = 0
        for _ in range(cfg.update_epochs):
            order = torch.randperm(n_episodes, generator=generator, device=self.device)
            for batch in order.tensor_split(cfg.num_minibatches):
                mb = {name: tensor[:, batch] for name, tensor in episodes.items()}
                with autocast(self.precision, self.device):
                    log_prob, entropy, value = evaluate_episodes(
                        self.model,
                        mb["glimpse"],
                        mb["location"],
                        mb["action_location"],
                        mb["choice"],
                        location_mask,
                        choice_mask,
                    )
                losses = ppo_loss(
                    log_prob, mb["log_prob"], mb["advantages"], value, mb["value"], mb["returns"], entropy, cfg
                )
                self.optimizer.zero_grad(set_to_none=True)
                losses["loss"].backward()
                losses["grad_norm"] = torch.nn.utils.clip_grad_norm_(
                    self.model.parameters(), cfg.max_grad_norm or math.inf, foreach=True
                )
                self.optimizer.step()
                passes += 1
                for key, tensor in losses.items():
                    sums[key] = sums.get(key, 0.0) + float(tensor.detach())
            if cfg.target_kl and float(losses["approx_kl"]) > cfg.target_kl:
                break
        figures = {key: total / passes for key, total in sums.items()}
        check_finite(figures["loss"], self.model, cfg.learning_rate)
        variance = float(returns.var())
        if variance > 0:  # undefined (and left out) where every return is the same
            figures["explained_variance"] = 1.0 - float((returns - rollout.value).var()) / variance
        figures["reward"] = float(rollout.reward.sum()) / n_episodes  # per episode: won (caught, right label) or not
        figures["train_error"] = 1.0 - figures["reward"]
        figures["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        figures["location_std"] = self.model.location.std
        return figures

    def learn(
        self,
        total_timesteps: int | None = None,
        callback: TrainingCallback | None = None,
        progress_bar: bool = False,
    ) -> RAMPPO:
        """Train until ``config.total_timesteps`` env steps, continuing from ``num_timesteps`` (a loaded
        checkpoint resumes), validating every ``config.eval_freq`` env steps and at the end.

        Args:
            total_timesteps: stop after this many env steps in all (at the end of an update); None: the
                config's. The schedules always span ``config.total_timesteps``.
            callback: told about each update's figures (``on_log``) and each validation (``on_epoch_end``).
            progress_bar: show a tqdm bar.
        """
        cfg, callback = self.config, callback or TrainingCallback()
        end = cfg.total_timesteps if total_timesteps is None else min(total_timesteps, cfg.total_timesteps)
        envs = gym.make_vec(
            self.env_id, num_envs=cfg.num_envs, **split_arguments(self.env_id, "train"), **self.env_kwargs
        )
        generator = torch.Generator(device=self.device)
        bar = tqdm(total=end, initial=self.num_timesteps, disable=not progress_bar, unit="step", unit_scale=True)
        callback.on_training_start(self)
        last_validation = self.history[-1]["timesteps"] if self.history else 0
        window: list[dict[str, float]] = []
        start = time.perf_counter()
        while self.num_timesteps < end:
            update_start = time.perf_counter()
            figures = self.train_update(envs, generator)
            self.num_timesteps += self.steps_per_rollout
            self.updates += 1
            seconds = time.perf_counter() - update_start
            figures["glimpses_per_second"] = self.steps_per_rollout / seconds
            figures["episodes_per_second"] = self.steps_per_rollout / self.n_glimpses / seconds
            window.append(figures)
            callback.on_log(self, figures)
            bar.update(self.steps_per_rollout)
            bar.set_postfix(
                reward=f"{figures['reward']:.3f}",
                steps_s=f"{figures['glimpses_per_second']:.0f}",
                valid_error=f"{self.history[-1]['valid_error']:.4f}" if self.history else "-",
            )
            if self.num_timesteps - last_validation >= cfg.eval_freq or self.num_timesteps >= end:
                self.train_seconds += time.perf_counter() - start
                self._validate(window, callback)
                start, window, last_validation = time.perf_counter(), [], self.num_timesteps
        bar.close()
        envs.close()
        return self

    def _validate(self, window: list[dict[str, float]], callback: TrainingCallback) -> None:
        """Score the validation split, record it in ``history`` with the updates' mean figures since the last
        validation, and tell ``callback`` (which writes the checkpoints)."""
        valid = evaluate(self, self.env_id, "valid", n_episodes=self.config.valid_size or None, **self.env_kwargs)
        keys = dict.fromkeys(key for figures in window for key in figures)  # in order, each once
        record: dict[str, float] = {key: float(np.mean([f[key] for f in window if key in f])) for key in keys}
        record.update(
            timesteps=self.num_timesteps,
            updates=self.updates,
            train_seconds=self.train_seconds,
            valid_error=valid["error"],
        )
        self.history.append(record)
        callback.on_epoch_end(self, record)

    # ------------------------------------------------------------------------------------ persistence

    def _progress(self) -> dict[str, Any]:
        return {"updates": self.updates}

    def _restore_progress(self, training: dict[str, Any]) -> None:
        self.updates = training["updates"]
