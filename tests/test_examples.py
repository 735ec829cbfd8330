"""The examples in examples/ run and learn."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpy_reinforce_learns_from_the_reward_alone() -> None:
    example = load("numpy_reinforce")
    untrained_weights, untrained = example.train(episodes=0, num_envs=256)
    assert np.all(untrained_weights == 0) and untrained < 0.2
    _, accuracy = example.train(episodes=30000, num_envs=256)
    assert accuracy > 0.4
