"""Ship the tested agent of a finished run of train_agent.py into the package's trained agents
(``agents.pretrained``):

    ram-ship runs/reinforce_GlimpseClutteredMNIST-v0_0_1      (or: python -m agents.cli.ship RUN_DIR)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agents.pretrained import TRAINED_DIR, ship_run


def main(argv: list[str] | None = None) -> int:
    """Ship the run named on the command line; print where it went and its test error. A run that cannot be
    shipped is one line on stderr and exit status 2."""
    parser = argparse.ArgumentParser(description="Ship the tested agent of a finished run of train_agent.py.")
    parser.add_argument("run_dir", help="a run directory holding its checkpoints, config.json and test.json")
    parser.add_argument("--root", type=Path, default=None, help=f"where shipped agents live (default {TRAINED_DIR})")
    args = parser.parse_args(argv)
    try:
        folder = ship_run(args.run_dir, args.root)
    except (FileNotFoundError, ValueError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    test = json.loads((folder / "test.json").read_text())
    print(f"shipped {folder} (test error {100 * test['error']:.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
