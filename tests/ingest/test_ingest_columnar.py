"""The columnar fast path of JSON-lines web files gives exactly the per-line path's outcomes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from cdp.config import Settings
from cdp.ingest import FileChunk, IngestOptions, Outcome, OutcomeBuilder, Processor, columnar
from cdp.ingest.columnar import add_plain_lines
from cdp.ingest.readers import InputBatch, JsonLinesReader
from cdp.synth import GenerationReport

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_CMP = {"consent": {"categoryPreferences": {"Advertising": False, "Analytics": True}}}
_CMP_2 = {"consent": {"categoryPreferences": {"Advertising": True, "Analytics": True}}}
# decoded signals (TC strings, Google Consent Mode) take the per-line path: same outcome
_TCF = {"consent": {"tcfString": "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"}}
_BAD_TCF = {"tcf": "not-a-tc-string"}
_GCM = {"consentMode": {"ad_storage": "granted", "analytics_storage": "denied"}}
_BAD_GCM = {"googleConsentMode": {"ad_storage": "maybe"}}
_RUDDER = {"consentManagement": {"allowedConsentIds": ["C0001"], "deniedConsentIds": ["C0004"]}}


def _outcome(settings: Settings, batch: InputBatch, *, columnar: bool, trust: bool) -> Outcome:
    processor = Processor(settings, IngestOptions(columnar=columnar))
    chunk = FileChunk("web", "file:test", "jsonl", batch, trust_received_at=trust)
    return processor.process(chunk, now=NOW)


def _tables(outcome: Outcome) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in outcome.tables:
        out[name] = outcome.rows(name)
    return out


def _assert_same(settings: Settings, batch: InputBatch, *, trust: bool = True) -> Outcome:
    fast = _outcome(settings, batch, columnar=True, trust=trust)
    slow = _outcome(settings, batch, columnar=False, trust=trust)
    assert _tables(fast) == _tables(slow)
    for name in fast.tables:  # private columns too: the writer's exactly-once filter uses them
        assert fast.tables[name].column("_seq").to_pylist() == (
            slow.tables[name].column("_seq").to_pylist()
        )
    assert (fast.first_seq, fast.last_seq, fast.inputs) == (
        slow.first_seq,
        slow.last_seq,
        slow.inputs,
    )
    assert fast.duplicate_seqs == slow.duplicate_seqs
    # a bad consent signal is quarantined beside its kept event: not an input outcome
    rejected = sum(1 for r in fast.rows("quarantine") if r.get("stage") != "consent")
    assert fast.inputs == fast.count("events") + rejected + len(fast.duplicate_seqs)
    return fast


def _batch(lines: list[bytes], *, oversize: set[int] | None = None) -> InputBatch:
    from cdp.ingest import Rejection

    rejections = {
        i: Rejection("oversize", "line over 1048576 bytes", None, "read") for i in oversize or ()
    }
    return InputBatch("test.jsonl", [3 * i + 1 for i in range(len(lines))], lines, rejections)


def _taken(settings: Settings, batch: InputBatch) -> bool:
    """Whether the columnar path handles ``batch`` itself (no fallback to the per-line path)."""
    processor = Processor(settings, IngestOptions())
    builder = OutcomeBuilder(stream="s", source="web", ingested_at=NOW, batch_id="b")

    def failed(*args: object) -> None:
        raise AssertionError("no input may fail")

    return add_plain_lines(
        processor.web("web"),
        builder,
        batch,
        received_at=NOW,
        trust_received_at=True,
        content_type="application/x-ndjson",
        keep_raw=True,
        on_error=failed,
    )


def test_generated_files_take_the_columnar_path_with_the_same_outcome(
    settings: Settings, generated: GenerationReport
) -> None:
    path = sorted((generated.out_dir / "web").glob("*.jsonl"))[0]
    with JsonLinesReader(Path(path), max_record_bytes=1 << 20) as reader:
        batch = reader.read_batch(1_000_000)
    assert _taken(settings, batch)
    outcome = _assert_same(settings, batch)
    assert outcome.count("events") > 1000
    assert outcome.count("consent_ledger") > 10 and outcome.count("identity_records") > 10
    assert outcome.duplicate_seqs  # the fixture re-sends messages
    assert {r["error_type"] for r in outcome.rows("quarantine")} >= {"bad_json"}


_PLAIN = [
    {
        "type": "track",
        "messageId": "m-1",
        "anonymousId": "a-1",
        "event": "Order Completed",
        "properties": {"total": 10, "items": [{"sku": "x", "price": 1.5}], "é": "ü"},
        "timestamp": "2025-03-01T10:00:00.000Z",
        "sentAt": "2025-03-01T10:00:01.5Z",
        "receivedAt": "2025-03-01T10:00:02.123456Z",
        "context": {"ip": "1.2.3.4", **_CMP},
    },
    {
        "type": "identify",
        "messageId": "m-2",
        "userId": "u-1",
        "traits": {"email": "A@B.ch", "firstName": "Anna", "plan": "pro"},
        "context": _CMP_2,
    },
    {"type": "page", "messageId": "m-3", "anonymousId": "a-1", "name": "Home", "context": _CMP},
    {"type": "screen", "messageId": "m-4", "userId": "u-2", "name": "Start", "category": "c"},
    {"type": "group", "messageId": "m-5", "userId": "u-1", "groupId": "g-1", "traits": {"n": 1}},
    {"type": "alias", "messageId": "m-6", "userId": "u-1", "previousId": "a-1"},
    {
        "type": "track",
        "messageId": "m-7",
        "userId": "u-1",
        "event": "Segment Consent Preference Updated",
        "originalTimestamp": "2025-03-01T10:00:00Z",
        "context": _CMP_2,
    },
    {"type": "track", "messageId": "m-8", "anonymousId": "a-2", "event": "E", "context": _RUDDER},
]
_ODD = st.sampled_from(
    [
        None,
        "",
        "  ",
        "\u00a0x",
        "x\x1f",
        42,
        1.5,
        True,
        {},
        [],
        "x",
        "a-1",
        "u-1",
        "m-1",
        " padded ",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.1234567Z",
        "2025-01-01T00:00:00+02:00",
        "2025-01-01T24:00:00Z",
        "2025-01-01T23:59:60Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        "2025-02-30T00:00:00Z",
        "2025-1-01T00:00:00Z",
        "１９９９-01-01T00:00:00Z",
        1700000000123,
        {"a": 1},
        _CMP,
        _CMP_2,
        _RUDDER,
        2**70,
    ]
)
_KEYS = st.sampled_from(
    [
        "type",
        "messageId",
        "message_id",
        "userId",
        "anonymousId",
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
        "batch",
    ]
)


@st.composite
def _line(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # not a message: bad JSON, bad UTF-8, other JSON values, blank-ish
        return draw(
            st.sampled_from(
                [
                    b'{"type": "track", "messageId": "x", "anonym',
                    b'{"type": "track", "event": "\xff\xfe", "anonymousId": "a"}',
                    b"[1, 2]",
                    b'"text"',
                    b"null",
                    b"{}",
                    b'{"batch": [{"type": "track", "event": "E", "userId": "u"}]}',
                    b'{"batch": "nope"}',
                    b'{"type": "track", "event": "E", "userId": "u", "x": 1e400}',
                    b'{"type": "track", "event": "E", "userId": "u", "x": "\\ud800"}',
                ]
            )
        )
    msg = copy.deepcopy(draw(st.sampled_from(_PLAIN)))
    if kind <= 3:
        for key, value in draw(st.lists(st.tuples(_KEYS, _ODD), max_size=2)):
            msg[key] = copy.deepcopy(value)
        for key in draw(st.lists(_KEYS, max_size=1)):
            msg.pop(key, None)
    if kind == 4:
        msg["messageId"] = draw(st.sampled_from(["m-1", "m-2", "dup"]))  # duplicates
    if kind == 5:
        msg["context"] = copy.deepcopy(
            draw(st.sampled_from([_CMP, _CMP_2, _RUDDER, {}, _TCF, _BAD_TCF, _GCM, _BAD_GCM]))
        )
    if kind == 7:
        msg["properties"] = {"gdpr_consent": draw(st.sampled_from(["", "garbage", "COtybn"]))}
    if kind == 6:
        msg["properties"] = {"blob": "x" * 40_000}  # over the 32 KB of a message
    if kind == 8:  # as Python clients send it: spaces, ``\\uXXXX`` escapes, any key order
        items = list(msg.items())
        draw(st.randoms()).shuffle(items)
        return json.dumps(dict(items), ensure_ascii=draw(st.booleans())).encode()
    try:
        return orjson.dumps(msg)
    except TypeError:  # an integer beyond 64 bits
        return orjson.dumps({k: str(v) if isinstance(v, int) else v for k, v in msg.items()})


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_line(), min_size=1, max_size=30),
    oversize=st.sets(st.integers(0, 29), max_size=2),
    trust=st.booleans(),
)
def test_columnar_path_equals_per_line_path_on_any_lines(
    sample_settings: Settings, lines: list[bytes], oversize: set[int], trust: bool
) -> None:
    batch = _batch(lines, oversize={i for i in oversize if i < len(lines)})
    _assert_same(sample_settings, batch, trust=trust)


def test_plain_lines_with_duplicates_and_consent_changes(sample_settings: Settings) -> None:
    lines = [orjson.dumps(m) for m in _PLAIN]
    repeated = [*lines, *lines, b"{not json", orjson.dumps({**_PLAIN[2], "messageId": "m-9"})]
    batch = _batch(repeated)
    assert _taken(sample_settings, batch)
    outcome = _assert_same(sample_settings, batch)
    assert len(outcome.duplicate_seqs) == len(lines)
    assert outcome.count("events") == len(lines) + 1
    assert [r["error_type"] for r in outcome.rows("quarantine")] == ["bad_json"]
    assert outcome.count("consent_ledger") > 0


def test_decoded_consent_signals_take_the_per_line_path(sample_settings: Settings) -> None:
    lines = [orjson.dumps(m) for m in _PLAIN]
    plain = _batch(lines)
    assert _taken(sample_settings, plain)
    for context in (_TCF, _BAD_TCF, _GCM, _BAD_GCM):
        signalled = {**_PLAIN[1], "messageId": "m-signal", "context": context}
        batch = _batch([*lines, orjson.dumps(signalled)])
        assert not _taken(sample_settings, batch)
        _assert_same(sample_settings, batch)
    bad = _assert_same(
        sample_settings,
        _batch([orjson.dumps({**_PLAIN[1], "messageId": "m-bad", "context": _BAD_GCM})]),
    )
    assert [r["error_type"] for r in bad.rows("quarantine")] == ["bad_consent"]
    assert bad.count("events") == 1


def test_a_valid_unusual_message_sends_the_chunk_down_the_per_line_path(
    sample_settings: Settings,
) -> None:
    numeric = {**_PLAIN[0], "messageId": "m-n", "userId": 42}  # valid: the models take it
    batch = _batch([orjson.dumps(_PLAIN[0]), orjson.dumps(numeric), orjson.dumps(_PLAIN[1])])
    assert not _taken(sample_settings, batch)
    outcome = _assert_same(sample_settings, batch)
    assert outcome.count("events") == 3


def test_json_columns_keep_the_text_as_sent(sample_settings: Settings) -> None:
    """``properties``/``traits``/``context`` are the message's own JSON text (key order,
    spacing, number spelling), on both paths; built values (a group's id) are canonical."""
    track = (
        b'{"type": "track", "messageId": "m-t", "anonymousId": "a-1", "event": "E", '
        b'"properties": {"b": 1.50, "a": [1, 2]}, "context": {"z": true, "a": null}}'
    )
    identify = b'{"type":"identify","messageId":"m-i","userId":"u-1","traits":{"plan":"pro" }}'
    group = b'{"type":"group","messageId":"m-g","userId":"u-1","groupId":"g","traits":{"n":1}}'
    batch = _batch([track, identify, group])
    assert _taken(sample_settings, batch)
    rows = {r["event_id"]: r for r in _assert_same(sample_settings, batch).rows("events")}
    assert rows["m-t"]["properties"] == '{"b": 1.50, "a": [1, 2]}'
    assert rows["m-t"]["context"] == '{"z": true, "a": null}'
    assert rows["m-t"]["traits"] == "{}"
    assert rows["m-i"]["traits"] == '{"plan":"pro" }'
    assert rows["m-i"]["properties"] == "{}" and rows["m-i"]["context"] == "{}"
    assert rows["m-g"]["properties"] == '{"groupId":"g"}' and rows["m-g"]["traits"] == '{"n":1}'


def test_a_consent_key_spelled_with_escapes_is_still_read(sample_settings: Settings) -> None:
    escaped = (
        b'{"type":"track","messageId":"m-e","anonymousId":"a-9","event":"E","context":'
        b'{"cons\\u0065nt":{"categoryPreferences":{"Advertising":true}}}}'
    )
    batch = _batch([orjson.dumps(_PLAIN[0]), escaped])
    outcome = _assert_same(sample_settings, batch)
    stated = [r for r in outcome.rows("consent_ledger") if r["subject_value"] == "a-9"]
    assert [(r["purpose"], r["status"]) for r in stated] == [("advertising", "granted")]


def test_numbers_beyond_a_double_are_valid_json_on_both_paths(sample_settings: Settings) -> None:
    line = (
        b'{"type":"track","messageId":"m-big","userId":"u","event":"E",'
        b'"properties":{"huge":1e400,"exact":123456789012345678901234567890}}'
    )
    outcome = _assert_same(sample_settings, _batch([line]))
    [row] = outcome.rows("events")
    assert row["properties"] == '{"huge":1e400,"exact":123456789012345678901234567890}'


@given(
    st.text(
        alphabet=st.sampled_from(['"', "\\", "u", "t", "c", "f", "S", "x", "{", ":", "é"]),
        max_size=40,
    )
    | st.builds(
        "".join,
        st.lists(
            st.sampled_from(['"', "\\u", "x", *(f'"{k}"' for k in columnar._DECODED_CONTEXT_KEYS)]),
            max_size=6,
        ),
    )
)
def test_the_signal_screens_match_the_quoted_keys_and_escapes(text: str) -> None:
    found = pl.Series([text]).str
    for screen, keys in (
        (columnar._CONTEXT_SCREEN, columnar._DECODED_CONTEXT_KEYS),
        (columnar._PROPERTY_SCREEN, columnar._DECODED_PROPERTY_KEYS),
    ):
        wanted = "\\u" in text or any(f'"{k}"' in text for k in keys)
        assert found.contains(screen).item() is wanted


def test_an_impossible_date_rejects_only_its_own_line(sample_settings: Settings) -> None:
    """Timestamps are parsed a whole column at once (Arrow's ISO-8601 cast, which refuses a
    column for one impossible date): a 30 February makes its line a rejection, as on the
    per-line path, and leaves the instants of the other lines as they are."""
    stamps = [
        "2026-02-28T23:59:59.999999Z",
        "2024-02-29T12:00:00Z",
        "2026-02-30T10:00:00.000Z",
        "2026-03-01T00:00:00.5Z",
        "2026-03-01T24:00:00Z",
    ]
    lines = [
        orjson.dumps({**_PLAIN[0], "messageId": f"m-{n}", "timestamp": t, "sentAt": None})
        for n, t in enumerate(stamps)
    ]
    for batch in (_batch(lines), _batch([lines[0], lines[1], lines[3]])):
        assert _taken(sample_settings, batch)
        outcome = _assert_same(sample_settings, batch)
        occurred = {r["event_id"]: r["occurred_at"] for r in outcome.rows("events")}
        assert occurred["m-0"] == datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)
        assert occurred["m-1"] == datetime(2024, 2, 29, 12, tzinfo=UTC)
        assert occurred["m-3"] == datetime(2026, 3, 1, 0, 0, 0, 500000, tzinfo=UTC)
    full = _assert_same(sample_settings, _batch(lines))
    assert sorted(r["event_id"] for r in full.rows("events")) == ["m-0", "m-1", "m-3"]
    assert [r["error_type"] for r in full.rows("quarantine")] == ["schema", "schema"]
