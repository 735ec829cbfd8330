"""stable-baselines3 plumbing: grid actions, the native VecEnv against DummyVecEnv, SB3's checker, PPO."""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.vec_env import DummyVecEnv

import ram_env
from agents.checkpoints import read_checkpoint
from agents.evaluation import evaluate
from agents.sb3.agent import SB3Agent, schedule
from agents.sb3.extractor import GlimpseFeaturesExtractor
from agents.sb3.training import SB3RunDirectoryCallback
from agents.sb3.vec_env import NativeVecEnv, make_sb3_vec_env
from ram_env.wrappers import GridActions, GridActionsVector, grid_to_dict

# SB3's checker calls any 3-d Box an image; the glimpse is a float32 retina patch by design (docs/design.md)
# and GlimpseFeaturesExtractor reads it, so these heuristics do not apply.
IMAGE_HEURISTICS = ("is an image but its `dtype`", "is an image but the upper and lower bounds", "minimal resolution")


def test_grid_to_dict() -> None:
    action = grid_to_dict(np.array([0, 6, 3]), grid_size=7, n_classes=10)
    np.testing.assert_array_equal(action["location"], [-1.0, 1.0])
    assert action["location"].dtype == np.float32 and action["label"] == 3
    batch = grid_to_dict(np.array([[3, 3, 0], [1, 5, 9]]), 7, 10, (2,))
    np.testing.assert_allclose(batch["location"], [[0, 0], [-2 / 3, 2 / 3]], atol=1e-6)
    np.testing.assert_array_equal(batch["label"], [0, 9])


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([7, 0, 0]), "column out of range"),
        (np.array([0, -1, 0]), "row out of range"),
        (np.array([0, 0, 10]), "label out of range"),
        (np.array([0.5, 0, 0]), "must be integers of shape"),
        (np.array([0, 0]), "must be integers of shape"),
    ],
)
def test_bad_grid_actions(bad: np.ndarray, message: str) -> None:
    env = GridActions(gym.make("GlimpseMNIST-v0"))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(bad)


def test_bad_grid_size() -> None:
    with pytest.raises(ValueError, match="grid_size must be an integer >= 2"):
        GridActions(gym.make("GlimpseMNIST-v0"), grid_size=1)


