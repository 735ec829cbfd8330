"""Deprecated alias of ``ram_env.glimpse.GlimpseVectorEnv``, kept for one release."""

from __future__ import annotations

import warnings

from ram_env.glimpse import GlimpseVectorEnv

__all__ = ["GlimpseVectorEnv"]

warnings.warn(
    "ram_env.glimpse_vector_env is deprecated and will be removed in the next release: import ram_env.glimpse",
    DeprecationWarning,
    stacklevel=2,
)
