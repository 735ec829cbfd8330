"""GlimpseEnv: the Gymnasium API, the episode contract of docs/design.md, errors, rendering."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ram_env

N_GLIMPSES = {
    "GlimpseMNIST-v0": 6,
    "GlimpseTranslatedMNIST-v0": 8,
    "GlimpseClutteredMNIST-v0": 8,
    "GlimpseClutteredMNIST100-v0": 8,
}
RETINA = {
    "GlimpseMNIST-v0": (1, 8),
    "GlimpseTranslatedMNIST-v0": (3, 12),
    "GlimpseClutteredMNIST-v0": (3, 12),
    "GlimpseClutteredMNIST100-v0": (4, 12),
}


def action(x: float = 0.0, y: float = 0.0, label: int = 0) -> dict:
    return {"location": np.array([x, y], dtype=np.float32), "label": label}


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_check_env_passes_without_warnings(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_spaces_and_episode_length(env_id: str) -> None:
    env = gym.make(env_id)
    k, g = RETINA[env_id]
    assert env.observation_space["glimpse"].shape == (k, g, g)
    assert env.observation_space["location"].shape == (2,)
    assert env.action_space["label"].n == 10
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and set(info) == {"image_index"}
    for t in range(1, N_GLIMPSES[env_id] + 1):
        obs, reward, terminated, truncated, info = env.step(action(0.1 * t, -0.1 * t))
        assert obs in env.observation_space and not truncated
        assert terminated == (t == N_GLIMPSES[env_id])
        if not terminated:
            assert reward == 0.0 and set(info) == {"image_index"}
    assert set(info) == {"image_index", "label", "prediction", "is_correct"}


def test_reward_judges_the_last_label_only() -> None:
    env = gym.make("GlimpseMNIST-v0", split="test")
    true = int(ram_env.load_dataset().test.labels[123])
    wrong = (true + 1) % 10
    for final, expected in ((true, 1.0), (wrong, 0.0)):
        env.reset(seed=1, options={"image_index": 123})
        for _ in range(5):
            _, reward, terminated, _, _ = env.step(action(label=wrong if final == true else true))
            assert reward == 0.0 and not terminated
        _, reward, terminated, _, info = env.step(action(label=final))
        assert terminated and reward == expected
        assert info == {"image_index": 123, "label": true, "prediction": final, "is_correct": expected == 1.0}


def test_observation_is_the_glimpse_at_the_chosen_location() -> None:
    env = gym.make("GlimpseMNIST-v0", split="test", start="center")
    obs, _ = env.reset(options={"image_index": 5})
    image = ram_env.load_dataset().test.images[5]
    np.testing.assert_array_equal(obs["location"], [0, 0])
    np.testing.assert_allclose(obs["glimpse"][0] * 255, image[10:18, 10:18], atol=1e-4)
    obs, *_ = env.step(action(-0.5, 0.5))  # centre pixel point (7, 21): rows 17-24, columns 3-10
    np.testing.assert_array_equal(obs["location"], [-0.5, 0.5])
    np.testing.assert_allclose(obs["glimpse"][0] * 255, image[17:25, 3:11], atol=1e-4)
    obs, *_ = env.step(action(3.0, -9.0))  # clipped to (1, -1)
    np.testing.assert_array_equal(obs["location"], [1, -1])


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"location": [np.nan, 0.0], "label": 0}, r"action\['location'\] must be finite"),
        ({"location": [0.0, np.inf], "label": 0}, r"action\['location'\] must be finite"),
        ({"location": [0.0, 0.0, 0.0], "label": 0}, r"action\['location'\] must have shape \(2,\)"),
        ({"location": "centre", "label": 0}, r"action\['location'\] must be real numbers"),
        ({"location": [0.0, 0.0], "label": 10}, r"action\[.label.\] must be an integer in \[0, 10\)"),
        ({"location": [0.0, 0.0], "label": -1}, r"action\[.label.\] must be an integer in"),
        ({"location": [0.0, 0.0], "label": 2.5}, r"action\[.label.\] must be an integer in"),
        ({"location": [0.0, 0.0], "label": [1, 2]}, r"action\['label'\] must have shape \(\)"),
        ({"location": [0.0, 0.0]}, r"action must be a dict with keys 'location'.*'label'"),
        ([0.0, 0.0, 3], r"action must be a dict"),
    ],
)
def test_bad_actions_raise_naming_the_field(bad: object, field: str) -> None:
    env = gym.make("GlimpseMNIST-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=field):
        env.step(bad)


def test_step_outside_an_episode_raises() -> None:
    env = ram_env.GlimpseEnv()
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(action())
    env.reset(seed=0)
    for _ in range(6):
        env.step(action())
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(action())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"split": "validation"}, "split must be one of"),
        ({"start": "middle"}, "start must be one of"),
        ({"n_glimpses": 0}, "n_glimpses must be an integer >= 1"),
        ({"glimpse_size": 2.5}, "glimpse_size must be an integer"),
        ({"canvas_size": 20}, "canvas_size 20 is smaller than the 28x28 images"),
        ({"clutter_size": 40, "canvas_size": 60, "n_clutter": 2}, "clutter_size 40 is larger than the 28x28 images"),
        ({"render_mode": "ansi"}, "render_mode must be one of"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ram_env.GlimpseEnv(**kwargs)


def test_bad_image_index_option() -> None:
    env = gym.make("GlimpseMNIST-v0", split="valid")
    with pytest.raises(ValueError, match=r"image_index'\] must be in \[0, 5000\)"):
        env.reset(options={"image_index": 5000})
    with pytest.raises(ValueError, match="must be an integer"):
        env.reset(options={"image_index": 1.5})


def test_overrides_reach_the_env() -> None:
    env = gym.make("GlimpseMNIST-v0", n_glimpses=7, glimpse_size=6, n_scales=2)
    assert env.observation_space["glimpse"].shape == (2, 6, 6)
    env.reset(seed=0)
    terminations = [env.step(action())[2] for _ in range(7)]
    assert terminations == [False] * 6 + [True]


def test_data_dir_override(synthetic_dir) -> None:
    env = gym.make("GlimpseMNIST-v0", data_dir=synthetic_dir, split="test", start="center")
    obs, info = env.reset(options={"image_index": 29})
    image = ram_env.load_dataset(synthetic_dir).test.images[29]
    np.testing.assert_allclose(obs["glimpse"][0] * 255, image[10:18, 10:18], atol=1e-4)
    with pytest.raises(ValueError, match=r"in \[0, 30\)"):
        env.reset(options={"image_index": 30})


def test_same_seed_same_episodes() -> None:
    def play(seed: int) -> list:
        env = gym.make("GlimpseClutteredMNIST-v0")
        out = [env.reset(seed=seed)]
        for t in range(20):
            step = env.step(action(np.sin(t), np.cos(t), t % 10))
            out.append(step)
            if step[2]:
                out.append(env.reset())
        return out

    first, again, other = play(3), play(3), play(4)
    assert repr(first) == repr(again)
    assert repr(first) != repr(other)


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_render_rgb_array(env_id: str) -> None:
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    env.step(action(0.5, 0.5))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and min(frame.shape[:2]) >= 280
    assert not np.array_equal(first, frame)  # the path and the squares moved
    assert (frame[..., 1] > frame[..., 0]).any()  # the green square of scale 0


def test_render_human_without_display() -> None:
    """Render mode "human" shows, in a window named after the env, at every reset and step, the frame that
    "rgb_array" returns."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    human = gym.make("GlimpseMNIST-v0", render_mode="human")
    pictures = gym.make("GlimpseMNIST-v0", render_mode="rgb_array")
    for env in (human, pictures):
        env.reset(seed=0)
    assert "GlimpseEnv" in plt.get_figlabels()
    shown = plt.figure("GlimpseEnv").axes[0].images[0]
    np.testing.assert_array_equal(shown.get_array(), pictures.render())
    for env in (human, pictures):
        env.step(action(0.5, 0.5))
    np.testing.assert_array_equal(shown.get_array(), pictures.render())  # the step showed its frame
    assert human.render() is None
    human.close()
    assert "GlimpseEnv" not in plt.get_figlabels()
    pictures.close()


