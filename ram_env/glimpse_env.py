"""Deprecated alias of ``ram_env.classification.GlimpseEnv``, kept for one release."""

from __future__ import annotations

import warnings

from ram_env.classification import GlimpseEnv

__all__ = ["GlimpseEnv"]

warnings.warn(
    "ram_env.glimpse_env is deprecated and will be removed in the next release: import ram_env.classification",
    DeprecationWarning,
    stacklevel=2,
)
