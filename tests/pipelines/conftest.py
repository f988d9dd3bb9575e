"""Fixtures of the dataflow tests: generated data, settings on temporary lakehouses."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_helpers import settings_at

from cdp.config import Settings
from cdp.synth import GenerateOptions, GenerationReport, generate


@pytest.fixture
def settings(sample_settings: Settings, tmp_path: Path) -> Settings:
    return settings_at(sample_settings, tmp_path / "cdp")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationReport:
    """300 people with re-sent messages (duplicates) and bad lines, small chunks (several files)."""
    out = tmp_path_factory.mktemp("pipelines-data") / "data"
    return generate(
        out,
        GenerateOptions(
            people=300,
            seed=29,
            duplicate_message_rate=0.02,
            bad_line_rate=0.01,
            chunk_rows=1_500,
        ),
    )
