"""CatchEnv: the paper's game of Catch, played through a small multi-scale retina."""

from __future__ import annotations

from ram_env.catch import CatchEpisodes, CatchTask
from ram_env.core import BatchedEnv

__all__ = ["CatchEnv"]


class CatchEnv(BatchedEnv):
    """Catch (Mnih et al., 2014, section 4.2) seen only through glimpses, as a Gymnasium environment.

    ## Description
    A 24x24 binary screen: a 1-pixel ball falls from the top row, one row per step, moving one column
    per step in a random horizontal direction and bouncing off the side walls; a 2-pixel paddle on the
    bottom row must be under it when it lands. The agent sees the screen only through a retina of ``k``
    square patches (patch ``i`` covers ``g * 2**i`` pixels, area-averaged to ``g x g``) centred where it
    chooses to look, and must learn from the reward alone where to look and how to move.

    ## Action Space
    ``Dict(location=Box(-1, 1, (2,), float32), move=Discrete(3))``: where to look next (``(x, y)``,
    ``(-1, -1)`` the top-left corner; clipped to [-1, 1]) and the paddle's move (0 left, 1 stay,
    2 right). NaN or inf, a move out of range or a wrongly shaped action raises ``ValueError``.

    ## Observation Space
    ``Dict(glimpse=Box(0, 1, (k, g, g), float32), location=Box(-1, 1, (2,), float32))``: the retina's
    patches of the screen after the step, and where they were taken.

    ## Rewards
    1.0 at the last step if the paddle catches the ball, else 0.0 (0 at every other step).

    ## Starting State
    The ball in a uniformly random column of the top row, with a random direction; the paddle in the
    middle of the bottom row; the first glimpse at a random location (``start="center"``: the centre;
    ``options={"location": (x, y)}``: there).

    ## Episode End
    When the ball reaches the bottom row: ``screen_size - 1`` = 23 steps (terminated). No truncation.

    ## Info
    At the end, ``caught`` (bool).

    ## Arguments
    ``screen_size`` (24), ``paddle_width`` (2), ``glimpse_size`` (6), ``n_scales`` (3), ``start``
    ("random" or "center"), ``render_mode`` ("rgb_array" or "human"). See ``ram_env.catch.CatchTask``.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 8}

    def __init__(
        self,
        screen_size: int = 24,
        paddle_width: int = 2,
        glimpse_size: int = 6,
        n_scales: int = 3,
        start: str = "random",
        render_mode: str | None = None,
    ) -> None:
        self.task = CatchTask(screen_size, paddle_width, glimpse_size, n_scales, start)
        super().__init__(CatchEpisodes(self.task, 1), render_mode)
