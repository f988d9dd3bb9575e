"""Shared identity test data: one small generated set, resolved once per session."""

from __future__ import annotations

import pytest

from cdp.config import Settings
from cdp.synth import GenerateOptions, generate
from identity import Resolution, resolve
from identity._testing import GeneratedData, load_generated


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, sample_settings: Settings) -> GeneratedData:
    """~1,450 people (~2k identity records) with the default noise and hard negatives."""
    out = tmp_path_factory.mktemp("identity") / "data"
    generate(out, GenerateOptions(people=1_450, seed=5))
    return load_generated(out, sample_settings)


@pytest.fixture(scope="session")
def resolved(generated: GeneratedData) -> Resolution:
    return resolve(generated.records, aliases=generated.aliases, run_id="r1")
