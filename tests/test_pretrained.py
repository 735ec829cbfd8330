"""Shipped trained agents: ``ship_run`` turns a finished run into one (the weights it was tested with, no
optimizer state, the run's config.json and test.json beside it); ``load_pretrained`` and
``train_agent.py --eval-only --pretrained`` find it, and name the shipped ones when asked for another; every
agent shipped in the package scores its recorded test error on the whole test split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from idx_files import write_small_mnist

import agents
import agents.pretrained
from agents.checkpoints import read_checkpoint
from agents.cli import train as train_agent

SMALL = ["--n-glimpses", "3", "--batch-size", "50", "--epochs", "1", "--warmup-epochs", "0", "--pictures", "0",
         "--glimpse-hidden", "8", "--location-hidden", "8", "--hidden-size", "16", "--no-progress-bar",
         "--valid-size", "500"]  # fmt: skip
TOLERANCE = 0.0005  # 0.05 points: float summation order differs between CPUs


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny finished and tested REINFORCE run on a small dataset."""
    data = write_small_mnist(tmp_path_factory.mktemp("small_mnist_pretrained"))
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    assert train_agent.main(["--data-dir", str(data), "--run-dir", str(run_dir), *SMALL]) == 0
    return run_dir


def test_ship_run_keeps_the_tested_weights_without_optimizer_state(finished_run: Path, tmp_path: Path) -> None:
    folder = agents.pretrained.ship_run(finished_run, tmp_path)
    assert folder == tmp_path / "reinforce" / "GlimpseMNIST-v0"
    assert sorted(path.name for path in folder.iterdir()) == ["agent.pt", "config.json", "test.json"]
    assert "training" not in read_checkpoint(folder / "agent.pt")
    assert json.loads((folder / "config.json").read_text()) == json.loads((finished_run / "config.json").read_text())
    test = json.loads((folder / "test.json").read_text())
    assert test["checkpoint"] == "agent.pt"
    assert test["error"] == json.loads((finished_run / "test.json").read_text())["error"]
    assert agents.available_pretrained(tmp_path) == [("reinforce", "GlimpseMNIST-v0")]
    shipped = agents.load_pretrained("GlimpseMNIST-v0", root=tmp_path)
    recorded = json.loads((finished_run / "test.json").read_text())
    assert recorded["selection"] == "final" and recorded["checkpoint"].endswith("latest.pt")  # a weight average
    final = agents.load(finished_run / "checkpoints" / "latest.pt")
    assert final.ema is not None
    for name, tensor in final.policy.state_dict().items():  # the average, not the trained weights
        assert np.array_equal(shipped.model.state_dict()[name].numpy(), tensor.numpy()), name
        assert np.array_equal(shipped.policy.state_dict()[name].numpy(), tensor.numpy()), name
    data_dir = json.loads((folder / "config.json").read_text())["env_kwargs"]["data_dir"]
    score = agents.evaluate(shipped, "GlimpseMNIST-v0", split="test", **{**shipped.env_kwargs, "data_dir": data_dir})
    assert score["error"] == test["error"]


def test_ship_run_refuses_an_untested_run(finished_run: Path, tmp_path: Path) -> None:
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "config.json").write_text((finished_run / "config.json").read_text())
    with pytest.raises(ValueError, match=r"lacks checkpoints/best.pt, test.json; finish it with `python train_agent"):
        agents.pretrained.ship_run(tmp_path / "run", tmp_path / "trained")


def test_a_missing_agent_is_named_with_those_shipped(finished_run: Path, tmp_path: Path) -> None:
    agents.pretrained.ship_run(finished_run, tmp_path)
    with pytest.raises(
        ValueError,
        match=r"no trained ppo agent of GlimpseMNIST-v0 is shipped; shipped agents: "
        r"GlimpseMNIST-v0 \(reinforce\)\. Train one with `python train_agent.py "
        r"--algo ppo --env GlimpseMNIST-v0`",
    ):
        agents.load_pretrained("GlimpseMNIST-v0", "ppo", root=tmp_path)


