"""Deprecated alias of ``ram_env.glimpse.GlimpseEnv``, kept for one release."""

from __future__ import annotations

import warnings

from ram_env.glimpse import GlimpseEnv

__all__ = ["GlimpseEnv"]

warnings.warn(
    "ram_env.glimpse_env is deprecated and will be removed in the next release: import ram_env.glimpse",
    DeprecationWarning,
    stacklevel=2,
)
