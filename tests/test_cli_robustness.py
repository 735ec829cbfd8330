"""train_agent.py before the first update (issue 16): every bad flag, file or folder ends in one line and
exit status 2; a diverging run stops in one line keeping its last good checkpoint; --eval-only honours the
flags that fit the saved agent and refuses the others; --resume of a finished run says so."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from idx_files import N_TEST, write_small_mnist
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import agents
from agents.callbacks import RunDirectoryCallback
from agents.checkpoints import FORMAT, atomic_save
from agents.cli import train as train_agent

SMALL = ["--n-glimpses", "3", "--batch-size", "50", "--epochs", "2", "--warmup-epochs", "0", "--pictures", "0",
         "--no-progress-bar",
         "--valid-size", "500"]  # fmt: skip


@pytest.fixture(scope="module")
def saved_agent(tmp_path_factory: pytest.TempPathFactory, small_mnist: str) -> Path:
    """An untrained small REINFORCE agent on the small dataset (3 glimpses), saved."""
    config = agents.ReinforceConfig(glimpse_hidden=8, location_hidden=8, hidden_size=16, epochs=1)
    agent = agents.ReinforceRAM("GlimpseMNIST-v0", config, env_kwargs={"n_glimpses": 3, "data_dir": small_mnist})
    return agent.save(tmp_path_factory.mktemp("saved") / "agent.pt")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = train_agent.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def error_line(err: str) -> str:
    """The one error line of stderr."""
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0].split(": error: ", 1)[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learning-rate", "inf"], "--learning-rate must be a finite number, got inf"),
        (["--location-std", "inf"], "--location-std must be a finite number, got inf"),
        (["--weight-decay", "inf"], "--weight-decay must be a finite number, got inf"),
        (["--warmup-epochs", "inf"], "--warmup-epochs must be a finite number, got inf"),
        (["--seed", "-1"], "--seed must be an integer in [0, 2**32), got -1"),
        (["--seed", str(2**70)], f"--seed must be an integer in [0, 2**32), got {2**70}"),
        (["--n-glimpses", "0"], "--n-glimpses must be >= 2 (the agents choose at least one location), got 0"),
        (["--n-glimpses", "1"], "--n-glimpses must be >= 2 (the agents choose at least one location), got 1"),
        (["--pictures", "100000"], "--pictures 100000: the test split of GlimpseMNIST-v0 has only 10,000 episodes"),
        (["--algo", "ppo", "--eval-episodes", "0"], "--eval-episodes must be >= 1"),
        (
            ["--algo", "ppo", "--eval-episodes", "6000"],
            "--eval-episodes 6000: the valid split of GlimpseMNIST-v0 has only 5,000 episodes",
        ),
        (["--algo", "ppo", "--hyperparams", "n_steps=0"], "--hyperparams n_steps=0: must be an integer >= 1"),
        (["--algo", "ppo", "--hyperparams", "learning_rate=nan"], "--hyperparams learning_rate=nan: must be a finite"),
        (["--algo", "a2c", "--hyperparams", "learning_rate=lin_inf"], "--hyperparams learning_rate=lin_inf: must be a"),
        (["--algo", "ppo", "--hyperparams", "gamma=1.5"], "--hyperparams gamma=1.5: must be in [0, 1]"),
        (
            ["--env", "GlimpseCatch-v0", "--data-dir", "."],
            "--data-dir is for the classification tasks; GlimpseCatch-v0 has no dataset: leave it out",
        ),
    ],
)
def test_bad_flags_end_in_one_line_and_exit_2_before_training(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run([*argv, "--run-dir", str(tmp_path / "run")], capsys)
    assert code == 2
    assert error_line(err) == message or error_line(err).startswith(message)
    assert not (tmp_path / "run" / "config.json").exists()


def test_an_empty_data_dir_names_the_cli_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(["--data-dir", str(tmp_path / "empty"), "--run-dir", str(tmp_path / "run")], capsys)
    line = error_line(err)
    assert code == 2
    assert line.startswith(f"--data-dir {tmp_path / 'empty'} lacks train-images-idx3-ubyte[.gz], ")
    assert line.endswith("or leave out --data-dir for the MNIST shipped with ram_env")
    assert "data_dir=None" not in line


def test_a_corrupt_data_dir_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = write_small_mnist(tmp_path / "corrupt")
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    code, _, err = run(["--data-dir", str(folder), "--run-dir", str(tmp_path / "run")], capsys)
    line = error_line(err)
    assert code == 2
    assert line.startswith(f"--data-dir {folder}: ") and "t10k-labels-idx1-ubyte.gz" in line
    assert line.endswith("fix the files, or leave out --data-dir for the MNIST shipped with ram_env")


def test_a_run_dir_under_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run(["--run-dir", str(tmp_path / "file" / "run")], capsys)
    assert code == 2
    assert error_line(err) == (
        f"--run-dir {tmp_path / 'file' / 'run'}: cannot create it (Not a directory); choose another --run-dir"
    )


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder of this test's that this process may not write: read-only for a user; for root, who writes
    through permissions, immutable (``chattr +i``, undone after the test)."""
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    if os.geteuid() != 0:
        yield folder
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip(f"chattr +i is not supported on {tmp_path}'s file system (root writes any other folder)")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_run_dir_that_is_not_writable(capsys: pytest.CaptureFixture[str], unwritable_folder: Path) -> None:
    code, _, err = run(["--run-dir", str(unwritable_folder)], capsys)
    assert code == 2
    assert error_line(err) == f"--run-dir {unwritable_folder} is not writable; choose another --run-dir"
    code, _, err = run(["--run-dir", str(unwritable_folder / "run")], capsys)
    assert code == 2 and error_line(err).startswith(f"--run-dir {unwritable_folder / 'run'}: cannot create it (")
    assert list(unwritable_folder.iterdir()) == []


