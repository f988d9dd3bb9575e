"""Fixtures of the ingest core tests: settings on a temporary lakehouse, generated data."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.config import Settings
from cdp.synth import GenerateOptions, GenerationReport, generate
from storage import Lakehouse


@pytest.fixture
def settings(sample_settings: Settings, tmp_path: Path) -> Settings:
    """The sample configuration with its lakehouse (and base folder) in a temporary folder."""
    updated = sample_settings.model_copy(update={"lakehouse": str(tmp_path / "lh")})
    return updated.with_base_dir(tmp_path)


@pytest.fixture
def lake(settings: Settings) -> Lakehouse:
    """The (initialised) lakehouse of ``settings``."""
    lh = Lakehouse.from_settings(settings)
    lh.init()
    return lh


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationReport:
    """300 people, with re-sent web messages (duplicates) and the default bad lines."""
    out = tmp_path_factory.mktemp("ingest-data") / "data"
    return generate(
        out,
        GenerateOptions(people=300, seed=23, duplicate_message_rate=0.02, bad_line_rate=0.01),
    )
