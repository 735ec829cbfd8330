"""group_size: several rollouts of the same image (or the same ball) in a batched env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import ram_env


def canvases(envs: gym.vector.VectorEnv) -> np.ndarray:
    """The episodes' canvases, ``(n, size, size)`` uint8, without the retina's padding."""
    episodes = envs.unwrapped._episodes
    p, size = episodes.retina.pad, episodes.size
    return episodes.retina.canvases[:, p : p + size, p : p + size].copy()


def play(envs: gym.vector.VectorEnv, seed: int, episodes: int, steps: int) -> list[tuple]:
    """(image_index, canvases, first locations, glimpses after a fixed action) of ``episodes`` episodes."""
    rng = np.random.default_rng(0)
    out = []
    obs, info = envs.reset(seed=seed)
    for _ in range(episodes):
        record = (info["image_index"].copy(), canvases(envs), obs["location"].copy(), [])
        for _ in range(steps):
            action = {"location": rng.uniform(-1, 1, (envs.num_envs, 2)), "label": np.zeros(envs.num_envs, int)}
            obs, _, terminated, _, info = envs.step(action)
            record[3].append(info["final_obs"]["glimpse"].copy() if terminated.any() else obs["glimpse"].copy())
        assert terminated.all()
        out.append(record)
    return out


@pytest.mark.parametrize("split", ["train", "test"])
def test_groups_share_image_and_canvas_but_not_locations(split: str) -> None:
    envs = gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=6, group_size=3, split=split, n_glimpses=3)
    for image_index, canvas, location, _ in play(envs, seed=5, episodes=3, steps=3):
        for group in (slice(0, 3), slice(3, 6)):
            assert (image_index[group] == image_index[group][0]).all()
            assert (canvas[group] == canvas[group][:1]).all()
            assert len({tuple(x) for x in location[group]}) == 3  # each env its own first location
        assert image_index[0] != image_index[3]  # different groups, different images
        assert not (canvas[0] == canvas[3]).all()


def test_labels_are_shared_within_groups() -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=8, group_size=4, n_glimpses=2)
    envs.reset(seed=0)
    for _ in range(2):
        _, _, _, _, info = envs.step({"location": np.zeros((8, 2)), "label": np.zeros(8, int)})
    labels = info["final_info"]["label"].reshape(2, 4)
    assert (labels == labels[:, :1]).all()


def test_group_size_one_is_the_ungrouped_env() -> None:
    plain = play(gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=4, n_glimpses=3), 9, 2, 3)
    grouped = play(gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=4, n_glimpses=3, group_size=1), 9, 2, 3)
    for a, b in zip(plain, grouped, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_seed_rule_holds_whole_for_first_envs_and_for_locations_of_the_others() -> None:
    """Env i of a grouped env seeded s: the episodes of a single env seeded s + i when i is a group's first,
    else that env's first locations on its group's images."""
    m, n, seed = 3, 6, 21
    grouped = play(gym.make_vec("GlimpseTranslatedMNIST-v0", num_envs=n, group_size=m, n_glimpses=2), seed, 2, 2)
    for i in range(n):
        env = gym.make("GlimpseTranslatedMNIST-v0", n_glimpses=2)
        obs, info = env.reset(seed=seed + i)
        for episode in range(2):
            image_index, canvas, location, _ = grouped[episode]
            np.testing.assert_array_equal(location[i], obs["location"])
            if i % m == 0:
                assert image_index[i] == info["image_index"]
                np.testing.assert_array_equal(canvas[i], canvases_of_single(env))
            for _ in range(2):
                obs, _, done, _, info = env.step({"location": np.zeros(2), "label": 0})
            obs, info = env.reset()


def canvases_of_single(env: gym.Env) -> np.ndarray:
    episodes = env.unwrapped._episodes
    p, size = episodes.retina.pad, episodes.size
    return episodes.retina.canvases[0, p : p + size, p : p + size]


def test_single_env_has_no_group_size() -> None:
    with pytest.raises(TypeError, match="group_size"):
        gym.make("GlimpseMNIST-v0", group_size=2)


def test_catch_groups_share_the_ball() -> None:
    envs = gym.make_vec(ram_env.CATCH_ID, num_envs=8, group_size=4)
    envs.reset(seed=3)
    episodes = envs.unwrapped._episodes
    ball, direction = episodes.ball.reshape(2, 4, 2), episodes.direction.reshape(2, 4)
    assert (ball == ball[:, :1]).all() and (direction == direction[:, :1]).all()
    assert len({tuple(x) for x in episodes.path[:4, 0]}) == 4
    single = gym.make(ram_env.CATCH_ID)
    single.reset(seed=3 + 4)
    np.testing.assert_array_equal(single.unwrapped._episodes.ball[0], episodes.ball[4])


@pytest.mark.parametrize(
    ("kwargs", "options", "match"),
    [
        ({"num_envs": 6, "group_size": 4}, None, "multiple of group_size"),
        ({"num_envs": 4, "group_size": 0}, None, "group_size must be an integer >= 1"),
        ({"num_envs": 4, "group_size": 2}, {"reset_mask": np.array([True, False, False, False])}, "whole groups"),
        ({"num_envs": 4, "group_size": 2}, {"image_index": np.array([1, 2, 3, 3])}, "same for the 2 envs"),
    ],
)
def test_bad_groups_are_clear_errors(kwargs: dict, options: dict | None, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        envs = gym.make_vec("GlimpseMNIST-v0", **kwargs)
        envs.reset(seed=0)
        envs.reset(options=options)


def test_a_rejected_mask_changes_nothing() -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=4, group_size=2)
    envs.reset(seed=0)
    before = envs.unwrapped._episodes._episodes.copy()
    with pytest.raises(ValueError, match="whole groups"):
        envs.reset(options={"reset_mask": np.array([False, True, True, False])})
    np.testing.assert_array_equal(envs.unwrapped._episodes._episodes, before)
    envs.reset(options={"reset_mask": np.array([False, False, True, True])})
    assert envs.unwrapped._episodes._episodes.tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize("env_id", ["GlimpseClutteredMNIST-v0", ram_env.CATCH_ID])
def test_reset_option_location_sets_the_first_glimpse(env_id: str) -> None:
    envs = gym.make_vec(env_id, num_envs=3)
    plain, plain_info = envs.reset(seed=4)
    where = np.array([[0.5, -0.25], [0.0, 0.0], [-1.0, 1.0]])
    obs, info = envs.reset(seed=4, options={"location": where})
    np.testing.assert_array_equal(obs["location"], where.astype(np.float32))
    single = gym.make(env_id)
    single_obs, _ = single.reset(seed=5, options={"location": [0.0, 0.0]})
    np.testing.assert_array_equal(obs["glimpse"][1], single_obs["glimpse"])  # same episode, same place
    if "image_index" in info:
        np.testing.assert_array_equal(info["image_index"], plain_info["image_index"])  # nothing else moves
    obs, _ = envs.reset(seed=4, options={"location": (0.25, 0.5)})
    np.testing.assert_array_equal(obs["location"], np.tile(np.float32([0.25, 0.5]), (3, 1)))
    for bad in ([2.0, 0.0], [np.nan, 0.0], np.zeros((2, 2)), "centre"):
        with pytest.raises(ValueError, match="options\\['location'\\]"):
            envs.reset(options={"location": bad})
    with pytest.raises(ValueError, match="unknown reset options \\['where'\\]"):
        envs.reset(options={"where": 1})