@pytest.mark.parametrize(("name", "make_folder"), [("checkpoints", False), ("test.json", True), ("config.json", True)])
def test_run_dir_entries_of_the_wrong_kind(
    name: str, make_folder: bool, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / name).mkdir() if make_folder else (run_dir / name).write_text("x")
    code, _, err = run(["--run-dir", str(run_dir)], capsys)
    kind, wanted = ("a folder", "a file") if make_folder else ("a file", "a folder")
    assert code == 2
    assert error_line(err) == (
        f"--run-dir {run_dir}: {run_dir / name} is {kind}, not {wanted}; move it away or choose another --run-dir"
    )


def test_a_new_run_removes_orphan_temporary_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    orphan = tmp_path / "run" / "checkpoints" / "latest.pt.x1y2z3.tmp"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half written")
    missing = str(tmp_path / "missing.pt")
    code, _, _ = run(["--run-dir", str(tmp_path / "run"), "--init-from", missing], capsys)  # stops before training
    assert code == 2 and not orphan.exists()


def _resumable_run(run_dir: Path, saved_agent: Path) -> None:
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "latest.pt").write_bytes(saved_agent.read_bytes())
    (run_dir / "config.json").write_text(json.dumps({"algo": "reinforce", "n_timesteps": None}))


def test_resume_with_a_corrupt_latest_checkpoint(
    saved_agent: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _resumable_run(tmp_path, saved_agent)
    latest = tmp_path / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:1000])
    code, _, err = run(["--run-dir", str(tmp_path), "--resume"], capsys)
    assert code == 2
    assert error_line(err).startswith(f"--resume: {latest} is not a saved agent: it is a truncated or damaged zip")


