"""The SB3 snippets of README.md and docs/plugging_in.md build their models with the project's own
settings (the env's hyperparameter file over the library's defaults), not SB3's defaults, so that their
``model.learn`` calls take the number of env steps they ask for (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from agents.defaults import env_hyperparams

REPO = Path(__file__).resolve().parents[1]


def snippet(document: str, marker: str) -> str:
    """The python block of ``document`` that contains ``marker``, without its ``model.learn`` line."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / document).read_text(), flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    assert "model.learn(100_000)" in block
    return "\n".join(line for line in block.splitlines() if not line.startswith("model.learn("))


@pytest.mark.parametrize(
    ("document", "marker", "algo"),
    [("README.md", "PPO(", "ppo"), ("docs/plugging_in.md", "RecurrentPPO(", "recurrent_ppo")],
)
def test_sb3_snippet_uses_the_projects_settings(document: str, marker: str, algo: str) -> None:
    torch.set_num_threads(1)
    namespace: dict = {}
    exec(snippet(document, marker), namespace)  # noqa: S102 - the documentation's own code
    model, table = namespace["model"], env_hyperparams("GlimpseMNIST-v0", algo)
    assert model.n_envs == table["num_envs"]
    for key in ("n_steps", "batch_size", "n_epochs", "gamma", "ent_coef"):
        assert getattr(model, key) == table[key], key
    learning_rate = table["learning_rate"]
    if isinstance(learning_rate, str):  # "lin_X": X at the start, 0 at the end
        start = float(learning_rate[4:])
        assert (model.learning_rate(1.0), model.learning_rate(0.0)) == (start, 0.0)
    else:
        assert model.learning_rate == learning_rate
    for key, value in table.get("policy_kwargs", {}).items():
        assert model.policy_kwargs[key] == value, key
