"""Checkpoints saved by earlier code still load and act as they did (issue 17: checkpoint format kept), except
an SB3 agent in SB3's own zip, which is refused unread (issue 26: its cloudpickled entries can run code).

``tests/data/reinforce_mnist.pt`` (REINFORCE, 5 updates) and ``tests/data/ppo_mnist.pt`` (SB3 PPO, 2
rollouts), both on GlimpseMNIST-v0 with 3 glimpses, were written with the code of commit a11fd3d by
``PYTHONPATH=. python tests/data/make_compat_checkpoints.py``, which also recorded in
``tests/data/compat_predictions.json`` what each agent made of the first test images then.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import agents

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("make_compat_checkpoints", DATA / "make_compat_checkpoints.py")
maker = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(maker)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["reinforce_mnist.pt"])
def test_an_old_checkpoint_loads_and_predicts_as_it_did(name: str) -> None:
    expected = json.loads((DATA / "compat_predictions.json").read_text())[name]
    agent = agents.load(DATA / name)
    got = maker.record(agent)
    assert got["predictions"] == expected["predictions"]
    assert got["first_label"] == expected["first_label"]
    np.testing.assert_allclose(got["first_location"], expected["first_location"], rtol=0, atol=1e-5)


def test_an_old_sb3_checkpoint_is_refused_unread() -> None:
    with pytest.raises(ValueError, match="inside SB3's own zip, whose cloudpickled entries can run code"):
        agents.load(DATA / "ppo_mnist.pt")
