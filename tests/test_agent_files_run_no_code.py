"""No agent file runs code when loaded (issue 26, item 1): SB3 agents are saved as weights and plain settings,
rebuilt by our code; a file in SB3's own zip format, whose cloudpickled entries would run, is refused on every
load path with one line, before anything in it is unpickled; the shipped SB3 agents, re-saved, act as before."""

from __future__ import annotations

import base64
import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import agents
from agents.checkpoints import FORMAT, atomic_save, read_checkpoint
from agents.cli import train as train_agent

REPO = Path(__file__).resolve().parent.parent
RECORDED = Path(__file__).parent / "data" / "shipped_sb3_actions.json"


class _Marker:
    """Unpickling it creates ``path``: the proof that a load ran the file's code."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (self.path, "w")


def poisoned_sb3_file(path: Path, marker: Path) -> Path:
    """A checksummed agent file in the earlier format: SB3's zip with an added ``:serialized:`` entry."""
    entry = base64.b64encode(pickle.dumps(_Marker(marker))).decode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("data", json.dumps({"evil": {":type:": "<class 'x'>", ":serialized:": entry}}))
    shipped = read_checkpoint(REPO / "agents/trained/recurrent_ppo/GlimpseCatch-v0/agent.pt")
    settings = {
        key: shipped[key]
        for key in ("algo", "env_id", "num_envs", "seed", "grid_size", "location_init_std", "env_kwargs", "hyperparams")
    }
    return atomic_save({"format": FORMAT, **settings, "history": [], "model": archive.getvalue()}, path)


