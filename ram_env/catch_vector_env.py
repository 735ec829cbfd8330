"""Deprecated alias of ``ram_env.catch.CatchVectorEnv``, kept for one release."""

from __future__ import annotations

import warnings

from ram_env.catch import CatchVectorEnv

__all__ = ["CatchVectorEnv"]

warnings.warn(
    "ram_env.catch_vector_env is deprecated and will be removed in the next release: import ram_env.catch",
    DeprecationWarning,
    stacklevel=2,
)
