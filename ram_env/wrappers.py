"""Action wrappers for RL libraries that take no ``Dict`` actions (stable-baselines3, sb3-contrib, ...).

The glimpse envs' action is ``Dict(location=Box(-1, 1, (2,)), label=Discrete(n_classes))`` (Catch:
``move=Discrete(3)`` in place of ``label``). These wrappers expose it as
``MultiDiscrete([grid_size, grid_size, n])``: the column and row of a location on a ``grid_size x grid_size``
grid over [-1, 1]^2 (``np.linspace(-1, 1, grid_size)`` on each axis), and the discrete choice.

Why a grid and not a ``Box``: the label is a choice among classes, which a categorical distribution
models directly, while a ``Box`` would need an arg-max over a continuous vector (no probability of the
chosen class, poor exploration). A categorical over a grid of locations is what PPO, A2C and
RecurrentPPO handle best, and a grid of 7 points per axis already places the retina within half a
patch of any point on the paper's canvases (spacing 4.7 pixels on 28x28 with 8-pixel patches; 10 pixels on
60x60 with 12-pixel patches). Use a finer ``grid_size`` for finer control. The observation is unchanged.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorActionWrapper, VectorEnv
from gymnasium.vector.utils import batch_space

from ram_env.validation import check_int

__all__ = ["GridActions", "GridActionsVector", "action_choice", "choice_key", "grid_to_dict"]


def action_choice(action_space: gym.spaces.Space) -> tuple[str, int]:
    """The name and the number of choices of the discrete part of a glimpse env's Dict action (``("label",
    n_classes)``, or ``("move", 3)`` for Catch).

    Raises:
        ValueError: not a ``Dict(location=Box, <choice>=Discrete)`` space.
    """
    if isinstance(action_space, gym.spaces.Dict):
        keys = [key for key in action_space.spaces if key != "location"]
        choice = action_space.spaces[keys[0]] if len(keys) == 1 else None
        if "location" in action_space.spaces and isinstance(choice, gym.spaces.Discrete):
            return keys[0], int(choice.n)
    raise ValueError(f"expected a Dict(location=Box, <choice>=Discrete) action space, got {action_space}")


def choice_key(action_space: gym.spaces.Space) -> str:
    """The name of the discrete part of a glimpse env's Dict action ("label", or "move" for Catch)."""
    return action_choice(action_space)[0]


def grid_to_dict(
    action: Any, grid_size: int, n_classes: int, batch: tuple[int, ...] = (), key: str = "label"
) -> dict[str, np.ndarray]:
    """Turn grid actions ``batch + (3,)`` (column, row, choice) into the env's Dict action ``{location, key}``.

    Raises:
        ValueError: wrong shape, not integers, or a component out of its range; the message names it.
    """
    action = np.asarray(action)
    if action.shape != batch + (3,) or not np.issubdtype(action.dtype, np.integer):
        raise ValueError(
            f"grid action must be integers of shape {batch + (3,)} (column, row, label), got {action.dtype} "
            f"{action.shape}"
        )
    highs = np.array([grid_size, grid_size, n_classes])
    bad = (action < 0) | (action >= highs)
    if bad.any():
        name = ("column", "row", key)[int(np.argmax(bad.reshape(-1, 3).any(axis=0)))]
        raise ValueError(f"grid action {name} out of range: got {action.tolist()}, limits {highs.tolist()} (exclusive)")
    grid = np.linspace(-1.0, 1.0, grid_size, dtype=np.float32)
    return {"location": grid[action[..., :2]], key: action[..., 2]}


class GridActions(gym.ActionWrapper):
    """A glimpse env with ``MultiDiscrete([grid_size, grid_size, n_classes])`` actions (see module doc)."""

    def __init__(self, env: gym.Env, grid_size: int = 7) -> None:
        super().__init__(env)
        check_int("grid_size", grid_size, 2)
        self.grid_size = grid_size
        self.key, self.n_choices = action_choice(env.action_space)
        self.action_space = gym.spaces.MultiDiscrete([grid_size, grid_size, self.n_choices])

    def action(self, action: np.ndarray) -> dict[str, np.ndarray]:
        """(column, row, choice) -> the env's Dict action."""
        return grid_to_dict(action, self.grid_size, self.n_choices, key=self.key)


class GridActionsVector(VectorActionWrapper):
    """A batched glimpse env with ``(N, 3)`` grid actions: ``GridActions`` for every sub-env at once."""

    def __init__(self, env: VectorEnv, grid_size: int = 7) -> None:
        super().__init__(env)
        check_int("grid_size", grid_size, 2)
        self.grid_size = grid_size
        self.key, self.n_choices = action_choice(env.single_action_space)
        self.single_action_space = gym.spaces.MultiDiscrete([grid_size, grid_size, self.n_choices])
        self.action_space = batch_space(self.single_action_space, env.num_envs)

    def actions(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """``(N, 3)`` (column, row, choice) -> the env's batched Dict action."""
        return grid_to_dict(actions, self.grid_size, self.n_choices, (self.num_envs,), self.key)
