"""Test-time averaging over sampled glimpse paths: each image classified by the majority vote of several
stochastic episodes, or by their averaged class probabilities; extra figures beside the single deterministic
path that the project's tables report.

    import agents
    from agents.path_vote import evaluate_path_vote
    agent = agents.load_pretrained("GlimpseClutteredMNIST-v0")
    print(evaluate_path_vote(agent, "GlimpseClutteredMNIST-v0", n_paths=10)["error"])

``python benchmarks/paper_table.py --pretrained --vote-paths 10`` adds the column to the table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.evaluation import Agent, evaluate, is_game, split_size

__all__ = ["evaluate_path_vote"]


def evaluate_path_vote(
    agent: Agent,
    env_id: str = "GlimpseMNIST-v0",
    split: str = "test",
    n_paths: int = 10,
    n_episodes: int | None = None,
    seed: int = 0,
    batch_size: int = 1000,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Classify each image of ``split`` by the majority vote of ``n_paths`` sampled glimpse paths, and (for
    an agent with ``predict_probabilities``) by the mean of their class probabilities, as the reference
    implementations of kevinzakka and PrincipalComponent-zz score the paper's tasks.

    Path ``k`` plays ``agents.evaluate(..., deterministic=False)`` with ``seed + k * S`` (``S`` the split's
    size, so that no two episodes share a seed: each path has its own random first location) after
    ``torch.manual_seed(seed + k)`` (the location samples). A tie goes to the smallest label among the tied.

    Args:
        agent: anything with stable-baselines3's ``predict`` on a classification env.
        env_id: a registered classification id; ``env_kwargs`` go to ``gym.make_vec``.
        split: "train", "valid" or "test".
        n_paths: sampled paths per image, at least 1.
        n_episodes: images from the first (None: the whole split).
        seed: the first path's first image's seed.
        batch_size: episodes run side by side.

    Returns:
        ``{"error": float (fraction of images whose vote is wrong), "n_episodes": int, "n_paths": int,
        "path_errors": list of each sampled path's own error, "predictions": (n,) int64 votes,
        "labels": (n,) int64}``; with probabilities also ``"average_error"`` (fraction of images whose
        most probable class of the averaged probabilities is wrong; a tie to the smallest label).

    Raises:
        ValueError: a game (nothing to vote on), or ``n_paths`` below 1.
    """
    if is_game(env_id):
        raise ValueError(f"{env_id} is a game: path voting needs a classification env")
    if isinstance(n_paths, bool) or not isinstance(n_paths, (int, np.integer)) or n_paths < 1:
        raise ValueError(f"n_paths must be an integer >= 1, got {n_paths!r}")
    stride = split_size(env_id, split, **env_kwargs)
    averaged = hasattr(agent, "predict_probabilities")
    paths = []
    for k in range(n_paths):
        torch.manual_seed(seed + k)
        paths.append(
            evaluate(
                agent,
                env_id,
                split,
                n_episodes,
                deterministic=False,
                seed=seed + k * stride,
                batch_size=batch_size,
                probabilities=averaged,
                **env_kwargs,
            )
        )
    predictions = np.stack([path["predictions"] for path in paths])  # (n_paths, n)
    labels = paths[0]["labels"]
    votes = np.zeros((labels.size, int(predictions.max()) + 1), dtype=np.int64)
    for row in predictions:
        votes[np.arange(labels.size), row] += 1
    voted = votes.argmax(1)  # the first of the most voted labels
    result = {
        "error": float(np.mean(voted != labels)),
        "n_episodes": int(labels.size),
        "n_paths": n_paths,
        "path_errors": [path["error"] for path in paths],
        "predictions": voted,
        "labels": labels,
    }
    if averaged:
        mean = np.mean([path["probabilities"] for path in paths], axis=0)
        result["average_error"] = float(np.mean(mean.argmax(1) != labels))
    return result
