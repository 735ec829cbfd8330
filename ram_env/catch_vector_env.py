"""CatchVectorEnv: ``num_envs`` games of Catch stepped with one array operation per step."""

from __future__ import annotations

from ram_env.batched_env import BatchedVectorEnv
from ram_env.catch import CatchEpisodes, CatchTask

__all__ = ["CatchVectorEnv"]


class CatchVectorEnv(BatchedVectorEnv):
    """A natively batched ``CatchEnv`` (``gym.make_vec("GlimpseCatch-v0", num_envs=N)``).

    Same-step autoreset; the ended games are in ``info["final_obs"]`` and ``info["final_info"]``
    (``caught``). Sub-env ``i`` after ``reset(seed=s)`` plays the games of a ``CatchEnv`` reset with
    ``seed=s + i``. See ``ram_env.batched_env.BatchedVectorEnv``. Arguments are ``CatchEnv``'s, plus
    ``num_envs``; ``render_mode`` may be "rgb_array".
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
    ) -> None:
        self.task = CatchTask(screen_size, paddle_width, glimpse_size, n_scales, start)
        super().__init__(CatchEpisodes(self.task, num_envs), render_mode)
