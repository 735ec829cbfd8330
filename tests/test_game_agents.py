"""Agents on the game of Catch (REINFORCE and RecurrentPPO, reward only, a move at every step), and evaluation and
pictures of games."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import agents
from agents.evaluation import GAME_SPLITS, reset_arguments
from agents.pictures import save_glimpse_pictures
from agents.reinforce import advantages, hybrid_loss
from ram_env.catch import CatchTask

SMALL_CATCH = {"screen_size": 10, "glimpse_size": 4, "n_scales": 2}  # 9 steps; a random paddle catches ~20%


def small_catch_agent(**config: object) -> agents.ReinforceRAM:
    settings = {
        "core": "lstm",
        "batch_size": 128,
        "epochs": 100,
        "warmup_epochs": 0.0,
        "learning_rate": 1e-3,
        "hidden_size": 64,
        "glimpse_hidden": 32,
        "location_hidden": 32,
        "entropy_coef": 0.01,
        "valid_size": 1000,
        **config,
    }
    return agents.ReinforceRAM("GlimpseCatch-v0", agents.ReinforceConfig(**settings), env_kwargs=SMALL_CATCH)


class Stay:
    """Never moves the paddle and always looks at the centre."""

    def predict(self, observation, state=None, episode_start=None, deterministic=False):  # noqa: ANN001, ANN201
        batch = np.shape(observation["location"])[:-1]  # () for a single observation
        return {"location": np.zeros((*batch, 2), np.float32), "move": np.ones(batch, dtype=np.int64)}, state


def test_rollout_samples_a_move_every_step() -> None:
    agent = small_catch_agent()
    assert agent.action_key == "move" and agent.n_glimpses == 9 and agent.n_actions == 3
    envs = gym.make_vec("GlimpseCatch-v0", num_envs=32, **SMALL_CATCH)
    obs, _ = envs.reset(seed=0)
    episodes = agent.rollout(envs, obs)
    assert episodes.log_prob.shape == (32, 9) and episodes.baseline.shape == (32, 9)
    assert episodes.entropy.shape == (32, 9) and episodes.logits is None and episodes.label is None
    # A fresh policy is close to uniform over the three moves.
    assert float(episodes.entropy.mean().detach()) == pytest.approx(np.log(3), abs=0.05)
    assert set(np.unique(episodes.reward.numpy())) <= {0.0, 1.0}
    losses = hybrid_loss(episodes, entropy_coef=0.5)
    assert set(losses) == {"loss", "reinforce", "baseline_mse", "entropy"}
    expected = losses["reinforce"] + losses["baseline_mse"] - 0.5 * losses["entropy"]
    assert losses["loss"].item() == pytest.approx(expected.item())
    # REINFORCE through the moves, and the baseline, reach the core (there is no supervised loss in a game).
    for part in ("reinforce", "baseline_mse"):
        agent.model.zero_grad()
        losses[part].backward(retain_graph=True)
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in agent.model.core.parameters()), part


def test_predict_returns_moves() -> None:
    agent = small_catch_agent()
    envs = gym.make_vec("GlimpseCatch-v0", num_envs=500, **SMALL_CATCH)
    obs, _ = envs.reset(seed=1)
    action, state = agent.predict(obs, deterministic=True)
    assert set(action) == {"location", "move"} and envs.action_space.contains(action)
    again, _ = agent.predict(obs, deterministic=True)
    np.testing.assert_array_equal(action["move"], again["move"])
    sampled, _ = agent.predict(obs, deterministic=False)
    assert set(np.unique(sampled["move"])) == {0, 1, 2}  # near-uniform policy: all three moves drawn
    single, _ = agent.predict({k: v[0] for k, v in obs.items()}, deterministic=True)
    assert np.ndim(single["move"]) == 0 and single["move"] == action["move"][0]


def test_evaluate_plays_fixed_games_per_split() -> None:
    """Game i of a split is a single env reset with that split's seed i (test: seed i); valid and test are
    disjoint sets of games."""
    n = 300
    index = np.arange(n)
    test_seeds = reset_arguments("GlimpseCatch-v0", "test", 0, index)["seed"]
    valid_seeds = reset_arguments("GlimpseCatch-v0", "valid", 0, index)["seed"]
    assert test_seeds == list(range(n)) and set(test_seeds).isdisjoint(valid_seeds)
    env = gym.make("GlimpseCatch-v0")

    def stay_catches(seeds: list[int]) -> int:
        caught = 0
        for s in seeds:
            env.reset(seed=s)
            terminated, reward = False, 0.0
            while not terminated:
                _, reward, terminated, _, _ = env.step({"location": np.zeros(2, np.float32), "move": 1})
            caught += int(reward)
        return caught

    result = agents.evaluate(Stay(), "GlimpseCatch-v0", split="test", n_episodes=n, batch_size=128)
    assert set(result) == {"error", "n_episodes", "n_correct"} and result["n_episodes"] == n
    caught = stay_catches(test_seeds)
    assert result["n_correct"] == caught
    # A paddle that stays covers 2 of 24 landing columns: about 8%.
    assert 0.03 < caught / n < 0.15
    valid = agents.evaluate(Stay(), "GlimpseCatch-v0", split="valid", n_episodes=n)
    assert valid["n_correct"] == stay_catches(valid_seeds)
    random = agents.evaluate(agents.RandomLocations(Stay()), "GlimpseCatch-v0", n_episodes=n)
    assert random["n_correct"] == caught  # where it looks does not move the paddle
    with pytest.raises(ValueError, match=f"n_episodes must be an integer in \\[1, {GAME_SPLITS['test']}\\]"):
        agents.evaluate(Stay(), "GlimpseCatch-v0", n_episodes=GAME_SPLITS["test"] + 1)
    with pytest.raises(ValueError, match="split must be one of"):
        agents.evaluate(Stay(), "GlimpseCatch-v0", split="holdout")


def test_pictures_of_games(tmp_path: Path) -> None:
    png, gif = save_glimpse_pictures(Stay(), "GlimpseCatch-v0", tmp_path, n_images=2)
    from PIL import Image

    with Image.open(gif) as picture:
        assert picture.n_frames == CatchTask().n_steps  # one frame per glimpse
    assert png.stat().st_size > 0


@pytest.mark.slow
def test_reinforce_learns_catch_from_the_reward(tmp_path: Path) -> None:
    """One epoch (50,000 games) of the 10x10 game, keeping a run directory: the catch rate rises
    well above the untrained policy's (measured: error 0.80 untrained, 0.55 after)."""
    agent = small_catch_agent()
    before = agents.evaluate(agent, "GlimpseCatch-v0", split="valid", n_episodes=1000, **SMALL_CATCH)["error"]
    callback = agents.RunDirectoryCallback(tmp_path / "run")
    agent.learn(total_timesteps=agent.timesteps_per_epoch(), callback=callback)
    assert agent.epoch == 1 and len(agent.history) == 1
    after = agents.evaluate(agent, "GlimpseCatch-v0", split="valid", n_episodes=1000, **SMALL_CATCH)["error"]
    assert before > 0.75
    assert after < 0.68
    assert "entropy" in agent.history[0] and "cross_entropy" not in agent.history[0]
    best = agents.load(callback.best)
    assert best.action_key == "move" and best.env_kwargs == SMALL_CATCH


