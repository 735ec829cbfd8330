"""Saved agents on disk: atomic writes, and ``load`` that rebuilds any saved agent whatever its algorithm
through the registry of algorithms (``ALGORITHMS``: each ``--algo`` name and the agent class that trains and
loads it, named ``"module:Class"`` and imported when first asked for, as Gymnasium's registry names entry
points, so that this module imports no agent and ``import agents`` loads no stable-baselines3)."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

import ram_env
from agents.evaluation import entry_point_of

__all__ = [
    "ALGORITHMS",
    "ENVELOPE",
    "FORMAT",
    "RAM_ENV_IDS",
    "check_data",
    "check_env_settings",
    "data_fingerprint",
    "TMP_SUFFIX",
    "agent_class",
    "atomic_save",
    "describe_file",
    "load",
    "IN_MEMORY_SOURCE",
    "portable_env_kwargs",
    "read_checkpoint",
    "remove_orphans",
]

_SB3_AGENT = "agents.sb3.agent:SB3Agent"
# algo name -> "module:Class" of its agent; the class has ``from_payload(payload, device)``.
ALGORITHMS: dict[str, str] = {
    "reinforce": "agents.reinforce:ReinforceRAM",
    "ram_ppo": "agents.recurrent_ppo:RAMPPO",
    "ppo": _SB3_AGENT,
    "recurrent_ppo": _SB3_AGENT,
    "a2c": _SB3_AGENT,
}


def agent_class(algo: str) -> Any:
    """The agent class of ``algo``, imported now.

    Raises:
        ValueError: ``algo`` is not registered.
    """
    if algo not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algo!r}: use one of {list(ALGORITHMS)}")
    module, name = ALGORITHMS[algo].split(":")
    return getattr(importlib.import_module(module), name)


FORMAT = "ram-env-agent/1"  # the payload of a saved agent
ENVELOPE = "ram-env-checksummed/1"  # the file: the payload's torch.save bytes and their SHA-256
TMP_SUFFIX = ".tmp"  # atomic_save's temporary files: NAME.XXXX.tmp beside NAME


# The env ids a saved agent may name: ram-env's own (an id is never imported from a file's text).
RAM_ENV_IDS = (*ram_env.ENV_IDS, ram_env.IMAGES_ID, *ram_env.GAME_IDS)
# Env keyword arguments that a file never sets: the window of "human" rendering, and the vector env's shape.
_NOT_FROM_FILES = frozenset({"self", "render_mode", "num_envs", "group_size"})

# What a checkpoint stores for GlimpseImages-v0's ``source`` when it was in-memory arrays, not a path.
IN_MEMORY_SOURCE = "in-memory arrays: not stored in checkpoints; save them as .npz or a folder to reload the agent"


def portable_env_kwargs(env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Env keyword arguments as a checkpoint stores them: paths (``data_dir``, ``source``) as strings.

    An in-memory ``source`` (arrays) is not portable: it is stored as ``IN_MEMORY_SOURCE``, so such a
    checkpoint loads only where that text is replaced by a path (``load_images`` then reports a missing
    path that says so); the agent keeps working in the process that trained it.
    """
    out = {key: str(value) if isinstance(value, Path) else value for key, value in env_kwargs.items()}
    if "source" in out and not isinstance(out["source"], str):
        out["source"] = IN_MEMORY_SOURCE
    return out


def check_env_settings(env_id: Any, env_kwargs: Any) -> None:
    """Check a saved agent's env before anything is made from it: ``env_id`` one of ``RAM_ENV_IDS`` (so no
    ``module:Id`` imports a module), ``env_kwargs`` a dict of that env's own keyword arguments, without
    ``render_mode`` (their values are then checked by the env's own validators, when the agent makes it).

    Raises:
        ValueError: the message names the id or the argument.
    """
    if not isinstance(env_id, str) or env_id not in RAM_ENV_IDS:
        raise ValueError(f"its env_id {env_id!r} is not a ram-env id (one of {list(RAM_ENV_IDS)})")
    if not isinstance(env_kwargs, dict) or not all(isinstance(key, str) for key in env_kwargs):
        raise ValueError(f"its env_kwargs must be a dict of keyword arguments, got {env_kwargs!r}")
    accepted = set(inspect.signature(entry_point_of(env_id)).parameters) - _NOT_FROM_FILES
    unknown = sorted(set(env_kwargs) - accepted)
    if unknown:
        raise ValueError(
            f"its env_kwargs hold {unknown[0]!r}, which {env_id} does not take from a file (it takes "
            f"{sorted(accepted)})"
        )


