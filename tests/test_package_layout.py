"""The agents package's layout: stable-baselines3 only where it is used, and the old module paths kept as
deprecation aliases for one release."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Old module -> (new module, the names it re-exports).
ALIASES = {
    "agents.sb3_agent": ("agents.sb3.agent", ["DEFAULT_HYPERPARAMS", "SB3_ALGOS", "SB3Agent", "centre_location_prior",
                                              "schedule"]),
    "agents.sb3_vec_env": ("agents.sb3.vec_env", ["NativeVecEnv", "make_sb3_vec_env"]),
    "agents.sb3_extractor": ("agents.sb3.extractor", ["GlimpseFeaturesExtractor"]),
    "agents.sb3_training": ("agents.sb3.training", ["SB3RunDirectoryCallback"]),
}


def test_importing_agents_and_reinforce_loads_no_stable_baselines3() -> None:
    code = (
        "import sys\n"
        "import agents, agents.reinforce\n"
        "loaded = sorted(name for name in ('stable_baselines3', 'sb3_contrib') if name in sys.modules)\n"
        "print(loaded)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_sb3_agent_is_resolved_on_first_use() -> None:
    import agents
    from agents.sb3.agent import SB3Agent

    assert agents.SB3Agent is SB3Agent
    assert "SB3Agent" in agents.__all__
    with pytest.raises(AttributeError, match="no attribute 'NoSuchAgent'"):
        agents.NoSuchAgent  # noqa: B018


@pytest.mark.parametrize("old", list(ALIASES))
def test_old_module_paths_still_import_with_a_deprecation_warning(old: str) -> None:
    new, names = ALIASES[old]
    sys.modules.pop(old, None)  # import it afresh, so that its warning is raised here
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*import {new}"):
        module = importlib.import_module(old)
    target = importlib.import_module(new)
    assert sorted(module.__all__) == sorted(names)
    for name in names:
        assert getattr(module, name) is getattr(target, name), name
