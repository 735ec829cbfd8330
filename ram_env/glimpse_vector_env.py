"""Deprecated alias of ``ram_env.classification.GlimpseVectorEnv``, kept for one release."""

from __future__ import annotations

import warnings

from ram_env.classification import GlimpseVectorEnv

__all__ = ["GlimpseVectorEnv"]

warnings.warn(
    "ram_env.glimpse_vector_env is deprecated and will be removed in the next release: "
    "import ram_env.classification",
    DeprecationWarning,
    stacklevel=2,
)
