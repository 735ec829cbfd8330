"""The command line: ``ram-train`` (``python train_agent.py``, ``python -m agents``) trains or evaluates an agent
(``agents.cli.train``), ``ram-ship`` ships a finished run (``agents.cli.ship``); ``agents.cli.checks`` and
``agents.cli.env_flags`` check their flags."""
