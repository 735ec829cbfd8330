"""The REINFORCE agent's variance and optimisation levers: several rollouts per image with a leave-one-out
baseline, the full gradient, gradient clipping, the location std's schedules, SGD and the lr schedules."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import agents
from agents.networks import LocationNetwork
from agents.reinforce import Rollout, advantages, hybrid_loss, leave_one_out_mean

ENV = "GlimpseMNIST-v0"


def agent_of(**config: object) -> agents.ReinforceRAM:
    settings = {"batch_size": 8, "epochs": 10, "warmup_epochs": 0.0, **config}
    return agents.ReinforceRAM(ENV, agents.ReinforceConfig(**settings), env_kwargs={"n_glimpses": 3})


def distance(parameters, before: list[torch.Tensor]) -> float:
    """The L2 distance between the parameters now and ``before``."""
    return math.sqrt(sum(float((p.detach() - b).pow(2).sum()) for p, b in zip(parameters, before, strict=True)))


def test_leave_one_out_mean_by_hand() -> None:
    values = torch.tensor([1.0, 0.0, 1.0, 1.0])
    torch.testing.assert_close(leave_one_out_mean(values, 2), torch.tensor([0.0, 1.0, 1.0, 1.0]))
    torch.testing.assert_close(leave_one_out_mean(values, 4), torch.tensor([2 / 3, 1.0, 2 / 3, 2 / 3]))
    rows = torch.tensor([[1.0, 2.0], [3.0, 6.0], [0.0, 0.0], [5.0, 1.0]])
    expected = torch.tensor([[3.0, 6.0], [1.0, 2.0], [5.0, 1.0], [0.0, 0.0]])
    torch.testing.assert_close(leave_one_out_mean(rows, 2), expected)
    with pytest.raises(ValueError, match="leave-one-out"):
        leave_one_out_mean(values, 3)


def test_advantages_of_each_baseline_by_hand() -> None:
    reward = torch.tensor([1.0, 0.0, 0.0, 0.0])
    baseline = torch.tensor([[0.5, 0.25], [0.5, 0.75], [0.0, 0.5], [0.25, 0.5]])
    torch.testing.assert_close(advantages(reward, baseline), reward[:, None] - baseline)
    loo = advantages(reward, baseline, kind="leave_one_out", group_size=2)
    torch.testing.assert_close(loo, torch.tensor([[1.0, 1.0], [-1.0, -1.0], [0.0, 0.0], [0.0, 0.0]]))
    # both: (r - b) minus the other rollout's (r - b): [0.5, 0.75] vs [-0.5, -0.75]; [0, -0.5] vs [-0.25, -0.5]
    both = advantages(reward, baseline, kind="both", group_size=2)
    torch.testing.assert_close(both, torch.tensor([[1.0, 1.5], [-1.0, -1.5], [0.25, 0.0], [-0.25, 0.0]]))


def test_leave_one_out_loss_does_not_train_the_baseline_network() -> None:
    baseline = torch.tensor([[0.2], [0.4]], requires_grad=True)
    rollout = Rollout(
        reward=torch.tensor([1.0, 0.0]), log_prob=torch.tensor([[-1.0], [-2.0]]), baseline=baseline, next_obs={}
    )
    loo = hybrid_loss(rollout, baseline="leave_one_out", group_size=2)
    torch.testing.assert_close(loo["loss"], loo["reinforce"])  # no MSE term, no cross-entropy (no logits)
    torch.testing.assert_close(loo["reinforce"], torch.tensor(-(-1.0 * 1.0 + -2.0 * -1.0) / 2))
    both = hybrid_loss(rollout, baseline="both", group_size=2)
    torch.testing.assert_close(both["loss"], both["reinforce"] + both["baseline_mse"])


def _reinforce_grad_norms(agent: agents.ReinforceRAM) -> dict[str, float]:
    cfg = agent.config
    envs = gym.make_vec(ENV, num_envs=agent.episodes_per_update, group_size=cfg.rollouts_per_image, **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    agent.model.zero_grad(set_to_none=True)
    losses = hybrid_loss(
        agent.rollout(envs, obs, torch.Generator().manual_seed(0)),
        baseline=cfg.baseline,
        group_size=cfg.rollouts_per_image,
    )
    losses["reinforce"].backward()
    norms = {}
    for name in ("glimpse", "core", "location", "action", "baseline"):
        grads = [p.grad for p in getattr(agent.model, name).parameters() if p.grad is not None]
        norms[name] = float(sum(g.norm() for g in grads)) if grads else 0.0
    return norms


@pytest.mark.parametrize("full_gradient", [False, True])
def test_gradient_routing_of_reinforce(full_gradient: bool) -> None:
    agent = agent_of(batch_size=16, rollouts_per_image=4, baseline="both", full_gradient=full_gradient)
    norms = _reinforce_grad_norms(agent)
    assert norms["location"] > 0
    assert norms["action"] == 0.0 and norms["baseline"] == 0.0
    if full_gradient:
        assert norms["core"] > 0 and norms["glimpse"] > 0
    else:
        assert norms["core"] == 0.0 and norms["glimpse"] == 0.0


def test_gradient_clipping_bounds_the_step() -> None:
    """Plain SGD (lr 1, no momentum): the weights move by exactly the clipped gradient."""
    agent = agent_of(optimizer="sgd", momentum=0.0, learning_rate=1.0, max_grad_norm=1e-3)
    for group in agent.optimizer.param_groups:
        group["lr"] = 1.0
    before = [p.detach().clone() for p in agent.model.parameters()]
    envs = gym.make_vec(ENV, num_envs=8, **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    _, figures = agent.train_step(envs, obs, torch.Generator().manual_seed(0))
    moved = distance(agent.model.parameters(), before)
    assert figures["grad_norm"] > 1e-2  # far above the limit: clipping acts
    assert moved == pytest.approx(1e-3, rel=1e-3)


def test_unclipped_step_is_the_whole_gradient() -> None:
    agent = agent_of(optimizer="sgd", momentum=0.0, learning_rate=1e-3)
    for group in agent.optimizer.param_groups:
        group["lr"] = 1e-3
    before = [p.detach().clone() for p in agent.model.parameters()]
    envs = gym.make_vec(ENV, num_envs=8, **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    _, figures = agent.train_step(envs, obs, torch.Generator().manual_seed(0))
    moved = distance(agent.model.parameters(), before)
    assert moved == pytest.approx(1e-3 * figures["grad_norm"], rel=1e-3)


def test_optimizers() -> None:
    assert isinstance(agent_of().optimizer, torch.optim.AdamW)
    sgd = agent_of(optimizer="sgd", momentum=0.5).optimizer
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.5


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("cosine", [0.5, 1.0, 0.5, 0.0]),
        ("linear", [0.5, 1.0, 0.5, 0.0]),
        ("constant", [0.5, 1.0, 1.0, 1.0]),
        ("exponential", [0.5, 1.0, 0.5**4, 0.5**8]),
    ],
)
def test_learning_rate_schedules(schedule: str, expected: list[float]) -> None:
    """10 epochs, 2 of warm-up: progress 0.1 (mid warm-up), 0.2, 0.6 (half the rest), 1.0."""
    agent = agent_of(lr_schedule=schedule, learning_rate=1.0, warmup_epochs=2.0, lr_decay=0.5)
    got = [agent.learning_rate(p) for p in (0.1, 0.2, 0.6, 1.0)]
    assert got == pytest.approx(expected, abs=1e-12)


def test_annealed_location_std() -> None:
    agent = agent_of(location_std=0.2, location_std_final=0.05)
    assert [agent.location_std(p) for p in (0.0, 0.5, 1.0)] == pytest.approx([0.2, 0.125, 0.05])
    assert agent_of(location_std=0.2).location_std(0.7) == 0.2
    agent.learn(total_timesteps=8 * 3 * 2)  # two updates, in the first epoch of ten
    assert agent.model.location.std == pytest.approx(agent.location_std(1 / agent.timesteps_per_epoch() * 8 * 3 / 10))


def test_learned_location_std_is_trained() -> None:
    net = LocationNetwork(4, std=0.1, learn_std=True)
    mean = torch.zeros(3, 2)
    location = torch.tensor([[0.3, 0.0], [0.0, -0.2], [0.1, 0.1]])
    expected = torch.distributions.Normal(mean, 0.1).log_prob(location).sum(1)
    torch.testing.assert_close(net.log_prob(mean, location), expected)
    net.log_prob(mean, location).sum().backward()
    # d/d(log std) of the log-density: sum(z**2 - 1) over the 6 coordinates, z = [3, 0, 0, -2, 1, 1]
    assert float(net.log_std.grad) == pytest.approx(15.0 - 6.0)
    with pytest.raises(RuntimeError, match="learned"):
        net.set_std(0.2)
    agent = agent_of(learn_location_std=True, learning_rate=1e-2)
    agent.learn(total_timesteps=8 * 3 * 5)
    assert agent.model.location.std != pytest.approx(0.1, abs=1e-6)


def test_grouped_training_plays_batch_times_rollouts_episodes() -> None:
    agent = agent_of(batch_size=4, rollouts_per_image=3, baseline="leave_one_out")
    assert agent.timesteps_per_epoch() == math.ceil(55_000 / 4) * 12 * 3
    agent.learn(total_timesteps=2 * 12 * 3)
    assert agent.num_timesteps == 2 * 12 * 3


def test_saved_annealed_std_is_restored(tmp_path) -> None:
    agent = agent_of(location_std=0.3, location_std_final=0.1)
    agent.model.location.set_std(0.17)
    loaded = agents.load(agent.save(tmp_path / "a.pt", training_state=False))
    assert loaded.model.location.std == 0.17


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"baseline": "leave_one_out"}, "needs rollouts_per_image >= 2"),
        ({"baseline": "both", "rollouts_per_image": 2, "gae_lambda": 0.9}, "needs gae_lambda 1"),
        ({"baseline": "mean"}, "baseline must be one of"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"lr_schedule": "step"}, "lr_schedule must be one of"),
        ({"lr_decay": 0.0}, "lr_decay must be in"),
        ({"momentum": 1.5}, "momentum must be in"),
        ({"max_grad_norm": -1.0}, "max_grad_norm must be >= 0"),
        ({"rollouts_per_image": 0}, "rollouts_per_image must be an integer >= 1"),
        ({"full_gradient": 1}, "full_gradient must be true or false"),
        ({"learn_location_std": True, "location_std_final": 0.1}, "exclude each other"),
    ],
)
def test_config_rejects_bad_levers(config: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        agents.ReinforceConfig(**config)


def test_default_training_step_is_unchanged_by_the_levers() -> None:
    """rollouts_per_image 1, learned baseline, no clipping: the same weights as the bare update (float32, so
    that both run the same arithmetic; the weight average acts, the trained weights are compared)."""
    a, b = agent_of(precision="fp32"), agent_of(precision="fp32")
    envs_a, envs_b = (gym.make_vec(ENV, num_envs=8, **a.env_kwargs) for _ in range(2))
    obs, _ = envs_a.reset(seed=0)
    a.train_step(envs_a, obs, torch.Generator().manual_seed(0))
    obs, _ = envs_b.reset(seed=0)
    episodes = b.rollout(envs_b, obs, torch.Generator().manual_seed(0))
    b.optimizer.zero_grad()
    hybrid_loss(episodes)["loss"].backward()
    b.optimizer.step()
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_learned_start_term_by_hand() -> None:
    """No state before the first glimpse: its advantage is the reward minus the other rollouts' mean."""
    rollout = Rollout(
        reward=torch.tensor([1.0, 0.0]),
        log_prob=torch.zeros(2, 1),
        baseline=torch.zeros(2, 1),
        next_obs={},
        start_log_prob=torch.tensor([-1.0, -2.0]),
    )
    # others' mean [0, 1]: advantages [1, -1]; the term -mean(log_prob * advantage) = -mean([-1, 2])
    torch.testing.assert_close(hybrid_loss(rollout)["reinforce"], torch.tensor(-0.5))


