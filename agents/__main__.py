"""``python -m agents``: the training command, ``ram-train`` (``agents.cli.train``, through ``ram_env.launch``)."""

import sys

from ram_env.launch import train

sys.exit(train())
