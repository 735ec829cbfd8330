"""Resume and --eval-only check what they load (issue 26, item 4): a checkpoint of another run is refused
before it overwrites anything, and a ``GlimpseImages-v0`` agent stores its images' fingerprint, so that
changed images stop a resume and another source is scored only when it fits and is asked for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from image_data import CLASS_NAMES, write_image_folder

import agents
from agents.cli import train as train_agent

SMALL = ["--epochs", "1", "--batch-size", "16", "--glimpse-hidden", "8", "--location-hidden", "8", "--hidden-size",
         "16", "--pictures", "0", "--no-progress-bar",
         "--valid-size", "500"]  # fmt: skip
IMAGES = ["--env", "GlimpseImages-v0", "--canvas-size", "40", "--n-scales", "2"]


def _one_line(code: int, capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished tiny REINFORCE run on a folder of 4 classes of coloured shapes: (source, run dir)."""
    root = tmp_path_factory.mktemp("image_run")
    source = write_image_folder(root / "shapes", per_class=25)
    run_dir = root / "run"
    assert train_agent.main([*IMAGES, *SMALL, "--source", str(source), "--run-dir", str(run_dir)]) == 0
    return source, run_dir


def test_the_checkpoints_store_the_images_fingerprint(image_run: tuple[Path, Path]) -> None:
    source, run_dir = image_run
    agent = agents.load(run_dir / "checkpoints" / "latest.pt")
    fingerprint = agent.data_fingerprint
    assert fingerprint["class_names"] == sorted(CLASS_NAMES)
    assert fingerprint["channels"] == 3 and sum(fingerprint["sizes"]) == 100 and len(fingerprint["files"]) == 64


def test_changed_images_stop_a_resume(
    image_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, run_dir = image_run
    copy_source, copy_run = tmp_path / "shapes", tmp_path / "run"
    shutil.copytree(source, copy_source)
    shutil.copytree(run_dir, copy_run)
    config = json.loads((copy_run / "config.json").read_text())
    config["env_kwargs"]["source"] = str(copy_source)
    (copy_run / "config.json").write_text(json.dumps(config))
    for name in ("latest.pt", "best.pt"):  # the checkpoints name the copy
        agent = agents.load(copy_run / "checkpoints" / name)
        agent.env_kwargs["source"] = str(copy_source)
        agent.save(copy_run / "checkpoints" / name, training_state=name == "latest.pt")
    (copy_run / "test.json").unlink()
    first = sorted((copy_source / "disc_red").iterdir())[0]
    image = cv2.imread(str(first))
    cv2.imwrite(str(first), 255 - image)  # same classes, another image
    metrics = (copy_run / "metrics.jsonl").read_text()
    code = train_agent.main(["--run-dir", str(copy_run), "--resume", "--no-progress-bar"])
    assert "its images have changed since it was saved (files differ)" in _one_line(code, capsys)
    assert (copy_run / "metrics.jsonl").read_text() == metrics


def test_eval_only_on_other_images(
    image_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, run_dir = image_run
    checkpoint = str(run_dir / "checkpoints" / "latest.pt")
    other = write_image_folder(tmp_path / "other", per_class=25, seed=1)
    code = train_agent.main(["--eval-only", "--checkpoint", checkpoint, "--source", str(other)])
    assert "its images have changed since it was saved" in _one_line(code, capsys)
    assert (
        train_agent.main(["--eval-only", "--checkpoint", checkpoint, "--source", str(other), "--allow-other-data"]) == 0
    )
    assert "scoring on other images than" in capsys.readouterr().out
    more = tmp_path / "more"
    shutil.copytree(other, more)
    for extra in ("a", "b"):
        shutil.copytree(more / "disc_red", more / extra)
    code = train_agent.main(["--eval-only", "--checkpoint", checkpoint, "--source", str(more), "--allow-other-data"])
    assert "it was trained on images of 4 classes, and the source has 6" in _one_line(code, capsys)
    grey = tmp_path / "grey"
    for path in other.rglob("*.png"):
        target = grey / path.relative_to(other)
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY))
    code = train_agent.main(["--eval-only", "--checkpoint", checkpoint, "--source", str(grey), "--allow-other-data"])
    assert "it was trained on images of 3 colour channels, and the source has 1" in _one_line(code, capsys)


def test_resume_refuses_another_runs_checkpoint(
    image_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, run_dir = image_run
    catch = agents.load_pretrained("GlimpseCatch-v0")
    copy_run = tmp_path / "run"
    shutil.copytree(run_dir, copy_run)
    catch.save(copy_run / "checkpoints" / "latest.pt")
    best, metrics = (copy_run / "checkpoints" / "best.pt").read_bytes(), (copy_run / "metrics.jsonl").read_text()
    code = train_agent.main(["--run-dir", str(copy_run), "--resume", "--no-progress-bar"])
    assert "is not this run's checkpoint: its env_id is 'GlimpseCatch-v0'" in _one_line(code, capsys)
    assert (copy_run / "checkpoints" / "best.pt").read_bytes() == best
    assert (copy_run / "metrics.jsonl").read_text() == metrics
    assert np.isfinite(json.loads((copy_run / "test.json").read_text())["error"])
