"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from idx_files import write_dataset


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "synthetic")
