"""What the project's own agents (``agents.ReinforceRAM``, ``agents.RAMPPO``) share: reading an env id's spaces,
acting through stable-baselines3's ``predict`` with a ``RecurrentAttentionModel``, and the common part of their
files (``save``, ``from_payload``).

A subclass calls ``GlimpseAgent.__init__`` first, then builds ``model`` and ``optimizer``; it says what its
training checkpoints hold besides the common part (``_progress``, ``_restore_progress``) and, where it differs,
which weights it acts with (``policy``) and how it takes a saved model (``_load_model``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch

import ram_env  # noqa: F401  (registers the env ids)
from agents.checkpoints import FORMAT, atomic_save, data_fingerprint, portable_env_kwargs
from agents.evaluation import GAME_CHOICE
from agents.networks import RecurrentAttentionModel
from agents.precision import resolve_precision
from ram_env.wrappers import action_choice


def as_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """An env array on ``device``: shared memory on the CPU; to a GPU through pinned memory, without
    blocking (the env stays on the CPU)."""
    tensor = torch.from_numpy(array)
    if device.type != "cuda":
        return tensor
    return tensor.pin_memory().to(device, non_blocking=True)


def sample_choice(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One draw per row from ``softmax(logits)``: ``(n, m)`` -> ``(n,)`` int64, outside the autograd graph."""
    return torch.multinomial(logits.detach().softmax(1), 1, generator=generator).squeeze(1)


