"""benchmarks/paper_table.py on a tiny budget: it trains every task for one epoch of a small dataset
through train_agent.py and prints the table with our errors beside the paper's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from test_agents import write_small_mnist

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


@pytest.mark.slow
def test_tiny_budget_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_small_mnist(tmp_path / "data")
    out = tmp_path / "table.md"
    flags = ["--epochs", "1", "--batch-size", "100", "--data-dir", str(data), "--pictures", "0"]
    code = load_script().main(["--train", "--runs-dir", str(tmp_path / "runs"), "--out", str(out), "--", *flags])
    assert code == 0
    table = out.read_text()
    assert table == capsys.readouterr().out
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| Glimpse")]
    assert [row[0].lstrip("| ") for row in rows] == list(ram_env.ENV_IDS)
    for row in rows:
        ours, random_locations, epochs = row[4], row[5], row[6]
        assert ours.endswith("%") and 0.0 <= float(ours[:-1]) <= 100.0
        assert random_locations.endswith("%") and epochs == "1"
    for env_id in ram_env.ENV_IDS:
        assert (tmp_path / "runs" / f"reinforce_{env_id}_0" / "test.json").is_file()
