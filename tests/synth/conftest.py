"""Shared generated data sets for the synthetic data tests (generated once per session)."""

from __future__ import annotations

import pytest
from synth_helpers import Dataset, load

from cdp.synth import GenerateOptions, generate


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """3,000 people with the default (realistic) rates, small chunks so every source has several."""
    out = tmp_path_factory.mktemp("synth") / "data"
    calls: list[tuple[int, int]] = []
    report = generate(
        out,
        GenerateOptions(people=3_000, seed=11, chunk_rows=1_000, events_per_web_user=8.0),
        progress=lambda done, total: calls.append((done, total)),
    )
    ds = load(report)
    ds.manifest["_progress_calls"] = calls
    return ds
