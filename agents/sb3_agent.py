"""Deprecated alias of ``agents.sb3.agent``, kept for one release: import from there instead."""

from __future__ import annotations

import warnings

from agents.sb3.agent import DEFAULT_HYPERPARAMS, SB3_ALGOS, SB3Agent, centre_location_prior, schedule

__all__ = ["DEFAULT_HYPERPARAMS", "SB3_ALGOS", "SB3Agent", "centre_location_prior", "schedule"]

warnings.warn(
    "agents.sb3_agent is deprecated and will be removed in the next release: import agents.sb3.agent",
    DeprecationWarning,
    stacklevel=2,
)
