"""train_agent.py: bad flags end with a clear message and exit 2; a small run writes the whole run
directory; a killed run resumed with --resume ends where an uninterrupted one does."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import agents
from agents.cli import train as train_agent
from agents.cli.parser import parse_flags
from agents.cli.settings import prepare

REPO = Path(__file__).resolve().parents[1]
# A small, fast configuration on the small dataset (1,000 training images, 3 glimpses).
SMALL = [
    "--n-glimpses",
    "3",
    "--batch-size",
    "50",
    "--epochs",
    "2",
    "--warmup-epochs",
    "0",
    "--pictures",
    "2",
    "--no-progress-bar",
    "--valid-size",
    "500",
]


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = train_agent.main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_seed_reaches_an_sb3_agent(tmp_path: Path) -> None:
    flags = parse_flags(["--algo", "ppo", "--seed", "3", "--num-envs", "4", "--run-dir", str(tmp_path)])
    settings = prepare(flags)  # --seed is no reinforce-only flag
    agent, _ = train_agent.new_agent(settings, tmp_path)
    assert agent.seed == 3 and agent.model.seed == 3


def test_flags_are_parsed_once_and_settings_are_frozen(tmp_path: Path) -> None:
    """``Flags.given`` tells a flag given at its default from one left out (--eval-only checks --env by it), the
    parsed flags and the settings refuse changes, and a new run's settings hold its resolved config."""
    flags = parse_flags(["--env", "GlimpseMNIST-v0", "--seed", "0", "--epochs", "4", "--run-dir", str(tmp_path)])
    assert flags.given == ("env", "seed", "run_dir", "epochs") and flags.algo == "reinforce"
    assert parse_flags([]).given == () and parse_flags([]).env == "GlimpseMNIST-v0"
    with pytest.raises(AttributeError, match="read-only"):
        flags.seed = 1
    settings = prepare(flags)
    assert isinstance(settings.hyperparams, agents.ReinforceConfig) and settings.hyperparams.epochs == 4
    assert (settings.run_dir, settings.resume, settings.seed) == (tmp_path, False, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.seed = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--algo", "ppo", "--batch-size", "3"], "--batch-size is a reinforce hyperparameter"),
        (["--num-envs", "3"], "--num-envs is for the SB3 algorithms"),
        (["--algo", "a2c", "--hyperparams", "nonsense"], "expected KEY=VALUE"),
        (["--algo", "ppo", "--grid-size", "1"], "--grid-size must be >= 2"),
        (["--algo", "ppo", "--location-init-std", "0"], "--location-init-std must be > 0"),
        (["--location-init-std", "0.5"], "--location-init-std is for the SB3 algorithms"),
        (["--algo", "ppo", "--hyperparams", "learning_rate=lin_x"], "a linear schedule is written lin_<start>"),
        (["--data-dir", "/no/such/folder"], "--data-dir /no/such/folder: no such folder"),
        (["--eval-only"], "--eval-only needs either --checkpoint PATH"),
        (["--eval-only", "--checkpoint", "a.pt", "--pretrained", "GlimpseMNIST-v0"], "--eval-only needs either"),
        (["--pretrained", "GlimpseMNIST-v0"], "--pretrained evaluates a shipped agent: add --eval-only"),
        (["--eval-only", "--checkpoint", "/no/such.pt"], "no saved agent at /no/such.pt"),
        (["--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["--core", "gru"], "--core must be one of"),
        (["--learning-rate", "-1"], "--learning-rate must be > 0"),
        (["-n", "0"], "-n/--n-timesteps must be >= 1"),
        (["--device", "tpu9"], "--device 'tpu9' is not a torch device"),
    ],
)
def test_bad_flags_exit_2_with_a_clear_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_dir = [] if "--eval-only" in argv else ["--run-dir", str(tmp_path / "run")]  # --eval-only refuses it
    code, output = run_main(argv + run_dir, capsys)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = run_main(["--device", "cuda", "--run-dir", str(tmp_path)], capsys)
    assert code == 2 and "CUDA is not available" in output


def test_resume_without_a_run_and_run_dir_clashes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = run_main(["--resume", "--run-dir", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "--resume: no checkpoint at" in output
    (tmp_path / "file").write_text("x")
    code, output = run_main(["--run-dir", str(tmp_path / "file")], capsys)
    assert code == 2 and "is a file, not a folder" in output


def test_argparse_errors_and_help_from_the_command_line() -> None:
    bad = subprocess.run(
        [sys.executable, "train_agent.py", "--env", "NoSuchEnv-v0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "invalid choice: 'NoSuchEnv-v0'" in bad.stderr
    mixed = subprocess.run(
        [sys.executable, "train_agent.py", "--algo", "a2c", "--location-std", "0.2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert mixed.returncode == 2 and "--location-std is a reinforce hyperparameter" in mixed.stderr
    assert "Traceback" not in mixed.stderr


@pytest.mark.slow
def test_small_run_writes_the_run_directory(
    small_mnist: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    code, output = run_main(["--data-dir", small_mnist, "--run-dir", str(run_dir), *SMALL], capsys)
    assert code == 0, output
    config = json.loads((run_dir / "config.json").read_text())
    assert config["algo"] == "reinforce" and config["config"]["batch_size"] == 50
    assert config["env_kwargs"]["n_glimpses"] == 3
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert [line.split(": error")[0] for line in output.splitlines() if line.startswith("validation at")] == [
        f"validation at {m['timesteps']:,} env steps (epoch {m['epoch']})" for m in metrics
    ]
    best = min(metrics, key=lambda m: m["valid_error"])
    best_line = f"best validation {100 * best['valid_error']:.2f}% at epoch {best['epoch']}; with random"
    assert f"(final weights; {best_line}" in output
    for key in ("cross_entropy", "reinforce", "baseline_mse", "reward", "valid_error", "learning_rate"):
        assert key in metrics[0]
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    test = json.loads((run_dir / "test.json").read_text())
    assert test["n_episodes"] == 500 and 0.0 <= test["error"] <= 1.0
    assert test["valid_errors"] == [m["valid_error"] for m in metrics]
    assert test["selection"] == "final" and test["error"] == test["final_error"]  # the rule of docs/design.md
    assert config["precision"] in ("fp32", "bf16") and config["config"]["ema_decay"] > 0
    final = agents.load(run_dir / "checkpoints" / "latest.pt")
    assert agents.evaluate(final, "GlimpseMNIST-v0", "test", **final.env_kwargs)["error"] == test["error"]
    best_agent = agents.load(run_dir / "checkpoints" / "best.pt")
    assert (
        agents.evaluate(best_agent, "GlimpseMNIST-v0", "test", **best_agent.env_kwargs)["error"]
        == (test["best_checkpoint_error"])
    )
    for key in ("sampled_path_error", "vote_10_error", "average_10_error"):
        assert 0.0 <= test[key] <= 1.0, key
    assert (run_dir / "pictures" / "glimpse_paths.png").stat().st_size > 0
    assert (run_dir / "pictures" / "learning_curves.png").stat().st_size > 0
    assert (run_dir / "pictures" / "glimpse_paths.gif").stat().st_size > 0
    assert isinstance(agents.load(run_dir / "checkpoints" / "best.pt"), agents.ReinforceRAM)
    code, output = run_main(["--eval-only", "--checkpoint", str(run_dir / "checkpoints" / "latest.pt")], capsys)
    assert code == 0
    assert json.loads(output.strip().splitlines()[-1])["error"] == test["error"]
    code, output = run_main(["--data-dir", small_mnist, "--run-dir", str(run_dir), *SMALL], capsys)
    assert code == 2 and "already holds a run" in output


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(small_mnist: str, tmp_path: Path) -> None:
    """A real process killed mid-training (epoch 2 of 3), then --resume, ends as a run never killed."""
    common = [sys.executable, "train_agent.py", "--data-dir", small_mnist, *SMALL, "--epochs", "3", "--pictures", "0"]
    whole = subprocess.run(
        [*common, "--run-dir", str(tmp_path / "whole")], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert whole.returncode == 0, whole.stderr
    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(
        [*common, "--run-dir", str(killed_dir)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    latest = killed_dir / "checkpoints" / "latest.pt"
    try:
        while process.poll() is None and not (latest.exists() and "epoch" in _metrics_text(killed_dir)):
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    assert latest.exists(), "the run ended before writing its first checkpoint"
    resumed = subprocess.run(
        [
            sys.executable,
            "train_agent.py",
            "--run-dir",
            str(killed_dir),
            "--resume",
            "--no-progress-bar",
            "--pictures",
            "0",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    a = agents.load(tmp_path / "whole" / "checkpoints" / "latest.pt")
    b = agents.load(latest)
    assert a.epoch == b.epoch == 3
    for (name, x), y in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
    for (name, x), y in zip(a.policy.state_dict().items(), b.policy.state_dict().values(), strict=True):
        assert torch.equal(x, y), name  # the weight average too
    whole_test = json.loads((tmp_path / "whole" / "test.json").read_text())
    resumed_test = json.loads((killed_dir / "test.json").read_text())
    assert whole_test["error"] == resumed_test["error"]
    assert whole_test["valid_errors"] == resumed_test["valid_errors"]


def _metrics_text(run_dir: Path) -> str:
    path = run_dir / "metrics.jsonl"
    return path.read_text() if path.exists() else ""


def test_one_run_per_run_dir(small_mnist: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second run on a run dir in use is refused with the holder's PID; a killed holder blocks nothing."""
    run_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from agents.run_dir import RunDirectory; "
            "r = RunDirectory(sys.argv[1]); r.lock(); print('held', flush=True); time.sleep(120)",
            str(run_dir),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        argv = [
            "--data-dir",
            small_mnist,
            "--run-dir",
            str(run_dir),
            *SMALL,
            "--epochs",
            "1",
            "--pictures",
            "0",
            "--hidden-size",
            "16",
            "--glimpse-hidden",
            "8",
            "--location-hidden",
            "8",
        ]
        code, output = run_main(argv, capsys)
        assert code == 2 and f"{run_dir} is in use by another run (process {holder.pid})" in output
        assert not (run_dir / "config.json").exists()
    finally:
        holder.kill()
        holder.wait()
    code, output = run_main(argv, capsys)
    assert code == 0, output
    assert (run_dir / "run.lock").read_text().strip().isdigit()
