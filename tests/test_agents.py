"""The REINFORCE Recurrent Attention Model: its networks, gradients, agent interface, persistence and
training (on a small MNIST-format dataset written for the tests)."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from idx_files import N_TEST

import agents
import ram_env
from agents.callbacks import validation_line
from agents.distributed import evaluate_sharded
from agents.networks import (
    ActionNetwork,
    BaselineNetwork,
    CoreNetwork,
    GlimpseNetwork,
    LocationNetwork,
)
from agents.reinforce import EpochFigures, hybrid_loss


def small_agent(data_dir: str, **config: object) -> agents.ReinforceRAM:
    settings = {"batch_size": 50, "epochs": 2, "warmup_epochs": 0.0, "learning_rate": 3e-3, "valid_size": 500, **config}
    return agents.ReinforceRAM(
        "GlimpseMNIST-v0", agents.ReinforceConfig(**settings), env_kwargs={"data_dir": data_dir, "n_glimpses": 3}
    )


# ------------------------------------------------------------------------------------------ networks


def test_glimpse_network_shapes_and_gradients() -> None:
    net = GlimpseNetwork(2 * 8 * 8, 128, 128, 256)
    glimpse = torch.rand(5, 2, 8, 8, requires_grad=True)
    location = torch.rand(5, 2, requires_grad=True) * 2 - 1
    out = net(glimpse, location)
    assert out.shape == (5, 256) and (out >= 0).all()
    out.sum().backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    assert glimpse.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_core_network_shapes_and_gradients(kind: str) -> None:
    core = CoreNetwork(kind, 256, 64)
    features = torch.rand(4, 256)
    hidden, state = core(features, None)
    assert hidden.shape == (4, 64)
    hidden2, state2 = core(features, state)
    assert hidden2.shape == (4, 64)
    assert not torch.equal(hidden, hidden2)  # the state is used
    hidden2.sum().backward()
    for name, parameter in core.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    if kind == "lstm":
        assert isinstance(state2, tuple) and state2[1].shape == (4, 64)


def test_core_network_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="core must be one of"):
        CoreNetwork("gru", 8, 8)


def test_location_network_is_a_fixed_std_gaussian() -> None:
    net = LocationNetwork(32, std=0.2)
    hidden = torch.randn(1000, 32)
    mean = net(hidden)
    assert mean.shape == (1000, 2) and mean.abs().max() < 1
    sample = net.sample(mean, torch.Generator().manual_seed(0))
    assert not sample.requires_grad
    assert abs((sample - mean).std().item() - 0.2) < 0.02
    expected = torch.distributions.Normal(mean, 0.2).log_prob(sample).sum(1)
    torch.testing.assert_close(net.log_prob(mean, sample), expected)
    net.log_prob(mean, sample).sum().backward()
    assert net.fc.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="std must be > 0"):
        LocationNetwork(32, std=0.0)


def test_action_and_baseline_networks() -> None:
    hidden = torch.randn(7, 16, requires_grad=True)
    logits = ActionNetwork(16, 10)(hidden)
    baseline = BaselineNetwork(16)(hidden)
    assert logits.shape == (7, 10) and baseline.shape == (7,)
    (logits.sum() + baseline.sum()).backward()
    assert hidden.grad.abs().sum() > 0


def _parameter_grads(module: torch.nn.Module) -> list[torch.Tensor | None]:
    return [p.grad for p in module.parameters()]


def _loss_part_grads(agent: agents.ReinforceRAM, part: str) -> dict[str, float]:
    """Gradient norm of each network from one loss part of one batch of episodes."""
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=64, **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    agent.model.zero_grad(set_to_none=True)
    hybrid_loss(agent.rollout(envs, obs, torch.Generator().manual_seed(0)))[part].backward()
    norms = {}
    for name in ("glimpse", "core", "location", "action", "baseline"):
        grads = [g for g in _parameter_grads(getattr(agent.model, name)) if g is not None]
        norms[name] = float(sum(g.norm() for g in grads)) if grads else 0.0
    return norms


def test_location_network_learns_from_reinforce_only(small_mnist: str) -> None:
    agent = small_agent(small_mnist)
    reinforce = _loss_part_grads(agent, "reinforce")
    cross_entropy = _loss_part_grads(agent, "cross_entropy")
    baseline = _loss_part_grads(agent, "baseline_mse")
    assert reinforce["location"] > 0
    assert cross_entropy["location"] == 0.0
    assert baseline["location"] == 0.0
    assert cross_entropy["glimpse"] > 0 and cross_entropy["core"] > 0 and cross_entropy["action"] > 0
    assert baseline["baseline"] > 0 and baseline["core"] == 0.0
    assert reinforce["action"] == 0.0 and reinforce["baseline"] == 0.0
    assert reinforce["core"] == 0.0 and reinforce["glimpse"] == 0.0


# ------------------------------------------------------------------------------------- agent interface


def test_predict_single_and_batched(small_mnist: str) -> None:
    agent = small_agent(small_mnist, core="lstm")
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=4, **agent.env_kwargs)
    obs, _ = envs.reset(seed=3)
    action, state = agent.predict(obs, deterministic=True)
    assert action["location"].shape == (4, 2) and action["location"].dtype == np.float32
    assert action["label"].shape == (4,) and action["label"].dtype == np.int64
    assert len(state) == 2 and state[0].shape == (4, 256)
    assert envs.action_space.contains(action)
    single, single_state = agent.predict({k: v[1] for k, v in obs.items()}, deterministic=True)
    assert single["location"].shape == (2,) and np.ndim(single["label"]) == 0
    np.testing.assert_allclose(single["location"], action["location"][1], atol=1e-6)
    assert single["label"] == action["label"][1]
    # The state carries over; episode_start zeroes it.
    obs2, *_ = envs.step(action)
    carried, _ = agent.predict(obs2, state, np.zeros(4, dtype=bool), deterministic=True)
    fresh, _ = agent.predict(obs2, state, np.ones(4, dtype=bool), deterministic=True)
    alone, _ = agent.predict(obs2, None, None, deterministic=True)
    np.testing.assert_array_equal(fresh["location"], alone["location"])
    assert not np.array_equal(carried["location"], fresh["location"])
    with pytest.raises(ValueError, match="observation\\['glimpse'\\] must have shape"):
        agent.predict({"glimpse": np.zeros((3, 5, 5), np.float32), "location": np.zeros((3, 2), np.float32)})


def test_stochastic_predict_samples_around_the_mean(small_mnist: str) -> None:
    agent = small_agent(small_mnist, location_std=0.3)
    obs = {"glimpse": np.zeros((2000, 1, 8, 8), np.float32), "location": np.zeros((2000, 2), np.float32)}
    mean, _ = agent.predict(obs, deterministic=True)
    sample, _ = agent.predict(obs, deterministic=False)
    assert 0.2 < float(np.std(sample["location"] - mean["location"])) < 0.35


def test_save_load_round_trip_gives_identical_predictions(small_mnist: str, tmp_path: Path) -> None:
    agent = small_agent(small_mnist)
    agent.learn(total_timesteps=5 * 50 * 3)  # a few updates, so the weights are not the initial ones
    path = agent.save(tmp_path / "agent.pt", training_state=False)
    loaded = agents.load(path)
    assert isinstance(loaded, agents.ReinforceRAM) and loaded.env_kwargs == agent.env_kwargs
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=16, **agent.env_kwargs)
    obs, _ = envs.reset(seed=1)
    a, sa = agent.predict(obs, deterministic=True)
    b, sb = loaded.predict(obs, deterministic=True)
    np.testing.assert_array_equal(a["location"], b["location"])
    np.testing.assert_array_equal(a["label"], b["label"])
    np.testing.assert_array_equal(sa[0], sb[0])
    first = agents.evaluate(agent, "GlimpseMNIST-v0", split="test", **agent.env_kwargs)
    second = agents.evaluate(loaded, "GlimpseMNIST-v0", split="test", **agent.env_kwargs)
    assert first["error"] == second["error"]


def test_load_rejects_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no saved agent"):
        agents.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a saved agent"):
        agents.load(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a saved agent"):
        agents.load(tmp_path / "other.pt")


def test_evaluate_scores_each_image_once(small_mnist: str) -> None:
    agent = small_agent(small_mnist)
    result = agents.evaluate(agent, "GlimpseMNIST-v0", split="test", batch_size=64, **agent.env_kwargs)
    assert result["n_episodes"] == N_TEST
    np.testing.assert_array_equal(result["labels"], ram_env.load_dataset(small_mnist).test.labels)
    assert result["error"] == pytest.approx(np.mean(result["predictions"] != result["labels"]))
    part = agents.evaluate(agent, "GlimpseMNIST-v0", split="test", n_episodes=70, batch_size=1000, **agent.env_kwargs)
    np.testing.assert_array_equal(part["predictions"], result["predictions"][:70])  # independent of batching
    with pytest.raises(ValueError, match="n_episodes must be an integer in \\[1, 500\\]"):
        agents.evaluate(agent, "GlimpseMNIST-v0", split="test", n_episodes=501, **agent.env_kwargs)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        agents.ReinforceConfig(batch_size=0)
    with pytest.raises(ValueError, match="core must be one of"):
        agents.ReinforceConfig(core="transformer")
    with pytest.raises(ValueError, match="location_std must be > 0"):
        agents.ReinforceConfig(location_std=-1.0)


# ------------------------------------------------------------------------------------------- training


@pytest.mark.slow
def test_short_training_learns_and_locations_matter(small_mnist: str) -> None:
    """3 glimpses, 1,000 training images, 20 epochs: the error falls far below chance (0.9),
    and the same networks with random locations do much worse (measured: 0.39 valid, 0.46 test, 0.76)."""
    agent = small_agent(small_mnist, epochs=20, batch_size=20, learning_rate=5e-3)
    agent.learn()
    assert len(agent.history) == 20
    assert agent.history[-1]["valid_error"] < 0.55
    test = agents.evaluate(agent, "GlimpseMNIST-v0", split="test", **agent.env_kwargs)
    assert test["error"] < 0.6
    random = agents.evaluate(agents.RandomLocations(agent), "GlimpseMNIST-v0", split="test", **agent.env_kwargs)
    assert random["error"] > test["error"] + 0.15


@pytest.mark.slow
def test_resumed_training_equals_uninterrupted(small_mnist: str, tmp_path: Path, capsys) -> None:
    whole = small_agent(small_mnist, epochs=3)
    whole.learn()
    interrupted = small_agent(small_mnist, epochs=3)
    callback = agents.RunDirectoryCallback(tmp_path / "run")
    per_epoch = interrupted.timesteps_per_epoch()
    interrupted.learn(total_timesteps=per_epoch + per_epoch // 2, callback=callback)  # stopped in epoch 2
    assert interrupted.epoch == 1  # validated at epoch 1.5; latest.pt stays the end of epoch 1
    resumed = agents.load(callback.latest)
    resumed.learn(callback=callback)
    assert resumed.epoch == 3
    for (name, a), b in zip(whole.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert [r["valid_error"] for r in whole.history] == [r["valid_error"] for r in resumed.history]
    metrics = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 3
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("validation at")]
    epochs = [line.split(": error")[0].split("(")[1] for line in printed]
    assert epochs == ["epoch 1)", "epoch 1.5)", "epoch 2)", "epoch 3)"]


def test_time_budget_fits_the_run_and_its_schedule_after_the_first_epoch(
    small_mnist: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every epoch "takes" 12 s (validation included); a budget of 0.9 min (54 s) then holds floor(54 / 12) = 4
    epochs, not the config's 2, and the cosine schedule (no warm-up) spans the 4: the last of epoch 2's 10
    updates runs at lr * (1 + cos(pi * 1.9 / 4)) / 2 (over 2 epochs it would be at lr * 0.006)."""
    monkeypatch.setattr(EpochFigures, "seconds", lambda self: 12.0)
    agent = small_agent(small_mnist, epochs=2, batch_size=100, valid_size=20, time_budget=0.9)
    callback = agents.RunDirectoryCallback(tmp_path / "run")
    agent.learn(callback=callback)
    assert (agent.epochs, agent.epoch, len(agent.history)) == (4, 4, 4)
    expected = agent.config.learning_rate * (1 + math.cos(math.pi * 1.9 / 4)) / 2
    assert agent.history[1]["learning_rate"] == pytest.approx(expected)
    assert agent.train_seconds == 48.0
    assert agents.load(callback.latest).epochs == 4  # a resumed run keeps the fitted length
    slow = small_agent(small_mnist, epochs=2, batch_size=100, valid_size=20, time_budget=0.1)  # 6 s < 12 s
    slow.learn()
    assert (slow.epochs, slow.epoch) == (1, 1)  # at least the first epoch, then stop
    with pytest.raises(ValueError, match="time_budget must be >= 0"):
        agents.ReinforceConfig(time_budget=-1.0)


