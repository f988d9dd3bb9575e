"""Record sources: rows, JSON objects and change events into events, identities and quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from cdp.config import Settings
from cdp.ingest import Outcome, process_record
from cdp.models import map_record, record_event_id

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CRM_ROW = {
    "Id": "0030L000001",
    "FirstName": "Anna",
    "LastName": "Muster",
    "Email": "anna@example.ch",
    "Phone": "+41 44 123 45 67",
    "MailingCity": "Zürich",
    "MailingCountry": "Switzerland",
    "HasOptedOutOfEmail": "true",
    "LastModifiedDate": "2026-03-01T10:00:00.000+0000",
    "IsDeleted": "false",
    "Title": "Dr.",
}


def _crm(settings: Settings, record: Any) -> Outcome:
    return process_record(settings, "crm", record, received_at=NOW)


def test_a_crm_row_gives_event_identity_and_consent(settings: Settings) -> None:
    outcome = _crm(settings, CRM_ROW)
    assert outcome.inputs == 1
    event = outcome.rows("events")[0]
    record = map_record(CRM_ROW, settings.source("crm"))
    assert event["event_id"] == record_event_id(record)
    assert (event["event_type"], event["event_name"]) == ("record", "upsert")
    assert event["occurred_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    identity = outcome.rows("identity_records")[0]
    assert identity["source_record_id"] == "0030L000001" and identity["deleted"] is False
    assert identity["email"] == "anna@example.ch" and identity["phone"] == "+41441234567"
    assert orjson.loads(identity["attributes"]) == {"Title": "Dr."}
    (consent,) = outcome.rows("consent_ledger")
    assert consent["purpose"] == "email_marketing" and consent["status"] == "denied"
    assert consent["subject_type"] == "crm" and consent["subject_value"] == "0030L000001"
    assert consent["method"] == "crm_flag" and consent["channel"] == "email"
    assert consent["captured_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert consent["subject_hash"] == settings.privacy.hash_identifier("crm:0030L000001")
    assert orjson.loads(consent["evidence"]) == {"column": "HasOptedOutOfEmail", "value": "true"}


def test_a_false_opt_out_flag_states_nothing(settings: Settings) -> None:
    outcome = _crm(settings, {**CRM_ROW, "HasOptedOutOfEmail": "false"})
    assert outcome.count("consent_ledger") == 0
    outcome = _crm(settings, {**CRM_ROW, "HasOptedOutOfEmail": ""})
    assert outcome.count("consent_ledger") == 0


def test_deletes_give_a_delete_event_and_no_consent(settings: Settings) -> None:
    outcome = _crm(settings, {**CRM_ROW, "IsDeleted": "true", "Email": "", "Phone": ""})
    event = outcome.rows("events")[0]
    assert event["event_name"] == "delete"
    assert outcome.rows("identity_records")[0]["deleted"] is True
    assert outcome.count("consent_ledger") == 0


@pytest.mark.parametrize(
    ("record", "error_type"),
    [
        ({**CRM_ROW, "Id": " "}, "missing_field"),
        ({"Id": "1", "Title": "x"}, "missing_identity"),
        (b'{"Id": "1", "Email": ', "bad_json"),
        (b'["Id"]', "schema"),
        (b'{"Id": "1", "Email": "\xff"}', "bad_encoding"),
        ({"op": "x", "after": {}}, "schema"),
        ({"op": "c", "after": "nope"}, "schema"),
    ],
)
def test_refused_records_are_quarantined(settings: Settings, record: Any, error_type: str) -> None:
    outcome = _crm(settings, record)
    assert outcome.inputs == 1 and outcome.count("events") == 0
    (row,) = outcome.rows("quarantine")
    assert row["error_type"] == error_type
    if isinstance(record, bytes):
        assert row["payload"] == record
    assert "anna" not in row["error"].lower()


def test_change_events(settings: Settings) -> None:
    after = {k: v for k, v in CRM_ROW.items() if k != "LastModifiedDate"}
    created = _crm(
        settings, {"op": "c", "before": None, "after": after, "ts_ms": 1_760_000_000_000}
    )
    identity = created.rows("identity_records")[0]
    assert identity["updated_at"] == datetime.fromtimestamp(1_760_000_000, UTC)
    assert identity["deleted"] is False
    wrapped = _crm(settings, {"payload": {"op": "u", "after": CRM_ROW, "ts_ms": 1}})
    assert wrapped.rows("identity_records")[0]["updated_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    deleted = _crm(
        settings,
        {"op": "d", "before": {"Id": "0030L000001"}, "after": None, "ts_ms": 1_780_000_000_000},
    )
    event = deleted.rows("events")[0]
    assert event["event_name"] == "delete"
    row = deleted.rows("identity_records")[0]
    assert row["deleted"] is True and row["source_record_id"] == "0030L000001"
    assert row["updated_at"] == datetime.fromtimestamp(1_780_000_000, UTC)
    snapshot = _crm(settings, {"op": "r", "after": CRM_ROW})
    assert snapshot.count("events") == 1


def test_erp_without_deleted_column_takes_change_deletes(settings: Settings) -> None:
    outcome = process_record(
        settings, "erp", {"op": "d", "before": {"KUNNR": "0000100041"}}, received_at=NOW
    )
    assert outcome.rows("identity_records")[0]["deleted"] is True
    assert "__cdp" not in outcome.rows("identity_records")[0]["attributes"]
