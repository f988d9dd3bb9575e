"""Counts, manifest, chunking, progress and option validation."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from synth_helpers import Dataset, classify, load

from cdp.errors import CdpError
from cdp.synth import GenerateOptions, InvalidOptionsError, generate


def test_report_counts_match_the_files(dataset: Dataset) -> None:
    c = dataset.report.counts
    assert c["crm_records"] == len(dataset.crm)
    assert c["crm_deleted"] == sum(r["IsDeleted"] == "true" for r in dataset.crm)
    assert c["erp_records"] == len(dataset.erp)
    assert c["web_lines"] == len(dataset.web_lines)
    assert c["web_events"] == sum(1 for _ in dataset.web_messages())
    assert c["consent_statements"] == len(dataset.consent)
    assert c["ground_truth_rows"] == len(dataset.truth)
    assert c["web_identities"] == sum(r["source"] == "web" for r in dataset.truth)
    assert c["people"] == 3_000 == dataset.report.people
    assert dataset.manifest["counts"] == c


def test_bad_lines_in_the_manifest_match_the_file(dataset: Dataset) -> None:
    found = Counter(kind for kind, _ in map(classify, dataset.web_lines) if kind is not None)
    bad = dataset.manifest["bad_lines"]
    assert bad["total"] == sum(found.values()) == dataset.report.counts["web_bad_lines"]
    assert {k: v for k, v in bad.items() if k != "total"} == dict(found)
    assert set(found) == {"truncated_json", "missing_ids", "track_without_event"}
    # inputs == events + quarantine
    c = dataset.report.counts
    assert c["web_lines"] == c["web_events"] + c["web_bad_lines"]
    assert 0.002 < c["web_bad_lines"] / c["web_lines"] < 0.01


def test_bad_lines_per_file_are_recorded(dataset: Dataset) -> None:
    for entry in dataset.manifest["files"]:
        if entry["kind"] != "web":
            continue
        lines = (dataset.root / entry["path"]).read_bytes().splitlines()
        found = Counter(k for k, _ in map(classify, lines) if k is not None)
        assert entry.get("bad_lines", {}) == dict(found)
        assert entry["rows"] == len(lines)


def test_chunks_hold_chunk_rows_rows(dataset: Dataset) -> None:
    files = dataset.manifest["files"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        by_kind.setdefault(f["kind"], []).append(f)
    for kind in ("crm", "web", "consent"):
        chunks = by_kind[kind]
        assert len(chunks) >= 2, kind
        assert all(c["rows"] == 1_000 for c in chunks[:-1])
        assert 0 < chunks[-1]["rows"] <= 1_000
        prefix = {"crm": "crm/contacts-", "web": "web/events-", "consent": "consent/statements-"}
        assert [c["path"] for c in chunks] == [
            f"{prefix[kind]}{i:05d}.{'csv' if kind == 'crm' else 'jsonl'}"
            for i in range(len(chunks))
        ]
    assert by_kind["ground_truth"][0]["path"] == "ground_truth.csv"
    listed = {dataset.root / f["path"] for f in files} | {dataset.root / "manifest.json"}
    assert set(dataset.report.files) == listed
    assert all(p.exists() for p in listed)


def test_manifest_describes_the_run(dataset: Dataset) -> None:
    m = dataset.manifest
    assert m["seed"] == 11 and m["generator_version"]
    assert m["options"]["people"] == 3_000 and m["options"]["start"] == "2025-01-01"
    assert m["kinds"]["crm"]["rows"] == dataset.report.counts["crm_records"]
    assert m["counts"]["crm_duplicates"] > 0 and m["counts"]["crm_deleted"] > 0


def test_progress_is_reported(dataset: Dataset) -> None:
    calls = dataset.manifest["_progress_calls"]
    assert calls[0] == (0, 3_000) and calls[-1] == (3_000, 3_000)
    assert len(calls) > 10
    done = [d for d, _ in calls]
    assert done == sorted(done)


def test_a_source_with_no_coverage_still_gets_a_header(tmp_path: Path) -> None:
    report = generate(
        tmp_path / "o", GenerateOptions(people=50, crm_coverage=0.0, events_per_web_user=0)
    )
    ds = load(report)
    assert ds.crm == [] and (tmp_path / "o" / "crm" / "contacts-00000.csv").read_text().startswith(
        "Id,"
    )
    assert ds.web_lines == [] and report.counts["web_identities"] == 0
    assert {r["source"] for r in ds.truth} == {"erp"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"people": 0}, "people"),
        ({"chunk_rows": 0}, "chunk_rows"),
        ({"typo": 1.5}, "typo"),
        ({"crm_coverage": -0.1}, "crm_coverage"),
        ({"events_per_web_user": -1.0}, "events_per_web_user"),
        ({"start": date(2026, 1, 1), "end": date(2025, 1, 1)}, "end"),
        ({"countries": (("XX", 1.0),)}, "unknown country"),
        ({"household_share": 0.9, "twin_share": 0.2}, "twin_share"),
    ],
)
def test_invalid_options_name_the_problem(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionsError, match=message) as info:
        GenerateOptions(**kwargs)
    assert isinstance(info.value, CdpError) and isinstance(info.value, ValueError)


def test_countries_accept_a_mapping_and_restrict_the_population(tmp_path: Path) -> None:
    options = GenerateOptions(people=200, countries={"FR": 1.0})  # type: ignore[arg-type]
    report = generate(tmp_path / "fr", options)
    ds = load(report)
    assert {r["LAND1"] for r in ds.erp} == {"FR"}
    assert options.countries == (("FR", 1.0),)


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        GenerateOptions(100)  # type: ignore[call-arg]
