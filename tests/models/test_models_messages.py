from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cdp.models.errors import InvalidInputError
from cdp.models.identity import IdentityFields
from cdp.models.messages import (
    MAX_BATCH_ITEMS,
    Alias,
    Batch,
    Group,
    Identify,
    Page,
    Screen,
    Track,
    identity_from_traits,
    parse_message,
    split_batch,
)

_TS = "2026-10-01T12:00:00.000Z"


def _msg(**fields: Any) -> dict[str, Any]:
    return {"messageId": "m-1", "userId": "u-1", "timestamp": _TS, **fields}


def test_identify() -> None:
    msg = parse_message(_msg(type="identify", traits={"email": "a@b.ch"}))
    assert isinstance(msg, Identify)
    assert msg.traits == {"email": "a@b.ch"}
    assert msg.user_id == "u-1"
    assert msg.message_id == "m-1"
    assert msg.timestamp == datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_track() -> None:
    msg = parse_message(_msg(type="track", event="Order Completed", properties={"total": 9.5}))
    assert isinstance(msg, Track)
    assert (msg.event, msg.properties) == ("Order Completed", {"total": 9.5})


def test_page_and_screen() -> None:
    page = parse_message(_msg(type="page", name="Home", category="Docs", properties={"a": 1}))
    assert isinstance(page, Page)
    assert (page.name, page.category, page.properties) == ("Home", "Docs", {"a": 1})
    screen = parse_message(_msg(type="screen", name="Cart"))
    assert isinstance(screen, Screen)
    assert (screen.name, screen.properties) == ("Cart", {})
    assert parse_message(_msg(type="page", name="")).name is None  # type: ignore[union-attr]


def test_group() -> None:
    msg = parse_message(_msg(type="group", groupId=42, traits={"name": "ACME"}))
    assert isinstance(msg, Group)
    assert msg.group_id == "42"
    assert msg.traits == {"name": "ACME"}


def test_alias() -> None:
    msg = parse_message(_msg(type="alias", previousId="anon-7"))
    assert isinstance(msg, Alias)
    assert msg.previous_id == "anon-7"


def test_common_fields_and_wire_names() -> None:
    raw = _msg(
        type="track",
        event="E",
        anonymousId="a-1",
        originalTimestamp="2026-10-01T14:00:00+02:00",
        sentAt="2026-10-01T12:00:05Z",
        receivedAt=1790000000000,
        context={"ip": "203.0.113.1", "library": {"name": "analytics.js"}},
        integrations={"All": False},
        version=2,
        channel="browser",
        writeKey="wk",
    )
    msg = parse_message(raw)
    assert msg.original_timestamp == datetime(2026, 10, 1, 12, tzinfo=UTC)
    assert msg.sent_at == datetime(2026, 10, 1, 12, 0, 5, tzinfo=UTC)
    assert msg.received_at is not None and msg.received_at.tzinfo is UTC
    assert msg.context["library"] == {"name": "analytics.js"}
    assert (msg.version, msg.channel, msg.write_key) == (2, "browser", "wk")
    wire = msg.to_wire()
    assert wire["userId"] == "u-1" and wire["anonymousId"] == "a-1"
    assert wire["sentAt"] == "2026-10-01T12:00:05Z"
    assert "user_id" not in wire


def test_extra_fields_are_preserved() -> None:
    msg = parse_message(_msg(type="track", event="E", _metadata={"bundled": ["x"]}, foo=1))
    assert msg.model_extra == {"_metadata": {"bundled": ["x"]}, "foo": 1}
    assert msg.to_wire()["foo"] == 1


def test_snake_case_input_is_accepted() -> None:
    msg = parse_message({"type": "track", "user_id": "u", "event": "E", "message_id": "m"})
    assert (msg.user_id, msg.message_id) == ("u", "m")


@pytest.mark.parametrize(
    "ids",
    [
        {},
        {"userId": None, "anonymousId": None},
        {"userId": "", "anonymousId": "  "},
    ],
)
def test_missing_identity(ids: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "track", "event": "E", **ids})
    assert info.value.error_type == "missing_identity"


def test_anonymous_id_alone_is_enough() -> None:
    msg = parse_message({"type": "page", "anonymousId": "a-1"})
    assert msg.user_id is None and msg.anonymous_id == "a-1"
    assert msg.identity_key == "a-1"


