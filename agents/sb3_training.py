"""Deprecated alias of ``agents.sb3.training``, kept for one release: import from there instead."""

from __future__ import annotations

import warnings

from agents.sb3.training import SB3RunDirectoryCallback

__all__ = ["SB3RunDirectoryCallback"]

warnings.warn(
    "agents.sb3_training is deprecated and will be removed in the next release: import agents.sb3.training",
    DeprecationWarning,
    stacklevel=2,
)
