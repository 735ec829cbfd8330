"""Trained agents shipped with the package, as rl-baselines3-zoo ships rl-trained-agents.

Each lives in ``agents/trained/ALGO/ENV_ID/``:

- ``agent.pt``: the weights a run of ``train_agent.py`` was tested with (its ``test.json``'s ``selection``:
  the final weight average, or the best-validation checkpoint; docs/design.md), without optimizer state
  (``agents.load`` reads it);
- ``config.json``: the run's settings, with the exact command line and seed that produced it;
- ``test.json``: what that run measured on the test split (``error``: one deterministic glimpse path per
  image, episode ``i`` seeded ``i``).

    import agents
    agent = agents.load_pretrained("GlimpseClutteredMNIST-v0")
    print(agents.evaluate(agent, "GlimpseClutteredMNIST-v0", split="test")["error"])

A finished run directory becomes a shipped agent with
``python -m agents.cli.ship RUN_DIR`` (it refuses a run that has not been tested).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from agents.checkpoints import ALGORITHMS, RAM_ENV_IDS, load

__all__ = ["TRAINED_DIR", "available_pretrained", "load_pretrained", "pretrained_dir", "ship_run"]

TRAINED_DIR = Path(__file__).resolve().parent / "trained"
FILES = ("agent.pt", "config.json", "test.json")


def available_pretrained(root: Path | None = None) -> list[tuple[str, str]]:
    """``(algo, env_id)`` of every shipped agent under ``root`` (default ``TRAINED_DIR``), sorted."""
    root = TRAINED_DIR if root is None else root
    return sorted((folder.parent.name, folder.name) for folder in root.glob("*/*") if (folder / "agent.pt").is_file())


def pretrained_dir(env_id: str, algo: str = "reinforce", root: Path | None = None) -> Path:
    """The folder of the shipped ``algo`` agent of ``env_id`` (``agent.pt``, ``config.json``, ``test.json``).

    Raises:
        ValueError: ``env_id`` or ``algo`` is not a registered name (so a path cannot reach outside ``root``),
            or no agent of that algorithm is shipped for that env; the message lists those that are.
    """
    folder = _agent_folder(env_id, algo, TRAINED_DIR if root is None else root)
    if not (folder / "agent.pt").is_file():
        shipped = ", ".join(f"{env} ({name})" for name, env in available_pretrained(root)) or "none"
        raise ValueError(
            f"no trained {algo} agent of {env_id} is shipped; shipped agents: {shipped}. Train one with "
            f"`python train_agent.py --algo {algo} --env {env_id}`"
        )
    return folder


def _agent_folder(env_id: Any, algo: Any, root: Path) -> Path:
    """``root / algo / env_id`` for a registered ``algo`` and ram-env ``env_id``, and nothing else."""
    if algo not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algo!r}: use one of {list(ALGORITHMS)}")
    if env_id not in RAM_ENV_IDS:
        raise ValueError(f"{env_id!r} is not a ram-env id: use one of {list(RAM_ENV_IDS)}")
    return root / algo / env_id


def load_pretrained(env_id: str, algo: str = "reinforce", device: str = "cpu", root: Path | None = None) -> Any:
    """The shipped ``algo`` agent of ``env_id`` on ``device``, ready for ``predict`` and ``agents.evaluate``.

    Its run's record is in ``pretrained_dir(env_id, algo) / "test.json"`` and ``"config.json"``.

    Raises:
        ValueError: none is shipped (see ``pretrained_dir``).
    """
    return load(pretrained_dir(env_id, algo, root) / "agent.pt", device=device)


def ship_run(run_dir: str | Path, root: Path | None = None) -> Path:
    """Copy the agent that the finished run in ``run_dir`` was tested with (``test.json``'s ``selection``:
    ``"final"``, its latest checkpoint's acting weights, or ``"best"``, its best-validation checkpoint) into
    ``root/ALGO/ENV_ID/``, without its optimizer state, beside the run's ``config.json`` and ``test.json``;
    return that folder.

    Raises:
        ValueError: the run has not been tested (no ``test.json``) or lacks that checkpoint or its config.
    """
    run_dir = Path(run_dir)
    test_file = run_dir / "test.json"
    selection = json.loads(test_file.read_text()).get("selection", "best") if test_file.is_file() else "best"
    checkpoint = "checkpoints/latest.pt" if selection == "final" else "checkpoints/best.pt"
    missing = [name for name in (checkpoint, "config.json", "test.json") if not (run_dir / name).is_file()]
    if missing:
        raise ValueError(
            f"{run_dir} is not a finished, tested run: it lacks {', '.join(missing)}; finish it with "
            f"`python train_agent.py --run-dir {run_dir} --resume`"
        )
    config = json.loads((run_dir / "config.json").read_text())
    if not isinstance(config, dict):
        raise ValueError(f"{run_dir / 'config.json'} is not a run's settings (a JSON object); it holds {config!r:.60}")
    folder = _agent_folder(config.get("env_id"), config.get("algo"), TRAINED_DIR if root is None else root)
    agent = load(run_dir / checkpoint)
    if (agent.algo, agent.env_id) != (config["algo"], config["env_id"]):
        raise ValueError(
            f"{run_dir / checkpoint} holds a {agent.algo} agent of {agent.env_id}, but the run's "
            f"config.json says {config['algo']} on {config['env_id']}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    agent.save(folder / "agent.pt", training_state=False)
    test = json.loads((run_dir / "test.json").read_text())
    test["checkpoint"] = "agent.pt"
    (folder / "test.json").write_text(json.dumps(test, indent=2) + "\n")
    shutil.copyfile(run_dir / "config.json", folder / "config.json")
    return folder
