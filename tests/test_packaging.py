"""Packaging: one version (pyproject.toml, read from the metadata), the changelog and citation files, and the
console scripts' launcher, which refuses an ``agents`` package that is not ram-env's in one line."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import agents
import ram_env
from ram_env import launch

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
FOREIGN_LINE = (
    r"^{prog}: the `agents` package found at {path} is not ram-env's \(another installed package, e\.g\. "
    r"the OpenAI Agents SDK, uses that name\); use a virtual environment of its own for ram-env$"
)


def test_both_packages_report_the_distributions_version() -> None:
    version = importlib.metadata.version(PYPROJECT["project"]["name"])
    assert ram_env.__version__ == agents.__version__ == version
    assert version == PYPROJECT["project"]["version"], "the installed metadata is stale: pip install -e . again"


def test_the_version_is_written_only_in_pyproject() -> None:
    written = [
        path.relative_to(REPO)
        for package in ("ram_env", "agents")
        for path in (REPO / package).rglob("*.py")
        if re.search(r"^__version__\s*=\s*['\"]", path.read_text(), re.MULTILINE)
    ]
    assert written == []


def test_changelog_and_citation_name_this_version() -> None:
    version = PYPROJECT["project"]["version"]
    changelog = (REPO / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.MULTILINE)
    assert released and released[0] == version  # the newest entry is the package's version
    citation = (REPO / "CITATION.cff").read_text()
    assert re.search(r"^cff-version: 1\.2\.0$", citation, re.MULTILINE)
    assert re.search(rf"^version: {re.escape(version)}$", citation, re.MULTILINE)
    assert re.search(
        r"^preferred-citation:\n(?:  .*\n)*  title: \"Recurrent Models of Visual Attention\"$", citation, re.MULTILINE
    )


def test_project_urls_and_scripts() -> None:
    urls = PYPROJECT["project"]["urls"]
    assert {"Source", "Issues", "Documentation"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert PYPROJECT["project"]["scripts"] == {"ram-train": "ram_env.launch:train", "ram-ship": "ram_env.launch:ship"}


def run_python(args: list[str], cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_launcher_imports_no_torch(tmp_path: Path) -> None:
    result = run_python(["-c", "import sys, ram_env.launch; print('torch' in sys.modules)"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A folder holding another distribution's top-level ``agents`` package."""
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "__init__.py").write_text('"""Not ram-env\'s agents."""\nimport sys\nsys.exit(99)\n')
    return tmp_path


@pytest.mark.parametrize(("command", "prog"), [("train", "ram-train"), ("ship", "ram-ship")])
def test_a_foreign_agents_package_is_one_line_and_exit_2(foreign: Path, command: str, prog: str) -> None:
    code = f"import sys; from ram_env.launch import {command}; sys.exit({command}(['--help']))"
    result = run_python(["-c", code], cwd=foreign, pythonpath=foreign)
    assert result.returncode == 2, result.stderr  # 99: the foreign package was imported
    assert result.stdout == ""
    assert re.fullmatch(
        FOREIGN_LINE.format(prog=prog, path=re.escape(str(foreign.resolve() / "agents"))) + "\n", result.stderr
    )


@pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P is new in 3.11")
def test_train_agent_py_checks_too(foreign: Path) -> None:
    # -P: the script's folder (the checkout, holding ram-env's agents) is not put first on sys.path.
    result = run_python(["-P", str(REPO / "train_agent.py"), "--help"], cwd=foreign, pythonpath=foreign)
    assert result.returncode == 2, result.stderr
    assert re.fullmatch(
        FOREIGN_LINE.format(prog="train_agent.py", path=re.escape(str(foreign.resolve() / "agents"))) + "\n",
        result.stderr,
    )


def test_own_agents_pass_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.foreign_agents() is None
    with pytest.raises(SystemExit) as exit_info:
        launch.train(["--help"])
    assert exit_info.value.code == 0
    assert "--eval-only" in capsys.readouterr().out


@pytest.mark.slow
def test_python_m_agents_runs_the_command() -> None:
    result = run_python(["-m", "agents", "--help"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m agents ")


def test_without_the_agents_extra_the_missing_module_is_one_line(tmp_path: Path) -> None:
    code = "import sys; sys.modules['torch'] = None; from ram_env.launch import train; sys.exit(train(['--help']))"
    result = run_python(["-c", code], cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "ram-train: the agents need torch, which is not installed: pip install 'ram-env[agents]'\n"