@pytest.mark.parametrize("env_id", ram_env.ENV_IDS)
def test_sb3_check_env_passes(env_id: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(GridActions(gym.make(env_id).unwrapped))
    others = [str(w.message) for w in caught if not any(h in str(w.message) for h in IMAGE_HEURISTICS)]
    assert others == []


def test_native_vec_env_matches_dummy_vec_env() -> None:
    n = 4
    native = make_sb3_vec_env("GlimpseClutteredMNIST-v0", n, n_glimpses=3)
    dummy = DummyVecEnv([lambda: GridActions(gym.make("GlimpseClutteredMNIST-v0", n_glimpses=3)) for _ in range(n)])
    native.seed(21)
    dummy.seed(21)
    obs_native, obs_dummy = native.reset(), dummy.reset()
    rng = np.random.default_rng(0)
    for _ in range(7):
        for key in ("glimpse", "location"):
            np.testing.assert_array_equal(obs_native[key], obs_dummy[key])
        actions = np.stack([rng.integers(0, 7, n), rng.integers(0, 7, n), rng.integers(0, 10, n)], axis=1)
        obs_native, rew_native, done_native, infos_native = native.step(actions)
        obs_dummy, rew_dummy, done_dummy, infos_dummy = dummy.step(actions)
        np.testing.assert_array_equal(rew_native, rew_dummy)
        np.testing.assert_array_equal(done_native, done_dummy)
        assert rew_native.dtype == rew_dummy.dtype == np.float32
        for info_native, info_dummy in zip(infos_native, infos_dummy, strict=True):
            assert set(info_native) == set(info_dummy)
            for key, value in info_dummy.items():
                if key == "terminal_observation":
                    for part in ("glimpse", "location"):
                        np.testing.assert_array_equal(info_native[key][part], value[part])
                else:
                    assert info_native[key] == value, key


def test_native_vec_env_needs_same_step_autoreset() -> None:
    sync = gym.make_vec("GlimpseMNIST-v0", num_envs=2, vectorization_mode="sync")
    with pytest.raises(ValueError, match="same-step autoreset"):
        NativeVecEnv(GridActionsVector(sync))


@pytest.mark.slow
def test_short_ppo_run_raises_the_mean_reward() -> None:
    torch.set_num_threads(1)
    task = {"n_glimpses": 1, "start": "center", "glimpse_size": 14, "n_scales": 2}
    venv = make_sb3_vec_env("GlimpseMNIST-v0", 128, **task)
    venv.seed(0)
    model = PPO(
        "MultiInputPolicy",
        venv,
        n_steps=8,
        batch_size=256,
        n_epochs=4,
        learning_rate=1e-3,
        seed=0,
        device="cpu",
        policy_kwargs={"features_extractor_class": GlimpseFeaturesExtractor},
    )

    def mean_reward() -> float:
        evaluation = make_sb3_vec_env("GlimpseMNIST-v0", 1000, split="valid", **task)
        evaluation.seed(1)
        actions, _ = model.predict(evaluation.reset(), deterministic=True)
        return float(evaluation.step(actions)[1].mean())

    before = mean_reward()
    model.learn(20000)
    after = mean_reward()
    assert before < 0.2 and after > 0.6, (before, after)


@pytest.mark.parametrize("algo", ["ppo", "a2c", "recurrent_ppo"])
def test_sb3_agent_predicts_env_actions_and_round_trips(tmp_path, algo: str) -> None:
    torch.set_num_threads(1)
    task = {"n_glimpses": 2, "start": "center"}
    hyperparams = {"n_steps": 4} if algo == "a2c" else {"n_steps": 4, "batch_size": 32}
    agent = SB3Agent(algo, "GlimpseMNIST-v0", num_envs=8, env_kwargs=task, hyperparams=hyperparams)
    agent.learn(64)
    assert agent.num_timesteps >= 64
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=5, split="test", **task)
    obs, _ = envs.reset(seed=0)
    starts = np.ones(5, dtype=bool)
    action, state = agent.predict(obs, None, starts, deterministic=True)
    assert action["location"].shape == (5, 2) and action["label"].shape == (5,)
    assert action in envs.action_space
    single, _ = agent.predict({key: value[0] for key, value in obs.items()}, None, np.ones(1, bool), True)
    np.testing.assert_array_equal(single["location"], action["location"][0])
    assert single["label"] == action["label"][0]
    agent.save(tmp_path / "agent.pt")
    back = SB3Agent.from_payload(read_checkpoint(tmp_path / "agent.pt"))
    again, _ = back.predict(obs, None, starts, deterministic=True)
    for key in ("location", "label"):
        np.testing.assert_array_equal(again[key], action[key])
    scores = [evaluate(a, "GlimpseMNIST-v0", split="test", n_episodes=50, **task)["error"] for a in (agent, back)]
    assert scores[0] == scores[1]
    moments = len(agent.model.policy.optimizer.state)
    assert moments > 0
    agent.save(tmp_path / "shipped.pt", training_state=False)
    assert len(agent.model.policy.optimizer.state) == moments  # the agent keeps its own
    assert (tmp_path / "shipped.pt").stat().st_size < 0.6 * (tmp_path / "agent.pt").stat().st_size
    shipped = SB3Agent.from_payload(read_checkpoint(tmp_path / "shipped.pt"))
    assert len(shipped.model.policy.optimizer.state) == 0 and shipped.history == []
    again, _ = shipped.predict(obs, None, starts, deterministic=True)
    for key in ("location", "label"):
        np.testing.assert_array_equal(again[key], action[key])


