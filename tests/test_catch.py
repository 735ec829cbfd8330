"""GlimpseCatch-v0: the game's rules checked on the full screen, the API, batching, errors."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ram_env

LEFT, STAY, RIGHT = 0, 1, 2


def full_view(**kwargs) -> gym.Env:
    """A Catch env whose single glimpse, taken at the centre, is the whole 24x24 screen."""
    return gym.make("GlimpseCatch-v0", glimpse_size=24, n_scales=1, start="center", **kwargs)


def look(move: int) -> dict:
    return {"location": np.zeros(2, np.float32), "move": move}


def screen(obs: dict) -> np.ndarray:
    return np.rint(obs["glimpse"][0] * 255).astype(np.uint8)


def ball_and_paddle(obs: dict) -> tuple[tuple[int, int], list[int]]:
    """The ball's (row, column), while it is above the bottom row, and the paddle's columns."""
    image = screen(obs)
    (ball,) = np.argwhere(image[:23])
    return tuple(ball.tolist()), np.flatnonzero(image[23]).tolist()


def test_check_env_passes_without_warnings() -> None:
    env = gym.make("GlimpseCatch-v0")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []
    assert env.observation_space["glimpse"].shape == (3, 6, 6)
    assert env.action_space["move"].n == 3


@pytest.mark.parametrize("seed", range(8))
def test_ball_falls_and_bounces(seed: int) -> None:
    env = full_view()
    obs, info = env.reset(seed=seed)
    assert info == {}
    (row, column), paddle = ball_and_paddle(obs)
    assert row == 0 and paddle == [11, 12]
    obs, *_ = env.step(look(STAY))
    (row, next_column), _ = ball_and_paddle(obs)
    direction = next_column - column  # the first move shows the direction (after a bounce, if at a wall)
    assert row == 1 and abs(direction) == 1
    column = next_column
    for t in range(2, 24):
        obs, reward, terminated, _, info = env.step(look(STAY))
        if not 0 <= column + direction <= 23:
            direction = -direction
        column += direction
        assert terminated == (t == 23)
        if t < 23:
            assert ball_and_paddle(obs)[0] == (t, column)
    assert screen(obs)[23, column] == 255
    assert reward == float(column in (11, 12)) and info == {"caught": reward == 1.0}


def test_paddle_moves_and_stops_at_the_walls() -> None:
    env = full_view()
    obs, _ = env.reset(seed=0)
    for expected in ([10, 11], [9, 10], [8, 9]):
        obs, *_ = env.step(look(LEFT))
        assert ball_and_paddle(obs)[1] == expected
    for _ in range(12):
        obs, *_ = env.step(look(LEFT))
    assert ball_and_paddle(obs)[1] == [0, 1]
    obs, *_ = env.step(look(RIGHT))
    assert ball_and_paddle(obs)[1] == [1, 2]


def landing_column(row: int, column: int, direction: int) -> int:
    """Where a ball at (row, column) moving ``direction`` lands, by the game's rules."""
    for _ in range(row, 23):
        if not 0 <= column + direction <= 23:
            direction = -direction
        column += direction
    return column


def test_moving_under_the_landing_point_always_catches() -> None:
    env = full_view()
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        obs, *_ = env.step(look(STAY))
        previous = ball_and_paddle(obs)[0][1]
        for _ in range(22):
            (row, column), paddle = ball_and_paddle(obs)
            direction = column - previous if row > 1 else 0
            target = landing_column(row, column, direction) if direction else column
            move = STAY if target in paddle else (LEFT if target < paddle[0] else RIGHT)
            previous = column
            obs, reward, terminated, _, info = env.step(look(move))
        assert terminated and reward == 1.0 and info["caught"], seed


def test_same_games_as_single_envs() -> None:
    n = 4
    envs = gym.make_vec("GlimpseCatch-v0", num_envs=n)
    assert isinstance(envs, ram_env.CatchVectorEnv)
    singles = [gym.make("GlimpseCatch-v0") for _ in range(n)]
    obs, _ = envs.reset(seed=5)
    expected = [env.reset(seed=5 + i)[0] for i, env in enumerate(singles)]
    rng = np.random.default_rng(0)
    for _ in range(30):
        for i in range(n):
            np.testing.assert_array_equal(obs["glimpse"][i], expected[i]["glimpse"])
        action = {"location": rng.uniform(-1, 1, (n, 2)).astype(np.float32), "move": rng.integers(0, 3, n)}
        obs, reward, terminated, _, info = envs.step(action)
        for i, env in enumerate(singles):
            single = env.step({"location": action["location"][i], "move": action["move"][i]})
            assert (single[1], single[2]) == (reward[i], terminated[i])
            if terminated[i]:
                assert info["final_info"]["caught"][i] == single[4]["caught"]
                expected[i] = env.reset()[0]
            else:
                expected[i] = single[0]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"location": [0.0, 0.0], "move": 3}, r"action\['move'\] must be an integer in \[0, 3\)"),
        ({"location": [np.nan, 0.0], "move": 1}, r"action\['location'\] must be finite"),
        ({"location": [0.0, 0.0], "label": 1}, r"action must be a dict with keys 'location'.*'move'"),
    ],
)
def test_bad_actions(bad: dict, message: str) -> None:
    env = ram_env.CatchEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(bad)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="paddle_width 24 must be smaller"):
        ram_env.CatchEnv(paddle_width=24)
    with pytest.raises(ValueError, match="unknown reset options"):
        ram_env.CatchEnv().reset(options={"image_index": 3})


def test_random_policy_catch_rate() -> None:
    envs = gym.make_vec("GlimpseCatch-v0", num_envs=10000)
    envs.reset(seed=0)
    envs.action_space.seed(0)
    for _ in range(23):
        _, reward, terminated, _, _ = envs.step(envs.action_space.sample())
    assert terminated.all()
    assert 0.05 < reward.mean() < 0.12  # 8.2% measured; a paddle of 2 of 24 columns is 8.3%


def test_render_draws_the_ball_the_paddle_and_the_glimpse() -> None:
    """The 24x24 screen at 12x zoom: the ball's and the paddle's pixels white, the empty screen black, and the
    last glimpse's squares in the scale colours."""
    from ram_env.rendering import SCALE_COLOURS

    env = gym.make("GlimpseCatch-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(look(RIGHT))
    frame = env.render()
    assert frame.shape == (288, 288, 3) and frame.dtype == np.uint8
    episodes = env.unwrapped._episodes
    (row, column), paddle = episodes.ball[0], int(episodes.paddle[0])

    def cell(r: int, c: int) -> np.ndarray:
        return frame[r * 12 + 3 : r * 12 + 9, c * 12 + 3 : c * 12 + 9]  # the inner pixels, clear of drawn lines

    assert (cell(row, column) == 255).all()
    assert (cell(23, paddle) == 255).all() and (cell(23, paddle + 1) == 255).all()
    empty = next(c for c in range(24) if c not in (paddle, paddle + 1, column))
    assert (cell(23, empty) == 0).all()
    colours = {tuple(int(v) for v in pixel) for pixel in frame.reshape(-1, 3)}
    assert {tuple(colour) for colour in SCALE_COLOURS[:3]} <= colours
