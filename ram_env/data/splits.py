"""The split rules of every task: which episodes make up "train", "valid" and "test".

Classification tasks (``ram_env.ENV_IDS``) split an MNIST-format dataset (``ram_env.data.datasets``) as the
paper does: "train" is the training file's images but its last ``VALID_SIZE`` (MNIST: the first 55,000),
"valid" those last ``VALID_SIZE`` (5,000), "test" the test file (10,000). On valid and test the canvas of
image ``i`` is a fixed function of ``i`` (``ram_env.classification``), so every agent is scored on the same
canvases.

Image sets (``GlimpseImages-v0``, ``ram_env.data.image_set``) take the splits their source names (``train``,
``valid``, ``test`` subfolders or arrays); a split the source lacks is carved from "train" (from all the
images when the source names none) by ``carved_rows``, with the stated fractions and seed.

Games (``ram_env.GAME_IDS``, Catch) have no dataset: a split is a block of episode seeds. Game ``i`` of a
split is played with ``reset(seed=GAME_SEED_OFFSETS[split] + seed + i)`` (``game_seeds``): for one ``seed``
the blocks of ``GAME_SPLITS[split]`` games lie 1,000,000 seeds apart and never overlap.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "GAME_SEED_OFFSETS",
    "GAME_SPLITS",
    "SPLITS",
    "VALID_SIZE",
    "carved_rows",
    "game_seeds",
    "training_file_rows",
]

SPLITS = ("train", "valid", "test")
VALID_SIZE = 5000  # images at the end of the training file that form "valid"
# Games per split (sizes mirror MNIST's 55,000 / 5,000 / 10,000), and the first seed of each split's block.
GAME_SPLITS = {"train": 50_000, "valid": 5_000, "test": 10_000}
GAME_SEED_OFFSETS = {"test": 0, "valid": 1_000_000, "train": 2_000_000}


def training_file_rows(n_images: int) -> dict[str, slice]:
    """The rows of a training file of ``n_images`` images (> ``VALID_SIZE``) that "train" and "valid" take."""
    n_train = n_images - VALID_SIZE
    return {"train": slice(None, n_train), "valid": slice(n_train, None)}


def game_seeds(split: str, seed: int, index: np.ndarray) -> np.ndarray:
    """The ``reset`` seeds of games ``index`` (``(n,)`` int64) of ``split`` under ``seed``: ``(n,)`` int64."""
    return GAME_SEED_OFFSETS[split] + seed + index


def carved_rows(n_images: int, fractions: dict[str, float], seed: int, where: str) -> dict[str, np.ndarray]:
    """Seeded split of ``n_images`` images: ``round(fraction * n_images)`` images for each split of
    ``fractions`` (e.g. ``{"valid": 0.1, "test": 0.1}``), the rest for "train".

    The images are shuffled with ``np.random.default_rng(seed)``; the splits take the shuffled order's
    consecutive blocks (valid, then test, then train) and each keeps its rows sorted (a memory-mapped
    source then reads forward). The same ``(n_images, fractions, seed)`` always gives the same rows.

    Returns:
        ``{"train": rows, split: rows, ...}``, each ``(n,)`` int64.

    Raises:
        ValueError: a fraction outside ``(0, 1)``, or a split that would be empty; the message names ``where``.
    """
    order = np.random.default_rng(seed).permutation(n_images)
    out: dict[str, np.ndarray] = {}
    start = 0
    for name in sorted(fractions, reverse=True):  # "valid", then "test"
        fraction = fractions[name]
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"{name}_fraction must be in (0, 1), got {fraction!r}")
        count = round(fraction * n_images)
        if count < 1:
            raise ValueError(
                f"{where}: {name}_fraction {fraction} of {n_images} images is no image; give more images or a "
                f"larger {name}_fraction"
            )
        out[name] = np.sort(order[start : start + count])
        start += count
    if start >= n_images:
        raise ValueError(f"{where}: the fractions {fractions} of {n_images} images leave none for train")
    out["train"] = np.sort(order[start:])
    return out