def test_advantages_by_hand() -> None:
    reward = torch.tensor([1.0, 0.0])
    baseline = torch.tensor([[0.5, 0.25], [0.5, 0.75]])
    # lambda = 1: REINFORCE, reward - b_t.
    torch.testing.assert_close(advantages(reward, baseline), torch.tensor([[0.5, 0.75], [-0.5, -0.75]]))
    # lambda = 0: one-step differences b_(t+1) - b_t, the reward after the last step.
    torch.testing.assert_close(advantages(reward, baseline, 0.0), torch.tensor([[-0.25, 0.75], [0.25, -0.75]]))
    # lambda = 0.5: delta_t + 0.5 * advantage_(t+1).
    torch.testing.assert_close(
        advantages(reward, baseline, 0.5), torch.tensor([[-0.25 + 0.375, 0.75], [0.25 - 0.375, -0.75]])
    )
    with pytest.raises(ValueError, match="gae_lambda must be in \\[0, 1\\]"):
        agents.ReinforceConfig(gae_lambda=1.5)


@pytest.mark.slow
def test_recurrent_ppo_learns_catch_from_the_reward() -> None:
    """RecurrentPPO (sb3-contrib, unchanged) on the 10x10 game, 150k env steps: the
    catch rate rises far above the untrained policy's (measured: error 0.90 untrained, 0.15 after)."""
    torch.set_num_threads(1)
    policy_kwargs = {
        "lstm_hidden_size": 64,
        "shared_lstm": True,
        "enable_critic_lstm": False,
        "features_extractor_kwargs": {"glimpse_hidden": 32, "location_hidden": 32, "features_dim": 64},
    }
    hyperparams = {"n_steps": 9, "batch_size": 576, "n_epochs": 4, "learning_rate": 1e-3, "gamma": 1.0,
                   "ent_coef": 0.003, "policy_kwargs": policy_kwargs}  # fmt: skip
    agent = agents.SB3Agent("recurrent_ppo", "GlimpseCatch-v0", num_envs=256, grid_size=5, env_kwargs=SMALL_CATCH,
                            hyperparams=hyperparams)  # fmt: skip
    before = agents.evaluate(agent, "GlimpseCatch-v0", split="valid", n_episodes=1000, **SMALL_CATCH)["error"]
    agent.learn(150_000)
    after = agents.evaluate(agent, "GlimpseCatch-v0", split="valid", n_episodes=1000, **SMALL_CATCH)["error"]
    assert before > 0.75
    assert after < 0.4


def test_learning_curves_plot_the_validation_records(tmp_path: Path) -> None:
    from PIL import Image

    from agents.pictures import save_learning_curves

    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps({"timesteps": 1000 * k, "valid_error": 0.5 / k}) + "\n" for k in (1, 2, 3)))
    png = save_learning_curves(metrics, tmp_path / "pictures" / "curves.png", "GlimpseCatch-v0")
    with Image.open(png) as picture:
        assert picture.size == (770, 440)  # 7x4 inches at 110 dpi
        pixels = np.asarray(picture.convert("RGB"))
    assert (np.abs(pixels.astype(int) - [214, 39, 40]).sum(axis=-1) < 30).any()  # the red mark of the lowest error
    metrics.write_text(json.dumps({"timesteps": 10, "loss": 1.0}) + "\n")
    with pytest.raises(ValueError, match="no validation record"):
        save_learning_curves(metrics, tmp_path / "x.png")
