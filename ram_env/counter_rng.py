"""Counter-based random numbers: a batch of independent streams drawn with array operations.

Each episode's random choices (image, start location, translation, clutter) are a pure function of a
64-bit stream key, computed with the SplitMix64 finaliser. This lets a batched env draw for all its
sub-envs at once and still give sub-env ``i`` exactly the episodes of a single env seeded with
``seed + i``, and makes the valid/test canvases a fixed function of the image index across runs,
processes and machines.
"""

from __future__ import annotations

import numpy as np

__all__ = ["derive_keys", "mix64", "uniforms"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective, well-mixing hash of uint64 values (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping is the point; numpy warns only for 0-d operands
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def derive_keys(keys: np.ndarray, tags: np.ndarray | int) -> np.ndarray:
    """Child stream keys: a hash of each parent key and a tag (an episode counter, an image index...).

    Args:
        keys: parent keys, any shape, uint64.
        tags: integers broadcastable against ``keys``.
    """
    tags = np.asarray(tags).astype(np.uint64)
    with np.errstate(over="ignore"):
        return mix64(np.asarray(keys, dtype=np.uint64) ^ mix64(tags * _GOLDEN + _GOLDEN))


def uniforms(keys: np.ndarray, n: int) -> np.ndarray:
    """``n`` uniform floats in [0, 1) from each stream.

    Args:
        keys: ``(m,)`` uint64 stream keys.
        n: draws per stream.

    Returns:
        ``(m, n)`` float64; row ``j`` depends on ``keys[j]`` alone, column ``d`` is draw ``d``.
    """
    with np.errstate(over="ignore"):
        counters = np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
        bits = mix64(np.asarray(keys, dtype=np.uint64)[:, None] + counters[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
