"""Train an agent on a ram-env glimpse task, or evaluate a saved one: ``python train_agent.py --help``.

The command itself is ``agents.cli.train`` (installed as ``ram-train``, also ``python -m agents``); this file
runs it from a checkout.
"""

import sys

from agents.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
