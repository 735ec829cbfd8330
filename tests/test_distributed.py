"""Training across processes (torchrun, gloo on CPU): one update over 2 workers equals one process's update,
a 2-worker run writes one complete run directory, a killed worker is restarted and resumes, and bad
distributed settings end in one clear line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest
import torch
import torch.multiprocessing as mp
from idx_files import write_small_mnist
from image_data import write_image_folder

import agents
from agents.distributed import Distributed, DistributedSetupError
from agents.reinforce import epoch_seeds

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {  # float32: bf16's rounding depends on the batch's shape, which differs between 1 and 2 workers
    "batch_size": 8,
    "rollouts_per_image": 2,
    "baseline": "both",
    "max_grad_norm": 5.0,
    "epochs": 1,
    "precision": "fp32",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_environment_and_shards() -> None:
    assert Distributed.from_environment({}) is None
    with pytest.raises(DistributedSetupError, match="MASTER_ADDR, MASTER_PORT are not: start the workers with"):
        Distributed.from_environment({"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"})
    with pytest.raises(DistributedSetupError, match="outside"):
        Distributed.from_environment(
            {"WORLD_SIZE": "2", "RANK": "2", "LOCAL_RANK": "0", "MASTER_ADDR": "x", "MASTER_PORT": "1"}
        )
    d = Distributed(1, 3, 1)
    assert d.shard(12) == slice(4, 8)
    assert d.block(10) == (4, 4)
    assert Distributed(2, 3, 0).block(10) == (8, 2) and Distributed(2, 3, 0).block(4) == (4, 0)
    assert d.device("cuda") == "cuda:1" and d.device("cpu") == "cpu"
    with pytest.raises(DistributedSetupError, match="10 images per update do not split over 3 workers"):
        d.shard(10, "images per update")


def gradients(
    agent: agents.ReinforceRAM, envs: gym.vector.VectorEnv, seeds: list[int], noise_seed: int, module=None
) -> list[torch.Tensor]:
    obs, _ = envs.reset(seed=seeds)
    generator = torch.Generator().manual_seed(noise_seed)
    agent.model.zero_grad(set_to_none=True)
    _, losses = (module or agent.rollout_and_loss)(envs, obs, generator)
    losses["loss"].backward()
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in agent.model.parameters()]


def worker(rank: int, port: int, out: str) -> None:
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    distributed = Distributed.from_environment()
    distributed.start("cpu", timeout_s=60)
    agent = agents.ReinforceRAM("GlimpseMNIST-v0", agents.ReinforceConfig(**CONFIG), env_kwargs={"n_glimpses": 3})
    agent.distributed = distributed
    shard = agent._start_distributed()
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=shard.stop - shard.start, group_size=2, n_glimpses=3)
    seeds, noise_seed = epoch_seeds(0, 0, 16)
    torch.save(gradients(agent, envs, seeds[shard], noise_seed, agent._ddp), f"{out}/rank{rank}.pt")
    distributed.stop()


@pytest.mark.slow
def test_two_worker_gradient_equals_one_process_gradient(tmp_path: Path) -> None:
    mp.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    agent = agents.ReinforceRAM("GlimpseMNIST-v0", agents.ReinforceConfig(**CONFIG), env_kwargs={"n_glimpses": 3})
    envs = gym.make_vec("GlimpseMNIST-v0", num_envs=16, group_size=2, n_glimpses=3)
    seeds, noise_seed = epoch_seeds(0, 0, 16)
    expected = gradients(agent, envs, seeds, noise_seed)
    assert sum(float(g.abs().sum()) for g in expected) > 0
    for rank in (0, 1):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        for g, e in zip(got, expected, strict=True):
            torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-6)


def torchrun(args: list[str], extra: list[str] = (), **kwargs) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        "1",
        "--nproc_per_node",
        "2",
        "--rdzv_backend",
        "c10d",
        "--rdzv_endpoint",
        f"127.0.0.1:{free_port()}",
        *extra,
        str(ROOT / "train_agent.py"),
        *args,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def small_run_args(tmp_path: Path, run_dir: Path, epochs: int) -> list[str]:
    data = write_small_mnist(tmp_path / "data")
    return [
        "--env",
        "GlimpseMNIST-v0",
        "--data-dir",
        str(data),
        "--n-glimpses",
        "3",
        "--batch-size",
        "50",
        "--epochs",
        str(epochs),
        "--learning-rate",
        "3e-3",
        "--warmup-epochs",
        "0",
        "--run-dir",
        str(run_dir),
        "--no-progress-bar",
        "--pictures",
        "2",
    ]


@pytest.mark.slow
def test_two_worker_run_writes_one_complete_run_directory(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    process = torchrun(small_run_args(tmp_path, run_dir, 2))
    out, err = process.communicate(timeout=400)
    assert process.returncode == 0, err[-3000:]
    assert out.count("validation at") == 2  # rank 0 alone prints
    config = json.loads((run_dir / "config.json").read_text())
    assert config["world_size"] == 2
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 2
    final = agents.load(run_dir / "checkpoints" / "latest.pt")
    assert final.epoch == 2
    test = json.loads((run_dir / "test.json").read_text())
    alone = agents.evaluate(final, "GlimpseMNIST-v0", split="test", **final.env_kwargs)
    assert test["error"] == alone["error"]  # the sharded test gives one process's figure
    assert (run_dir / "pictures" / "glimpse_paths.png").is_file()
    assert not list((run_dir / "checkpoints").glob("*.tmp"))


def worker_pids(marker: str) -> list[int]:
    """The workers (not torchrun's agent) whose command line holds ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "train_agent.py" in cmdline and "torch.distributed.run" not in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.slow
@pytest.mark.parametrize("env", ["mnist", "images"])
def test_a_killed_worker_is_restarted_and_the_run_resumes(tmp_path: Path, env: str) -> None:
    """torchrun restarts the workers, which resume the run from its latest checkpoint (a GlimpseImages-v0 run
    from the images its checkpoint names)."""
    run_dir = tmp_path / "killed_run"
    args = small_run_args(tmp_path, run_dir, 4)
    if env == "images":
        source = write_image_folder(tmp_path / "shapes", per_class=400, size=28)
        args = ["--env", "GlimpseImages-v0", "--source", str(source), "--n-scales", "1", *args[4:]]
    process = torchrun(args, extra=["--max-restarts", "1"])
    metrics = run_dir / "metrics.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (metrics.is_file() and metrics.read_text().count("\n") >= 1):
        time.sleep(0.05)  # kill early in the run, well before its last epoch
    pids = worker_pids(str(run_dir))
    assert len(pids) == 2
    os.kill(max(pids), signal.SIGKILL)
    out, err = process.communicate(timeout=400)
    assert process.returncode == 0, err[-3000:]
    assert "torchrun restarted the workers: resuming" in out
    assert [json.loads(line)["epoch"] for line in metrics.read_text().splitlines()] == [1, 2, 3, 4]
    assert (run_dir / "test.json").is_file()


def test_a_batch_that_does_not_split_is_one_clear_line(tmp_path: Path) -> None:
    args = small_run_args(tmp_path, tmp_path / "bad", 1)
    args[args.index("--batch-size") + 1] = "51"
    process = torchrun(args)
    _, err = process.communicate(timeout=300)
    assert process.returncode != 0
    assert "error: 51 images per update (--batch-size) do not split over 2 workers" in err


def test_a_missing_rendezvous_is_one_clear_line() -> None:
    env = {**os.environ, "WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}
    env.pop("MASTER_ADDR", None)
    env.pop("MASTER_PORT", None)
    result = subprocess.run(
        [sys.executable, "train_agent.py", "--epochs", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("train_agent.py: error: WORLD_SIZE is set but MASTER_ADDR, MASTER_PORT are not")
    assert "Traceback" not in result.stderr
