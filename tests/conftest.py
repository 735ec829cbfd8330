"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from idx_files import write_dataset, write_small_mnist


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "synthetic")


@pytest.fixture(scope="session")
def small_mnist(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The folder of ``write_small_mnist``'s dataset, shared by the whole session."""
    return str(write_small_mnist(tmp_path_factory.mktemp("small_mnist")))
