"""ram_env's layout (issue 17): one file per task holding both its env classes, the registered ids pointing
there, and docstrings that say what ``reset`` and ``step`` do."""

from __future__ import annotations

import doctest

import gymnasium as gym
import pytest
from gymnasium.envs.registration import load_env_creator

import ram_env
import ram_env.catch
import ram_env.classification

ENV_CLASSES = [ram_env.GlimpseEnv, ram_env.GlimpseVectorEnv, ram_env.CatchEnv, ram_env.CatchVectorEnv]


@pytest.mark.parametrize("env_id", [*ram_env.ENV_IDS, *ram_env.GAME_IDS])
def test_registered_ids_point_at_the_task_modules(env_id: str) -> None:
    spec = gym.spec(env_id)
    module = "ram_env.catch" if env_id in ram_env.GAME_IDS else "ram_env.classification"
    assert spec.entry_point.startswith(module + ":")
    assert spec.vector_entry_point.startswith(module + ":")


@pytest.mark.parametrize("cls", ENV_CLASSES, ids=lambda cls: cls.__name__)
def test_env_classes_document_reset_and_step(cls: type) -> None:
    assert cls.__module__ in ("ram_env.classification", "ram_env.catch")
    for method in (cls.reset, cls.step):
        doc = method.__doc__
        assert method.__qualname__.startswith(cls.__name__ + "."), method.__qualname__
        assert "Returns:" in doc and "Raises:" in doc and "task's docstring" not in doc


@pytest.mark.parametrize("module", [ram_env.classification, ram_env.catch], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_the_glimpse_function_keeps_its_public_name() -> None:
    # Why the classification task's module is not called ram_env/glimpse.py: ram_env.glimpse is this function.
    from ram_env.retina import glimpse

    assert ram_env.glimpse is glimpse and "glimpse" in ram_env.__all__


def test_env_class_docstrings_have_the_cartpole_sections() -> None:
    for cls in (ram_env.GlimpseEnv, ram_env.CatchEnv):
        for section in ("Description", "Action Space", "Observation Space", "Rewards", "Starting State",
                        "Episode End", "Arguments", "Examples"):
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