@pytest.mark.parametrize(
    "ids", [{"userId": "u"}, {"previousId": "p"}, {"userId": "u", "previousId": ""}]
)
def test_alias_needs_user_id_and_previous_id(ids: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "alias", "anonymousId": "a", **ids})
    assert info.value.error_type == "missing_identity"


@pytest.mark.parametrize("event", [None, "", "   "])
def test_track_needs_an_event(event: str | None) -> None:
    raw = {"type": "track", "userId": "u"}
    if event is not None:
        raw["event"] = event
    with pytest.raises(InvalidInputError) as info:
        parse_message(raw)
    assert info.value.field == "event"
    assert info.value.error_type == "schema"


def test_group_needs_a_group_id() -> None:
    for raw in ({"type": "group", "userId": "u"}, {"type": "group", "userId": "u", "groupId": ""}):
        with pytest.raises(InvalidInputError) as info:
            parse_message(raw)
        assert info.value.field == "groupId"


@pytest.mark.parametrize(
    ("value", "expected"), [(42, "42"), (42.0, "42"), (1.5, "1.5"), (" u ", " u ")]
)
def test_numeric_ids_become_strings(value: object, expected: str) -> None:
    msg = parse_message({"type": "track", "userId": value, "anonymousId": 7, "event": "E"})
    assert msg.user_id == expected
    assert msg.anonymous_id == "7"


@pytest.mark.parametrize("value", [True, {"id": 1}, [1]])
def test_bad_id_types(value: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "track", "userId": value, "event": "E"})
    assert info.value.field == "userId"
    assert info.value.error_type == "schema"


def test_type_hint() -> None:
    msg = parse_message({"userId": "u", "event": "E"}, type_hint="track")
    assert isinstance(msg, Track)
    assert isinstance(parse_message({"userId": "u", "event": "E"}, type_hint="t"), Track)
    assert isinstance(
        parse_message({"type": "track", "userId": "u", "event": "E"}, type_hint="track"), Track
    )


def test_type_hint_mismatch() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "identify", "userId": "u"}, type_hint="track")
    assert info.value.field == "type"
    assert info.value.error_type == "schema"


def test_unknown_and_missing_type() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "purchase", "userId": "u"})
    assert info.value.error_type == "unknown_type"
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": 5, "userId": "u"})
    assert info.value.error_type == "unknown_type"
    with pytest.raises(InvalidInputError) as info:
        parse_message({"userId": "u"})
    assert (info.value.field, info.value.error_type) == ("type", "schema")
    with pytest.raises(InvalidInputError) as info:
        parse_message({"userId": "u"}, type_hint="purchase")
    assert info.value.error_type == "unknown_type"


def test_not_an_object() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_message(["track"])  # type: ignore[arg-type]
    assert info.value.error_type == "schema"


@pytest.mark.parametrize(
    ("field", "value"),
    [("context", "ctx"), ("properties", [1]), ("timestamp", "yesterday"), ("sentAt", True)],
)
def test_field_errors_name_the_field_and_not_the_value(field: str, value: object) -> None:
    raw = {"type": "track", "userId": "u", "event": "E", field: value}
    with pytest.raises(InvalidInputError) as info:
        parse_message(raw)
    assert info.value.field == field
    assert info.value.error_type == "schema"
    assert str(value) not in info.value.reason


def test_validation_error_does_not_leak_the_email() -> None:
    secret = "jane.secret@example.com"
    with pytest.raises(InvalidInputError) as info:
        parse_message({"type": "identify", "userId": "u", "traits": secret})
    assert secret not in str(info.value)
    assert info.value.__cause__ is None


def test_null_objects_read_as_empty() -> None:
    msg = parse_message(
        {"type": "identify", "userId": "u", "traits": None, "context": None, "integrations": None}
    )
    assert isinstance(msg, Identify)
    assert (msg.traits, msg.context, msg.integrations) == ({}, {}, {})


# ----------------------------------------------------------------------------------------- batch


