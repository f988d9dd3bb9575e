"""TCF strings, Consent Mode, the consent event and CRM flags: ledger rows or quarantine."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cdp.config import ConfigError, Settings, parse_config
from cdp.ingest import FileChunk, Processor, RawInput, process_message
from cdp.ingest.readers import read_inputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "consent"))
from tcf_helpers import encode_tc_string

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ADS = {1, 2, 3, 4, 7}


def _track(
    context: dict[str, Any], *, properties: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "track",
        "event": extra.pop("event", "Viewed"),
        "messageId": extra.pop("message_id", "m1"),
        "userId": "u1",
        "timestamp": "2026-04-01T10:00:00Z",
        "context": context,
        "properties": properties or {},
        **extra,
    }


def _statuses(
    settings: Settings, body: dict[str, Any]
) -> tuple[dict[str, str], list[dict[str, Any]], int]:
    outcome = process_message(settings, "web", body, received_at=NOW)
    rows = outcome.rows("consent_ledger")
    return (
        {r["purpose"]: r["status"] for r in rows},
        outcome.rows("quarantine"),
        outcome.count("events"),
    )


@pytest.mark.parametrize(
    "where",
    [
        {"consent": {"tcfString": "TC"}},
        {"consent": {"tcString": "TC"}},
        {"tcf": "TC"},
        {"tcf": {"tcString": "TC", "gdprApplies": True}},
        {"gdpr_consent": "TC"},
    ],
)
def test_tc_string_in_the_context(settings: Settings, where: dict[str, Any]) -> None:
    tc = encode_tc_string(purposes=ADS)
    context = orjson.loads(orjson.dumps(where).replace(b'"TC"', orjson.dumps(tc)))
    statuses, quarantine, events = _statuses(settings, _track(context))
    assert statuses == {
        "advertising": "granted",
        "personalization": "denied",
        "analytics": "denied",
    }
    assert quarantine == []
    assert events == 1


def test_tc_string_as_a_property_and_its_evidence(settings: Settings) -> None:
    tc = encode_tc_string(purposes={1, 8, 9}, purposes_li={3, 5})
    outcome = process_message(
        settings, "web", _track({}, properties={"gdpr_consent": tc}), received_at=NOW
    )
    rows = outcome.rows("consent_ledger")
    assert {r["purpose"]: r["status"] for r in rows}["analytics"] == "granted"
    assert {r["method"] for r in rows} == {"tcf"}
    evidence = orjson.loads(rows[0]["evidence"])
    assert evidence["value"] == tc
    assert evidence["policy_version"] == 4
    assert evidence["ignored_li_purposes"] == [3, 5]


def test_li_for_purposes_3_to_6_never_grants(settings: Settings) -> None:
    tc = encode_tc_string(purposes={1, 2, 7}, purposes_li={3, 4, 5, 6})
    statuses, _, _ = _statuses(settings, _track({"tcf": tc}))
    assert statuses["advertising"] == "denied"
    assert statuses["personalization"] == "denied"


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"consent": {"tcfString": "not a tc string"}}, "context.consent.tcfString"),
        ({"tcf": encode_tc_string(purposes=ADS, policy_version=2)}, "context.tcf"),
        ({"gdpr_consent": 12345}, "context.gdpr_consent"),
        ({"consentMode": {"ad_storage": "yes"}}, "context.consentMode"),
        ({"consent": {"consentMode": "granted"}}, "context.consent.consentMode"),
    ],
)
def test_bad_signals_are_quarantined_and_never_grant(
    settings: Settings, context: dict[str, Any], field: str
) -> None:
    statuses, quarantine, events = _statuses(settings, _track(context))
    assert statuses == {}
    assert events == 1  # the event itself is kept
    (row,) = quarantine
    assert row["error_type"] == "bad_consent"
    assert row["stage"] == "consent"
    assert row["field"] == field
    assert orjson.loads(row["payload"])["event_id"] == "m1"


def test_google_consent_mode(settings: Settings) -> None:
    granted = {
        "ad_storage": "granted",
        "ad_user_data": "granted",
        "ad_personalization": "granted",
        "analytics_storage": "denied",
        "wait_for_update": 500,
    }
    statuses, quarantine, _ = _statuses(settings, _track({"consentMode": granted}))
    assert statuses == {"advertising": "granted", "analytics": "denied"}
    assert quarantine == []
    partial = {"ad_storage": "granted", "ad_user_data": "Granted"}  # ad_personalization missing
    statuses, _, _ = _statuses(settings, _track({"consent": {"consentMode": partial}}))
    assert statuses == {}  # not every mapped signal granted and none denied: nothing stated
    denied = {"ad_storage": "granted", "ad_personalization": "denied"}
    statuses, _, _ = _statuses(settings, _track({"googleConsentMode": denied}))
    assert statuses == {"advertising": "denied"}


def test_consent_preference_updated_event_restates(settings: Settings) -> None:
    tc = encode_tc_string(purposes=ADS)
    lines = [
        orjson.dumps(_track({"tcf": tc}, message_id="m1")),
        orjson.dumps(_track({"tcf": tc}, message_id="m2")),
        orjson.dumps(
            _track({"tcf": tc}, message_id="m3", event="Segment Consent Preference Updated")
        ),
    ]
    inputs = [RawInput(i + 1, line, f"f:{i + 1}") for i, line in enumerate(lines)]
    outcome = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    events = {orjson.loads(r["evidence"])["event_id"] for r in outcome.rows("consent_ledger")}
    assert events == {"m1", "m3"}  # m2 repeats m1's choice; the explicit event is recorded


def test_config_mapping_errors_name_the_key(settings: Settings) -> None:
    base = settings.model_dump(mode="json")
    bad = {**base, "consent": {"tcf": {"purposes": {"advertising": [1, 99]}}}}
    with pytest.raises(ConfigError) as e:
        parse_config(bad)
    assert e.value.key_path == "consent.tcf.purposes.advertising"
    unknown = {**base, "consent": {"tcf": {"purposes": {"no_such_purpose": [1]}}}}
    with pytest.raises(ConfigError) as e:
        parse_config(unknown)
    assert e.value.key_path == "consent.tcf.purposes.no_such_purpose"
    signal = {**base, "consent": {"consent_mode": {"purposes": {"analytics": ["ad_clicks"]}}}}
    with pytest.raises(ConfigError) as e:
        parse_config(signal)
    assert e.value.key_path == "consent.consent_mode.purposes.analytics"
    assert "ad_clicks" in str(e.value)


def test_a_false_opt_out_flag_is_not_a_grant(settings: Settings, tmp_path: Path) -> None:
    csv = (
        b"Id,FirstName,LastName,Email,LastModifiedDate,IsDeleted,HasOptedOutOfEmail\r\n"
        b"c1,Ann,Lee,a@example.com,2026-01-01T00:00:00Z,false,false\r\n"
        b"c2,Bob,Ray,b@example.com,2026-01-01T00:00:00Z,false,true\r\n"
        b"c3,Cy,Ng,c@example.com,2026-01-01T00:00:00Z,false,\r\n"
    )
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv)
    inputs = list(read_inputs(path))
    outcome = Processor(settings).process(FileChunk("crm", "f", "csv", inputs), now=NOW)
    rows = outcome.rows("consent_ledger")
    assert [(r["subject_value"], r["purpose"], r["status"]) for r in rows] == [
        ("c2", "email_marketing", "denied")
    ]
    assert outcome.count("events") == 3


def test_consent_source_config(settings: Settings) -> None:
    base = settings.model_dump(mode="json")
    ok = {**base, "sources": {**base["sources"], "prefs": {"kind": "consent", "format": "csv"}}}
    assert parse_config(ok).sources["prefs"].kind == "consent"
    bad = {
        **base,
        "sources": {
            **base["sources"],
            "prefs": {"kind": "consent", "format": "jsonl", "fields": {"email": "E"}},
        },
    }
    with pytest.raises(ConfigError) as e:
        parse_config(bad)
    assert e.value.key_path == "sources.prefs.fields"
