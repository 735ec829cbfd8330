"""What kind of task an env id is, read from its action space rather than from a list of ids.

Every glimpse env's action is ``Dict(location=Box, <choice>=Discrete)`` (``docs/design.md#spaces``): a
classification task names a ``"label"`` at its last step and has a dataset with splits; a game (Catch)
makes a ``"move"`` at every step and has no labels, its splits being blocks of episode seeds.
"""

from __future__ import annotations

import functools

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator

import ram_env  # noqa: F401  (registers the env ids)
from ram_env.wrappers import choice_key

__all__ = ["GAME_CHOICE", "choice_key_of", "is_game"]

GAME_CHOICE = "move"  # the choice of a game; a classification task's is "label"


@functools.cache
def choice_key_of(env_id: str) -> str:
    """The discrete part of ``env_id``'s action besides the location: "label" or "move".

    Read from the registered env class's ``choice_key`` (the key of its action space, the same for every
    keyword argument), so that no env is made: an id such as ``GlimpseImages-v0`` needs a data source first.
    Any other env id that speaks the glimpse contract is probed with its defaults.
    """
    env_class = load_env_creator(gym.spec(env_id).entry_point)
    if isinstance(getattr(env_class, "choice_key", None), str):
        return env_class.choice_key
    probe = gym.make(env_id, disable_env_checker=True)
    try:
        return choice_key(probe.action_space)
    finally:
        probe.close()


def is_game(env_id: str) -> bool:
    """Whether ``env_id`` is a game (its choice is a move: no labels, no dataset)."""
    return choice_key_of(env_id) == GAME_CHOICE