@pytest.fixture
def poisoned(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "ran_code"
    return poisoned_sb3_file(tmp_path / "agent.pt", marker), marker


def test_the_poisoned_file_would_run_code_under_sb3s_own_load(poisoned: tuple[Path, Path]) -> None:
    """The test's file is really poisoned: SB3's json_to_data, which its load calls, creates the marker."""
    from stable_baselines3.common.save_util import json_to_data

    path, marker = poisoned
    with zipfile.ZipFile(io.BytesIO(read_checkpoint(path)["model"])) as zipped:
        json_to_data(zipped.read("data").decode())
    assert marker.exists()


def test_agents_load_and_load_pretrained_refuse_it(poisoned: tuple[Path, Path], tmp_path: Path) -> None:
    path, marker = poisoned
    with pytest.raises(ValueError, match="saved by an earlier ram-env inside SB3's own zip.*can run code"):
        agents.load(path)
    shipped = tmp_path / "trained" / "recurrent_ppo" / "GlimpseCatch-v0"
    shipped.mkdir(parents=True)
    path.rename(shipped / "agent.pt")
    with pytest.raises(ValueError, match="can run code"):
        agents.load_pretrained("GlimpseCatch-v0", "recurrent_ppo", root=tmp_path / "trained")
    assert not marker.exists()


def _one_line_error(code: int, stderr: str) -> str:
    assert code == 2 and "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    return errors[0]


def test_every_command_refuses_it_with_one_line(
    poisoned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, marker = poisoned
    code = train_agent.main(["--eval-only", "--checkpoint", str(path)])
    assert "can run code" in _one_line_error(code, capsys.readouterr().err)
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps({"algo": "recurrent_ppo", "env_id": "GlimpseCatch-v0"}))
    (run_dir / "checkpoints" / "latest.pt").write_bytes(path.read_bytes())
    code = train_agent.main(["--algo", "recurrent_ppo", "--run-dir", str(run_dir), "--resume"])
    assert "can run code" in _one_line_error(code, capsys.readouterr().err)
    (run_dir / "checkpoints" / "best.pt").write_bytes(path.read_bytes())
    (run_dir / "test.json").write_text(json.dumps({"error": 0.0, "selection": "best"}))
    ship = subprocess.run(
        [sys.executable, "-m", "agents.cli.ship", str(run_dir), "--root", str(tmp_path / "trained")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "can run code" in _one_line_error(ship.returncode, ship.stderr)
    assert not (tmp_path / "trained").exists() and not marker.exists()


@pytest.mark.parametrize("env_id", ["GlimpseMNIST-v0", "GlimpseCatch-v0"])
def test_the_resaved_shipped_sb3_agents_act_as_before(env_id: str) -> None:
    """The actions the shipped agents took, recorded with SB3's own load before they were re-saved."""
    recorded = json.loads(RECORDED.read_text())[env_id]
    agent = agents.load_pretrained(env_id, "recurrent_ppo")
    assert "model" not in read_checkpoint(agents.pretrained_dir(env_id, "recurrent_ppo") / "agent.pt")
    split = {} if env_id == "GlimpseCatch-v0" else {"split": "test"}
    obs, _ = gym.make_vec(env_id, num_envs=recorded["num_envs"], **split).reset(seed=recorded["observation_seed"])
    key = agent._key
    state, start = None, np.ones(recorded["num_envs"], dtype=bool)
    for step in range(recorded["steps"]):
        action, state = agent.predict(obs, state, start, deterministic=True)
        start = np.zeros_like(start)
        np.testing.assert_allclose(action["location"], recorded["locations"][step], atol=1e-6)
        np.testing.assert_array_equal(action[key], recorded[key + "s"][step])


# ------------------------------------------------------------------ item 2: checkpoints are data, checked


def _with(tmp_path: Path, name: str, **changes: object) -> Path:
    """The shipped MNIST agent's file with some payload fields changed (re-checksummed)."""
    payload = read_checkpoint(REPO / "agents/trained/reinforce/GlimpseMNIST-v0/agent.pt")
    return atomic_save({**payload, **changes}, tmp_path / name)


def test_a_files_env_id_is_never_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _with(tmp_path, "agent.pt", env_id="this:GlimpseMNIST-v0")
    with pytest.raises(ValueError, match="its env_id 'this:GlimpseMNIST-v0' is not a ram-env id"):
        agents.load(path)
    assert "this" not in sys.modules and "Zen of Python" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("env_kwargs", "message"),
    [
        ({"render_mode": "human"}, "its env_kwargs hold 'render_mode', which GlimpseMNIST-v0 does not take"),
        ({"num_envs": 3}, "its env_kwargs hold 'num_envs'"),
        ({"colour": 1}, "its env_kwargs hold 'colour'"),
        (["n_glimpses", 3], "its env_kwargs must be a dict"),
        ({"n_glimpses": -5}, "n_glimpses must be an integer >= 1"),  # the env's own validator
    ],
)
def test_a_files_env_kwargs_are_checked(tmp_path: Path, env_kwargs: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agents.load(_with(tmp_path, "agent.pt", env_kwargs=env_kwargs))


@pytest.mark.parametrize("env_id", ["../../x", "GlimpseMNIST-v0/../GlimpseCatch-v0", "/etc"])
def test_shipped_agents_resolve_inside_their_folder(env_id: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a ram-env id"):
        agents.load_pretrained(env_id)
    with pytest.raises(ValueError, match="unknown algorithm"):
        agents.load_pretrained("GlimpseMNIST-v0", algo="../reinforce")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"algo": "reinforce", "env_id": "../../../x"}, "is not a ram-env id"),
        ({"algo": str(Path("/tmp/elsewhere")), "env_id": "GlimpseMNIST-v0"}, "unknown algorithm"),
        ({"algo": "reinforce", "env_id": "GlimpseCatch-v0"}, "holds a reinforce agent of GlimpseMNIST-v0, but the run"),
        ("x", "is not a run's settings"),
    ],
)
def test_ship_writes_only_inside_the_trained_folder(tmp_path: Path, config: object, message: str) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    _with(run_dir / "checkpoints", "best.pt")
    (run_dir / "config.json").write_text(json.dumps(config))
    (run_dir / "test.json").write_text(json.dumps({"error": 0.01, "selection": "best"}))
    with pytest.raises(ValueError, match=message):
        agents.pretrained.ship_run(run_dir, tmp_path / "trained")
    assert not (tmp_path / "trained").exists() and not Path("/tmp/elsewhere").exists()
