"""The console scripts ``ram-train`` and ``ram-ship``: check that ``import agents`` finds ram-env's own ``agents``
package, then run ``agents.cli.train`` / ``agents.cli.ship``.

``agents`` is a common top-level name (the OpenAI Agents SDK installs one too). When another package of that
name comes first on ``sys.path``, ``agents.cli.train`` cannot even be imported, so the scripts start here, in
``ram_env``, which needs no torch: this module imports only the standard library until the check has passed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

# The folder that holds ram-env's packages: ram_env/ and, beside it, agents/ (site-packages, or a checkout).
OWN_ROOT = Path(__file__).resolve().parent.parent
# The top-level modules of the agents extra's requirements (pyproject.toml), named when one is missing.
AGENTS_EXTRA_MODULES = (
    "torch",
    "stable_baselines3",
    "sb3_contrib",
    "tensorboard",
    "tqdm",
    "rich",
    "matplotlib",
    "PIL",
    "tomli",
)


def foreign_agents() -> str | None:
    """``None`` when ``import agents`` finds ram-env's ``agents`` package (the one beside ``ram_env``), else one
    line saying where the package it finds is (or that it finds none)."""
    try:
        spec = importlib.util.find_spec("agents")
    except (ImportError, ValueError):  # ValueError: an ``agents`` in sys.modules without a __spec__
        spec = None
    if spec is None:
        return f"ram-env's `agents` package is not installed (it belongs in {OWN_ROOT}, beside ram_env)"
    if spec.submodule_search_locations is not None and spec.origin and spec.has_location:
        folder = Path(spec.origin).resolve().parent  # a regular package: origin is its __init__.py
        if folder == OWN_ROOT / "agents":
            return None
    else:  # a namespace package (no __init__.py) or a plain module agents.py
        locations = list(spec.submodule_search_locations or [])
        folder = Path(locations[0] if locations else spec.origin or "?")
    return (
        f"the `agents` package found at {folder} is not ram-env's (another installed package, e.g. the "
        "OpenAI Agents SDK, uses that name); use a virtual environment of its own for ram-env"
    )


def prog_name(default: str) -> str:
    """How the command was called, for its messages: ``ram-train``, ``train_agent.py``, ``python -m agents``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if name == "__main__.py":
        return "python -m agents"
    return name if name and name != "-c" else default


def _run(module: str, default_prog: str, argv: list[str] | None) -> int:
    prog = prog_name(default_prog)
    problem = foreign_agents()
    if problem is not None:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 2
    try:
        main: Callable[[list[str] | None], int] = importlib.import_module(module).main
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in AGENTS_EXTRA_MODULES:
            raise
        print(
            f"{prog}: the agents need {missing}, which is not installed: pip install 'ram-env[agents]'", file=sys.stderr
        )
        return 2
    return main(argv)


def train(argv: list[str] | None = None) -> int:
    """``ram-train`` (also ``python train_agent.py``, ``python -m agents``): ``agents.cli.train.main``."""
    return _run("agents.cli.train", "ram-train", argv)


def ship(argv: list[str] | None = None) -> int:
    """``ram-ship``: ``agents.cli.ship.main``."""
    return _run("agents.cli.ship", "ram-ship", argv)