def test_eval_only_pretrained_scores_the_shipped_agent(
    finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = agents.pretrained.ship_run(finished_run, tmp_path)
    monkeypatch.setattr(agents.pretrained, "TRAINED_DIR", tmp_path)
    assert train_agent.main(["--eval-only", "--pretrained", "GlimpseMNIST-v0"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["error"] == json.loads((folder / "test.json").read_text())["error"]
    assert train_agent.main(["--eval-only", "--pretrained", "GlimpseMNIST-v0", "--algo", "ppo"]) == 2
    assert "--pretrained: no trained ppo agent of GlimpseMNIST-v0 is shipped" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("algo", "env_id"), agents.available_pretrained())
def test_every_shipped_agent_scores_its_recorded_test_error(algo: str, env_id: str) -> None:
    agent = agents.load_pretrained(env_id, algo)
    folder = agents.pretrained_dir(env_id, algo)
    test = json.loads((folder / "test.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    assert (config["algo"], config["env_id"]) == (algo, env_id)
    assert isinstance(config["seed"], int) and config["command"][0] == "train_agent.py"
    score = agents.evaluate(agent, env_id, split="test", **agent.env_kwargs)
    assert score["n_episodes"] == test["n_episodes"]
    assert abs(score["error"] - test["error"]) <= TOLERANCE, (score["error"], test["error"])


def test_paper_table_pretrained_scores_the_shipped_agents(
    finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_paper_table import load_script

    agents.pretrained.ship_run(finished_run, tmp_path)
    monkeypatch.setattr(agents.pretrained, "TRAINED_DIR", tmp_path)
    assert load_script().main(["--pretrained", "--ids", "GlimpseMNIST-v0", "GlimpseTranslatedMNIST-v0"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| Glimpse")]
    test = json.loads((finished_run / "test.json").read_text())
    assert rows == [
        f"| GlimpseMNIST-v0 | 3 | 8x8 x 1 | 1.12% | {100 * test['error']:.2f}% | "
        f"{100 * test['random_location_error']:.2f}% | 1 | {test['train_seconds'] / 60:.1f} min |",
        "| GlimpseTranslatedMNIST-v0 | 8 | 12x12 x 3 | 1.20% | no shipped agent | - | - | - |",
    ]


def test_paper_table_vote_column(
    finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_paper_table import load_script

    from agents.path_vote import evaluate_path_vote

    agents.pretrained.ship_run(finished_run, tmp_path)
    monkeypatch.setattr(agents.pretrained, "TRAINED_DIR", tmp_path)
    assert load_script().main(["--pretrained", "--ids", "GlimpseMNIST-v0", "--vote-paths", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith("| training time | vote of 2 sampled paths (extra) |")
    agent = agents.load_pretrained("GlimpseMNIST-v0", root=tmp_path)
    vote = evaluate_path_vote(agent, "GlimpseMNIST-v0", "test", 2, **agent.env_kwargs)
    assert lines[4].endswith(f" min | {100 * vote['error']:.2f}% |")
    with pytest.raises(SystemExit):
        load_script().main(["--vote-paths", "2"])  # needs --pretrained
    assert "--vote-paths 2: give a number of paths >= 1, with --pretrained" in capsys.readouterr().err


def test_ship_command_ships_a_run(finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import agents.cli.ship

    assert agents.cli.ship.main([str(finished_run), "--root", str(tmp_path)]) == 0
    test = json.loads((finished_run / "test.json").read_text())
    folder = tmp_path / "reinforce" / "GlimpseMNIST-v0"
    assert capsys.readouterr().out == f"shipped {folder} (test error {100 * test['error']:.2f}%)\n"
    assert agents.available_pretrained(tmp_path) == [("reinforce", "GlimpseMNIST-v0")]


def test_ship_command_on_an_unfinished_run_is_one_line(
    finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import agents.cli.ship

    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "config.json").write_text((finished_run / "config.json").read_text())
    assert agents.cli.ship.main([str(tmp_path / "run"), "--root", str(tmp_path / "trained")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: " in err and "is not a finished, tested run" in err
    assert not (tmp_path / "trained").exists()
