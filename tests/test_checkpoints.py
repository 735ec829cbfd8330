"""Checkpoint files (issue 16): a checksum catches a damaged file, a file that is not a checkpoint is named
for what it is, a payload missing a field is a clear error, and temporary files do not pile up."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import agents
from agents.checkpoints import FORMAT, atomic_save, read_checkpoint, remove_orphans


@pytest.fixture(scope="module")
def small_agent() -> agents.ReinforceRAM:
    config = agents.ReinforceConfig(glimpse_hidden=8, location_hidden=8, hidden_size=16)
    return agents.ReinforceRAM("GlimpseMNIST-v0", config, env_kwargs={"n_glimpses": 3})


def test_a_flipped_byte_inside_a_tensor_is_detected(small_agent: agents.ReinforceRAM, tmp_path: Path) -> None:
    path = small_agent.save(tmp_path / "agent.pt")
    weights = small_agent.model.state_dict()
    tensor_bytes = max(weights.values(), key=lambda t: t.numel()).numpy().tobytes()
    data = bytearray(path.read_bytes())
    at = data.find(tensor_bytes[:64])
    assert at > 0, "the tensor's bytes are stored verbatim"
    data[at + 10] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"^{path} is damaged: its checksum does not match its contents"):
        agents.load(path)


def test_an_intact_checkpoint_loads_with_the_same_weights(small_agent: agents.ReinforceRAM, tmp_path: Path) -> None:
    back = agents.load(small_agent.save(tmp_path / "agent.pt"))
    for name, tensor in small_agent.model.state_dict().items():
        torch.testing.assert_close(back.model.state_dict()[name], tensor, rtol=0, atol=0)


def test_a_payload_without_its_checksum_envelope_is_refused(small_agent: agents.ReinforceRAM, tmp_path: Path) -> None:
    bare = read_checkpoint(small_agent.save(tmp_path / "new.pt"))
    torch.save(bare, tmp_path / "bare.pt")  # the payload itself, without the envelope and its SHA-256
    with pytest.raises(ValueError, match="is not a saved agent: it is a PyTorch file without the checksum envelope"):
        agents.load(tmp_path / "bare.pt")


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"", "an empty file"),
        (b'{"algo": "reinforce"}\n', "a text file of 22 bytes"),
        (gzip.compress(b"\x00\x00\x08\x01"), "a gzip file"),
        (pickle.dumps({"a": 1}), "a Python pickle, not a PyTorch checkpoint"),
        (_zip_bytes(), "a zip archive, not a PyTorch file"),
        (_zip_bytes()[:30], "a truncated or damaged zip archive of 30 bytes"),
        (bytes(range(200, 256)) * 3, "168 bytes of binary data, not a PyTorch file"),
    ],
    ids=["empty", "text", "gzip", "pickle", "zip", "truncated-zip", "binary"],
)
def test_a_file_that_is_not_a_checkpoint_is_named_for_what_it_is(
    content: bytes, description: str, tmp_path: Path
) -> None:
    path = tmp_path / "thing.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as caught:
        agents.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path} is not a saved agent: it is {description}")
    assert "weights_only" not in message and "PyTorch" not in message.split(": it is ")[0]
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_torch_file_that_is_not_an_agent(tmp_path: Path) -> None:
    torch.save({"weight": torch.zeros(2)}, tmp_path / "state_dict.pt")
    with pytest.raises(ValueError, match=r"it is a PyTorch file holding a dict with keys \['weight'\]"):
        agents.load(tmp_path / "state_dict.pt")


def test_a_checkpoint_missing_its_fields(tmp_path: Path) -> None:
    atomic_save({"format": FORMAT, "algo": "reinforce"}, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match=r"partial.pt is an incomplete saved agent: it lacks the field 'env_id'"):
        agents.load(tmp_path / "partial.pt")


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        atomic_save({"format": FORMAT}, tmp_path / "latest.pt")
    assert list(tmp_path.iterdir()) == []


def test_remove_orphans_deletes_only_the_temporary_files(tmp_path: Path) -> None:
    atomic_save({"format": FORMAT, "x": np.arange(3).tolist()}, tmp_path / "latest.pt")
    for name in ("latest.pt.k2j3h4.tmp", "best.pt.a8d7f6.tmp"):
        (tmp_path / name).write_bytes(b"half a checkpoint")
    (tmp_path / "notes.txt").write_text("keep")
    removed = remove_orphans(tmp_path)
    assert sorted(p.name for p in removed) == ["best.pt.a8d7f6.tmp", "latest.pt.k2j3h4.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt", "notes.txt"]
    assert remove_orphans(tmp_path / "missing") == []
