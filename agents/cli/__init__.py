"""The command line: ``ram-train`` (``python train_agent.py``, ``python -m agents``) trains or evaluates an agent
(``agents.cli.train``), ``ram-ship`` ships a finished run (``agents.cli.ship``). ``agents.cli.parser`` parses the
flags once, ``agents.cli.settings`` resolves them into one frozen ``RunSettings``, and ``agents.cli.checks`` and
``agents.cli.env_flags`` check them."""
