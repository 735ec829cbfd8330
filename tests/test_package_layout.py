"""The agents package's layout: stable-baselines3 only where it is used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
