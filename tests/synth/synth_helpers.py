"""Reading a generated folder back, the way the tests (and an ingest) see it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from cdp.synth import GenerationReport


@dataclass
class Dataset:
    """A generated folder, parsed."""

    report: GenerationReport
    root: Path
    crm: list[dict[str, str]] = field(default_factory=list)
    erp: list[dict[str, str]] = field(default_factory=list)
    web_lines: list[bytes] = field(default_factory=list)
    consent: list[dict[str, Any]] = field(default_factory=list)
    truth: list[dict[str, str]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def truth_by_key(self) -> dict[tuple[str, str], dict[str, str]]:
        return {(r["source"], r["source_record_id"]): r for r in self.truth}

    def web_messages(self) -> Iterator[dict[str, Any]]:
        """The parseable, well-formed messages (bad lines skipped)."""
        for line in self.web_lines:
            kind, msg = classify(line)
            if kind is None:
                assert msg is not None
                yield msg


def classify(line: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """(bad kind or None, parsed message) the way an ingest validator would see a web line."""
    try:
        msg = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "truncated_json", None
    if not msg.get("userId") and not msg.get("anonymousId"):
        return "missing_ids", msg
    if msg.get("type") == "track" and not msg.get("event"):
        return "track_without_event", msg
    return None, msg


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load(report: GenerationReport) -> Dataset:
    root = report.out_dir
    ds = Dataset(report=report, root=root)
    for f in sorted((root / "crm").glob("contacts-*.csv")):
        ds.crm.extend(read_csv(f))
    for f in sorted((root / "erp").glob("customers-*.csv")):
        ds.erp.extend(read_csv(f))
    for f in sorted((root / "web").glob("events-*.jsonl")):
        ds.web_lines.extend(f.read_bytes().splitlines())
    for f in sorted((root / "consent").glob("statements-*.jsonl")):
        ds.consent.extend(orjson.loads(line) for line in f.read_bytes().splitlines())
    ds.truth = read_csv(root / "ground_truth.csv")
    ds.manifest = json.loads((root / "manifest.json").read_text())
    return ds
