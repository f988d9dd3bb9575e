"""Consent signals: CMP contexts and CRM flags as ledger rows equal to the model's statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from cdp.config import Settings
from cdp.ingest import (
    ConsentRows,
    FileChunk,
    Processor,
    RawInput,
    process_landing_entry,
    process_message,
    web_consent_signals,
)
from cdp.ingest.consent import CONSENT_NAMESPACE, consent_id_for
from cdp.ingest.outcome import OutcomeBuilder
from cdp.landing import LandingEntry, LandingPosition
from cdp.models import ConsentStatement

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_segment_category_preferences() -> None:
    signals = web_consent_signals(
        {
            "consent": {
                "categoryPreferences": {
                    "Advertising": False,
                    "Analytics": True,
                    "Personalization": True,
                    "Functional": False,
                    "Strictly Necessary": True,
                    "Weird": "yes",
                }
            }
        }
    )
    (field, statuses, raw) = signals[0]
    assert field == "context.consent.categoryPreferences"
    assert statuses == {
        "advertising": "denied",
        "analytics": "granted",
        "personalization": "denied",  # Functional denied: a denial wins
    }
    assert raw["Weird"] == "yes"  # unknown categories stay in the evidence


def test_rudderstack_consent_management() -> None:
    signals = web_consent_signals(
        {
            "consentManagement": {
                "provider": "oneTrust",
                "allowedConsentIds": ["C0001", "C0002", "C0003"],
                "deniedConsentIds": ["C0004", "Marketing"],
            }
        }
    )
    assert signals[0][1] == {
        "analytics": "granted",
        "personalization": "granted",
        "advertising": "denied",
        "email_marketing": "denied",
    }
    legacy = web_consent_signals({"consentManagement": {"deniedConsentIds": {"x1": "Analytics"}}})
    assert legacy[0][1] == {"analytics": "denied"}
    assert web_consent_signals({"ip": "1.2.3.4"}) == []


@hyp_settings(max_examples=200, deadline=None)
@given(
    subject_type=st.sampled_from(["user_id", "anonymous_id", "crm", "erp"]),
    subject_value=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != ""),
    purpose=st.sampled_from(["advertising", "analytics", "email_marketing"]),
    status=st.sampled_from(["granted", "denied", "objected"]),
    seconds=st.integers(min_value=0, max_value=10**9),
    micros=st.integers(min_value=0, max_value=999_999),
)
def test_fast_rows_equal_the_consent_statement_model(
    sample_settings: Settings,
    subject_type: str,
    subject_value: str,
    purpose: str,
    status: str,
    seconds: int,
    micros: int,
) -> None:
    captured = datetime(1995, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micros)
    rows = ConsentRows(sample_settings)
    evidence = {"field": "x", "value": [1, "a"]}
    fast = rows.row(
        subject_type=subject_type,
        subject_value=subject_value,
        purpose=purpose,
        status=status,
        captured_at=captured,
        source="web",
        method="web_cmp",
        evidence=evidence,
        recorded_at=NOW,
    )
    statement = ConsentStatement(
        subject=f"{subject_type}:{subject_value}",
        purpose=purpose,
        status=status,  # type: ignore[arg-type]
        captured_at=captured,
        source="web",
        method="web_cmp",
        channel=sample_settings.purposes[purpose].channel,
        evidence=evidence,
    )
    assert fast == rows.row_from_statement(statement, recorded_at=NOW)
    assert fast["consent_id"] == consent_id_for(statement.idempotency_key)


def _message(i: int, prefs: dict[str, bool], *, user: str = "u1", event: str = "Viewed") -> bytes:
    return orjson.dumps(
        {
            "type": "track",
            "event": event,
            "messageId": f"m{i}",
            "userId": user,
            "timestamp": f"2026-01-01T00:00:{i:02d}.000Z",
            "context": {"consent": {"categoryPreferences": prefs}},
        }
    )


def test_restatements_collapse_within_a_chunk(settings: Settings) -> None:
    yes = {"Advertising": True, "Analytics": True}
    no = {"Advertising": False, "Analytics": True}
    lines = [
        _message(1, yes),
        _message(2, yes),
        _message(3, yes, user="u2"),
        _message(4, no),
        _message(5, no),
        _message(6, no, event="Segment Consent Preference Updated"),
        _message(7, yes),
    ]
    inputs = [RawInput(i + 1, line, f"f:{i + 1}") for i, line in enumerate(lines)]
    outcome = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    rows = outcome.rows("consent_ledger")
    stated = [
        (r["subject_value"], r["purpose"], r["status"], r["captured_at"].second) for r in rows
    ]
    assert stated == [
        ("u1", "advertising", "granted", 1),
        ("u1", "analytics", "granted", 1),
        ("u2", "advertising", "granted", 3),
        ("u2", "analytics", "granted", 3),
        ("u1", "advertising", "denied", 4),
        ("u1", "analytics", "granted", 4),
        ("u1", "advertising", "denied", 6),
        ("u1", "analytics", "granted", 6),
        ("u1", "advertising", "granted", 7),
        ("u1", "analytics", "granted", 7),
    ]
    assert all(r["method"] == "web_cmp" for r in rows)
    evidence = orjson.loads(rows[0]["evidence"])
    assert evidence == {
        "field": "context.consent.categoryPreferences",
        "value": yes,
        "event_id": "m1",
    }
    again = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    assert [r["consent_id"] for r in again.rows("consent_ledger")] == [
        r["consent_id"] for r in rows
    ]


def test_anonymous_subjects_and_gpc(settings: Settings) -> None:
    body: dict[str, Any] = {
        "type": "page",
        "messageId": "p1",
        "anonymousId": "anon-9",
        "context": {"consentManagement": {"deniedConsentIds": ["C0004"]}},
    }
    rows = process_message(settings, "web", body, received_at=NOW).rows("consent_ledger")
    assert [(r["subject_type"], r["purpose"], r["status"]) for r in rows] == [
        ("anonymous_id", "advertising", "denied")
    ]
    entry = LandingEntry(
        source="web",
        received_at=NOW,
        route="page",
        content_type="application/json",
        payload=orjson.dumps({**body, "context": {}}),
        meta={"gpc": "1"},
        entry_id="e1",
    )
    outcome = process_landing_entry(
        settings, entry, lane="lane-000", position=LandingPosition(0, 100)
    )
    (row,) = outcome.rows("consent_ledger")
    assert (row["purpose"], row["status"], row["method"]) == ("advertising", "objected", "gpc")


@hyp_settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_consent_id_is_the_uuid5_of_the_idempotency_key(key: str) -> None:
    try:
        key.encode()
    except UnicodeEncodeError:  # lone surrogates: no idempotency key is one (hex digests)
        return
    assert consent_id_for(key) == str(uuid.uuid5(CONSENT_NAMESPACE, key))


def test_builder_columns_of_values_equal_those_of_rows(sample_settings: Settings) -> None:
    rows = ConsentRows(sample_settings)
    builders = [
        OutcomeBuilder(stream="s", source="web", ingested_at=NOW, batch_id="b") for _ in range(2)
    ]
    for n, purpose in enumerate(("advertising", "analytics")):
        common: dict[str, Any] = {
            "subject_type": "user_id",
            "subject_value": f" u{n} ",
            "purpose": purpose,
            "status": "granted",
            "captured_at": NOW - timedelta(seconds=n),
            "source": "web",
            "method": "web_cmp",
            "recorded_at": NOW,
        }
        evidence = {"field": "f", "value": n}
        builders[0].add_consent(rows.row(**common, evidence=evidence), event_id=f"e{n}", seq=n)
        builders[1].add_consent_values(
            [rows.values(**common, evidence=rows.evidence(evidence))], event_id=f"e{n}", seq=n
        )
    first, second = (b.build().tables["consent_ledger"] for b in builders)
    assert first.equals(second) and first.num_rows == 2
    assert first.column_names[:2] == ["consent_id", "idempotency_key"]
    assert first.column_names[-2:] == ["_seq", "_event"]
    with pytest.raises(KeyError, match="no column"):
        builders[0].add_consent({"not_a_column": 1}, event_id="e", seq=3)


def test_signal_values_are_the_values_of_each_statement(sample_settings: Settings) -> None:
    rows = ConsentRows(sample_settings)
    common: dict[str, Any] = {
        "subject_type": "anonymous_id",
        "subject_value": "a-1",
        "captured_at": NOW,
        "source": "web",
        "method": "web_cmp",
        "evidence": rows.evidence({"field": "context.consent", "value": {"Ads": False}}),
        "recorded_at": NOW,
    }
    statuses = {"advertising": "denied", "analytics": "granted"}
    together = rows.signal_values(statuses=statuses, **common)
    alone = [rows.values(purpose=p, status=s, **common) for p, s in statuses.items()]
    assert together == alone
    assert len({r[1] for r in together}) == 2  # one idempotency key per purpose
