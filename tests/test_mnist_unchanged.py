"""The colour-capable core leaves the grayscale MNIST tasks byte-identical: hashes of seeded episodes
(glimpses, infos, rewards, a rendered frame, vector and grouped episodes, valid/test canvases) of every
MNIST id, recorded before the change (branch env-structure, commit 490793e)."""

from __future__ import annotations

import hashlib

import gymnasium as gym
import numpy as np
import pytest

import ram_env

BEFORE = {
    "GlimpseMNIST-v0": "328fa51bf9d312b9",
    "GlimpseTranslatedMNIST-v0": "58cd7ddc34414238",
    "GlimpseClutteredMNIST-v0": "d35f9a64619a4527",
    "GlimpseClutteredMNIST100-v0": "d359bb6ea5d7e6df",
}


def episodes_digest(env_id: str) -> str:
    """A hash of three single-env episodes with random actions and a render, ten grouped vector steps,
    and the first glimpse of image 3 of valid and test."""
    h = hashlib.sha256()
    env = gym.make(env_id, render_mode="rgb_array")
    rng = np.random.default_rng(0)
    for episode in range(3):
        obs, info = env.reset(seed=episode)
        h.update(obs["glimpse"].tobytes())
        h.update(obs["location"].tobytes())
        h.update(str(info).encode())
        done = False
        while not done:
            action = {"location": rng.uniform(-1, 1, 2).astype(np.float32), "label": int(rng.integers(10))}
            obs, reward, done, _, info = env.step(action)
            h.update(obs["glimpse"].tobytes())
            h.update(str((reward, info)).encode())
        h.update(env.render().tobytes())
    envs = gym.make_vec(env_id, num_envs=4, group_size=2)
    obs, _ = envs.reset(seed=7)
    h.update(obs["glimpse"].tobytes())
    for _ in range(10):
        actions = {"location": rng.uniform(-1, 1, (4, 2)).astype(np.float32), "label": rng.integers(10, size=4)}
        obs, reward, *_ = envs.step(actions)
        h.update(obs["glimpse"].tobytes())
        h.update(reward.tobytes())
    for split in ("valid", "test"):
        obs, _ = gym.make(env_id, split=split).reset(seed=1, options={"image_index": 3})
        h.update(obs["glimpse"].tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_mnist_episodes_unchanged(env_id: str) -> None:
    assert episodes_digest(env_id) == BEFORE[env_id]
