"""Training across processes with PyTorch's own engine: ``torchrun`` starts the workers, ``torch.distributed``
joins them (gloo on CPU, NCCL on CUDA) and ``DistributedDataParallel`` averages the gradients.

    torchrun --nproc_per_node 2 train_agent.py --algo reinforce --env GlimpseClutteredMNIST-v0

How the REINFORCE agent splits its work over ``N`` ranks (``ReinforceRAM.learn``):

- the update's ``batch_size * rollouts_per_image`` episodes are cut into ``N`` equal contiguous shards
  (``batch_size`` must be a multiple of ``N``, so that every image's rollouts stay on one rank); rank ``r``
  steps its own batched env over shard ``r``, its sub-envs seeded with the same per-epoch seeds that a
  single process gives those sub-envs, so the episodes are the ones one process plays;
- the location noise is drawn for the whole batch from the epoch's noise seed on every rank and each rank
  takes its rows: with DDP averaging the shards' gradients, an update equals the one-process update up to
  float summation order (a game's moves are drawn per rank from a rank-tagged seed instead);
- the validation and test splits are cut into ``N`` blocks, scored per rank and summed (``evaluate``):
  the same figures as one process;
- only rank 0 writes the run directory and prints.

Because the episodes of an epoch do not depend on ``N``, a run resumed with another number of ranks (at an
epoch boundary, as every resume is) plays the same episodes; only the float summation order changes.
"""

from __future__ import annotations

import datetime
import inspect
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from agents.evaluation import evaluate, split_size

__all__ = ["Distributed", "DistributedSetupError", "RolloutLoss", "evaluate_sharded"]

_RENDEZVOUS_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


class DistributedSetupError(Exception):
    """The distributed settings cannot work (a missing rendezvous variable, a batch that does not split)."""


