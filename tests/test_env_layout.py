"""ram_env's layout (issue 17): one file per task holding both its env classes, the registered ids pointing
there, the old module paths kept as deprecation aliases for one release, and docstrings that say what
``reset`` and ``step`` do."""

from __future__ import annotations

import doctest
import importlib
import pickle
import sys

import gymnasium as gym
import pytest
from gymnasium.envs.registration import load_env_creator

import ram_env
import ram_env.catch
import ram_env.classification
from ram_env.classification import GlimpseTask

# Old module -> {name it re-exports: the module that defines it now}.
GLIMPSE, CATCH = "ram_env.classification", "ram_env.catch"
CORE, VALIDATION = "ram_env.core", "ram_env.validation"
ALIASES = {
    "ram_env.glimpse_env": {"GlimpseEnv": GLIMPSE},
    "ram_env.glimpse_vector_env": {"GlimpseVectorEnv": GLIMPSE},
    "ram_env.episodes": {"GlimpseEpisodes": GLIMPSE, "GlimpseTask": GLIMPSE, "STARTS": VALIDATION},
    "ram_env.catch_env": {"CatchEnv": CATCH},
    "ram_env.catch_vector_env": {"CatchVectorEnv": CATCH},
    "ram_env.batched_env": {
        "BatchedEnv": CORE,
        "BatchedVectorEnv": CORE,
        "Episodes": CORE,
        "check_int": VALIDATION,
        "validate_action": VALIDATION,
    },
}
ENV_CLASSES = [ram_env.GlimpseEnv, ram_env.GlimpseVectorEnv, ram_env.CatchEnv, ram_env.CatchVectorEnv]


def import_afresh(name: str) -> object:
    """Import module ``name`` again (so that its import-time warning is raised now)."""
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize("old", list(ALIASES))
def test_old_module_paths_still_import_with_a_deprecation_warning(old: str) -> None:
    names = ALIASES[old]
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*import ram_env") as caught:
        module = import_afresh(old)
    message = str(caught[0].message)
    assert sorted(module.__all__) == sorted(names)
    for name, new in names.items():
        assert new in message, (new, message)
        assert getattr(module, name) is getattr(importlib.import_module(new), name), name


@pytest.mark.parametrize("old", ["ram_env.glimpse_env:GlimpseEnv", "ram_env.catch_vector_env:CatchVectorEnv"])
def test_old_entry_points_of_saved_specs_still_load(old: str) -> None:
    module, name = old.split(":")
    sys.modules.pop(module, None)
    with pytest.warns(DeprecationWarning, match=f"{module} is deprecated"):
        creator = load_env_creator(old)
    assert creator is getattr(ram_env, name)


def test_pickles_naming_an_old_module_still_load() -> None:
    task = GlimpseTask(canvas_size=60, n_clutter=4)
    old = pickle.dumps(task, protocol=0).replace(b"ram_env.classification\n", b"ram_env.episodes\n")
    assert b"ram_env.episodes\n" in old
    sys.modules.pop("ram_env.episodes", None)
    with pytest.warns(DeprecationWarning, match="ram_env.episodes is deprecated"):
        assert pickle.loads(old) == task  # noqa: S301 - bytes made here


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
