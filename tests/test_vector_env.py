"""GlimpseVectorEnv: native batching, equivalence with single envs, autoreset, reset options."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import ram_env


def random_actions(n: int, steps: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {"location": rng.uniform(-1.2, 1.2, (n, 2)).astype(np.float32), "label": rng.integers(0, 10, n)}
        for _ in range(steps)
    ]


def assert_same(a: object, b: object) -> None:
    """Equal values, types and dtypes, through nested dicts (key order aside) and tuples."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (sorted(a), sorted(b))
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
        np.testing.assert_array_equal(a, b)


def test_make_vec_gives_the_native_env() -> None:
    envs = gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=3, n_glimpses=4)
    assert isinstance(envs, ram_env.GlimpseVectorEnv)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert envs.observation_space["glimpse"].shape == (3, 3, 12, 12)
    assert envs.action_space["label"].shape == (3,)
    assert envs.task.n_glimpses == 4


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_same_glimpses_and_rewards_as_single_envs(env_id: str) -> None:
    n = 5
    envs = gym.make_vec(env_id, num_envs=n)
    singles = [gym.make(env_id) for _ in range(n)]
    n_glimpses = envs.task.n_glimpses
    obs, info = envs.reset(seed=11)
    single_obs = [env.reset(seed=11 + i) for i, env in enumerate(singles)]
    for i, (o, inf) in enumerate(single_obs):
        np.testing.assert_array_equal(obs["glimpse"][i], o["glimpse"])
        np.testing.assert_array_equal(obs["location"][i], o["location"])
        assert info["image_index"][i] == inf["image_index"]
    for t, act in enumerate(random_actions(n, 2 * n_glimpses + 1, 0)):
        obs, reward, terminated, truncated, info = envs.step(act)
        assert not truncated.any()
        for i, env in enumerate(singles):
            o, r, term, _, inf = env.step({"location": act["location"][i], "label": act["label"][i]})
            assert (r, term) == (reward[i], terminated[i])
            if term:
                np.testing.assert_array_equal(info["final_obs"]["glimpse"][i], o["glimpse"])
                for key in ("image_index", "label", "prediction", "is_correct"):
                    assert info["final_info"][key][i] == inf[key] and info["final_info"]["_" + key][i]
                o, inf = env.reset()
            np.testing.assert_array_equal(obs["glimpse"][i], o["glimpse"])
            np.testing.assert_array_equal(obs["location"][i], o["location"])
            assert info["image_index"][i] == inf["image_index"]
        assert terminated.all() == ((t + 1) % n_glimpses == 0)


def test_matches_gymnasium_sync_vector_env() -> None:
    native = gym.make_vec("GlimpseTranslatedMNIST-v0", num_envs=4, n_glimpses=3)
    sync = gym.make_vec(
        "GlimpseTranslatedMNIST-v0",
        num_envs=4,
        n_glimpses=3,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
    )
    assert_same(native.reset(seed=5), sync.reset(seed=5))
    for act in random_actions(4, 7, 1):
        out_native, out_sync = native.step(act), sync.step(act)
        assert_same(out_native[:4], out_sync[:4])
        info_native, info_sync = out_native[4], out_sync[4]
        if "final_obs" in info_sync:  # Sync keeps an object array of per-env dicts; native batches them
            final_sync = info_sync.pop("final_obs")
            final_native = info_native.pop("final_obs")
            for key in ("glimpse", "location"):
                assert_same(final_native[key], np.stack([obs[key] for obs in final_sync]))
        assert_same(info_native, info_sync)


