"""train_agent.py on your own images: a small REINFORCE run on a folder of PNG files writes its run
directory with colour pictures, ``--eval-only`` scores it again with the images stored in the checkpoint;
PPO and RecurrentPPO train on it unchanged; the image flags are refused without --source or with another
env."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from image_data import write_image_folder

from agents.cli import train as train_agent
from agents.cli.parser import parse_flags
from agents.cli.settings import env_kwargs_of

SMALL = ["--env", "GlimpseImages-v0", "--canvas-size", "40", "--n-scales", "2", "--epochs", "1", "--batch-size",
         "16", "--glimpse-hidden", "8", "--location-hidden", "8", "--hidden-size", "16", "--pictures", "2",
         "--no-progress-bar",
         "--valid-size", "500"]  # fmt: skip


@pytest.mark.slow
def test_small_run_on_an_image_folder_and_eval_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_image_folder(tmp_path / "shapes", per_class=25)
    run_dir = tmp_path / "run"
    assert train_agent.main([*SMALL, "--source", str(source), "--run-dir", str(run_dir)]) == 0
    test = json.loads((run_dir / "test.json").read_text())
    assert test["n_episodes"] == 10  # 10% of the 100 images, carved with the default split seed
    picture = cv2.imread(str(run_dir / "pictures" / "glimpse_paths.png"))
    assert picture is not None and (picture[..., 0] != picture[..., 2]).any()  # colour, not grey
    capsys.readouterr()
    assert train_agent.main(["--eval-only", "--checkpoint", str(run_dir / "checkpoints" / "best.pt")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error"] == test["error"]


@pytest.mark.parametrize("algo", ["ppo", "recurrent_ppo"])
def test_sb3_algorithms_train_on_an_image_folder_unchanged(
    algo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_image_folder(tmp_path / "shapes", per_class=25)
    run_dir = tmp_path / algo
    argv = ["--algo", algo, "--env", "GlimpseImages-v0", "--source", str(source), "--canvas-size", "40", "--n-scales",
            "2", "-n", "1000", "--num-envs", "8", "--eval-freq", "500", "--pictures", "2", "--no-progress-bar",
            "--run-dir", str(run_dir)]  # fmt: skip
    assert train_agent.main(argv) == 0, capsys.readouterr().err
    test = json.loads((run_dir / "test.json").read_text())
    assert test["n_episodes"] == 10 and test["algo"] == algo
    assert (run_dir / "pictures" / "glimpse_paths.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "GlimpseImages-v0"], "--env GlimpseImages-v0: GlimpseImages-v0 needs source="),
        (["--source", "x"], "--source: not a setting of GlimpseMNIST-v0 (only of --env GlimpseImages-v0"),
        (["--env", "GlimpseCatch-v0", "--canvas-size", "40"], "--canvas-size: not a setting of GlimpseCatch-v0"),
        (["--n-clutter", "-1"], "--n-clutter: n_clutter must be an integer >= 0"),
        (["--env", "GlimpseImages-v0", "--source", "/no/such/folder"], "/no/such/folder"),
    ],
)
def test_env_flags_are_checked(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train_agent.main([*argv, "--run-dir", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err


def test_every_id_takes_its_task_flags() -> None:
    """The README's promise: every classification id takes canvas_size, n_clutter, ... on the command line too."""
    flags = parse_flags(["--canvas-size", "40", "--n-clutter", "2", "--n-scales", "2"])
    assert env_kwargs_of(flags) == {"canvas_size": 40, "n_clutter": 2, "n_scales": 2}
    assert env_kwargs_of(parse_flags(["--env", "GlimpseCatch-v0", "--n-scales", "2"])) == {"n_scales": 2}
