"""What used to end in a traceback is one line (issue 26, item 7): Ctrl-C (exit 130, with the resume command),
a full disk while checkpointing (exit 2, the last checkpoint intact), a hand-edited config.json, another
algorithm's checkpoint under a run's config, and a checksummed file that wraps a pickle."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import agents
import agents.checkpoints
from agents.checkpoints import ENVELOPE
from agents.cli import train as train_agent

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--n-glimpses", "3", "--batch-size", "50", "--warmup-epochs", "0", "--pictures", "0", "--glimpse-hidden",
         "8", "--location-hidden", "8", "--hidden-size", "16", "--no-progress-bar",
         "--valid-size", "500"]  # fmt: skip


def _error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[-1]


def test_ctrl_c_stops_with_the_resume_command(small_mnist: str, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "train_agent.py",
        "--data-dir",
        small_mnist,
        "--run-dir",
        str(run_dir),
        *SMALL,
        "--epochs",
        "30",
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    latest = run_dir / "checkpoints" / "latest.pt"
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None and not latest.exists():
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert _error_line(err) == (
        f"train_agent.py: stopped; resume with: python train_agent.py --run-dir {run_dir} --resume"
    )
    assert agents.load(latest).epoch >= 1


def test_a_full_disk_keeps_the_last_checkpoint(
    small_mnist: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The third save (epoch 2's) writes to /dev/full, which fails as a full disk does (ENOSPC)."""
    mkstemp, saves = agents.checkpoints.tempfile.mkstemp, []

    def filling(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, name = mkstemp(*args, **kwargs)
        saves.append(name)
        if len(saves) >= 3:
            os.close(handle)
            return os.open("/dev/full", os.O_WRONLY), name
        return handle, name

    monkeypatch.setattr(agents.checkpoints.tempfile, "mkstemp", filling)
    run_dir = tmp_path / "run"
    code = train_agent.main(["--data-dir", small_mnist, "--run-dir", str(run_dir), *SMALL, "--epochs", "3"])
    line = _error_line(capsys.readouterr().err)
    assert code == 2 and "error: no space left on /" in line
    assert (
        f"the last checkpoint (epoch 1) is intact: free some space, then continue with python train_agent.py "
        f"--run-dir {run_dir} --resume" in line
    )
    assert agents.load(run_dir / "checkpoints" / "latest.pt").epoch == 1
    assert not list((run_dir / "checkpoints").glob("*.tmp"))


@pytest.fixture(scope="module")
def finished(small_mnist: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    assert train_agent.main(["--data-dir", small_mnist, "--run-dir", str(run_dir), *SMALL, "--epochs", "1"]) == 0
    (run_dir / "test.json").unlink()  # so that --resume reads the config and tests it
    return run_dir


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_timesteps": "abc"}, "says n_timesteps 'abc': it must be null or an integer >= 1"),
        ({"n_timesteps": -5}, "says n_timesteps -5: it must be null or an integer >= 1"),
        ({"config": "x"}, "says config 'x': it must be a JSON object"),
        ({"algo": "ppo"}, "is not this run's checkpoint: its algo is 'reinforce', the run's"),
    ],
)
def test_a_hand_edited_config_is_one_line(
    finished: Path, tmp_path: Path, change: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoints").mkdir()
    (run_dir / "checkpoints" / "latest.pt").write_bytes((finished / "checkpoints" / "latest.pt").read_bytes())
    config = json.loads((finished / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, **change}))
    algo = ["--algo", "ppo"] if change.get("algo") == "ppo" else []
    code = train_agent.main([*algo, "--run-dir", str(run_dir), "--resume", "--no-progress-bar"])
    assert code == 2 and message in _error_line(capsys.readouterr().err)


def test_a_checksummed_pickle_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pickle.dumps({"format": "ram-env-agent/1", "code": print})  # a pickle torch will not load safely
    import hashlib

    buffer = io.BytesIO()
    torch.save(
        {
            "format": ENVELOPE,
            "sha256": hashlib.sha256(data).hexdigest(),
            "payload": torch.frombuffer(bytearray(data), dtype=torch.uint8),
        },
        buffer,
    )
    (tmp_path / "agent.pt").write_bytes(buffer.getvalue())
    code = train_agent.main(["--eval-only", "--checkpoint", str(tmp_path / "agent.pt")])
    line = _error_line(capsys.readouterr().err)
    assert code == 2 and "its checksum is right, but what it wraps is not the data of a saved agent" in line
