"""The generator's output is accepted by the canonical models and the sample configuration.

The two are written apart; this pins them together: what `cdp generate` writes must validate
where it is meant to, and its deliberately bad web lines must be rejected, one for one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from synth_helpers import Dataset

from cdp.config import load_config
from cdp.models import (
    InvalidInputError,
    map_record,
    parse_consent_statement,
    parse_message,
)

SETTINGS = load_config(Path(__file__).resolve().parents[2] / "cdp.yaml")


def test_every_consent_statement_validates(dataset: Dataset) -> None:
    statements = [parse_consent_statement(obj) for obj in dataset.consent]
    assert len(statements) == len(dataset.consent) > 0
    assert {s.purpose for s in statements} <= set(SETTINGS.purposes)


def test_every_crm_and_erp_row_maps_with_the_sample_config(dataset: Dataset) -> None:
    for name, rows in (("crm", dataset.crm), ("erp", dataset.erp)):
        source = SETTINGS.source(name)
        records = [map_record(row, source) for row in rows]  # raises on a rejected row
        assert len(records) == len(rows) > 0
        with_issues = sum(bool(r.issues) for r in records)
        assert with_issues / len(records) < 0.05, (name, with_issues)  # noise, not breakage


def test_web_lines_parse_except_the_deliberately_bad_ones(dataset: Dataset) -> None:
    rejected: Counter[str] = Counter()
    parsed = 0
    for line in dataset.web_lines:
        try:
            parse_message(orjson.loads(line))
            parsed += 1
        except orjson.JSONDecodeError:
            rejected["bad_json"] += 1
        except InvalidInputError as e:
            rejected[e.error_type] += 1
    manifest = dataset.manifest["counts"]
    assert parsed == manifest["web_events"]
    assert rejected["bad_json"] == manifest["web_bad_truncated_json"]
    assert sum(rejected.values()) == manifest["web_bad_lines"]
