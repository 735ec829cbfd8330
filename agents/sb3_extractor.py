"""Deprecated alias of ``agents.sb3.extractor``, kept for one release: import from there instead.

SB3 agents saved before the move name ``agents.sb3_extractor.GlimpseFeaturesExtractor`` in their pickled
``policy_kwargs``: ``agents.load`` reads them through this module, so removing it breaks those files unless
their loading maps the old name to the new one.
"""

from __future__ import annotations

import warnings

from agents.sb3.extractor import GlimpseFeaturesExtractor

__all__ = ["GlimpseFeaturesExtractor"]

warnings.warn(
    "agents.sb3_extractor is deprecated and will be removed in the next release: import agents.sb3.extractor",
    DeprecationWarning,
    stacklevel=2,
)