def test_resume_with_a_corrupt_config(saved_agent: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _resumable_run(tmp_path, saved_agent)
    (tmp_path / "config.json").write_text('{"algo": "reinf')
    code, _, err = run(["--run-dir", str(tmp_path), "--resume"], capsys)
    assert code == 2
    assert error_line(err).startswith(f"--resume: {tmp_path / 'config.json'} is not valid JSON (Unterminated string")


def _finished_run(run_dir: Path, small_mnist: str) -> agents.ReinforceRAM:
    """A REINFORCE run whose 1 epoch is done (the agent untrained, its progress set by hand)."""
    config = agents.ReinforceConfig(glimpse_hidden=8, location_hidden=8, hidden_size=16, epochs=1)
    agent = agents.ReinforceRAM("GlimpseMNIST-v0", config, env_kwargs={"n_glimpses": 3, "data_dir": small_mnist})
    agent.epoch, agent.num_timesteps = 1, 3000
    agent.history = [{"epoch": 1, "timesteps": 3000, "valid_error": 0.9, "train_seconds": 6.0}]
    agent.save(run_dir / "checkpoints" / "latest.pt")
    agent.save(run_dir / "checkpoints" / "best.pt", training_state=False)
    (run_dir / "config.json").write_text(json.dumps({"algo": "reinforce", "n_timesteps": None}))
    return agent


def test_resume_of_a_finished_run_says_so(small_mnist: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _finished_run(tmp_path, small_mnist)
    (tmp_path / "test.json").write_text('{"error": 0.5}')
    orphan = tmp_path / "checkpoints" / "best.pt.abc.tmp"
    orphan.write_bytes(b"")
    code, out, _ = run(["--run-dir", str(tmp_path), "--resume", "--pictures", "0"], capsys)
    assert code == 0
    assert out == (
        f"{tmp_path} is finished (3,000 env steps) and tested: --resume did nothing; the test result is "
        f"in {tmp_path / 'test.json'}\n"
    )
    assert (tmp_path / "test.json").read_text() == '{"error": 0.5}'
    assert not orphan.exists()


def test_resume_of_a_finished_untested_run_tests_it(
    small_mnist: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _finished_run(tmp_path, small_mnist)
    code, out, _ = run(["--run-dir", str(tmp_path), "--resume", "--pictures", "0", "--no-progress-bar"], capsys)
    assert code == 0
    assert out.startswith(f"{tmp_path} finished training (3,000 env steps) but was not tested: --resume tests it\n")
    assert json.loads((tmp_path / "test.json").read_text())["n_episodes"] == N_TEST


def test_a_diverging_run_stops_in_one_line_and_keeps_the_last_good_checkpoint(
    small_mnist: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_loss, calls = agents.reinforce.hybrid_loss, []

    def loss_nan_from_epoch_2(*args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        losses = real_loss(*args, **kwargs)
        calls.append(1)
        if len(calls) > 20:  # 1,000 training images / batch 50: epoch 2 starts at update 21
            losses["loss"] = losses["loss"] * float("nan")
        return losses

    monkeypatch.setattr(agents.reinforce, "hybrid_loss", loss_nan_from_epoch_2)
    run_dir = tmp_path / "run"
    code, _, err = run(["--data-dir", small_mnist, "--run-dir", str(run_dir), *SMALL], capsys)
    latest = run_dir / "checkpoints" / "latest.pt"
    assert code == 1
    assert err == (
        f"{err.split(': error: ')[0]}: error: training stopped at 3,000 env steps: the loss is nan; the "
        "likely cause is a learning rate too large for this task (--learning-rate, now 0.002); a smaller "
        "one, or a longer --warmup-epochs, usually cures it; the last good checkpoint, "
        f"{latest}, is kept\n"
    )
    kept = agents.load(latest)
    assert kept.epoch == 1
    assert all(torch.isfinite(p).all() for p in kept.model.parameters())


def test_check_finite_names_non_finite_weights() -> None:
    from agents.reinforce import TrainingDiverged, check_finite

    model = torch.nn.Linear(2, 2)
    check_finite(0.5, model, 1e-3)
    with torch.no_grad():
        model.bias[1] = float("inf")
    with pytest.raises(TrainingDiverged, match=r"^the weights bias hold NaN or inf; .*--learning-rate, now 0.001"):
        check_finite(0.5, model, 1e-3)


def test_tensorboard_keeps_the_last_points_logged_before_a_resume(tmp_path: Path) -> None:
    class Progress:
        num_timesteps, history = 0, []

    agent = Progress()
    first = RunDirectoryCallback(tmp_path, verbose=0)
    first.on_training_start(agent)
    first._writer.add_scalar("eval/valid_error", 0.5, 100)  # the checkpoint's epoch ends at step 100
    first._writer.add_scalar("eval/valid_error", 0.4, 150)  # logged after it, then killed
    first._writer.close()
    agent.num_timesteps = 100  # resumed from the checkpoint at step 100
    second = RunDirectoryCallback(tmp_path, verbose=0)
    second.on_training_start(agent)
    second._writer.add_scalar("eval/valid_error", 0.3, 200)
    second._writer.close()
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert [(e.step, round(e.value, 3)) for e in events.Scalars("eval/valid_error")] == [(100, 0.5), (200, 0.3)]


def test_eval_only_refuses_training_flags_and_a_mismatching_env(
    saved_agent: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = ["--eval-only", "--checkpoint", str(saved_agent)]
    for extra, message in (
        (
            ["--env", "GlimpseCatch-v0"],
            f"--env GlimpseCatch-v0: {saved_agent} holds a reinforce agent of "
            "GlimpseMNIST-v0; leave out --env or give another --checkpoint",
        ),
        (
            ["--algo", "ppo"],
            f"--algo ppo: {saved_agent} holds a reinforce agent of GlimpseMNIST-v0; leave out "
            "--algo or give another --checkpoint",
        ),
        (
            ["--run-dir", str(tmp_path)],
            "--run-dir is for training; --eval-only takes --checkpoint or --pretrained, "
            "and --data-dir, --n-glimpses, --start, --seed, --device",
        ),
        (["--learning-rate", "0.1"], "--learning-rate is for training;"),
        (["--pictures", "3"], "--pictures is for training;"),
    ):
        code, _, err = run([*base, *extra], capsys)
        assert code == 2 and error_line(err).startswith(message), extra


def test_eval_only_honours_data_dir_n_glimpses_and_seed(
    saved_agent: Path, small_mnist: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--eval-only", "--checkpoint", str(saved_agent), "--data-dir", small_mnist, "--n-glimpses", "4",
            "--seed", "7", "--env", "GlimpseMNIST-v0", "--algo", "reinforce"]  # fmt: skip
    code, out, _ = run(argv, capsys)
    assert code == 0
    readable, report_line = out.splitlines()
    report = json.loads(report_line)
    expected = agents.evaluate(agents.load(saved_agent), "GlimpseMNIST-v0", split="test", seed=7,
                               data_dir=small_mnist, n_glimpses=4)  # fmt: skip
    assert report["n_episodes"] == N_TEST and report["seed"] == 7
    assert report["n_correct"] == expected["n_correct"]
    wrong = N_TEST - expected["n_correct"]
    assert readable == f"test error {100 * wrong / N_TEST:.2f}% ({wrong} of {N_TEST} episodes lost) on GlimpseMNIST-v0"


def test_eval_only_on_files_that_are_not_checkpoints(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.pt").write_text("my notes\n")
    atomic_save({"format": FORMAT, "algo": "reinforce"}, tmp_path / "partial.pt")
    for name, message in (
        ("notes.pt", f"--checkpoint: {tmp_path / 'notes.pt'} is not a saved agent: it is a text file of 9 bytes"),
        (
            "partial.pt",
            f"--checkpoint: {tmp_path / 'partial.pt'} is an incomplete saved agent: it lacks the field 'env_id'",
        ),
    ):
        code, _, err = run(["--eval-only", "--checkpoint", str(tmp_path / name)], capsys)
        line = error_line(err)
        assert code == 2 and line.startswith(message)
        assert "weights_only" not in err and "PyTorch" not in err