def test_learned_start_is_trained_and_used_by_evaluate() -> None:
    agent = agent_of(learned_start=True, learning_rate=1e-2, ema_decay=0.0)  # acts with the trained start
    assert agent.first_location().tolist() == [0.0, 0.0]
    envs = gym.make_vec(ENV, num_envs=256, **agent.env_kwargs)
    obs, _ = envs.reset(seed=0)
    episodes = agent.rollout(envs, obs, torch.Generator().manual_seed(0))
    assert 0 < episodes.reward.sum() < 256  # some right, some wrong: advantages that are not all 0
    hybrid_loss(episodes)["loss"].backward()
    assert agent.model.start.grad is not None and agent.model.start.grad.abs().sum() > 0
    with torch.no_grad():
        agent.model.start.copy_(torch.atanh(torch.tensor([0.5, -0.25])))
    first = agent.first_location()
    np.testing.assert_allclose(first, [0.5, -0.25], atol=1e-6)
    seen = []

    class Recorder:
        def first_location(self) -> np.ndarray:
            return first

        def predict(self, obs, state=None, episode_start=None, deterministic=False):
            if episode_start is not None and episode_start.all():
                seen.append(obs["location"].copy())
            return agent.predict(obs, state, episode_start, deterministic)

    agents.evaluate(Recorder(), ENV, split="test", n_episodes=5, **agent.env_kwargs)
    np.testing.assert_allclose(seen[0], np.tile(first, (5, 1)))
    agent.learn(total_timesteps=8 * 3 * 3)
    assert not np.allclose(agent.first_location(), first)
    assert agent_of().first_location() is None
