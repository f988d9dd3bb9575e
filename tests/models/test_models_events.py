from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from cdp.config import SourceConfig
from cdp.models.events import (
    EVENT_COLUMNS,
    UnifiedEvent,
    event_from_message,
    event_from_record,
    record_event_row,
)
from cdp.models.messages import parse_message
from cdp.models.records import map_record

RECEIVED = datetime(2026, 10, 1, 12, 0, 0, tzinfo=UTC)


def _event(raw: dict[str, Any], received_at: datetime = RECEIVED) -> UnifiedEvent:
    return event_from_message(parse_message(raw), source="web", received_at=received_at)


def test_clock_skew_is_corrected() -> None:
    # the client's clock is 1 hour fast: it stamped the event at 13:00:00 and sent it 5 s later
    # (13:00:05 by its clock); the server received it at 12:00:07
    ev = _event(
        {
            "type": "track",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-10-01T13:00:00Z",
            "sentAt": "2026-10-01T13:00:05Z",
        },
        received_at=datetime(2026, 10, 1, 12, 0, 7, tzinfo=UTC),
    )
    assert ev.occurred_at == datetime(2026, 10, 1, 12, 0, 2, tzinfo=UTC)
    assert ev.sent_at == datetime(2026, 10, 1, 13, 0, 5, tzinfo=UTC)


def test_original_timestamp_is_the_client_time_without_timestamp() -> None:
    ev = _event(
        {
            "type": "track",
            "userId": "u",
            "event": "E",
            "originalTimestamp": "2026-10-01T11:59:00Z",
            "sentAt": "2026-10-01T11:59:30Z",
        }
    )
    assert ev.occurred_at == RECEIVED - timedelta(seconds=30)


def test_timestamp_without_sent_at_is_taken_as_is() -> None:
    ev = _event({"type": "track", "userId": "u", "event": "E", "timestamp": "2026-09-30T08:00:00Z"})
    assert ev.occurred_at == datetime(2026, 9, 30, 8, tzinfo=UTC)


def test_no_client_time_means_received_at() -> None:
    ev = _event({"type": "track", "userId": "u", "event": "E", "sentAt": "2026-10-01T13:00:00Z"})
    assert ev.occurred_at == RECEIVED


def test_naive_received_at_is_utc() -> None:
    ev = _event({"type": "page", "userId": "u"}, received_at=datetime(2026, 10, 1, 12))
    assert ev.received_at == RECEIVED
    assert ev.occurred_at.tzinfo is UTC


def test_track_event_fields() -> None:
    ev = _event(
        {
            "type": "track",
            "messageId": "msg-1",
            "userId": "u-1",
            "anonymousId": "a-1",
            "event": "Order Completed",
            "properties": {"total": 10, "currency": "CHF"},
            "context": {"ip": "203.0.113.1"},
        }
    )
    assert ev.event_id == "msg-1"
    assert ev.message_id == "msg-1"
    assert ev.event_type == "track"
    assert ev.event_name == "Order Completed"
    assert ev.source == "web"
    assert ev.source_record_id == "u-1"
    assert (ev.user_id, ev.anonymous_id) == ("u-1", "a-1")
    assert ev.properties == {"total": 10, "currency": "CHF"}
    assert ev.traits == {}
    assert ev.context == {"ip": "203.0.113.1"}


def test_anonymous_id_is_the_record_id_without_user_id() -> None:
    ev = _event({"type": "page", "anonymousId": "a-1", "name": "Home", "properties": {"p": 1}})
    assert ev.source_record_id == "a-1"
    assert ev.event_name == "Home"
    assert ev.properties == {"p": 1}


@pytest.mark.parametrize(
    ("raw", "name", "properties", "traits"),
    [
        ({"type": "identify", "traits": {"email": "a@b.ch"}}, None, {}, {"email": "a@b.ch"}),
        ({"type": "screen", "name": "Cart"}, "Cart", {}, {}),
        ({"type": "group", "groupId": "g1", "traits": {"n": 1}}, None, {"groupId": "g1"}, {"n": 1}),
        ({"type": "alias", "previousId": "anon"}, None, {"previousId": "anon"}, {}),
    ],
)
def test_other_message_types(
    raw: dict[str, Any], name: str | None, properties: dict[str, Any], traits: dict[str, Any]
) -> None:
    ev = _event({"userId": "u", **raw})
    assert ev.event_type == raw["type"]
    assert ev.event_name == name
    assert ev.properties == properties
    assert ev.traits == traits


