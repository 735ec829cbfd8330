"""Deprecated alias of ``agents.sb3.extractor``, kept for one release: import from there instead."""

from __future__ import annotations

import warnings

from agents.sb3.extractor import GlimpseFeaturesExtractor

__all__ = ["GlimpseFeaturesExtractor"]

warnings.warn(
    "agents.sb3_extractor is deprecated and will be removed in the next release: import agents.sb3.extractor",
    DeprecationWarning,
    stacklevel=2,
)
