"""Web messages: the fast path equals the models, every input is accounted for, typed rejections."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

import cdp.ingest.web as web_module
from cdp.config import Settings
from cdp.ingest import FileChunk, Outcome, Processor, process_message, read_inputs
from cdp.ingest.readers import JsonLinesReader
from cdp.models import event_from_message, split_batch
from cdp.synth import GenerationReport

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _forced_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> Any:
        raise web_module._NeedsModelError

    monkeypatch.setattr(web_module, "_fast_message", never)


def _norm(outcome: Outcome) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name in outcome.tables:
        rows = outcome.rows(name)
        for row in rows:
            row.pop("recorded_at", None)
            row.pop("ingested_at", None)
        out[name] = rows
    return out


def _web_lines(generated: GenerationReport) -> list[Path]:
    return sorted((generated.out_dir / "web").glob("*.jsonl"))


def test_fast_path_equals_models_on_generated_data(
    settings: Settings, generated: GenerationReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _web_lines(generated)[0]
    inputs = list(read_inputs(path))
    with JsonLinesReader(path, max_record_bytes=1 << 20) as reader:
        columns = reader.read_batch(1_000_000)
    assert list(columns) == inputs
    fast = Processor(settings).process(FileChunk("web", "s", "jsonl", columns), now=NOW)
    listed = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    _forced_model(monkeypatch)
    slow = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    assert fast.count("events") > 1000
    assert _norm(fast) == _norm(slow) == _norm(listed)


_ODD = st.sampled_from(
    [
        None,
        "",
        "  ",
        42,
        42.0,
        1.5,
        True,
        {},
        [],
        "x",
        " padded ",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.123Z",
        "2025-01-01T00:00:00.123456Z",
        "2025-01-01T00:00:00+02:00",
        "2025-01-01 00:00:00Z",
        "2025-01-01T00:00:00z",
        " 2025-01-01T00:00:00Z",
        "2025-02-30T00:00:00Z",
        "1700000000",
        1700000000123,
        "20250101",
        {"a": 1},
        {"consent": {"categoryPreferences": {"Advertising": False}}},
    ]
)
_KEYS = st.sampled_from(
    [
        "type",
        "messageId",
        "message_id",
        "userId",
        "anonymousId",
        "user_id",
        "timestamp",
        "originalTimestamp",
        "sentAt",
        "receivedAt",
        "context",
        "integrations",
        "properties",
        "traits",
        "event",
        "name",
        "category",
        "groupId",
        "previousId",
        "version",
        "channel",
        "writeKey",
    ]
)
_BASE = [
    {
        "type": "track",
        "messageId": "m-1",
        "anonymousId": "a-1",
        "event": "Order Completed",
        "properties": {"total": 10},
        "timestamp": "2025-03-01T10:00:00.000Z",
        "sentAt": "2025-03-01T10:00:01.000Z",
        "context": {"ip": "1.2.3.4"},
    },
    {"type": "identify", "messageId": "m-2", "userId": "u-1", "traits": {"email": "a@b.ch"}},
    {"type": "page", "messageId": "m-3", "anonymousId": "a-2", "name": "Home"},
    {"type": "screen", "messageId": "m-4", "userId": "u-2", "name": "Start", "category": "c"},
    {"type": "group", "messageId": "m-5", "userId": "u-3", "groupId": "g-1", "traits": {}},
    {"type": "alias", "messageId": "m-6", "userId": "u-4", "previousId": "a-3"},
]


@hyp_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(_BASE),
    changes=st.lists(st.tuples(_KEYS, _ODD), max_size=3),
    drops=st.lists(_KEYS, max_size=2),
    hint=st.sampled_from([None, None, "track", "identify"]),
)
def test_fast_path_equals_models_on_odd_messages(
    sample_settings: Settings,
    base: dict[str, Any],
    changes: list[tuple[str, Any]],
    drops: list[str],
    hint: str | None,
) -> None:
    msg = copy.deepcopy(base)
    for key, value in changes:
        msg[key] = value
    for key in drops:
        msg.pop(key, None)
    try:
        fast = web_module._fast_message(msg, hint, "web", NOW)
    except web_module._NeedsModelError:
        return
    model = web_module._model_message(msg, hint, "web", NOW)

    def norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(v.decode() if isinstance(v, bytes) else v for v in row)

    assert norm(fast.event_row) == norm(model.event_row)
    assert (fast.type, fast.user_id, fast.anonymous_id, fast.previous_id) == (
        model.type,
        model.user_id,
        model.anonymous_id,
        model.previous_id,
    )
    assert fast.occurred_at == model.occurred_at
    assert fast.context == model.context and fast.traits == model.traits


def test_every_line_is_an_event_a_rejection_or_a_duplicate(
    settings: Settings, generated: GenerationReport
) -> None:
    manifest = orjson.loads((generated.out_dir / "manifest.json").read_bytes())
    processor = Processor(settings, None)
    events = quarantined = duplicates = inputs = 0
    kinds: dict[str, int] = {}
    for path in _web_lines(generated):
        outcome = processor.process(FileChunk("web", str(path), "jsonl", list(read_inputs(path))))
        inputs += outcome.inputs
        events += outcome.count("events")
        quarantined += outcome.count("quarantine")
        duplicates += len(outcome.duplicate_seqs)
        for row in outcome.rows("quarantine"):
            kinds[row["error_type"]] = kinds.get(row["error_type"], 0) + 1
    counts = manifest["counts"]
    assert inputs == counts["web_lines"] == events + quarantined + duplicates
    assert events == counts["web_events"]
    assert duplicates == counts["web_duplicate_messages"]
    bad = manifest["bad_lines"]
    assert kinds == {
        k: v
        for k, v in {
            "bad_json": bad["truncated_json"],
            "missing_identity": bad["missing_ids"],
            "schema": bad["track_without_event"],
        }.items()
        if v
    }


def _one(settings: Settings, body: Any, **kwargs: Any) -> Outcome:
    return process_message(settings, "web", body, received_at=NOW, **kwargs)


def _rejection(outcome: Outcome) -> tuple[str, str]:
    rows = outcome.rows("quarantine")
    assert len(rows) == 1 and outcome.count("events") == 0
    return rows[0]["error_type"], rows[0]["error"]


@pytest.mark.parametrize(
    ("body", "hint", "error_type"),
    [
        (b'{"type": "track", "messageId": "x", "anonym', None, "bad_json"),
        (b'{"type": "track", "event": "\xff\xfe", "anonymousId": "a"}', None, "bad_encoding"),
        (b'{"type": "track", "event": "E"}', None, "missing_identity"),
        (b'{"type": "track", "anonymousId": "a"}', None, "schema"),
        (b'{"type": "track", "event": "E", "userId": true}', None, "schema"),
        (b'{"type": "track", "event": "E", "userId": "u", "context": "x"}', None, "schema"),
        (b'{"type": "track", "event": "E", "userId": "u", "timestamp": "soon"}', None, "schema"),
        (b'{"type": "purchase", "userId": "u"}', None, "unknown_type"),
        (b'{"type": "page", "userId": "u"}', "track", "schema"),
        (b'{"type": "alias", "userId": "u"}', None, "missing_identity"),
        (b"[1, 2]", None, "schema"),
        (b'{"batch": "nope"}', "batch", "schema"),
        (b'{"batch": []}', "batch", "schema"),
    ],
)
def test_bad_inputs_are_quarantined_with_their_type(
    settings: Settings, body: bytes, hint: str | None, error_type: str
) -> None:
    outcome = _one(settings, body, type_hint=hint)
    assert outcome.inputs == 1
    found, message = _rejection(outcome)
    assert found == error_type
    row = outcome.rows("quarantine")[0]
    assert row["payload"] == body
    assert row["record_ref"] == "input"
    assert "\xff" not in message and "true" not in message.lower().split(":")[0]


def test_oversize_message_and_batch_items(settings: Settings) -> None:
    big = {"type": "track", "event": "E", "anonymousId": "a", "properties": {"x": "y" * 40_000}}
    outcome = _one(settings, orjson.dumps(big))
    assert _rejection(outcome)[0] == "oversize"
    small = {"type": "track", "event": "E", "anonymousId": "a", "messageId": "ok"}
    batch = {"batch": [big, small, 7, {"type": "nope", "userId": "u"}]}
    outcome = _one(settings, orjson.dumps(batch), type_hint="batch")
    assert outcome.inputs == 4
    assert outcome.count("events") == 1
    rows = outcome.rows("quarantine")
    assert [(r["error_type"], r["record_ref"]) for r in rows] == [
        ("oversize", "input#0"),
        ("schema", "input#2"),
        ("unknown_type", "input#3"),
    ]
    assert rows[1]["payload"] == b"7"
    assert len({r["quarantine_id"] for r in rows}) == 3
    too_many = {"batch": [small] * 2501}
    outcome = _one(settings, orjson.dumps(too_many), type_hint="batch")
    assert _rejection(outcome)[0] == "oversize" and outcome.inputs == 1


def test_batch_merging_matches_split_batch(settings: Settings) -> None:
    batch = {
        "batch": [
            {"type": "track", "event": "A", "anonymousId": "a", "messageId": "1"},
            {
                "type": "page",
                "userId": "u",
                "messageId": "2",
                "context": {"ip": "9.9.9.9"},
                "timestamp": "2025-01-01T00:00:00Z",
            },
            {"type": "identify", "userId": "u", "traits": {"email": "x@y.ch"}},
            {"type": "track", "anonymousId": "a", "messageId": "3"},
        ],
        "context": {"ip": "1.1.1.1", "library": {"name": "x"}},
        "integrations": {"All": True},
        "sentAt": "2025-01-01T00:00:05Z",
        "writeKey": "k",
    }
    outcome = _one(settings, batch, type_hint="batch")
    messages, failed = split_batch(batch)
    expected = [event_from_message(m, source="web", received_at=NOW).to_row() for m in messages]
    got = outcome.rows("events")
    for row in got:
        row.pop("ingested_at")
    assert [r["event_id"] for r in got] == [r["event_id"] for r in expected]
    assert [r["context"] for r in got] == [r["context"] for r in expected]
    assert [r["occurred_at"] for r in got] == [r["occurred_at"] for r in expected]
    assert [i for i, _, _ in failed] == [3]
    assert outcome.rows("quarantine")[0]["record_ref"] == "input#3"


def test_identify_and_alias_give_identity_rows(settings: Settings) -> None:
    identify = {
        "type": "identify",
        "messageId": "m1",
        "userId": "usr_1",
        "anonymousId": "anon_1",
        "timestamp": "2025-06-01T10:00:00.000Z",
        "traits": {
            "email": " Anna.Muster@Example.CH ",
            "firstName": "Anna",
            "lastName": "Muster",
            "plan": "gold",
            "address": {"city": "Zürich", "country": "CH", "postalCode": "8001"},
        },
    }
    row = _one(settings, identify).rows("identity_records")[0]
    assert row["source"] == "web" and row["source_record_id"] == "usr_1"
    assert row["user_id"] == "usr_1" and row["anonymous_id"] == "anon_1"
    assert row["email"] == "anna.muster@example.ch"
    assert row["first_name"] == "Anna" and row["city"] == "Zürich"
    assert orjson.loads(row["attributes"]) == {"plan": "gold"}
    assert row["updated_at"] == datetime(2025, 6, 1, 10, tzinfo=UTC)
    bare = _one(settings, {"type": "identify", "messageId": "m2", "anonymousId": "anon_2"})
    assert bare.count("events") == 1
    assert bare.rows("identity_records")[0]["source_record_id"] == "anon_2"
    alias = {"type": "alias", "messageId": "m3", "userId": "usr_1", "previousId": "anon_1"}
    row = _one(settings, alias).rows("identity_records")[0]
    assert (row["source_record_id"], row["anonymous_id"], row["updated_at"]) == (
        "usr_1",
        "anon_1",
        None,
    )


def test_received_at_of_archives_is_trusted_only_when_asked(settings: Settings) -> None:
    msg = {
        "type": "track",
        "event": "E",
        "messageId": "m",
        "anonymousId": "a",
        "receivedAt": "2025-01-02T03:04:05.000Z",
    }
    trusted = _one(settings, msg, trust_received_at=True).rows("events")[0]
    assert trusted["received_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert trusted["occurred_at"] == trusted["received_at"]
    untrusted = _one(settings, msg).rows("events")[0]
    assert untrusted["received_at"] == NOW


def test_clock_skew_is_corrected_from_sent_at(settings: Settings) -> None:
    msg = {
        "type": "track",
        "event": "E",
        "messageId": "m",
        "anonymousId": "a",
        "timestamp": "2030-01-01T00:00:00.000Z",  # the device clock is years ahead
        "sentAt": "2030-01-01T00:00:02.000Z",
    }
    row = _one(settings, msg).rows("events")[0]
    assert row["occurred_at"] == datetime(2026, 5, 1, 11, 59, 58, tzinfo=UTC)


def test_a_message_body_keeps_its_json_text_and_a_batch_item_is_canonical(
    settings: Settings,
) -> None:
    """A message sent on its own keeps its ``properties``/``context`` text as sent, on the fast
    path and through the models (a numeric ``userId`` takes the models); the items of a batch
    get the batch's context merged in, so theirs is canonical JSON of the merged value."""
    plain = (
        b'{"type":"track","messageId":"m-1","userId":"u","event":"E","properties":{"b":1, "a":2}}'
    )
    numeric = (
        b'{"type":"track","messageId":"m-2","userId":7,"event":"E","properties":{"b":1, "a":2}}'
    )
    for body in (plain, numeric):
        [row] = process_message(settings, "web", body).rows("events")
        assert row["properties"] == '{"b":1, "a":2}'
    batch = b'{"batch":[{"type":"track","messageId":"m-3","userId":"u","event":"E",' + (
        b'"properties":{"b":1, "a":2}}],"context":{"z":1,"y":2}}'
    )
    [row] = process_message(settings, "web", batch).rows("events")
    assert row["properties"] == '{"a":2,"b":1}' and row["context"] == '{"y":2,"z":1}'