def test_sb3_agent_on_catch_moves_the_paddle() -> None:
    """The agent's dict actions reach the game: each paddle moves by its move (-1, 0, +1 column), and the
    sampled moves of an untrained policy take all three values."""
    agent = SB3Agent("ppo", "GlimpseCatch-v0", num_envs=64, hyperparams={"n_steps": 8, "batch_size": 32})
    envs = gym.make_vec("GlimpseCatch-v0", num_envs=64)
    obs, _ = envs.reset(seed=0)
    action, _ = agent.predict(obs, deterministic=False)
    assert set(action) == {"location", "move"} and action in envs.action_space
    assert set(np.unique(action["move"])) == {0, 1, 2}
    before = envs.unwrapped._episodes.paddle.copy()  # in the middle: no wall stops a one-column move
    envs.step(action)
    np.testing.assert_array_equal(envs.unwrapped._episodes.paddle - before, action["move"] - 1)


def test_sb3_agent_rejects_unknown_algo() -> None:
    with pytest.raises(ValueError, match="algo must be one of"):
        SB3Agent("dqn", "GlimpseMNIST-v0")


def test_sb3_run_directory_and_resume(tmp_path, capsys) -> None:
    torch.set_num_threads(1)
    task = {"n_glimpses": 1, "start": "center"}
    agent = SB3Agent(
        "ppo", "GlimpseMNIST-v0", num_envs=16, env_kwargs=task, hyperparams={"n_steps": 8, "batch_size": 64}
    )
    agent.learn(300, callback=SB3RunDirectoryCallback(agent, tmp_path, eval_freq=128, eval_episodes=20))
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["timesteps"] for r in records] == [128, 256, 384]
    assert all(0.0 <= r["valid_error"] <= 1.0 for r in records)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("validation at")]
    assert [line.split(" env steps")[0] for line in printed] == [
        "validation at 128",
        "validation at 256",
        "validation at 384",
    ]
    best = min(records, key=lambda r: r["valid_error"])
    latest = SB3Agent.from_payload(read_checkpoint(tmp_path / "checkpoints" / "latest.pt"))
    assert latest.num_timesteps == 384 and latest.history == records
    saved_best = SB3Agent.from_payload(read_checkpoint(tmp_path / "checkpoints" / "best.pt"))
    assert saved_best.history[-1]["valid_error"] == best["valid_error"]  # ties keep the later one
    first_games = SB3Agent.from_payload(read_checkpoint(tmp_path / "checkpoints" / "latest.pt")).model.env.reset()
    seed = latest.reseed_for_resume()
    assert seed == SB3Agent.from_payload(read_checkpoint(tmp_path / "checkpoints" / "latest.pt")).reseed_for_resume()
    resumed = latest.model.env.reset()  # the episodes the resumed run starts with
    assert not np.array_equal(resumed["glimpse"], first_games["glimpse"])
    latest.reseed_for_resume()
    latest.learn(
        600,
        callback=SB3RunDirectoryCallback(
            latest, tmp_path, eval_freq=128, eval_episodes=20, history=latest.history, verbose=0
        ),
    )
    again = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert again[:3] == records and [r["timesteps"] for r in again[3:]] == [512, 640]
    assert "validation at" not in capsys.readouterr().out


