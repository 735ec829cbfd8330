"""``python -m agents``: the training command, ``ram-train`` (``agents.cli.train``)."""

import sys

from agents.cli.train import main

sys.exit(main())