def test_random_agent_scores_chance_on_every_task() -> None:
    for env_id in ram_env.ENV_IDS:
        envs = gym.make_vec(env_id, num_envs=1000)
        envs.reset(seed=0)
        envs.action_space.seed(0)
        correct = []
        for _ in range(2 * N_GLIMPSES[env_id]):
            _, reward, terminated, _, _ = envs.step(envs.action_space.sample())
            correct.extend(reward[terminated])
        assert len(correct) == 2000
        assert 0.07 < np.mean(correct) < 0.13, env_id


def test_ram_env_needs_no_torch() -> None:
    import subprocess
    import sys

    code = "import sys, gymnasium as gym, ram_env; gym.make_vec('GlimpseCatch-v0', num_envs=2).reset(seed=0); "
    code += "import ram_env.wrappers; print(sorted(m for m in ('torch', 'stable_baselines3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("env_id", "sizes"),
    [
        ("GlimpseMNIST-v0", {"train": 55_000, "valid": 5_000, "test": 10_000}),
        ("GlimpseClutteredMNIST100-v0", {"train": 55_000, "valid": 5_000, "test": 10_000}),
        ("GlimpseCatch-v0", {"train": 50_000, "valid": 5_000, "test": 10_000}),
    ],
)
def test_envs_report_their_split_sizes(env_id: str, sizes: dict[str, int]) -> None:
    env, envs = gym.make(env_id), gym.make_vec(env_id, num_envs=2)
    assert env.unwrapped.split_sizes() == sizes == envs.unwrapped.split_sizes()


def test_an_image_source_reports_its_own_split_sizes() -> None:
    images = np.zeros((30, 8, 8), np.uint8)
    source = {
        "train_images": images,
        "train_labels": np.arange(30) % 3,
        "test_images": images[:7],
        "test_labels": np.arange(7) % 3,
    }
    env = gym.make("GlimpseImages-v0", source=source, valid_fraction=0.2, glimpse_size=4, n_scales=1)
    assert env.unwrapped.split_sizes() == {"train": 24, "valid": 6, "test": 7}
