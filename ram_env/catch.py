"""The paper's game of Catch (Mnih et al., 2014, section 4.2) seen through the retina: ``CatchEnv`` and its
natively batched ``CatchVectorEnv``.

``CatchTask`` holds the game's settings (the keyword arguments of GlimpseCatch-v0), ``CatchEpisodes``
plays ``num_envs`` games with array operations, and the two env classes run them through ``ram_env.core``:
``CatchEnv`` one game at a time, ``CatchVectorEnv`` ``num_envs`` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from ram_env import counter_rng
from ram_env.core import BatchedEnv, BatchedVectorEnv, Episodes
from ram_env.data.splits import GAME_SPLITS
from ram_env.validation import STARTS, check_int, validate_action

__all__ = ["MOVES", "CatchEnv", "CatchEpisodes", "CatchTask", "CatchVectorEnv"]

MOVES = ("left", "stay", "right")  # action["move"] 0, 1, 2: the paddle's step, -1, 0, +1 pixel


@dataclass(frozen=True, kw_only=True)
class CatchTask:
    """The settings of Catch (the keyword arguments of GlimpseCatch-v0).

    Attributes:
        screen_size: side of the square binary screen in pixels (24 in the paper).
        paddle_width: the paddle's width in pixels.
        glimpse_size: side ``g`` of each retina patch in pixels.
        n_scales: number of retina scales ``k``; patch ``i`` covers ``g * 2**i`` pixels.
        start: "random" (first glimpse at a uniformly random location) or "center".
    """

    screen_size: int = 24
    paddle_width: int = 2
    glimpse_size: int = 6
    n_scales: int = 3
    start: str = "random"

    def __post_init__(self) -> None:
        for name, low in (("screen_size", 3), ("paddle_width", 1), ("glimpse_size", 1), ("n_scales", 1)):
            check_int(name, getattr(self, name), low)
        if self.paddle_width >= self.screen_size:
            raise ValueError(f"paddle_width {self.paddle_width} must be smaller than screen_size {self.screen_size}")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")

    @property
    def n_steps(self) -> int:
        """Steps per episode: the ball falls one row per step from the top row to the bottom one."""
        return self.screen_size - 1

    @property
    def n_glimpses(self) -> int:
        """Glimpses the agent takes per game: one before each step."""
        return self.n_steps


class CatchEpisodes(Episodes):
    """``num_envs`` games of Catch, reset and stepped with array operations.

    The ball (1 pixel) starts in a random column of the top row with a random horizontal direction; each
    step it falls one row and moves one column, bouncing off the side walls. The paddle
    (``paddle_width`` pixels on the bottom row) starts in the middle and moves by the action, first. The
    episode ends when the ball reaches the bottom row: reward 1.0 if it lands on the paddle, else 0.0.

    Attributes:
        ball: ``(n, 2)`` int64 ball (row, column); ``direction``: ``(n,)`` int64, -1 or +1.
        paddle: ``(n,)`` int64 leftmost column of the paddle.
        (and those of ``Episodes``: ``retina``, ``steps``, ``path``)
    """

    def __init__(self, task: CatchTask, num_envs: int, group_size: int = 1) -> None:
        super().__init__(
            num_envs,
            size=task.screen_size,
            glimpse_size=task.glimpse_size,
            n_scales=task.n_scales,
            max_steps=task.n_steps,
            group_size=group_size,
        )
        self.task = task
        self.action_space = spaces.Dict(
            {"location": spaces.Box(-1.0, 1.0, (2,), dtype=np.float32), "move": spaces.Discrete(len(MOVES))}
        )
        self.ball = np.zeros((num_envs, 2), dtype=np.int64)
        self.direction = np.ones(num_envs, dtype=np.int64)
        self.paddle = np.zeros(num_envs, dtype=np.int64)

    def reset(self, ids: np.ndarray | None, options: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """New games: ball in a random top-row column with a random direction, paddle in the middle.

        The ball's start comes from the group's shared stream, the first location from each env's own.
        """
        rows = self._rows if ids is None else ids
        task = self.task
        streams = self.next_streams(ids)
        draws = counter_rng.uniforms(streams, 4)  # columns 0-1 (ungrouped: the ball) are drawn from `shared`
        ball = counter_rng.uniforms(self.shared_streams(streams), 2)
        self.ball[rows, 0] = 0
        self.ball[rows, 1] = (ball[:, 0] * task.screen_size).astype(np.int64)
        self.direction[rows] = np.where(ball[:, 1] < 0.5, -1, 1)
        self.paddle[rows] = (task.screen_size - task.paddle_width) // 2
        if "location" in options:
            location = options["location"]
        else:
            location = (draws[:, 2:] * 2.0 - 1.0) if task.start == "random" else np.zeros((len(rows), 2))
            location = location.astype(np.float32)
        self._draw()
        return self.first_glimpse(location, ids), location

    def parse_action(self, action: Any, batch: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``(location, move)``: see ``validate_action``; ``move`` 0 left, 1 stay, 2 right."""
        return validate_action(action, batch, "move", len(MOVES))

    def step(self, parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Move the paddles, then the balls; judge the games whose ball reached the bottom row."""
        location, move = parts
        task = self.task
        last = task.screen_size - 1
        self.paddle = np.clip(self.paddle + move - 1, 0, task.screen_size - task.paddle_width)
        column = self.ball[:, 1] + self.direction
        bounce = (column < 0) | (column > last)
        self.direction = np.where(bounce, -self.direction, self.direction)
        self.ball[:, 1] = np.where(bounce, self.ball[:, 1] + self.direction, column)
        self.ball[:, 0] += 1
        terminated = self.ball[:, 0] >= last
        reward = (terminated & self._caught()).astype(np.float64)
        location = location.astype(np.float32)
        self._draw()
        return self.next_glimpse(location), location, reward, terminated

    def _caught(self) -> np.ndarray:
        offset = self.ball[:, 1] - self.paddle
        return (offset >= 0) & (offset < self.task.paddle_width)

    def split_sizes(self) -> dict[str, int]:
        """The games of each split: blocks of seeds (``ram_env.data.splits.GAME_SPLITS``)."""
        return dict(GAME_SPLITS)

    def info(self) -> dict[str, np.ndarray]:
        """No per-step info."""
        return {}

    def final_info(self, parts: tuple[np.ndarray, ...], reward: np.ndarray) -> dict[str, np.ndarray]:
        """``caught``: whether the paddle caught the ball."""
        return {"caught": reward == 1.0}

    def _draw(self) -> None:
        screen = self.retina.interior()
        screen[...] = 0
        screen[self._rows, self.ball[:, 0], self.ball[:, 1]] = 255
        bottom = screen[:, -1]
        for offset in range(self.task.paddle_width):
            bottom[self._rows, self.paddle + offset] = 255
        self.retina.load()


class CatchEnv(BatchedEnv[CatchEpisodes]):
    """Catch (Mnih et al., 2014, section 4.2) seen only through glimpses, as a Gymnasium environment.

    ## Description
    A 24x24 binary screen: a 1-pixel ball falls from the top row, one row per step, moving one column
    per step in a random horizontal direction and bouncing off the side walls; a 2-pixel paddle on the
    bottom row must be under it when it lands. The agent sees the screen only through a retina of ``k``
    square patches (patch ``i`` covers ``g * 2**i`` pixels, area-averaged to ``g x g`` pixels) centred
    where it chooses to look, and must learn from the reward alone where to look and how to move.

    ## Action Space
    ``Dict(location=Box(-1, 1, (2,), float32), move=Discrete(3))``: where to look next (``(x, y)``,
    ``(-1, -1)`` the top-left corner; clipped to [-1, 1]) and the paddle's move (0 left, 1 stay,
    2 right; ``MOVES``). NaN or inf, a move out of range or a wrongly shaped action raises ``ValueError``.

    ## Observation Space
    ``Dict(glimpse=Box(0, 1, (k, g, g), float32), location=Box(-1, 1, (2,), float32))``: the retina's
    patches of the screen after the step (pixel values / 255), and where they were taken.

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
    ``screen_size`` (24 pixels), ``paddle_width`` (2 pixels), ``glimpse_size`` (``g``, 6 pixels),
    ``n_scales`` (``k``, 3), ``start`` ("random" or "center"), ``render_mode`` ("rgb_array" or "human").
    See ``CatchTask``. The game has no dataset: its splits are blocks of seeds (``ram_env.data.splits``).

    ## Examples
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import ram_env
    >>> env = gym.make("GlimpseCatch-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs["glimpse"].shape, obs["location"].shape, info
    ((3, 6, 6), (2,), {})
    >>> for t in range(23):
    ...     obs, reward, terminated, truncated, info = env.step({"location": np.zeros(2, np.float32), "move": 1})
    >>> terminated, sorted(info)
    (True, ['caught'])
    """

    choice_key = "move"  # the action's discrete part (agents.evaluation reads it without making an env)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 8}

    def __init__(
        self,
        *,
        screen_size: int = 24,
        paddle_width: int = 2,
        glimpse_size: int = 6,
        n_scales: int = 3,
        start: str = "random",
        render_mode: str | None = None,
    ) -> None:
        self.task = CatchTask(
            screen_size=screen_size,
            paddle_width=paddle_width,
            glimpse_size=glimpse_size,
            n_scales=n_scales,
            start=start,
        )
        super().__init__(CatchEpisodes(self.task, 1), render_mode)


class CatchVectorEnv(BatchedVectorEnv[CatchEpisodes]):
    """A natively batched ``CatchEnv`` (``gym.make_vec("GlimpseCatch-v0", num_envs=N)``).

    Same-step autoreset; the ended games are in ``info["final_obs"]`` and ``info["final_info"]``
    (``caught``). Sub-env ``i`` after ``reset(seed=s)`` plays the games of a ``CatchEnv`` reset with
    ``seed=s + i``. See ``ram_env.core.BatchedVectorEnv``. Arguments are ``CatchEnv``'s, plus
    ``num_envs`` and ``group_size``; ``render_mode`` may be "rgb_array".

    ``group_size=M`` groups the envs ``0..M-1``, ``M..2M-1``, ...: the ``M`` games of a group start with
    the same ball (column and direction), each from its own first-glimpse location. The seed rule holds
    whole for each group's first env; env ``i`` plays its group's balls from the first-glimpse locations
    of a ``CatchEnv`` seeded ``s + i``. Groups are reset together (a ``reset_mask`` covers whole groups).

    Examples:
        >>> import gymnasium as gym
        >>> import ram_env
        >>> envs = gym.make_vec("GlimpseCatch-v0", num_envs=8)
        >>> obs, info = envs.reset(seed=0)
        >>> obs["glimpse"].shape, obs["location"].shape
        ((8, 3, 6, 6), (8, 2))
    """

    choice_key = "move"  # the action's discrete part (agents.evaluation reads it without making an env)

    metadata = {**BatchedVectorEnv.metadata, "render_fps": 8}

    def __init__(
        self,
        num_envs: int,
        *,
        screen_size: int = 24,
        paddle_width: int = 2,
        glimpse_size: int = 6,
        n_scales: int = 3,
        start: str = "random",
        render_mode: str | None = None,
        group_size: int = 1,
    ) -> None:
        self.task = CatchTask(
            screen_size=screen_size,
            paddle_width=paddle_width,
            glimpse_size=glimpse_size,
            n_scales=n_scales,
            start=start,
        )
        super().__init__(CatchEpisodes(self.task, num_envs, group_size), render_mode)