class GlimpseAgent:
    """An agent of a glimpse env with a ``RecurrentAttentionModel`` (see the module's docstring).

    Args:
        env_id: a registered env id: a classification task (its action names a "label") or a game (its action
            is a "move", ``agents.evaluation.is_game``).
        config: the subclass's hyperparameters (``config_class``); this class reads ``precision``,
            ``num_threads`` and ``learn_location_std``.
        device: torch device.
        env_kwargs: keyword overrides for the env (``n_glimpses``, ``start``, ``data_dir``, ...), used for
            training, validation and ``evaluate``.

    Attributes:
        precision: "fp32" or "bf16", the training's precision (``config.precision`` resolved for ``device``,
            ``agents.precision``).
        glimpse_shape: the env's glimpse, ``(k, g, g)``.
        action_key: the env's choice besides the location, "label" or "move" (read from its action space);
            ``n_actions`` its number of values.
        game: whether the choice is a move (``action_key == "move"``).
        task: the env's settings (its ``GlimpseTask`` or ``CatchTask``), read once from a probe env.
        n_glimpses: glimpses (steps) per episode, the same in every episode of the env.
        data_fingerprint: what identifies a ``GlimpseImages-v0`` source's images (stored in the agent's files and
            checked when they load, ``agents.checkpoints.check_data``); None for the other envs.
        num_timesteps: env steps (glimpses) trained on so far; ``train_seconds``: seconds of training so far.
        history: one dict of figures per validation.
    """

    algo: ClassVar[str]
    config_class: ClassVar[type]
    # Whether a non-deterministic ``predict`` samples the label too; a game's move is always sampled then.
    samples_labels: ClassVar[bool]
    model: RecurrentAttentionModel
    optimizer: torch.optim.Optimizer

    def __init__(
        self,
        env_id: str,
        config: Any,
        *,
        device: str | torch.device = "cpu",
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.env_id, self.config = env_id, config
        self.env_kwargs = dict(env_kwargs or {})
        self.device = torch.device(device)
        self.precision = resolve_precision(config.precision, self.device)
        if config.num_threads:
            torch.set_num_threads(config.num_threads)
        probe = gym.make(env_id, **self.env_kwargs)
        space = probe.observation_space
        glimpse = space.spaces.get("glimpse") if isinstance(space, gym.spaces.Dict) else None
        if glimpse is None or glimpse.shape is None:
            raise ValueError(f"{env_id} is not a glimpse env: its observation space is {space}")
        self.glimpse_shape = tuple(glimpse.shape)
        self.action_key, self.n_actions = action_choice(probe.action_space)
        self.game = self.action_key == GAME_CHOICE
        self.task: Any = probe.get_wrapper_attr("task")  # the env's settings (a GlimpseTask or CatchTask)
        self.n_glimpses = int(self.task.n_glimpses)
        probe.close()
        if self.n_glimpses < 2:
            raise ValueError(f"{self.algo} needs n_glimpses >= 2 (at least one location to choose)")
        self.data_fingerprint = data_fingerprint(env_id, self.env_kwargs)
        self.num_timesteps = 0
        self.train_seconds = 0.0
        self.history: list[dict[str, float]] = []

    @property
    def policy(self) -> RecurrentAttentionModel:
        """The weights the agent acts with (``predict``: validation, test, pictures): here ``model``."""
        return self.model

    # ----------------------------------------------------------------------------------------- acting

    @torch.no_grad()
    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, ...]]:
        """Take in a glimpse and choose the next location and the label or move (stable-baselines3's ``predict``).

        Args:
            observation: the env's observation, single (``glimpse`` ``(k, g, g)``, ``location`` ``(2,)``) or
                batched (with a leading ``n`` axis).
            state: the core state returned by the previous call, or None at an episode's start.
            episode_start: ``(n,)`` bool (or a bool for a single observation): True where the observation is an
                episode's first glimpse; the state is zeroed there.
            deterministic: the policy's mean location and most likely label or move if True, else samples (the
                label is sampled only by an agent with ``samples_labels``, else the most likely class).

        Returns:
            ``(action, state)``: ``action`` is ``{"location": (n, 2) float32, "label" or "move": (n,) int64}``
            (no ``n`` axis for a single observation); ``state`` a tuple of ``(n, hidden)`` float32 arrays.
        """
        action, state, _ = self.predict_probabilities(observation, state, episode_start, deterministic)
        return action, state

    @torch.no_grad()
    def predict_probabilities(
        self,
        observation: dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, ...], np.ndarray]:
        """``predict``, and the probabilities of the label (or move) choice it was made from: ``(n, n_actions)``
        float32, ``(n_actions,)`` for a single observation (``agents.path_vote`` averages them over sampled
        paths)."""
        glimpse = np.asarray(observation["glimpse"], dtype=np.float32)
        single = glimpse.shape == self.glimpse_shape
        if not single and glimpse.shape[1:] != self.glimpse_shape:
            raise ValueError(
                f"observation['glimpse'] must have shape {self.glimpse_shape} or (n, *that), got {glimpse.shape}"
            )
        location = np.asarray(observation["location"], dtype=np.float32).reshape(-1, 2)
        glimpse = glimpse.reshape(-1, *self.glimpse_shape)
        policy = self.policy
        core_state = self._core_state(state, episode_start, len(glimpse))
        hidden, core_state = policy.step(as_tensor(glimpse, self.device), as_tensor(location, self.device), core_state)
        mean = policy.location_mean(hidden)
        next_location = mean if deterministic else policy.location.sample(mean).clamp(-1.0, 1.0)
        logits = policy.action(hidden)
        sampled = not deterministic and (self.game or self.samples_labels)
        choice = sample_choice(logits) if sampled else logits.argmax(1)
        action = {"location": next_location.cpu().numpy(), self.action_key: choice.cpu().numpy()}
        probabilities = logits.softmax(1).cpu().numpy()
        states = core_state if isinstance(core_state, tuple) else (core_state,)
        if single:
            action, probabilities = {key: value[0] for key, value in action.items()}, probabilities[0]
        return action, tuple(s.cpu().numpy() for s in states), probabilities

    def first_location(self) -> np.ndarray | None:
        """Where this agent takes an episode's first glimpse: ``(2,)`` float32, the learned start's mean
        (``evaluate`` passes it as the reset option ``location``), or None to leave it to the env."""
        if self.policy.start is None:
            return None
        with torch.no_grad():
            return self.policy.start_mean(1)[0].cpu().numpy().astype(np.float32)

    def _core_state(self, state: tuple[np.ndarray, ...] | None, episode_start: Any, n: int) -> Any:
        """``predict``'s ``state`` as the core's: zeroed where ``episode_start``; a tensor for an RNN core."""
        if state is None:
            return None
        tensors = [as_tensor(np.asarray(s, dtype=np.float32).reshape(n, -1), self.device) for s in state]
        if episode_start is not None:
            keep = as_tensor(~np.asarray(episode_start, dtype=bool).reshape(n, 1), self.device).float()
            tensors = [t * keep for t in tensors]
        return tuple(tensors) if self.policy.core.kind == "lstm" else tensors[0]

    # ------------------------------------------------------------------------------------ persistence

    def _progress(self) -> dict[str, Any]:
        """What a training checkpoint holds besides the optimizer, ``num_timesteps``, ``train_seconds`` and
        ``history``."""
        raise NotImplementedError

    def _restore_progress(self, training: dict[str, Any]) -> None:
        """Take back what ``_progress`` saved (``training``: the checkpoint's training state)."""
        raise NotImplementedError

    def _load_model(self, weights: dict[str, torch.Tensor], location_std: float | None) -> None:
        """Take a saved file's ``model`` weights and (where saved) its location std."""
        self.model.load_state_dict(weights)
        if location_std is not None and not self.config.learn_location_std:  # an annealed std where it stopped
            self.model.location.set_std(location_std)

    def save(self, path: str | Path, training_state: bool = True) -> Path:
        """Write the agent to ``path`` atomically (tensors and plain data only); ``agents.load(path)`` rebuilds it.

        With ``training_state`` the file holds the trained weights as ``model`` and also the optimizer and the
        progress, so ``learn`` continues from it exactly (a training checkpoint). Without, ``model`` is the
        weights the agent acts with (``policy``): an agent to use.
        """
        payload: dict[str, Any] = {
            "format": FORMAT,
            "algo": self.algo,
            "env_id": self.env_id,
            "env_kwargs": portable_env_kwargs(self.env_kwargs),
            "data": self.data_fingerprint,
            "config": asdict(self.config),
            "model": (self.model if training_state else self.policy).state_dict(),
            "location_std": self.model.location.std,
        }
        if training_state:
            payload["training"] = {
                "optimizer": self.optimizer.state_dict(),
                "num_timesteps": self.num_timesteps,
                "train_seconds": self.train_seconds,
                "history": self.history,
                **self._progress(),
            }
        return atomic_save(payload, path)

    @classmethod
    def from_payload(cls, payload: dict[str, Any], device: str | torch.device = "cpu") -> Any:
        """Rebuild an agent from a payload read by ``agents.checkpoints.read_checkpoint``.

        Raises:
            ValueError: its config or weights do not fit this agent.
        """
        try:
            config = cls.config_class(**payload["config"])
        except TypeError as exc:
            raise ValueError(f"its config does not fit {cls.config_class.__name__}: {exc}") from None
        agent = cls(payload["env_id"], config=config, device=device, env_kwargs=payload["env_kwargs"])
        location_std = payload.get("location_std")
        try:
            agent._load_model(payload["model"], None if location_std is None else float(location_std))
        except RuntimeError as exc:
            raise ValueError(f"its weights do not fit the model its config builds: {exc}") from None
        training = payload.get("training")
        if training is not None:
            agent.optimizer.load_state_dict(training["optimizer"])
            agent.num_timesteps, agent.train_seconds = training["num_timesteps"], training["train_seconds"]
            agent.history = training["history"]
            agent._restore_progress(training)
        return agent
