"""Train a glimpse agent with nothing but ram_env, numpy and the Gymnasium API (no RL library).

The agent looks at the centre, then at a fixed scan of four locations, one per quadrant, and learns from the
reward alone (REINFORCE with a running-mean baseline) a linear softmax policy that names the class from
everything it saw. It shows the whole interface: ``gym.make_vec``, batched Dict actions, same-step
autoreset, and the reward arriving at the last step.

    python examples/numpy_reinforce.py [--episodes 60000] [--num-envs 256]
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import ram_env  # noqa: F401  (registers the envs)

SCAN = np.array([[-0.4, -0.4], [0.4, -0.4], [-0.4, 0.4], [0.4, 0.4]], dtype=np.float32)
# The first glimpse is at the centre, then one per scan location; the step after them names the class.
TASK = {"n_glimpses": len(SCAN) + 1, "start": "center", "glimpse_size": 12, "n_scales": 2}


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def play(envs: gym.vector.VectorEnv, weights: np.ndarray, rng: np.random.Generator, greedy: bool) -> tuple:
    """One episode in every env: returns (features, labels chosen, their probabilities, rewards)."""
    n = envs.num_envs
    obs, _ = envs.reset()
    seen = [obs["glimpse"].reshape(n, -1)]
    for location in SCAN:
        obs, *_ = envs.step({"location": np.tile(location, (n, 1)), "label": np.zeros(n, dtype=np.int64)})
        seen.append(obs["glimpse"].reshape(n, -1))
    features = np.concatenate([*seen, np.ones((n, 1))], axis=1)  # every glimpse, and a bias
    probabilities = softmax(features @ weights)
    if greedy:
        labels = probabilities.argmax(axis=1)
    else:
        labels = (rng.random((n, 1)) > probabilities.cumsum(axis=1)).sum(axis=1)  # one draw per row
    _, reward, terminated, _, _ = envs.step({"location": np.zeros((n, 2), np.float32), "label": labels})
    assert terminated.all()  # the reward comes at the last step
    return features, labels, probabilities, reward


def train(episodes: int, num_envs: int, learning_rate: float = 0.05, seed: int = 0) -> tuple[np.ndarray, float]:
    """REINFORCE on GlimpseMNIST-v0; returns the weights and the validation accuracy of the greedy policy."""
    rng = np.random.default_rng(seed)
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=num_envs, **TASK)
    envs.reset(seed=seed)
    n_features = TASK["n_glimpses"] * TASK["n_scales"] * TASK["glimpse_size"] ** 2 + 1
    weights = np.zeros((n_features, envs.single_action_space["label"].n))
    baseline = 0.1
    for _ in range(episodes // num_envs):
        features, labels, probabilities, reward = play(envs, weights, rng, greedy=False)
        advantage = reward - baseline
        baseline += 0.05 * (reward.mean() - baseline)
        # grad of log softmax(labels) w.r.t. the logits is onehot(labels) - probabilities
        grad_logits = -probabilities
        grad_logits[np.arange(num_envs), labels] += 1.0
        weights += learning_rate * features.T @ (advantage[:, None] * grad_logits) / num_envs
    valid = gym.make_vec("GlimpseMNIST-v0", num_envs=1000, split="valid", **TASK)
    valid.reset(seed=seed)
    return weights, float(play(valid, weights, rng, greedy=True)[3].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=60000)
    parser.add_argument("--num-envs", type=int, default=256)
    args = parser.parse_args()
    _, accuracy = train(args.episodes, args.num_envs)
    print(f"validation accuracy of the greedy policy: {accuracy:.1%} (chance: 10%)")


if __name__ == "__main__":
    main()
