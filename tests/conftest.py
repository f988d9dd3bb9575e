"""Shared fixtures: the project root, the sample configuration, a fresh lakehouse per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.config import Settings, load_config
from storage import Lakehouse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_settings() -> Settings:
    """The ``cdp.yaml`` that ships with the project."""
    return load_config(ROOT / "cdp.yaml")


@pytest.fixture
def lakehouse(tmp_path: Path) -> Lakehouse:
    """An initialised lakehouse in a temporary folder."""
    lh = Lakehouse(tmp_path / "lakehouse")
    lh.init()
    return lh
