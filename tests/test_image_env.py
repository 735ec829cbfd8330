"""GlimpseImages-v0: the MNIST tasks' contract over colour images of any size."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from image_data import N_CLASSES, own_images, shape_arrays

import ram_env

SOURCE = shape_arrays(60, size=32)


def test_glimpse_is_scale_major_over_every_channel() -> None:
    images, labels = SOURCE
    env = gym.make(ram_env.IMAGES_ID, source=SOURCE, split="test", n_scales=3, glimpse_size=6)
    assert env.observation_space["glimpse"].shape == (9, 6, 6) and env.action_space["label"].n == N_CLASSES
    location = np.array([0.3, -0.2], np.float32)
    obs, info = env.reset(seed=0, options={"image_index": 2, "location": location})
    image = images[env.unwrapped.data.test.rows[info["image_index"]]]  # canvas 32 = image: no translation
    per_channel = [ram_env.glimpse(image[None, :, :, c], location[None], 6, 3)[0] for c in range(3)]  # (k, g, g)
    expected = np.stack(per_channel, axis=1).reshape(9, 6, 6)  # scale 0's R, G, B, then scale 1's, ...
    np.testing.assert_array_equal(obs["glimpse"], expected)


def test_vector_sub_env_plays_the_single_env_with_seed_plus_i() -> None:
    kwargs = dict(source=SOURCE, canvas_size=48, n_clutter=2, clutter_size=6)
    envs = gym.make_vec(ram_env.IMAGES_ID, num_envs=3, **kwargs)
    obs, _ = envs.reset(seed=5)
    single = gym.make(ram_env.IMAGES_ID, **kwargs)
    for i in range(3):
        np.testing.assert_array_equal(single.reset(seed=5 + i)[0]["glimpse"], obs["glimpse"][i])


def test_test_canvases_are_fixed_and_train_canvases_vary() -> None:
    kwargs = dict(source=SOURCE, canvas_size=56, n_clutter=3, clutter_size=8)
    options = {"image_index": 1, "location": (0.0, 0.0)}
    test = [gym.make(ram_env.IMAGES_ID, split="test", **kwargs).reset(seed=s, options=options)[0] for s in (0, 1)]
    np.testing.assert_array_equal(test[0]["glimpse"], test[1]["glimpse"])
    train = [gym.make(ram_env.IMAGES_ID, **kwargs).reset(seed=s, options=options)[0] for s in (0, 1)]
    assert not np.array_equal(train[0]["glimpse"], train[1]["glimpse"])


def test_episode_reward_and_colour_render() -> None:
    env = gym.make(ram_env.IMAGES_ID, source=SOURCE, n_glimpses=2, canvas_size=40, render_mode="rgb_array")
    env.reset(seed=0)
    obs, reward, done, _, info = env.step({"location": np.zeros(2, np.float32), "label": 0})
    assert not done
    obs, reward, done, _, info = env.step({"location": np.zeros(2, np.float32), "label": 1})
    assert done and reward == float(info["label"] == 1) and "image_index" in info
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and (frame[..., 0] != frame[..., 2]).any()


def test_bad_settings_name_the_argument() -> None:
    with pytest.raises(ValueError, match="canvas_size 20 is smaller"):
        gym.make(ram_env.IMAGES_ID, source=SOURCE, canvas_size=20)
    with pytest.raises(ValueError, match="n_scales"):
        gym.make(ram_env.IMAGES_ID, source=SOURCE, n_scales=9)
    with pytest.raises(TypeError, match="source"):
        gym.make(ram_env.IMAGES_ID)


@pytest.mark.slow
def test_reinforce_learns_coloured_shapes_and_its_locations_beat_random_ones() -> None:
    """examples/own_images.py: 2,000 coloured discs and squares (4 classes: chance 75% error) at random places
    on a 48x48 canvas, 4 glimpses from the centre: a short REINFORCE run is far above chance, and the same
    networks with uniformly random locations are clearly worse, measured on the 1,600 training images (the 200
    test images are too few to tell locations apart; figures: docs/results.md, "Your own images")."""
    agent = own_images.train(shape_arrays(2000, size=32, shape_side=10), epochs=60)
    test_error, _ = own_images.errors(agent, "test")
    assert test_error <= 0.45, test_error
    learned, random_locations = own_images.errors(agent, "train")
    assert random_locations - learned >= 0.05, (learned, random_locations)
