"""The registry of algorithms: each ``--algo`` name, and the agent class that trains and loads it.

A class is named by ``"module:Class"`` and imported when first asked for, as Gymnasium's registry names
entry points: ``agents.checkpoints`` rebuilds any saved agent through ``agent_class`` without importing
the agents itself (they import it to save), and ``import agents`` loads no stable-baselines3.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ALGORITHMS", "agent_class"]

_SB3_AGENT = "agents.sb3.agent:SB3Agent"
# algo name -> "module:Class" of its agent; the class has ``from_payload(payload, device)``.
ALGORITHMS: dict[str, str] = {
    "reinforce": "agents.reinforce:ReinforceRAM",
    "ppo": _SB3_AGENT,
    "recurrent_ppo": _SB3_AGENT,
    "a2c": _SB3_AGENT,
}


def agent_class(algo: str) -> Any:
    """The agent class of ``algo``, imported now.

    Raises:
        ValueError: ``algo`` is not registered.
    """
    if algo not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algo!r}: use one of {list(ALGORITHMS)}")
    module, name = ALGORITHMS[algo].split(":")
    return getattr(importlib.import_module(module), name)