def test_event_id_without_message_id_is_deterministic() -> None:
    raw = {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-10-01T11:00:00Z"}
    a = _event(raw)
    b = _event(dict(reversed(list(raw.items()))), received_at=RECEIVED + timedelta(hours=1))
    assert a.event_id == b.event_id
    assert len(a.event_id) == 64
    assert a.message_id is None
    c = _event({**raw, "event": "F"})
    assert c.event_id != a.event_id


def test_to_row() -> None:
    ev = _event(
        {
            "type": "track",
            "messageId": "m",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-09-30T23:59:59Z",
            "properties": {"b": 1, "a": [1, 2]},
        }
    )
    row = ev.to_row()
    assert tuple(row) == EVENT_COLUMNS
    assert row["properties"] == '{"a":[1,2],"b":1}'
    assert row["traits"] == "{}"
    assert row["context"] == "{}"
    assert row["event_date"] == date(2026, 9, 30)
    assert orjson.loads(row["properties"]) == ev.properties


# ---------------------------------------------------------------------------------------- records


def _crm() -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "crm",
            "kind": "crm",
            "format": "csv",
            "record_id": "Id",
            "updated_at": "Modified",
            "deleted": "Deleted",
            "fields": {"email": "Email"},
        }
    )


def test_event_from_record_upsert() -> None:
    rec = map_record(
        {"Id": "r1", "Modified": "2026-10-01T10:00:00Z", "Email": "a@b.ch", "Note": "x"}, _crm()
    )
    ev = event_from_record(rec, received_at=RECEIVED)
    expected_id = hashlib.sha256(b"crm\x1fr1\x1f2026-10-01T10:00:00+00:00").hexdigest()
    assert ev.event_id == expected_id
    assert (ev.event_type, ev.event_name) == ("record", "upsert")
    assert ev.occurred_at == datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert ev.received_at == RECEIVED
    assert ev.source == "crm"
    assert ev.source_record_id == "r1"
    assert ev.user_id is None and ev.anonymous_id is None
    # personal data stays out of events
    assert ev.properties == {} and ev.traits == {} and ev.context == {}
    assert "a@b.ch" not in str(ev.to_row())


@pytest.mark.parametrize(
    "row",
    [
        {"Id": "r1", "Modified": "2026-10-01T10:00:00Z", "Email": "a@b.ch"},
        {"Id": "r1", "Modified": "2026-10-01T12:00:00+02:00", "Email": "a@b.ch"},
        {"Id": "r2", "Modified": "1969-12-31T23:59:59.5Z", "Deleted": "1"},
        {"Id": "r3", "Email": "a@b.ch"},  # no version: occurs when received
    ],
)
@pytest.mark.parametrize("received", [RECEIVED, datetime(2026, 10, 2, 1, 30)])  # naive is UTC
def test_record_event_row_is_the_row_of_the_event(row: dict[str, str], received: datetime) -> None:
    rec = map_record(row, _crm())
    made = record_event_row(rec, received_at=received)
    expected = event_from_record(rec, received_at=received).to_row()
    assert made == expected
    assert [type(made[k]) for k in EVENT_COLUMNS] == [type(expected[k]) for k in EVENT_COLUMNS]


def test_record_event_id_is_deterministic_and_versioned() -> None:
    config = _crm()
    row = {"Id": "r1", "Modified": "2026-10-01T10:00:00Z", "Email": "a@b.ch"}
    a = event_from_record(map_record(row, config), received_at=RECEIVED)
    b = event_from_record(map_record(row, config), received_at=RECEIVED + timedelta(days=1))
    assert a.event_id == b.event_id
    newer = event_from_record(
        map_record({**row, "Modified": "2026-10-02T10:00:00Z"}, config), received_at=RECEIVED
    )
    assert newer.event_id != a.event_id


def test_delete_event() -> None:
    config = _crm()
    upsert = map_record({"Id": "r1", "Modified": "2026-10-01T10:00:00Z", "Email": "a@b.ch"}, config)
    delete = map_record({"Id": "r1", "Modified": "2026-10-01T10:00:00Z", "Deleted": "1"}, config)
    ev = event_from_record(delete, received_at=RECEIVED)
    assert ev.event_name == "delete"
    # a delete carrying the upsert's version must not be deduplicated away
    assert ev.event_id != event_from_record(upsert, received_at=RECEIVED).event_id


def test_record_without_updated_at_uses_its_content_as_version() -> None:
    config = _crm()
    row = {"Id": "r1", "Email": "a@b.ch"}
    a = event_from_record(map_record(row, config), received_at=RECEIVED)
    b = event_from_record(map_record(dict(row), config), received_at=RECEIVED + timedelta(hours=1))
    changed = event_from_record(
        map_record({**row, "Email": "c@d.ch"}, config), received_at=RECEIVED
    )
    assert a.event_id == b.event_id
    assert changed.event_id != a.event_id
    assert a.occurred_at == RECEIVED


def test_unified_event_validates_its_columns() -> None:
    with pytest.raises(ValueError, match="event_type"):
        UnifiedEvent(
            event_id="x",
            source="web",
            event_type="click",
            occurred_at=RECEIVED,
            received_at=RECEIVED,
        )
