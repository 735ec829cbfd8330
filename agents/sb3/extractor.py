"""A stable-baselines3 features extractor for the glimpse envs' Dict observation."""

from __future__ import annotations

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from agents.networks import GlimpseNetwork

__all__ = ["GlimpseFeaturesExtractor"]


class GlimpseFeaturesExtractor(BaseFeaturesExtractor):
    """The paper's glimpse network as SB3's features extractor: ``{"glimpse", "location"}`` -> features.

    Use with ``MultiInputPolicy`` / ``MultiInputLstmPolicy``:
    ``policy_kwargs={"features_extractor_class": GlimpseFeaturesExtractor}``. The recurrence (for
    RecurrentPPO) stays in the policy's LSTM.

    Args:
        observation_space: ``Dict(glimpse=Box(0, 1, (k, g, g)), location=Box(-1, 1, (2,)))``.
        glimpse_hidden, location_hidden: widths of the glimpse and location layers (128 in the paper).
        features_dim: width of the output (256 in the paper).
    """

    def __init__(
        self,
        observation_space: gym.spaces.Dict,
        glimpse_hidden: int = 128,
        location_hidden: int = 128,
        features_dim: int = 256,
    ) -> None:
        super().__init__(observation_space, features_dim)
        pixels = int(torch.tensor(observation_space["glimpse"].shape).prod())
        self.glimpse_network = GlimpseNetwork(pixels, glimpse_hidden, location_hidden, features_dim)

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """``observations``: ``glimpse`` ``(n, k, g, g)``, ``location`` ``(n, 2)``. Returns ``(n, features_dim)``."""
        return self.glimpse_network(observations["glimpse"], observations["location"])
