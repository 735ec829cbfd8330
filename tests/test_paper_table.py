"""benchmarks/paper_table.py on a tiny budget: it trains every task for one epoch of a small dataset
through train_agent.py and prints the table with our errors beside the paper's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from idx_files import write_small_mnist

import ram_env

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "paper_table.py"


def load_script():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("paper_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_runs_are_rows_that_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_script().main(["--runs-dir", str(tmp_path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| Glimpse")]
    assert len(rows) == len(ram_env.ENV_IDS)
    assert all("not run" in row for row in rows)
    assert "| GlimpseClutteredMNIST100-v0 | 8 | 12x12 x 4 | 8.00% |" in rows[-1]


def test_a_test_json_without_the_table_fields_is_a_clear_error(tmp_path: Path) -> None:
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    (run_dir / "test.json").write_text(json.dumps({"error": 0.0147, "n_episodes": 10000}))
    with pytest.raises(SystemExit, match="lacks random_location_error, valid_errors, train_seconds: .*older"):
        load_script().main(["--ids", "GlimpseMNIST-v0", "--run", f"GlimpseMNIST-v0={run_dir}"])


def test_rows_show_the_figures_of_each_runs_test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, env_id in enumerate(ram_env.ENV_IDS):
        run_dir = tmp_path / f"reinforce_{env_id}_0"
        run_dir.mkdir()
        (run_dir / "config.json").write_text(json.dumps({"env_kwargs": {"n_glimpses": 3 + i}}))
        (run_dir / "test.json").write_text(
            json.dumps(
                {
                    "error": 0.0123 + i / 100,
                    "random_location_error": 0.4567,
                    "valid_errors": [0.5] * (2 + i),
                    "train_seconds": 90 * (i + 1),
                }
            )
        )
    assert load_script().main(["--runs-dir", str(tmp_path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| Glimpse")]
    assert rows == [
        "| GlimpseMNIST-v0 | 3 | 8x8 x 1 | 1.12% | 1.23% | 45.67% | 2 | 1.5 min |",
        "| GlimpseTranslatedMNIST-v0 | 4 | 12x12 x 3 | 1.20% | 2.23% | 45.67% | 3 | 3.0 min |",
        "| GlimpseClutteredMNIST-v0 | 5 | 12x12 x 3 | 4.04% | 3.23% | 45.67% | 4 | 4.5 min |",
        "| GlimpseClutteredMNIST100-v0 | 6 | 12x12 x 4 | 8.00% | 4.23% | 45.67% | 5 | 6.0 min |",
    ]


@pytest.mark.slow
def test_tiny_budget_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--train trains every task through train_agent.py with the flags after --, in the default run
    directories, and the table shows what those runs wrote."""
    data = write_small_mnist(tmp_path / "data")
    out = tmp_path / "table.md"
    flags = ["--epochs", "1", "--batch-size", "100", "--data-dir", str(data), "--pictures", "0"]
    code = load_script().main(["--train", "--runs-dir", str(tmp_path / "runs"), "--out", str(out), "--", *flags])
    assert code == 0
    table = out.read_text()
    assert table == capsys.readouterr().out
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| Glimpse")]
    assert [row[0].lstrip("| ") for row in rows] == list(ram_env.ENV_IDS)
    for env_id, row in zip(ram_env.ENV_IDS, rows, strict=True):
        run_dir = tmp_path / "runs" / f"reinforce_{env_id}_0"
        config, test = (json.loads((run_dir / name).read_text()) for name in ("config.json", "test.json"))
        assert (config["config"]["epochs"], config["config"]["batch_size"]) == (1, 100)
        assert config["env_kwargs"]["data_dir"] == str(data.resolve())
        assert len(test["valid_errors"]) == 1
        assert row[4:7] == [f"{100 * test['error']:.2f}%", f"{100 * test['random_location_error']:.2f}%", "1"]
