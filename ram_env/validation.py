"""Checks of what a user hands the envs: settings, seeds, reset options, actions and the first glimpse's rule.

Every rejection is a ``ValueError`` whose message names the argument, what it must be, and what it was.
Single and vector envs use the same functions, so they accept exactly the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "SEED_LIMIT",
    "STARTS",
    "check_int",
    "check_location",
    "check_options",
    "check_render_mode",
    "check_seed",
    "validate_action",
]

SEED_LIMIT = 2**64  # seeds are integers in [0, SEED_LIMIT): the 64-bit keys of the episodes' random streams
# Every task's ``start`` argument: the first glimpse at a uniformly random location, or at the centre.
STARTS = ("random", "center")


def check_int(name: str, value: Any, low: int) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is an integer (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def check_render_mode(render_mode: str | None, modes: list[str]) -> None:
    """Raise ``ValueError`` unless ``render_mode`` is None or one of ``modes``."""
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode must be one of {modes} or None, got {render_mode!r}")


def _is_seed(value: Any) -> bool:
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and 0 <= int(value) < SEED_LIMIT
    )


def check_seed(seed: Any, num_envs: int | None = None) -> np.ndarray | None:
    """Check a ``reset`` seed and return it as uint64 (None stays None).

    Args:
        seed: an integer in ``[0, 2**64)`` (Python or numpy, not a bool), or for a vector env
            (``num_envs`` given) also a sequence of ``num_envs`` such integers.
        num_envs: None for a single env, else the number of envs.

    Returns:
        ``()`` uint64 for one integer, ``(num_envs,)`` uint64 for a sequence.

    Raises:
        ValueError: anything else (floats, strings, negatives, ``2**64`` and above, a sequence of another
            length); the message names ``seed`` and the accepted range.
    """
    if seed is None:
        return None
    if _is_seed(seed):
        return np.array(int(seed), dtype=np.uint64)
    expected = "an integer in [0, 2**64)"
    if num_envs is not None:
        expected += f", or a list of {num_envs} of them (one per env)"
        if isinstance(seed, (list, tuple, np.ndarray)) and np.ndim(seed) == 1 and len(seed) == num_envs:
            values = seed.tolist() if isinstance(seed, np.ndarray) else list(seed)
            if all(_is_seed(value) for value in values):
                return np.array([int(value) for value in values], dtype=np.uint64)
    raise ValueError(f"seed must be None or {expected}, got {seed!r}")


def check_options(options: Any) -> dict[str, Any]:
    """``reset``'s ``options`` as a new dict: None gives ``{}``; anything but a mapping is a ``ValueError``."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ValueError(
            f"options must be a dict (e.g. {{'image_index': 3}}) or None, got {type(options).__name__} {options!r}"
        )
    return dict(options)


def check_location(value: Any) -> np.ndarray:
    """An action's ``location`` as a float64 array (shape unchecked), refusing what is not real numbers.

    Ints and floats (Python or numpy) pass; strings (even numeric ones), complex numbers, datetimes, bools
    and other objects raise ``ValueError`` naming ``action['location']``, as do numbers too large for a
    float (``10**400``) and NaN or inf.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise ValueError(f"action['location'] must be real numbers (x, y), got {value!r}") from exc
    if array.dtype == object and all(
        isinstance(item, (int, float, np.integer, np.floating)) and not isinstance(item, bool) for item in array.flat
    ):
        try:  # Python ints too large for int64
            array = array.astype(np.float64)
        except OverflowError:
            raise ValueError(f"action['location'] must be finite, got {value!r}") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(f"action['location'] must be real numbers (x, y), got {array.dtype} values {value!r}")
    location = array.astype(np.float64)
    if not np.isfinite(location).all():
        raise ValueError(f"action['location'] must be finite, got NaN or inf in {location.tolist()}")
    return location


def validate_action(action: Any, batch: tuple[int, ...], key: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Check a ``{"location": (x, y), key: choice}`` action (single: ``batch=()``, batched: ``(n_envs,)``).

    Returns:
        ``(location, choice)``: ``batch + (2,)`` float64 clipped to [-1, 1], and ``batch`` int64.

    Raises:
        ValueError: not a mapping with exactly the keys "location" and ``key``, a wrongly shaped field, a
            location that is not finite real numbers (``check_location``), or a choice that is not an
            integer in ``[0, n)``; the message names the field.
    """
    if not isinstance(action, Mapping) or "location" not in action or key not in action:
        got = f" with keys {list(action)}" if isinstance(action, Mapping) else ""
        raise ValueError(
            f"action must be a dict with keys 'location' (x, y in [-1, 1]) and {key!r} (an integer in [0, {n})), "
            f"got {type(action).__name__}{got}"
        )
    extra = sorted(map(str, set(action) - {"location", key}))
    if extra:
        raise ValueError(f"action has unknown keys {extra}: it takes only 'location' and {key!r}")
    location = check_location(action["location"])
    if location.shape != batch + (2,):
        raise ValueError(f"action['location'] must have shape {batch + (2,)}, got {location.shape}")
    choice = np.asarray(action[key])
    if choice.shape != batch:
        raise ValueError(f"action[{key!r}] must have shape {batch}, got {choice.shape}")
    if not np.issubdtype(choice.dtype, np.integer) or ((choice < 0) | (choice >= n)).any():
        raise ValueError(f"action[{key!r}] must be an integer in [0, {n}), got {choice.tolist()}")
    return np.clip(location, -1.0, 1.0), choice.astype(np.int64)
