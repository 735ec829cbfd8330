"""stable-baselines3 / sb3-contrib algorithms (PPO, A2C, RecurrentPPO) on the glimpse envs, unchanged.

``SB3Agent`` trains an SB3 model on ``make_sb3_vec_env`` (the batched env with grid actions, see
``ram_env.wrappers``) with the paper's glimpse network as features extractor, and puts it behind the
project's agent interface: ``predict`` takes the env's observations and returns the env's Dict actions,
``save`` writes a file that ``agents.load`` reads back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import RecurrentPPO
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecMonitor

from agents.checkpoints import FORMAT, atomic_save, data_fingerprint, portable_env_kwargs
from agents.defaults import SB3_RUN_SETTINGS, library_defaults
from agents.sb3.extractor import GlimpseFeaturesExtractor
from agents.sb3.vec_env import make_sb3_vec_env
from ram_env.wrappers import action_choice, grid_to_dict

__all__ = ["DEFAULT_HYPERPARAMS", "SB3_ALGOS", "SB3Agent", "centre_location_prior", "schedule"]

SB3_ALGOS: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "a2c": A2C, "recurrent_ppo": RecurrentPPO}
_POLICIES = {"ppo": "MultiInputPolicy", "a2c": "MultiInputPolicy", "recurrent_ppo": "MultiInputLstmPolicy"}
# The keyword arguments of each SB3 class, and the run settings, when not given: agents/hyperparams/defaults.toml.
DEFAULT_HYPERPARAMS: dict[str, dict[str, Any]] = {algo: library_defaults(algo) for algo in SB3_ALGOS}
_RUN = library_defaults(SB3_RUN_SETTINGS)


def schedule(name: str, value: Any) -> Any:
    """A ``"lin_X"`` value (rl-baselines3-zoo's notation) as SB3's linear schedule from ``X`` down to 0 over
    the run; any other value unchanged.

    Raises:
        ValueError: ``"lin_"`` followed by no number.
    """
    if not (isinstance(value, str) and value.startswith("lin_")):
        return value
    try:
        start = float(value[4:])
    except ValueError:
        raise ValueError(f"{name}={value!r}: a linear schedule is written lin_<start>, e.g. lin_1e-3") from None
    return LinearSchedule(start, 0.0, 1.0)


def centre_location_prior(model: BaseAlgorithm, grid_size: int, std: float) -> None:
    """Start ``model``'s location policy as a Gaussian of ``std`` around the centre, discretised on the grid.

    The policy's ``action_net`` gives the logits of ``MultiDiscrete([grid_size, grid_size, n])``: column,
    row, then the discrete choice. Their biases on the two location parts become ``-x**2 / (2 std**2)`` for
    the grid points ``x`` (``np.linspace(-1, 1, grid_size)``); ``std=inf`` leaves them at 0 (uniform).
    """
    points = torch.linspace(-1.0, 1.0, grid_size)
    logits = -(points**2) / (2.0 * std**2)
    action_net = model.policy.action_net
    if not isinstance(action_net, torch.nn.Linear):
        raise TypeError(f"expected the policy's action_net to be a Linear layer, got {type(action_net).__name__}")
    with torch.no_grad():
        bias = action_net.bias
        bias[:grid_size] = logits
        bias[grid_size : 2 * grid_size] = logits


class SB3Agent:
    """An SB3 model on a glimpse env, used like every agent of the project.

    The defaults of ``num_envs``, ``grid_size``, ``location_init_std`` and ``hyperparams`` are
    ``agents/hyperparams/defaults.toml``'s.

    Args:
        algo: "ppo", "a2c" or "recurrent_ppo".
        env_id: a registered id (``ram_env.ENV_IDS`` or ``ram_env.CATCH_ID``).
        num_envs: episodes run side by side in training.
        seed: seeds the model and the env.
        device: torch device.
        grid_size: points per axis of the location grid.
        location_init_std: the location policy starts as a Gaussian centred on the canvas with this std
            (in the [-1, 1] units of a location), discretised on the grid: logits ``-x**2 / (2 std**2)`` on
            each axis. The paper's location network starts near the centre too; a uniform start (``inf``,
            SB3's own initialisation) moves the retina at random every step (measured effect:
            ``docs/results.md``).
        env_kwargs: keyword overrides for the env (``n_glimpses``, ``start``, ``data_dir``, ...).
        hyperparams: keyword arguments of the SB3 class, over ``DEFAULT_HYPERPARAMS[algo]``; a
            ``policy_kwargs`` dict among them goes to the policy beside the glimpse features extractor
            (e.g. ``{"lstm_hidden_size": 128, "features_extractor_kwargs": {"features_dim": 128}}``); a
            ``"lin_X"`` value (``learning_rate="lin_1e-3"``) decays linearly from ``X`` to 0 over the run.
        tensorboard_log: SB3's TensorBoard folder (None: no TensorBoard).

    Attributes:
        history: the evaluation records of training so far (``agents.sb3.training``), saved with the agent.
        data_fingerprint: what identifies a ``GlimpseImages-v0`` source's images (stored in the agent's files
            and checked when they load, ``agents.checkpoints.check_data``); None for the other envs.
    """

    def __init__(
        self,
        algo: str,
        env_id: str,
        *,
        num_envs: int = _RUN["num_envs"],
        seed: int = 0,
        device: str = "cpu",
        grid_size: int = _RUN["grid_size"],
        location_init_std: float = _RUN["location_init_std"],
        env_kwargs: dict[str, Any] | None = None,
        hyperparams: dict[str, Any] | None = None,
        tensorboard_log: str | None = None,
    ) -> None:
        if algo not in SB3_ALGOS:
            raise ValueError(f"algo must be one of {list(SB3_ALGOS)}, got {algo!r}")
        if not location_init_std > 0:
            raise ValueError(f"location_init_std must be > 0 (inf: uniform), got {location_init_std}")
        self.algo, self.env_id, self.num_envs, self.seed = algo, env_id, num_envs, seed
        self.location_init_std = float(location_init_std)
        self.grid_size, self.env_kwargs = grid_size, dict(env_kwargs or {})
        self.hyperparams = {**DEFAULT_HYPERPARAMS[algo], **(hyperparams or {})}
        self.history: list[dict[str, Any]] = []
        native = make_sb3_vec_env(env_id, num_envs, grid_size, **self.env_kwargs)
        self.data_fingerprint = data_fingerprint(env_id, self.env_kwargs)
        native.seed(seed)
        self._key, self._n_choices = action_choice(native.venv.unwrapped.single_action_space)
        venv = VecMonitor(native)  # episode returns and lengths: SB3's rollout/ep_rew_mean, rollout/ep_len_mean
        kwargs = {key: schedule(key, value) for key, value in self.hyperparams.items()}
        policy_kwargs = {"features_extractor_class": GlimpseFeaturesExtractor, **kwargs.pop("policy_kwargs", {})}
        self.model = SB3_ALGOS[algo](
            _POLICIES[algo],
            venv,
            seed=seed,
            device=device,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            **kwargs,
        )
        centre_location_prior(self.model, grid_size, self.location_init_std)

    @property
    def num_timesteps(self) -> int:
        """Env steps taken in training so far (summed over the envs)."""
        return int(self.model.num_timesteps)

    def reseed_for_resume(self) -> int:
        """Seed SB3 (the env's next episodes, its action sampling, torch and numpy) with a fixed function of
        ``(seed, num_timesteps)`` and return that seed: a run resumed from a checkpoint plays new episodes
        rather than its first ones again. It is not the run that was not stopped, bit for bit: SB3 keeps no
        random state in its files, and a checkpoint falls inside a rollout."""
        state = np.random.SeedSequence([self.seed, self.num_timesteps]).generate_state(1)[0]
        seed = int(state >> np.uint32(1))  # below 2**31, as every seeded library takes
        self.model.set_random_seed(seed)
        return seed

    def learn(
        self,
        total_timesteps: int,
        callback: BaseCallback | list[BaseCallback] | None = None,
        progress_bar: bool = False,
    ) -> SB3Agent:
        """Train until ``total_timesteps`` env steps in all (a loaded agent continues where it stopped)."""
        remaining = max(0, total_timesteps - self.num_timesteps)
        self.model.learn(remaining, callback=callback, progress_bar=progress_bar, reset_num_timesteps=False)
        return self

    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], Any]:
        """The env's Dict action for a single or batched observation, and the policy's recurrent state."""
        batched = np.ndim(observation["glimpse"]) == 4
        obs = observation if batched else {key: np.asarray(value)[None] for key, value in observation.items()}
        starts = None if episode_start is None else np.atleast_1d(episode_start)
        grid, state = self.model.predict(obs, state, starts, deterministic)
        action = grid_to_dict(grid, self.grid_size, self._n_choices, grid.shape[:1], self._key)
        return (action if batched else {key: value[0] for key, value in action.items()}), state

    def spaces(self) -> dict[str, Any]:
        """The model's spaces in plain numbers, as a saved agent records them: the observation's shapes and
        the grid action's ``nvec``."""
        observation, action = self.model.observation_space, self.model.action_space
        if not isinstance(observation, gym.spaces.Dict) or not isinstance(action, gym.spaces.MultiDiscrete):
            raise TypeError(f"expected Dict observations and MultiDiscrete actions, got {observation} and {action}")
        return {
            "observation": {key: list(space.shape or ()) for key, space in observation.spaces.items()},
            "action": [int(n) for n in action.nvec],
        }

    def save(self, path: str | Path, training_state: bool = True) -> Path:
        """Write the agent atomically to ``path`` (``agents.load`` reads it).

        The file holds data only, no code: the policy's weights (a ``state_dict``), the settings that rebuild
        the model from this module (algorithm, env, grid, SB3 keyword arguments), and its spaces in plain
        numbers (``spaces``). SB3's own ``save`` is not used: its zip holds cloudpickled objects, which run
        code when loaded. With ``training_state`` the file also holds the optimizer's state, the counters and
        the validation history, so ``learn`` continues from it (a training checkpoint); without, it is an
        agent to use (a shipped agent).
        """
        model = self.model
        payload = {
            "format": FORMAT,
            "algo": self.algo,
            "env_id": self.env_id,
            "num_envs": self.num_envs,
            "seed": self.seed,
            "grid_size": self.grid_size,
            "location_init_std": self.location_init_std,
            "env_kwargs": portable_env_kwargs(self.env_kwargs),
            "data": self.data_fingerprint,
            "hyperparams": self.hyperparams,
            "spaces": self.spaces(),
            "policy": model.policy.state_dict(),
            "history": self.history if training_state else [],
        }
        if training_state:
            payload["training"] = {
                "tensorboard_log": model.tensorboard_log,
                "optimizer": model.policy.optimizer.state_dict(),
                "num_timesteps": int(model.num_timesteps),
                "n_updates": int(model._n_updates),
                "episode_num": int(model._episode_num),
            }
        return atomic_save(payload, path)

    @classmethod
    def from_payload(cls, payload: dict[str, Any], device: str = "cpu") -> SB3Agent:
        """Rebuild a saved agent (see ``agents.load``): a new model from the saved settings, then its weights.

        Raises:
            ValueError: a file in SB3's own zip format (which can run code: it is not read), or weights or
                spaces that do not fit the model the settings build.
        """
        if "model" in payload or "policy" not in payload:
            raise ValueError(
                "it is an SB3 agent saved by an earlier ram-env inside SB3's own zip, whose "
                "cloudpickled entries can run code, so it is not read; train it again, or re-save it "
                "with the ram-env that wrote it after upgrading that one"
            )
        agent = cls(
            payload["algo"],
            payload["env_id"],
            num_envs=payload["num_envs"],
            seed=payload["seed"],
            device=device,
            grid_size=payload["grid_size"],
            location_init_std=payload["location_init_std"],
            env_kwargs=payload["env_kwargs"],
            hyperparams=payload["hyperparams"],
            tensorboard_log=(payload.get("training") or {}).get("tensorboard_log"),
        )
        if payload["spaces"] != agent.spaces():
            raise ValueError(f"its spaces {payload['spaces']} differ from those its settings build, {agent.spaces()}")
        model = agent.model
        try:
            model.policy.load_state_dict(payload["policy"])
        except RuntimeError as exc:
            raise ValueError(f"its policy weights do not fit the model its settings build: {exc}") from None
        training = payload.get("training")
        if training is not None:
            model.policy.optimizer.load_state_dict(training["optimizer"])
            model.num_timesteps, model._n_updates = training["num_timesteps"], training["n_updates"]
            model._episode_num = training["episode_num"]
        agent.history = payload["history"]
        return agent
