"""Deprecated alias of ``ram_env.classification`` (the classification task), kept for one release."""

from __future__ import annotations

import warnings

from ram_env.classification import GlimpseEpisodes, GlimpseTask
from ram_env.validation import STARTS

__all__ = ["GlimpseEpisodes", "GlimpseTask", "STARTS"]

warnings.warn(
    "ram_env.episodes is deprecated and will be removed in the next release: import ram_env.classification "
    "(GlimpseTask, GlimpseEpisodes) or ram_env.validation (STARTS)",
    DeprecationWarning,
    stacklevel=2,
)