def test_reset_options() -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=3, split="test", start="center")
    obs, info = envs.reset(seed=0, options={"image_index": np.array([7, 8, 9])})
    np.testing.assert_array_equal(info["image_index"], [7, 8, 9])
    np.testing.assert_array_equal(obs["location"], 0.0)
    obs, info = envs.reset(options={"image_index": 4})
    np.testing.assert_array_equal(info["image_index"], [4, 4, 4])
    mask = np.array([False, True, False])
    before = obs["glimpse"].copy()
    obs, info = envs.reset(options={"image_index": np.array([0, 1, 2]), "reset_mask": mask})
    np.testing.assert_array_equal(info["_image_index"], mask)
    assert info["image_index"][1] == 1
    np.testing.assert_array_equal(obs["glimpse"][[0, 2]], before[[0, 2]])
    assert not np.array_equal(obs["glimpse"][1], before[1])
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.zeros(3, dtype=bool)})
    with pytest.raises(ValueError, match="image_index"):
        envs.reset(options={"image_index": np.array([1, 2])})
    with pytest.raises(ValueError, match=r"seed must be None or an integer in \[0, 2\*\*64\), or a list of 3 of them"):
        envs.reset(seed=[1, 2])


def test_partial_reset_then_partial_autoreset() -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=3, n_glimpses=2)
    envs.reset(seed=0)
    envs.step(random_actions(3, 1, 0)[0])
    envs.reset(options={"reset_mask": np.array([True, False, False])})  # env 0 is now a step behind
    _, _, terminated, _, info = envs.step(random_actions(3, 1, 1)[0])
    np.testing.assert_array_equal(terminated, [False, True, True])
    np.testing.assert_array_equal(info["_final_info"], [False, True, True])
    _, _, terminated, _, _ = envs.step(random_actions(3, 1, 2)[0])
    np.testing.assert_array_equal(terminated, [True, False, False])


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"location": np.zeros((4, 2)), "label": np.zeros(4, int)}, r"action\['location'\] must have shape \(3, 2\)"),
        ({"location": np.zeros((3, 2)), "label": np.zeros(2, int)}, r"action\['label'\] must have shape \(3,\)"),
        ({"location": np.full((3, 2), np.nan), "label": np.zeros(3, int)}, r"action\['location'\] must be finite"),
        ({"location": np.zeros((3, 2)), "label": np.array([0, 1, 12])}, r"action\['label'\] must be an integer"),
    ],
)
def test_bad_batched_actions(bad: dict, message: str) -> None:
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=3)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        envs.step(bad)


def test_training_canvases_are_fresh_every_episode() -> None:
    envs = gym.make_vec("GlimpseTranslatedMNIST-v0", num_envs=2, start="center", glimpse_size=60, n_scales=1)
    first, _ = envs.reset(seed=0, options={"image_index": 3})
    second, _ = envs.reset(options={"image_index": 3})
    assert not np.array_equal(first["glimpse"][0], second["glimpse"][0])  # same digit, new position
    assert not np.array_equal(first["glimpse"][0], first["glimpse"][1])


CANVAS_DIGEST = """
import hashlib, sys
import gymnasium as gym
import numpy as np
import ram_env
env_id, seed = sys.argv[1], int(sys.argv[2])
size = gym.spec(env_id).kwargs["canvas_size"]
envs = gym.make_vec(env_id, num_envs=4, split="test", start="center", glimpse_size=size, n_scales=1)
obs, _ = envs.reset(seed=seed, options={"image_index": np.array([0, 17, 4242, 9999])})
print(hashlib.sha256(np.ascontiguousarray(obs["glimpse"]).tobytes()).hexdigest())
"""
# sha256 of the four test canvases above: a change here changes every published test score.
KNOWN_DIGESTS = {
    "GlimpseTranslatedMNIST-v0": "1e9a51d246b08c8ffed6b8bad115531f5ce00643b12102529fc4bddc36d9e64c",
    "GlimpseClutteredMNIST-v0": "2a7c51715ba9355a5a8fe68e64da77eb4fe7eddd2c555b5f4138d1ce121d7dae",
    "GlimpseClutteredMNIST100-v0": "48b0131ae8b0c489f7cf444ae4f92c2a0649c74e3ccd3df1037dbda768f5c903",
}


@pytest.mark.parametrize("env_id", list(KNOWN_DIGESTS))
def test_test_canvases_are_fixed_across_processes(env_id: str) -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", CANVAS_DIGEST, env_id, str(seed)], check=True, capture_output=True, text=True
        ).stdout.strip()
        for seed in (0, 99)
    }
    assert len(digests) == 1
    assert digests == {KNOWN_DIGESTS[env_id]}
