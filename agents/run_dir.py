"""The files of a training run's directory, kept the same way by every algorithm.

    RUN_DIR/config.json               the settings (written by train_agent.py)
    RUN_DIR/checkpoints/latest.pt     after every validation: the run continues from it (--resume)
    RUN_DIR/checkpoints/best.pt       the lowest validation error so far
    RUN_DIR/metrics.jsonl             one JSON line per validation
    RUN_DIR/tensorboard/              TensorBoard events
    RUN_DIR/run.lock                  held by the one process that runs in it (the PID inside)

``agents.callbacks.RunDirectoryCallback`` (REINFORCE) and ``agents.sb3.training.SB3RunDirectoryCallback``
(stable-baselines3) write them through ``RunDirectory``.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

__all__ = ["RunDirectory", "RunDirectoryBusy"]


class RunDirectoryBusy(RuntimeError):
    """Another process runs in the run directory (it holds ``run.lock``)."""


class RunDirectory:
    """A run directory's paths, and the writes that a validation makes there.

    Args:
        path: the run directory.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.latest = self.path / "checkpoints" / "latest.pt"
        self.best = self.path / "checkpoints" / "best.pt"
        self.metrics = self.path / "metrics.jsonl"
        self.tensorboard = self.path / "tensorboard"
        self.lock_file = self.path / "run.lock"
        self._lock: IO[str] | None = None

    @staticmethod
    def numbered(algo: str, env_id: str, seed: int, root: str | Path = "runs") -> list[RunDirectory]:
        """The existing directories ``root/ALGO_ENV_SEED_K`` (``K = 1, 2, ...``), in the order of ``K``."""
        prefix = f"{algo}_{env_id}_{seed}_"
        found = [
            (int(p.name[len(prefix) :]), p)
            for p in Path(root).glob(prefix + "*")
            if p.is_dir() and p.name[len(prefix) :].isdigit()
        ]
        return [RunDirectory(path) for _, path in sorted(found)]

    @staticmethod
    def next_free(algo: str, env_id: str, seed: int, root: str | Path = "runs") -> RunDirectory:
        """The directory of a new run given no ``--run-dir``: ``root/ALGO_ENV_SEED_K`` with ``K`` one more than
        the largest there (1 for the first), as rl-baselines3-zoo numbers its runs."""
        existing = RunDirectory.numbered(algo, env_id, seed, root)
        k = int(existing[-1].path.name.rsplit("_", 1)[1]) + 1 if existing else 1
        return RunDirectory(Path(root) / f"{algo}_{env_id}_{seed}_{k}")

    def lock(self) -> None:
        """Hold the directory for this process: an exclusive ``flock`` on ``run.lock``, kept until the process
        ends (the OS releases it then, even after a kill, so a killed run never blocks its ``--resume``). The
        file holds the holder's PID.

        Raises:
            RunDirectoryBusy: another live process holds it; the message names its PID.
        """
        if self._lock is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_file, "a+")  # noqa: SIM115  (held open for the process's life)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunDirectoryBusy(
                f"{self.path} is in use by another run (process {holder}): wait for it to end, "
                "or choose another --run-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def start(self, history: list[dict[str, Any]]) -> None:
        """Make the directory and write ``metrics.jsonl`` afresh from ``history`` (the records of the agent's
        validations so far): a resumed run drops the lines written after its checkpoint."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.metrics.write_text("".join(json.dumps(record) + "\n" for record in history))

    def validated(self, agent: Any, history: list[dict[str, Any]], **best_options: Any) -> float:
        """After a validation, the last record of ``history`` (``valid_error``, a fraction): append it to
        ``metrics.jsonl``, save ``agent`` to ``best.pt`` (with ``best_options``) if its error is the lowest so
        far, and to ``latest.pt``. Returns the lowest validation error so far.

        A record of a run stopped inside an epoch (a fractional ``epoch``) leaves an existing ``latest.pt`` as it
        is: the checkpoint of the last finished epoch, from which a resume replays the stopped epoch whole and
        exactly as an uninterrupted run would. Only a run stopped inside its first epoch saves it there."""
        record = history[-1]
        with open(self.metrics, "a") as file:
            file.write(json.dumps(record) + "\n")
        best_error = min(r["valid_error"] for r in history)
        if record["valid_error"] <= best_error:
            agent.save(self.best, **best_options)
        inside_an_epoch = not float(record.get("epoch", 1)).is_integer()
        if not inside_an_epoch or not self.latest.is_file():
            agent.save(self.latest)
        return best_error
