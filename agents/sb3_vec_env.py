"""Deprecated alias of ``agents.sb3.vec_env``, kept for one release: import from there instead."""

from __future__ import annotations

import warnings

from agents.sb3.vec_env import NativeVecEnv, make_sb3_vec_env

__all__ = ["NativeVecEnv", "make_sb3_vec_env"]

warnings.warn(
    "agents.sb3_vec_env is deprecated and will be removed in the next release: import agents.sb3.vec_env",
    DeprecationWarning,
    stacklevel=2,
)
