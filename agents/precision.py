"""The floating-point precision of training: float32 throughout, or bfloat16 matrix products under
``torch.autocast``.

``"bf16"`` autocasts the networks' forward pass of the training rollouts: their matrix products (the
glimpse, core and head layers) run in bfloat16, which CPUs with AVX512_BF16 or AMX, and recent GPUs, do
natively. Everything else stays float32: the master weights, the gradients' accumulation into them, the
optimizer state, the heads' outputs (``agents.networks`` casts the location mean, the logits and the
baseline back), and so the log-probabilities and the losses. Acting (``predict``: validation, test,
pictures) runs in float32.

``"auto"`` picks ``"bf16"`` where the device has native bfloat16 (a CPU whose flags list ``avx512_bf16``
or ``amx_bf16``; a CUDA device for which ``torch.cuda.is_bf16_supported()``), else ``"fp32"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import torch

__all__ = ["PRECISIONS", "autocast", "cpu_has_native_bf16", "resolve_precision"]

PRECISIONS = ("auto", "fp32", "bf16")
_CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively: its flags (Linux's ``/proc/cpuinfo``) list
    AVX512_BF16 or AMX-BF16. False where the file is missing (not Linux)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in _CPU_BF16_FLAGS)


def resolve_precision(precision: str, device: torch.device | str) -> str:
    """``"fp32"`` or ``"bf16"``: ``precision`` itself, or what ``"auto"`` means on ``device``.

    Raises:
        ValueError: ``precision`` is not one of ``PRECISIONS``.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    device = torch.device(device)
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"


@contextlib.contextmanager
def autocast(precision: str, device: torch.device) -> Iterator[None]:
    """Inside, ``device``'s operations autocast to bfloat16 if ``precision`` is ``"bf16"``; nothing
    changes for ``"fp32"``."""
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        yield