def test_valid_size_scores_the_first_images_of_the_valid_split(small_mnist: str) -> None:
    agent = small_agent(small_mnist, epochs=1, valid_size=7)
    agent.learn()
    first_seven = agents.evaluate(agent, "GlimpseMNIST-v0", split="valid", n_episodes=7, **agent.env_kwargs)
    assert agent.history[-1]["valid_error"] == first_seven["error"]
    assert round(first_seven["error"] * 7, 9).is_integer()
    more = evaluate_sharded(agent, "GlimpseMNIST-v0", "test", None, n_episodes=10**9, **agent.env_kwargs)
    assert more["n_episodes"] == 500  # more than the split has: all of it (small_mnist's 500 test images)
    with pytest.raises(ValueError, match="valid_size must be >= 0"):
        agents.ReinforceConfig(valid_size=-1)


def test_validation_line() -> None:
    record = {"timesteps": 1234567, "epoch": 7, "valid_error": 0.03125, "train_seconds": 90.0}
    assert validation_line(record, 0.025) == (
        "validation at 1,234,567 env steps (epoch 7): error 3.12% (best 2.50%), 1.5 min of training"
    )
    del record["epoch"]
    assert validation_line(record, 0.03125).startswith("validation at 1,234,567 env steps: error 3.12% (")