@dataclass(frozen=True)
class Distributed:
    """This process's place among the workers.

    Attributes:
        rank: this worker, ``0 .. world_size - 1``; rank 0 writes the run directory.
        world_size: the number of workers.
        local_rank: this worker's index on its machine (its GPU with ``--device cuda``).
    """

    rank: int
    world_size: int
    local_rank: int

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Distributed | None:
        """The worker ``torchrun`` started (its ``RANK``, ``WORLD_SIZE``, ...), or None for a plain process.

        Raises:
            DistributedSetupError: ``WORLD_SIZE`` is set but the rendezvous is incomplete or malformed.
        """
        environ = dict(os.environ if environ is None else environ)
        if "WORLD_SIZE" not in environ:
            return None
        missing = [name for name in _RENDEZVOUS_VARIABLES if not environ.get(name)]
        if missing:
            raise DistributedSetupError(
                f"WORLD_SIZE is set but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: start the "
                "workers with torchrun (e.g. torchrun --nproc_per_node 2 train_agent.py ...), which sets them all"
            )
        try:
            rank, world, local = (int(environ[name]) for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        except ValueError as exc:
            raise DistributedSetupError(f"RANK, WORLD_SIZE and LOCAL_RANK must be integers: {exc}") from exc
        if not 0 <= rank < world:
            raise DistributedSetupError(f"RANK {rank} is outside [0, WORLD_SIZE={world})")
        return cls(rank, world, local)

    @property
    def is_main(self) -> bool:
        """Rank 0: the worker that writes files and prints."""
        return self.rank == 0

    def device(self, device: str) -> str:
        """The torch device of this worker: ``cuda`` becomes ``cuda:LOCAL_RANK``; others are unchanged."""
        return f"cuda:{self.local_rank}" if device == "cuda" else device

    def start(self, device: str, timeout_s: float = 300.0) -> None:
        """Join the process group: NCCL for a CUDA device, gloo otherwise."""
        if dist.is_initialized():
            return
        backend = "nccl" if device.startswith("cuda") else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(torch.device(device))
        timeout = datetime.timedelta(seconds=timeout_s)
        # torchrun keeps one store across restarts: without a prefix of their own, restarted workers could read
        # the addresses their killed predecessors left there, and fail to connect.
        store, rank, world_size = next(dist.rendezvous("env://", timeout=timeout))
        restart = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
        store = dist.PrefixStore(f"ram_env/restart{restart}", store)
        dist.init_process_group(backend, store=store, rank=rank, world_size=world_size, timeout=timeout)

    def stop(self) -> None:
        """Leave the process group."""
        if dist.is_initialized():
            dist.destroy_process_group()

    def shard(self, total: int, what: str = "episodes") -> slice:
        """This rank's contiguous block of ``total`` items, which must split evenly."""
        if total % self.world_size:
            raise DistributedSetupError(f"{total} {what} do not split over {self.world_size} workers")
        size = total // self.world_size
        return slice(self.rank * size, (self.rank + 1) * size)

    def block(self, total: int) -> tuple[int, int]:
        """``(first, count)`` of this rank's block of ``total`` items split as evenly as possible (count may be 0)."""
        size = -(-total // self.world_size)
        first = min(total, self.rank * size)
        return first, min(total, first + size) - first

    def sum(self, values: list[float], device: str | torch.device = "cpu") -> list[float]:
        """The element-wise sum of ``values`` over the workers (float64)."""
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def mean(self, figures: dict[str, float], device: str | torch.device = "cpu") -> dict[str, float]:
        """The mean of each figure over the workers (they must all hold the same keys, in the same order)."""
        keys = sorted(figures)
        sums = self.sum([figures[key] for key in keys], device)
        return {key: value / self.world_size for key, value in zip(keys, sums, strict=True)}

    def barrier(self) -> None:
        """Wait for every worker."""
        dist.barrier()

    def share(self, value: Any) -> Any:
        """Rank 0's ``value``, on every worker (a small picklable object made by this program)."""
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


class RolloutLoss(nn.Module):
    """The module ``DistributedDataParallel`` wraps: its forward plays the agent's episodes and returns the
    hybrid loss, so that the gradient of every network is averaged over the workers in ``backward``.

    Args:
        agent: the ``ReinforceRAM`` (its ``model`` is this module's only submodule).
    """

    def __init__(self, agent: Any) -> None:
        super().__init__()
        self.model = agent.model
        self._agent = [agent]  # a list: not registered as a submodule

    def forward(self, envs: Any, obs: dict[str, np.ndarray], generator: torch.Generator) -> tuple[Any, dict]:
        """``(rollout, losses)`` of one update (``ReinforceRAM.rollout_and_loss``)."""
        return self._agent[0].rollout_and_loss(envs, obs, generator)


_EVALUATE_SETTINGS = frozenset(inspect.signature(evaluate).parameters)  # evaluate's own, not the env's


def evaluate_sharded(
    agent: Any,
    env_id: str,
    split: str,
    distributed: Distributed | None,
    n_episodes: int | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """``agents.evaluate`` on the first ``n_episodes`` of ``split`` (None, or more than the split has: the whole
    split), each worker scoring its block of the episodes; the error and counts summed over the workers (the
    per-episode arrays are this worker's block only). Without ``distributed`` (or with one worker):
    ``evaluate`` itself."""
    env_kwargs = {key: value for key, value in kwargs.items() if key not in _EVALUATE_SETTINGS}
    total = split_size(env_id, split, **env_kwargs)
    if n_episodes is not None:
        total = min(total, n_episodes)
    if distributed is None or distributed.world_size == 1:
        return evaluate(agent, env_id, split=split, n_episodes=total, **kwargs)
    first, count = distributed.block(total)
    n_correct = 0
    result: dict[str, Any] = {}
    if count:
        result = evaluate(agent, env_id, split=split, first=first, n_episodes=count, **kwargs)
        n_correct = result["n_correct"]
    correct, episodes = distributed.sum([n_correct, count])
    result.update(error=1 - correct / episodes, n_episodes=int(episodes), n_correct=int(correct))
    return result