@pytest.mark.slow
def test_train_agent_ppo_run_resume_and_eval(tmp_path, capsys) -> None:
    from agents.cli import train as train_agent

    run_dir = tmp_path / "ppo"
    common = ["--no-progress-bar", "--pictures", "1"]
    argv = ["--algo", "ppo", "--run-dir", str(run_dir), "-n", "3000", "--n-glimpses", "2", "--start", "center",
            "--num-envs", "32", "--eval-freq", "1500", "--eval-episodes", "100",
            "--hyperparams", "n_steps=8", "batch_size=128", *common]  # fmt: skip
    assert train_agent.main(argv) == 0
    for name in ("config.json", "metrics.jsonl", "test.json", "checkpoints/latest.pt", "checkpoints/best.pt",
                 "pictures/glimpse_paths.png", "pictures/glimpse_paths.gif"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "tensorboard").glob("PPO_*/events.out.tfevents.*"))
    test = json.loads((run_dir / "test.json").read_text())
    assert test["algo"] == "ppo" and test["n_episodes"] == 10000 and test["timesteps"] >= 3000
    assert json.loads((run_dir / "config.json").read_text())["config"]["n_steps"] == 8
    assert train_agent.main(["--algo", "ppo", "--run-dir", str(run_dir), "--resume", "-n", "4500", *common]) == 0
    timesteps = [json.loads(line)["timesteps"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert timesteps[-1] >= 4500 and timesteps == sorted(timesteps)
    capsys.readouterr()
    assert train_agent.main(["--eval-only", "--checkpoint", str(run_dir / "checkpoints" / "best.pt")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n_episodes"] == 10000


def test_sb3_agent_policy_kwargs_and_episode_statistics() -> None:
    torch.set_num_threads(1)
    policy_kwargs = {"lstm_hidden_size": 32, "features_extractor_kwargs": {"features_dim": 64}}
    agent = SB3Agent(
        "recurrent_ppo",
        "GlimpseMNIST-v0",
        num_envs=8,
        env_kwargs={"n_glimpses": 2, "start": "center"},
        hyperparams={"n_steps": 4, "batch_size": 32, "policy_kwargs": policy_kwargs},
    )
    policy = agent.model.policy
    assert isinstance(policy.features_extractor, GlimpseFeaturesExtractor)
    assert policy.features_extractor.features_dim == 64 and policy.lstm_actor.hidden_size == 32
    agent.learn(64)  # 8 steps per env: 4 two-step episodes each
    episodes = list(agent.model.ep_info_buffer)
    assert len(episodes) == 32 and {e["l"] for e in episodes} == {2}
    assert {e["r"] for e in episodes} <= {0.0, 1.0}


@pytest.mark.parametrize(("std", "expected"), [(0.25, np.exp(-8 * np.linspace(-1, 1, 5) ** 2)), (np.inf, np.ones(5))])
def test_sb3_agent_location_policy_starts_centred(std: float, expected: np.ndarray) -> None:
    agent = SB3Agent("ppo", "GlimpseCatch-v0", num_envs=4, grid_size=5, location_init_std=std)
    obs, _ = gym.make_vec("GlimpseCatch-v0", num_envs=4).reset(seed=0)
    observation, _ = agent.model.policy.obs_to_tensor(obs)
    column, row, move = agent.model.policy.get_distribution(observation).distribution
    for axis in (column, row):  # the weights start near 0 (SB3's gain 0.01), so the biases decide
        np.testing.assert_allclose(axis.probs.detach().numpy(), np.tile(expected / expected.sum(), (4, 1)), atol=0.01)
    np.testing.assert_allclose(move.probs.detach().numpy(), 1 / 3, atol=0.01)
    with pytest.raises(ValueError, match="location_init_std must be > 0"):
        SB3Agent("ppo", "GlimpseCatch-v0", num_envs=4, location_init_std=0.0)


def test_lin_values_become_linear_schedules() -> None:
    rate = schedule("learning_rate", "lin_1e-3")
    assert [rate(progress) for progress in (1.0, 0.5, 0.0)] == pytest.approx([1e-3, 5e-4, 0.0])
    assert schedule("learning_rate", 3e-4) == 3e-4 and schedule("policy", "lin") == "lin"
    with pytest.raises(ValueError, match="clip_range='lin_x': a linear schedule is written lin_<start>"):
        schedule("clip_range", "lin_x")
    agent = SB3Agent("ppo", "GlimpseCatch-v0", num_envs=4, hyperparams={"learning_rate": "lin_2e-3"})
    assert agent.model.lr_schedule(0.25) == pytest.approx(5e-4)
    assert agent.hyperparams["learning_rate"] == "lin_2e-3"  # saved and shown as written
