"""The split rules of every task: which episodes make up "train", "valid" and "test".

Classification tasks (``ram_env.ENV_IDS``) split an MNIST-format dataset (``ram_env.datasets``) as the
paper does: "train" is the training file's images but its last ``VALID_SIZE`` (MNIST: the first 55,000),
"valid" those last ``VALID_SIZE`` (5,000), "test" the test file (10,000). On valid and test the canvas of
image ``i`` is a fixed function of ``i`` (``ram_env.classification``), so every agent is scored on the same
canvases.

Games (``ram_env.GAME_IDS``, Catch) have no dataset: a split is a block of episode seeds. Game ``i`` of a
split is played with ``reset(seed=GAME_SEED_OFFSETS[split] + seed + i)`` (``game_seeds``): for one ``seed``
the blocks of ``GAME_SPLITS[split]`` games lie 1,000,000 seeds apart and never overlap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GAME_SEED_OFFSETS", "GAME_SPLITS", "SPLITS", "VALID_SIZE", "game_seeds", "training_file_rows"]

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