def test_split_batch_merges_context_integrations_and_sent_at() -> None:
    body = {
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "context": {"ip": "1.1.1.1"}},
            {"type": "identify", "anonymousId": "a2", "sentAt": "2026-10-01T12:00:09Z"},
            {"type": "track", "event": "no identity"},
            {"type": "page", "userId": "u3", "integrations": {"All": False}},
            "not an object",
        ],
        "context": {"ip": "9.9.9.9", "library": {"name": "analytics-python"}},
        "integrations": {"All": True, "Mixpanel": False},
        "sentAt": "2026-10-01T12:00:10Z",
        "writeKey": "wk-1",
    }
    messages, failed = split_batch(body)
    assert [m.type for m in messages] == ["track", "identify", "page"]
    first, second, third = messages
    # item keys win, batch keys fill in
    assert first.context == {"ip": "1.1.1.1", "library": {"name": "analytics-python"}}
    assert second.context == {"ip": "9.9.9.9", "library": {"name": "analytics-python"}}
    assert first.integrations == {"All": True, "Mixpanel": False}
    assert third.integrations == {"All": False, "Mixpanel": False}
    assert first.sent_at == datetime(2026, 10, 1, 12, 0, 10, tzinfo=UTC)
    assert second.sent_at == datetime(2026, 10, 1, 12, 0, 9, tzinfo=UTC)
    assert first.write_key == "wk-1"
    # bad items are returned with their index and the original item
    assert [(i, e.error_type) for i, _, e in failed] == [
        (2, "missing_identity"),
        (4, "schema"),
    ]
    assert failed[0][1] == {"type": "track", "event": "no identity"}
    assert failed[1][1] == {"value": "not an object"}


def test_split_batch_does_not_mutate_the_input() -> None:
    item = {"type": "track", "userId": "u", "event": "E"}
    body = {"batch": [item], "context": {"ip": "x"}}
    split_batch(body)
    assert item == {"type": "track", "userId": "u", "event": "E"}


def test_split_batch_rejects_non_batches_and_oversize() -> None:
    with pytest.raises(InvalidInputError) as info:
        split_batch({"batch": "nope"})
    assert (info.value.field, info.value.error_type) == ("batch", "schema")
    with pytest.raises(InvalidInputError) as info:
        split_batch({})
    assert info.value.error_type == "schema"
    too_many = [{"type": "track", "userId": "u", "event": "E"}] * (MAX_BATCH_ITEMS + 1)
    with pytest.raises(InvalidInputError) as info:
        split_batch({"batch": too_many})
    assert info.value.error_type == "oversize"


def test_empty_batch() -> None:
    assert split_batch({"batch": []}) == ([], [])


def test_batch_model() -> None:
    batch = Batch.model_validate(
        {"batch": [{"a": 1}, 2], "sentAt": _TS, "writeKey": "wk", "context": None}
    )
    assert batch.batch == [{"a": 1}, 2]
    assert batch.sent_at == datetime(2026, 10, 1, 12, tzinfo=UTC)
    assert batch.context == {}
    assert batch.write_key == "wk"


# ---------------------------------------------------------------------------------------- traits


def test_identity_from_traits() -> None:
    traits = {
        "firstName": "Jane",
        "last_name": "Doe",
        "name": "Jane Doe",
        "email": "Jane@Example.com",
        "phone": "+41 44 668 18 00",
        "birthday": "1984-05-21",
        "address": {
            "street": "Bahnhofstrasse 1",
            "postalCode": "8001",
            "city": "Zürich",
            "country": "Switzerland",
            "state": "ZH",
        },
        "company": {"name": "ACME AG", "id": 5},
        "plan": "pro",
    }
    raw = identity_from_traits(traits)
    assert raw == {
        "first_name": "Jane",
        "last_name": "Doe",
        "full_name": "Jane Doe",
        "email": "Jane@Example.com",
        "phone": "+41 44 668 18 00",
        "birth_date": "1984-05-21",
        "street": "Bahnhofstrasse 1",
        "postcode": "8001",
        "city": "Zürich",
        "country": "Switzerland",
        "company": "ACME AG",
    }
    ident, issues = IdentityFields.from_raw(raw)
    assert issues == []
    assert ident.country == "CH"
    assert ident.email == "jane@example.com"


def test_identity_from_traits_variants() -> None:
    assert identity_from_traits({"first_name": "A", "firstName": "B"}) == {"first_name": "B"}
    assert identity_from_traits({"address": {"postal_code": "8001"}}) == {"postcode": "8001"}
    assert identity_from_traits({"company": "ACME"}) == {"company": "ACME"}
    assert identity_from_traits({"email": None, "address": "Main St 1", "company": 5}) == {}
