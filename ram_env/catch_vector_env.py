"""CatchVectorEnv: ``num_envs`` games of Catch stepped with one array operation per step."""

from __future__ import annotations

from ram_env.catch import CatchEpisodes, CatchTask
from ram_env.core import BatchedVectorEnv

__all__ = ["CatchVectorEnv"]


class CatchVectorEnv(BatchedVectorEnv):
    """A natively batched ``CatchEnv`` (``gym.make_vec("GlimpseCatch-v0", num_envs=N)``).

    Same-step autoreset; the ended games are in ``info["final_obs"]`` and ``info["final_info"]``
    (``caught``). Sub-env ``i`` after ``reset(seed=s)`` plays the games of a ``CatchEnv`` reset with
    ``seed=s + i``. See ``ram_env.batched_env.BatchedVectorEnv``. Arguments are ``CatchEnv``'s, plus
    ``num_envs`` and ``group_size``; ``render_mode`` may be "rgb_array".

    ``group_size=M`` groups the envs ``0..M-1``, ``M..2M-1``, ...: the ``M`` games of a group start with
    the same ball (column and direction), each from its own first-glimpse location. The seed rule holds
    whole for each group's first env; env ``i`` plays its group's balls from the first-glimpse locations
    of a ``CatchEnv`` seeded ``s + i``. Groups are reset together (a ``reset_mask`` covers whole groups).
    """

    metadata = {**BatchedVectorEnv.metadata, "render_fps": 8}

    def __init__(
        self,
        num_envs: int,
        screen_size: int = 24,
        paddle_width: int = 2,
        glimpse_size: int = 6,
        n_scales: int = 3,
        start: str = "random",
        render_mode: str | None = None,
        group_size: int = 1,
    ) -> None:
        self.task = CatchTask(screen_size, paddle_width, glimpse_size, n_scales, start)
        super().__init__(CatchEpisodes(self.task, num_envs, group_size), render_mode)