def data_fingerprint(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """What identifies the images a ``GlimpseImages-v0`` agent plays (``ram_env.ImageSet.fingerprint``: the
    files' hash, split sizes, class names, channels, image shape), which agents store in their files; None
    for the other envs, whose data ships with ram-env."""
    if env_id != ram_env.IMAGES_ID:
        return None
    from ram_env.image_env import load_source

    return load_source(**env_kwargs).fingerprint


def check_data(saved: dict[str, Any] | None, current: dict[str, Any] | None, allow_other: bool = False) -> None:
    """Refuse images other than those an agent was saved with: a different number of classes or of colour
    channels always (the agent cannot play them), any other change (files, splits, class names, size) unless
    ``allow_other``. Nothing to check where either fingerprint is None.

    Raises:
        ValueError: what differs, and what to do.
    """
    if saved is None or current is None:
        return
    counts = {
        "classes": (len(saved["class_names"]), len(current["class_names"])),
        "colour channels": (saved["channels"], current["channels"]),
    }
    for what, (before, now) in counts.items():
        if before != now:
            raise ValueError(
                f"it was trained on images of {before} {what}, and the source has {now}: it cannot "
                "play them; give the source it was trained on"
            )
    changed = [key for key in saved if saved[key] != current.get(key)]
    if changed and not allow_other:
        raise ValueError(
            f"its images have changed since it was saved ({', '.join(changed)} differ): give the source "
            "it was trained on (to score it on other images: --eval-only --allow-other-data)"
        )


def _envelope(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` serialised by ``torch.save`` (as a uint8 tensor, stored verbatim), with the SHA-256 of
    those bytes."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    return {
        "format": ENVELOPE,
        "sha256": hashlib.sha256(data).hexdigest(),
        "payload": torch.frombuffer(bytearray(data), dtype=torch.uint8),
    }


def atomic_save(payload: dict[str, Any], path: str | Path) -> Path:
    """``torch.save`` ``payload`` to ``path`` atomically: a temporary file in the same folder, then
    ``os.replace``, so a reader (or a run killed mid-write) never sees a half-written file. The file holds
    the serialised payload with its SHA-256 (``ENVELOPE``), which ``read_checkpoint`` verifies. A failed
    write removes its temporary file; one left by a killed process is removed by ``remove_orphans``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    envelope = _envelope(payload)
    handle, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(envelope, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_orphans(folder: str | Path) -> list[Path]:
    """Delete the temporary files that writes killed before their ``os.replace`` left in ``folder``
    (``NAME.XXXX.tmp``, see ``atomic_save``); return them. Call it only when no other process is saving
    into ``folder``: at the start of a run, or of its resumption."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    orphans = [tmp for tmp in folder.glob("*" + TMP_SUFFIX) if tmp.is_file()]
    for tmp in orphans:
        tmp.unlink(missing_ok=True)
    return orphans


def describe_file(path: Path) -> str:
    """What the file at ``path`` looks like, in a few words, for an error saying it is not a saved agent."""
    size = path.stat().st_size
    with open(path, "rb") as file:
        head = file.read(512)
    if size == 0:
        return "an empty file"
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            return f"a truncated or damaged zip archive of {size:,} bytes (a damaged checkpoint?)"
        with zipfile.ZipFile(path) as archive:
            torch_file = any(name.endswith("data.pkl") for name in archive.namelist())
        return "a PyTorch file that torch cannot read safely" if torch_file else "a zip archive, not a PyTorch file"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip file (an MNIST-format .gz?)"
    if head.startswith(b"\x80"):
        return "a Python pickle, not a PyTorch checkpoint"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"{size:,} bytes of binary data, not a PyTorch file"
    return f"a text file of {size:,} bytes"  # its contents are not echoed: it may be any file


def read_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """The payload of a saved agent, tensors on ``device``, its checksum verified.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not an agent saved by ``save`` (the message says what it is), or its
            checksum does not match (the file is damaged).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved agent at {path}: give the path of a file written by agent.save()")
    try:
        with warnings.catch_warnings():  # torch's advice on odd pickles is not for our users
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=device, weights_only=True)
    except Exception:
        raise ValueError(
            f"{path} is not a saved agent: it is {describe_file(path)}; give a file written by agent.save() or a "
            "training run (RUN_DIR/checkpoints/best.pt)"
        ) from None
    if isinstance(payload, dict) and payload.get("format") == FORMAT:
        raise ValueError(
            f"{path} is not a saved agent: it is a PyTorch file without the checksum envelope that "
            "agent.save() writes, so it cannot be verified; save the agent again"
        )
    if isinstance(payload, dict) and payload.get("format") == ENVELOPE:
        stored = payload.get("payload")
        data = stored.cpu().numpy().tobytes() if isinstance(stored, torch.Tensor) else b""
        if hashlib.sha256(data).hexdigest() != payload.get("sha256"):
            raise ValueError(
                f"{path} is damaged: its checksum does not match its contents; use another checkpoint (a run "
                "keeps checkpoints/latest.pt and best.pt)"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                payload = torch.load(io.BytesIO(data), map_location=device, weights_only=True)
        except Exception:
            raise ValueError(
                f"{path} is not a saved agent: its checksum is right, but what it wraps is not the data "
                "of a saved agent (torch refuses to load it safely); use a file written by agent.save()"
            ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        what = type(payload).__name__
        if isinstance(payload, dict):
            what = f"a dict with keys {sorted(map(str, payload))[:6]}"
        raise ValueError(
            f"{path} is not a saved agent: it is a PyTorch file holding {what}; expected a file written by "
            f"agent.save() ({FORMAT})"
        )
    return payload


def load(path: str | Path, device: str = "cpu", allow_other_data: bool = False) -> Any:
    """Load an agent saved with ``agent.save(path)``, whatever its algorithm, onto ``device``.

    Training checkpoints load too: the agent comes back with its optimizer and progress, ready to
    continue ``learn``. A ``GlimpseImages-v0``
    agent's images must be those it was saved with (``check_data``; ``allow_other_data`` allows other
    images of as many classes and channels).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a saved agent, a damaged one, one lacking a field, naming an env that is not ram-env's,
            or whose images changed (the message names the file).
    """
    payload = read_checkpoint(path, device)
    if payload.get("algo") not in ALGORITHMS:
        raise ValueError(f"{path} holds an agent of algorithm {payload.get('algo')!r}, not one of {list(ALGORITHMS)}")
    missing = [key for key in ("env_id", "env_kwargs") if key not in payload]
    if missing:
        raise ValueError(
            f"{path} is an incomplete saved agent: it lacks the field {missing[0]!r}; save the agent again"
        )
    try:
        check_env_settings(payload["env_id"], payload["env_kwargs"])
        current = data_fingerprint(payload["env_id"], payload["env_kwargs"])
        check_data(payload.get("data"), current, allow_other_data)
    except ValueError as exc:
        raise ValueError(f"{path} cannot be loaded: {exc}") from None
    try:
        agent = agent_class(payload["algo"]).from_payload(payload, device)
    except KeyError as exc:
        raise ValueError(
            f"{path} is an incomplete saved agent: it lacks the field {exc.args[0]!r}; save the agent again"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{path} cannot be loaded: {exc}") from None
    agent.data_fingerprint = payload.get("data", agent.data_fingerprint)  # the images it was trained on
    return agent
