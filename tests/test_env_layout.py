"""ram_env's layout (issue 17): one file per task holding both its env classes, the registered ids pointing
there, and docstring examples that run."""

from __future__ import annotations

import doctest

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import load_env_creator

import ram_env
import ram_env.catch
import ram_env.classification


@pytest.mark.parametrize("env_id", [*ram_env.ENV_IDS, *ram_env.GAME_IDS])
def test_registered_ids_point_at_the_task_modules(env_id: str) -> None:
    spec = gym.spec(env_id)
    module = "ram_env.catch" if env_id in ram_env.GAME_IDS else "ram_env.classification"
    assert spec.entry_point.startswith(module + ":")
    assert spec.vector_entry_point.startswith(module + ":")


@pytest.mark.parametrize("module", [ram_env.classification, ram_env.catch], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_the_public_glimpse_function_reads_the_retina() -> None:
    """``ram_env.glimpse`` (why no module is called ram_env/glimpse.py): a 4x4 canvas of the values 0..15,
    glimpsed at its centre with a 2x2 retina at 2 scales, gives the centre pixels, then the 2x2 block means
    of the whole canvas, over 255 (hand-computed)."""
    canvas = np.arange(16, dtype=np.uint8).reshape(1, 4, 4)
    patch = ram_env.glimpse(canvas, np.zeros((1, 2)), size=2, n_scales=2)
    np.testing.assert_allclose(patch[0, 0] * 255, [[5, 6], [9, 10]], atol=1e-4)
    np.testing.assert_allclose(patch[0, 1] * 255, [[2.5, 4.5], [10.5, 12.5]], atol=1e-4)


def test_env_class_docstrings_have_the_cartpole_sections() -> None:
    for cls in (ram_env.GlimpseEnv, ram_env.CatchEnv):
        for section in (
            "Description",
            "Action Space",
            "Observation Space",
            "Rewards",
            "Starting State",
            "Episode End",
            "Arguments",
            "Examples",
        ):
            assert f"## {section}\n" in cls.__doc__, (cls.__name__, section)


@pytest.mark.parametrize("env_id", [*ram_env.ENV_IDS, *ram_env.GAME_IDS])
def test_each_env_class_names_the_choice_of_its_action_space(env_id: str) -> None:
    from ram_env.wrappers import choice_key

    spec = gym.spec(env_id)
    env = gym.make(env_id)
    expected = choice_key(env.action_space)
    env.close()
    assert expected == ("move" if env_id in ram_env.GAME_IDS else "label")
    assert load_env_creator(spec.entry_point).choice_key == expected
    assert load_env_creator(spec.vector_entry_point).choice_key == expected
