"""Write the tiny checkpoints of tests/test_checkpoint_compat.py and the predictions they must keep making.

    PYTHONPATH=. python tests/data/make_compat_checkpoints.py

was run once with the code of commit a11fd3d (before issue 17's restructuring); rerunning it with later
code would overwrite what the test guards, so run it only to record a new checkpoint format on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import agents

HERE = Path(__file__).parent
N_EPISODES = 32  # test images whose predictions are recorded


def record(agent: Any) -> dict[str, list]:
    """What the agent makes of the first test images: its deterministic predictions over whole episodes
    (``predictions``, ``(N_EPISODES,)`` classes), and its first deterministic action on the first glimpses of
    8 of them (``first_location``, ``(8, 2)`` location units, and ``first_label``, ``(8,)``)."""
    result = agents.evaluate(agent, agent.env_id, split="test", n_episodes=N_EPISODES, **agent.env_kwargs)
    envs = gym.make_vec(agent.env_id, num_envs=8, split="test", **agent.env_kwargs)
    obs, _ = envs.reset(seed=0, options={"image_index": np.arange(8)})
    action, _ = agent.predict(obs, None, np.ones(8, dtype=bool), deterministic=True)
    envs.close()
    return {
        "predictions": result["predictions"].tolist(),
        "first_location": action["location"].tolist(),
        "first_label": action["label"].tolist(),
    }


def main() -> None:
    config = agents.ReinforceConfig(
        glimpse_hidden=16,
        location_hidden=16,
        hidden_size=32,
        batch_size=64,
        epochs=1,
        learning_rate=1e-2,
        warmup_epochs=0.0,
    )
    reinforce = agents.ReinforceRAM("GlimpseMNIST-v0", config, env_kwargs={"n_glimpses": 3})
    reinforce.learn(total_timesteps=5 * 64 * 3)  # 5 updates
    reinforce.save(HERE / "reinforce_mnist.pt")
    ppo = agents.SB3Agent(
        "ppo",
        "GlimpseMNIST-v0",
        num_envs=8,
        env_kwargs={"n_glimpses": 3},
        hyperparams={
            "n_steps": 6,
            "batch_size": 48,
            "n_epochs": 1,
            "policy_kwargs": {
                "net_arch": [16],
                "features_extractor_kwargs": {"glimpse_hidden": 16, "location_hidden": 16, "features_dim": 32},
            },
        },
    )
    ppo.learn(2 * 48)
    ppo.save(HERE / "ppo_mnist.pt")
    expected = {"reinforce_mnist.pt": record(reinforce), "ppo_mnist.pt": record(ppo)}
    (HERE / "compat_predictions.json").write_text(json.dumps(expected) + "\n")


if __name__ == "__main__":
    main()
