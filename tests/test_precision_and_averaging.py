"""The REINFORCE agent's training levers of the hard rows: bfloat16 autocast (``agents.precision``), the weight
average it acts with (``agents.ema``), the clutter curriculum (the env's live ``n_clutter``), a warm start from
another agent (``ReinforceRAM.initialize_from``), and the averaged probabilities of sampled paths."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from test_agents import small_agent

import agents
from agents.ema import WeightAverage
from agents.path_vote import evaluate_path_vote
from agents.precision import autocast, cpu_has_native_bf16, resolve_precision

# ------------------------------------------------------------------------------------------ precision


@pytest.mark.parametrize(
    ("flags", "native"),
    [("fpu avx512f avx512_bf16 sse", True), ("fpu amx_bf16 amx_tile", True), ("fpu avx512f avx2", False)],
)
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path: Path, flags: str, native: bool) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: X\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert cpu_has_native_bf16(str(cpuinfo)) is native
    assert cpu_has_native_bf16(str(tmp_path / "missing")) is False


def test_precision_resolves_auto_by_the_device() -> None:
    assert resolve_precision("fp32", "cpu") == "fp32" and resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") == ("bf16" if cpu_has_native_bf16() else "fp32")
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="precision must be one of"):
        agents.ReinforceConfig(precision="half")


def test_bf16_autocasts_the_layers_but_keeps_heads_losses_and_weights_float32(small_mnist: str) -> None:
    agent = small_agent(small_mnist, precision="bf16")
    assert agent.precision == "bf16"
    model = agent.model
    glimpse, location = torch.rand(4, 1, 8, 8), torch.rand(4, 2) * 2 - 1
    with autocast("bf16", agent.device):
        features = model.glimpse(glimpse, location)
        hidden, _ = model.step(glimpse, location, None)
        heads = (model.location_mean(hidden), model.action(hidden), model.baseline(hidden))
    assert features.dtype == torch.bfloat16
    assert [head.dtype for head in heads] == [torch.float32] * 3
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=50, split="train", **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    rollout, losses = agent.rollout_and_loss(envs, obs, torch.Generator().manual_seed(0))
    assert rollout.log_prob.dtype == torch.float32 and losses["loss"].dtype == torch.float32
    agent.train_step(envs, obs, torch.Generator().manual_seed(0))
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert {s.dtype for state in agent.optimizer.state.values() for s in state.values() if s.ndim} == {torch.float32}


def test_fp32_and_bf16_updates_differ_only_by_rounding(small_mnist: str) -> None:
    """The same episodes and noise in both precisions: losses close (bf16 has 8 bits of mantissa), not equal."""
    losses = {}
    for precision in ("fp32", "bf16"):
        agent = small_agent(small_mnist, precision=precision)
        envs = gym.make_vec("GlimpseMNIST-v0", num_envs=50, split="train", **agent.env_kwargs)
        obs, _ = envs.reset(seed=0)
        _, losses[precision] = agent.rollout_and_loss(envs, obs, torch.Generator().manual_seed(0))
    fp32, bf16 = losses["fp32"]["cross_entropy"].item(), losses["bf16"]["cross_entropy"].item()
    assert fp32 != bf16 and bf16 == pytest.approx(fp32, rel=0.02)


@pytest.mark.slow
def test_a_bf16_agent_learns(small_mnist: str) -> None:
    agent = small_agent(small_mnist, precision="bf16", epochs=6, batch_size=20)
    agent.learn()
    assert agents.evaluate(agent, "GlimpseMNIST-v0", "test", **agent.env_kwargs)["error"] < 0.6  # chance: 0.9


# ------------------------------------------------------------------------------------ weight average


def _one_weight(value: float) -> torch.nn.Module:
    module = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        module.weight.fill_(value)
    return module


def test_the_average_is_the_warmed_up_exponential_average_by_hand() -> None:
    model = _one_weight(1.0)
    average = WeightAverage(model, decay=0.15)
    expected = 1.0
    for update, value in enumerate([3.0, -2.0, 5.0], start=1):
        model.weight.data.fill_(value)
        average.update(model)
        decay = {1: 0.1, 2: 0.15, 3: 0.15}[update]  # min(0.15, t / (t + 9)): 1/10, then 2/11 > 0.15
        expected = decay * expected + (1 - decay) * value
        assert average.module.weight.item() == pytest.approx(expected)
    assert expected == pytest.approx(0.15 * (0.15 * 2.8 - 0.85 * 2) + 0.85 * 5)  # 2.8 = 0.1 * 1 + 0.9 * 3
    assert average.updates == 3 and not average.module.weight.requires_grad


def test_decay_zero_gives_the_raw_weights() -> None:
    model = _one_weight(1.0)
    average = WeightAverage(model, decay=0.0)
    for value in (3.0, -2.0):
        model.weight.data.fill_(value)
        average.update(model)
        assert average.module.weight.item() == value
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        WeightAverage(model, decay=1.0)


def test_the_agent_acts_with_the_average_and_saves_both(small_mnist: str, tmp_path: Path) -> None:
    raw = small_agent(small_mnist, ema_decay=0.0)
    assert raw.ema is None and raw.policy is raw.model
    agent = small_agent(small_mnist, ema_decay=0.9)
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=50, split="train", **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    generator = torch.Generator().manual_seed(0)
    for _ in range(3):
        obs, _ = agent.train_step(envs, obs, generator)
    assert agent.ema is not None and agent.ema.updates == 3 and agent.policy is agent.ema.module
    trained, averaged = agent.model.action.fc.weight, agent.ema.module.action.fc.weight
    assert not torch.equal(trained, averaged)
    obs, _ = gym.make_vec("GlimpseMNIST-v0", num_envs=5, split="test", **agent.env_kwargs).reset(seed=1)
    _, _, probabilities = agent.predict_probabilities(obs)
    with torch.no_grad():
        hidden, _ = agent.ema.module.step(torch.from_numpy(obs["glimpse"]), torch.from_numpy(obs["location"]), None)
        expected = agent.ema.module.action(hidden).softmax(1).numpy()
    np.testing.assert_allclose(probabilities, expected, rtol=1e-6)
    agent.save(tmp_path / "training.pt")
    agent.save(tmp_path / "agent.pt", training_state=False)
    resumed, exported = agents.load(tmp_path / "training.pt"), agents.load(tmp_path / "agent.pt")
    assert torch.equal(resumed.model.action.fc.weight, trained)
    assert torch.equal(resumed.policy.action.fc.weight, averaged) and resumed.ema.updates == 3
    assert torch.equal(exported.policy.action.fc.weight, averaged)


# ----------------------------------------------------------------------------------------- curriculum


def _canvases(n_clutter: int | None, **kwargs: object) -> np.ndarray:
    env = gym.make("GlimpseClutteredMNIST-v0", render_mode="rgb_array", **kwargs)
    if n_clutter is not None:
        env.set_wrapper_attr("n_clutter", n_clutter)
    env.reset(seed=3)
    return env.unwrapped._episodes.retina.interior(None)[0].copy()


def test_lowering_n_clutter_keeps_the_digit_and_drops_the_distractors() -> None:
    full, none, one = _canvases(None), _canvases(0), _canvases(1)
    assert np.array_equal(_canvases(4), full)
    assert (none <= full).all() and (none < full).any()  # the same digit, where it was; the crops gone
    assert (none <= one).all() and (one <= full).all() and (none < one).any()


def test_n_clutter_cannot_rise_nor_change_on_valid_and_test() -> None:
    envs = gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=2)
    envs.unwrapped.n_clutter = 2
    assert envs.unwrapped.n_clutter == 2
    with pytest.raises(ValueError, match="can be lowered from the task's 4 but not raised"):
        envs.unwrapped.n_clutter = 5
    with pytest.raises(ValueError, match="n_clutter must be an integer >= 0"):
        envs.unwrapped.n_clutter = -1
    for split in ("valid", "test"):
        fixed = gym.make_vec("GlimpseClutteredMNIST-v0", num_envs=2, split=split)
        with pytest.raises(ValueError, match=f"n_clutter of a '{split}' env stays the task's 4"):
            fixed.unwrapped.n_clutter = 0
        fixed.unwrapped.n_clutter = 4  # the task's own value is allowed


def test_the_curriculum_ramps_one_crop_at_a_time() -> None:
    config = agents.ReinforceConfig(
        clutter_curriculum=0.5, batch_size=8, hidden_size=16, glimpse_hidden=8, location_hidden=8
    )
    agent = agents.ReinforceRAM("GlimpseClutteredMNIST-v0", config)
    assert [agent.clutter(p) for p in (0.0, 0.124, 0.125, 0.3, 0.49, 0.5, 1.0)] == [0, 0, 1, 2, 3, 4, 4]
    plain = agents.ReinforceRAM("GlimpseClutteredMNIST-v0", agents.ReinforceConfig(batch_size=8))
    assert plain.clutter(0.0) == 4
    with pytest.raises(ValueError, match="clutter_curriculum needs an env with clutter"):
        agents.ReinforceRAM("GlimpseMNIST-v0", config)
    with pytest.raises(ValueError, match=r"clutter_curriculum must be in \[0, 1\]"):
        agents.ReinforceConfig(clutter_curriculum=1.5)


def test_training_under_a_curriculum_sets_the_training_envs_clutter(
    small_mnist: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = agents.ReinforceConfig(
        clutter_curriculum=1.0, batch_size=50, epochs=4, hidden_size=16, glimpse_hidden=8, location_hidden=8
    )
    agent = agents.ReinforceRAM(
        "GlimpseClutteredMNIST-v0", config, env_kwargs={"n_glimpses": 2, "data_dir": small_mnist}
    )
    seen: list[int] = []
    train_step = agent.train_step

    def recording(envs: gym.vector.VectorEnv, *args: object) -> object:
        seen.append(envs.unwrapped.n_clutter)
        return train_step(envs, *args)

    monkeypatch.setattr(agent, "train_step", recording)
    updates_per_epoch = agent.timesteps_per_epoch() // (50 * 2)  # 20 (1,000 training images)
    agent.learn(total_timesteps=3 * updates_per_epoch * 50 * 2 + 1)  # into the 4th epoch: progress 0.75
    assert seen[0] == 0 and seen[updates_per_epoch] == 1 and seen[2 * updates_per_epoch] == 2
    assert seen[3 * updates_per_epoch] == 3 and seen == sorted(seen)


# ------------------------------------------------------------------------------------------ warm start


def test_a_warm_start_grows_the_retina_with_zero_weights() -> None:
    widths = {"hidden_size": 16, "glimpse_hidden": 8, "location_hidden": 8, "core": "lstm"}
    small = agents.ReinforceRAM("GlimpseClutteredMNIST-v0", agents.ReinforceConfig(**widths, seed=1))
    large = agents.ReinforceRAM("GlimpseClutteredMNIST100-v0", agents.ReinforceConfig(**widths, seed=2))
    large.initialize_from(small)
    grown, source = large.model.glimpse.glimpse_fc.weight, small.policy.glimpse.glimpse_fc.weight
    assert grown.shape == (8, 4 * 144) and source.shape == (8, 3 * 144)
    assert torch.equal(grown[:, :432], source) and not grown[:, 432:].any()
    glimpse, location = torch.rand(6, 4, 12, 12), torch.rand(6, 2)
    with torch.no_grad():
        hidden_large, _ = large.model.step(glimpse, location, None)
        hidden_small, _ = small.policy.step(glimpse[:, :3], location, None)
    torch.testing.assert_close(hidden_large, hidden_small)
    assert torch.equal(large.policy.core.cell.weight_ih, small.policy.core.cell.weight_ih)  # the average restarts
    other_width = agents.ReinforceRAM(
        "GlimpseClutteredMNIST100-v0", agents.ReinforceConfig(**{**widths, "hidden_size": 32})
    )
    with pytest.raises(ValueError, match="only the retina may grow"):
        other_width.initialize_from(small)
    rnn = agents.ReinforceRAM("GlimpseClutteredMNIST100-v0", agents.ReinforceConfig(**{**widths, "core": "rnn"}))
    with pytest.raises(ValueError, match="cannot start from a lstm model"):
        rnn.initialize_from(small)


# ------------------------------------------------------------------------------ averaged path probabilities


def test_probabilities_of_sampled_paths_average_to_the_reported_error(small_mnist: str) -> None:
    agent = small_agent(small_mnist)
    task = {**agent.env_kwargs}
    result = evaluate_path_vote(agent, "GlimpseMNIST-v0", n_paths=3, n_episodes=200, **task)
    by_hand = []
    for k in range(3):
        torch.manual_seed(k)
        by_hand.append(
            agents.evaluate(
                agent, "GlimpseMNIST-v0", "test", 200, deterministic=False, seed=k * 500, probabilities=True, **task
            )
        )
    for path in by_hand:
        assert path["probabilities"].shape == (200, 10)
        np.testing.assert_array_equal(path["probabilities"].argmax(1), path["predictions"])
    mean = np.mean([path["probabilities"] for path in by_hand], axis=0)
    assert result["average_error"] == pytest.approx(np.mean(mean.argmax(1) != by_hand[0]["labels"]))
    assert result["path_errors"] == [path["error"] for path in by_hand]
