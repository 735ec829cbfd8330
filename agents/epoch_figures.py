"""The bookkeeping of a training epoch: the updates' figures summed, averaged, and the speeds."""

from __future__ import annotations

import time

__all__ = ["EpochFigures"]


class EpochFigures:
    """The figures of one epoch's updates so far, from the moment it is made.

    Args:
        images_per_update: images of one update (``batch_size``).
        episodes_per_update: episodes of one update (``batch_size * rollouts_per_image``).
        n_glimpses: env steps per episode.
    """

    def __init__(self, images_per_update: int, episodes_per_update: int, n_glimpses: int) -> None:
        self.images_per_update, self.episodes_per_update = images_per_update, episodes_per_update
        self.n_glimpses = n_glimpses
        self.start = time.perf_counter()
        self.updates = 0
        self._sums: dict[str, float] = {}

    def add(self, figures: dict[str, float]) -> None:
        """Count one update's figures (losses, reward, ...)."""
        self.updates += 1
        for key, value in figures.items():
            self._sums[key] = self._sums.get(key, 0.0) + value

    def seconds(self) -> float:
        """Wall seconds since the epoch started."""
        return time.perf_counter() - self.start

    def means(self) -> dict[str, float]:
        """Each figure's mean over the updates so far."""
        return {key: value / self.updates for key, value in self._sums.items()}

    def speeds(self, seconds: float) -> dict[str, float]:
        """The updates so far per second of ``seconds``: ``images_per_second``, ``episodes_per_second`` and
        ``glimpses_per_second`` (env steps)."""
        episodes = self.updates * self.episodes_per_update
        return {
            "images_per_second": self.updates * self.images_per_update / seconds,
            "episodes_per_second": episodes / seconds,
            "glimpses_per_second": episodes * self.n_glimpses / seconds,
        }
