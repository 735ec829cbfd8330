"""agents.path_vote: the majority vote of sampled glimpse paths, checked against votes counted by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from agents.evaluation import evaluate
from agents.path_vote import evaluate_path_vote

TASK = {"n_glimpses": 2, "start": "center"}
N = 300  # test images
SPLIT = 10_000  # the test split's size: path k's seeds start at k * SPLIT


class RandomGuesser:
    """Guesses a label drawn from torch's global generator at every step, and looks at the centre."""

    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[dict[str, np.ndarray], Any]:
        n = len(observation["location"])
        label = torch.randint(0, 10, (n,)).numpy()
        return {"location": np.zeros((n, 2), np.float32), "label": label}, state


def paths_by_hand(n_paths: int) -> tuple[np.ndarray, np.ndarray]:
    """Each path's predictions ``(n_paths, N)`` and the labels, played as the docstring says."""
    played = []
    for k in range(n_paths):
        torch.manual_seed(k)
        played.append(
            evaluate(RandomGuesser(), "GlimpseMNIST-v0", "test", N, deterministic=False, seed=k * SPLIT, **TASK)
        )
    return np.stack([p["predictions"] for p in played]), played[0]["labels"]


def test_one_path_is_one_sampled_evaluation() -> None:
    result = evaluate_path_vote(RandomGuesser(), "GlimpseMNIST-v0", n_paths=1, n_episodes=N, **TASK)
    predictions, labels = paths_by_hand(1)
    np.testing.assert_array_equal(result["predictions"], predictions[0])
    np.testing.assert_array_equal(result["labels"], labels)
    assert result["error"] == pytest.approx(np.mean(predictions[0] != labels)) == result["path_errors"][0]


@pytest.mark.parametrize("n_paths", [2, 3])
def test_the_vote_is_the_mode_with_ties_to_the_smallest_label(n_paths: int) -> None:
    result = evaluate_path_vote(RandomGuesser(), "GlimpseMNIST-v0", n_paths=n_paths, n_episodes=N, **TASK)
    predictions, labels = paths_by_hand(n_paths)
    expected = []
    for column in predictions.T:
        counts = {label: int((column == label).sum()) for label in column.tolist()}
        top = max(counts.values())
        expected.append(min(label for label, count in counts.items() if count == top))
    np.testing.assert_array_equal(result["predictions"], expected)
    assert result["error"] == pytest.approx(np.mean(np.asarray(expected) != labels))
    assert len(result["path_errors"]) == n_paths and result["n_episodes"] == N
    assert len(set(result["path_errors"])) > 1  # the paths differ


def test_bad_calls_are_refused() -> None:
    with pytest.raises(ValueError, match="is a game"):
        evaluate_path_vote(RandomGuesser(), "GlimpseCatch-v0")
    with pytest.raises(ValueError, match="n_paths must be an integer >= 1"):
        evaluate_path_vote(RandomGuesser(), "GlimpseMNIST-v0", n_paths=0)
