"""Train an agent on a ram-env glimpse task, or evaluate a saved one: ``python train_agent.py --help``.

The command itself is ``agents.cli.train`` (installed as ``ram-train``, also ``python -m agents``); this file
runs it from a checkout, through ``ram_env.launch``, which first checks that ``agents`` is ram-env's own package.
"""

import sys

from ram_env.launch import train

if __name__ == "__main__":
    sys.exit(train())
