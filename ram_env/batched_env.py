"""Deprecated alias of ``ram_env.core`` (and of ``ram_env.validation``'s action checks), kept for one release."""

from __future__ import annotations

import warnings

from ram_env.core import BatchedEnv, BatchedVectorEnv, Episodes
from ram_env.validation import check_int, validate_action

__all__ = ["BatchedEnv", "BatchedVectorEnv", "Episodes", "check_int", "validate_action"]

warnings.warn(
    "ram_env.batched_env is deprecated and will be removed in the next release: import ram_env.core "
    "(Episodes, BatchedEnv, BatchedVectorEnv) or ram_env.validation (check_int, validate_action)",
    DeprecationWarning,
    stacklevel=2,
)
