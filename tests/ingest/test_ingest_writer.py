"""The writer: exactly-once per stream whatever the replay's batch boundaries; dedupe by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl
import pytest

from cdp.config import Settings
from cdp.ingest import (
    DeltaWriter,
    EventIndex,
    FileChunk,
    Outcome,
    Processor,
    RawInput,
    compact_small_files,
)
from storage import Lakehouse

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TABLES = ("events", "quarantine", "raw_events", "identity_records", "consent_ledger")


def _line(i: int, *, message_id: str | None = None, bad: bool = False) -> bytes:
    if bad:
        return b'{"type": "track", "event": '
    msg: dict[str, Any] = {
        "type": "identify" if i % 5 == 0 else "track",
        "event": "Viewed",
        "messageId": message_id or f"m{i}",
        "userId": f"u{i % 7}",
        "timestamp": f"2026-01-{1 + i // 25:02d}T10:00:{i % 60:02d}.000Z",
        "traits": {"email": f"p{i % 7}@example.ch"},
        "context": {"consent": {"categoryPreferences": {"Advertising": i % 2 == 0}}},
    }
    return orjson.dumps(msg)


def _inputs(n: int, start: int = 1) -> list[RawInput]:
    return [RawInput(i, _line(i, bad=i % 11 == 0), f"f:{i}") for i in range(start, start + n)]


def _outcomes(
    settings: Settings, inputs: list[RawInput], size: int, stream: str = "s"
) -> list[Outcome]:
    processor = Processor(settings)
    return [
        processor.process(FileChunk("web", stream, "jsonl", inputs[i : i + size]), now=NOW)
        for i in range(0, len(inputs), size)
    ]


def _consent_state(lake: Lakehouse) -> dict[tuple[str, str], str]:
    """The latest status per subject and purpose (what the ledger says, boundary-independent)."""
    frame = lake.read("consent_ledger").sort("captured_at")
    assert frame["idempotency_key"].n_unique() == frame.height  # no statement twice
    return {
        (row["subject_value"], row["purpose"]): row["status"] for row in frame.iter_rows(named=True)
    }


def _tables(lake: Lakehouse) -> dict[str, Any]:
    """Sorted ids per table; the consent ledger as its latest state (restatements collapse
    per chunk, so which restatements are kept depends on the chunk boundaries)."""
    out: dict[str, Any] = {"consent": _consent_state(lake)}
    for name in TABLES:
        if name == "consent_ledger":
            continue
        frame = lake.read(name)
        key = {
            "events": "event_id",
            "quarantine": "quarantine_id",
            "raw_events": "raw_id",
            "identity_records": "source_record_id",
            "consent_ledger": "consent_id",
        }[name]
        out[name] = sorted(frame[key].to_list())
    return out


def test_replays_write_nothing_twice_whatever_the_boundaries(
    settings: Settings, lake: Lakehouse
) -> None:
    inputs = _inputs(60)
    writer = DeltaWriter(lake, flow_id="f")
    for outcome in _outcomes(settings, inputs[:40], 7):
        writer.write([outcome])
    # a restart replays from an older position with other chunk boundaries
    replay = DeltaWriter(lake, flow_id="f")
    replay.write(_outcomes(settings, inputs[20:], 13))
    report = replay.stats.report(flow_id="f", elapsed=1)
    assert report.skipped == 20 and report.inputs == 40 and report.reconciled
    after = _tables(lake)
    fresh = Lakehouse(settings.base_dir / "other")
    fresh.init()
    DeltaWriter(fresh, flow_id="f").write(_outcomes(settings, inputs, 60))
    assert after == _tables(fresh)
    assert len(after["events"]) == len(set(after["events"])) == 60 - 5
    assert len(after["consent"]) == 7
    assert len(after["quarantine"]) == 5
    # the whole thing again: all skipped
    again = DeltaWriter(lake, flow_id="f")
    again.write(_outcomes(settings, inputs, 25))
    assert again.stats.skipped == 60 and again.stats.commits == 0
    assert _tables(lake) == after


def test_a_crash_between_commits_is_replayed_exactly(
    settings: Settings, lake: Lakehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = _inputs(30)
    real_append = Lakehouse.append

    def failing(self: Lakehouse, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "events":
            raise RuntimeError("power cut")
        return real_append(self, name, *args, **kwargs)

    monkeypatch.setattr(Lakehouse, "append", failing)
    writer = DeltaWriter(lake, flow_id="f")
    with pytest.raises(RuntimeError):
        writer.write(_outcomes(settings, inputs, 30))
    assert lake.count("events") == 0 and lake.count("consent_ledger") > 0
    monkeypatch.setattr(Lakehouse, "append", real_append)
    DeltaWriter(lake, flow_id="f").write(_outcomes(settings, inputs, 30))
    fresh = Lakehouse(settings.base_dir / "other")
    fresh.init()
    DeltaWriter(fresh, flow_id="f").write(_outcomes(settings, inputs, 30))
    assert _tables(lake) == _tables(fresh)


def test_duplicates_across_chunks_streams_and_runs(settings: Settings, lake: Lakehouse) -> None:
    processor = Processor(settings)
    first = [RawInput(i, _line(i), f"a:{i}") for i in range(1, 11)]
    # another stream re-sends m3 and m5 (with its identity and consent), and m20 twice
    second = [
        RawInput(1, _line(3), "b:1"),
        RawInput(2, _line(5), "b:2"),
        RawInput(3, _line(20), "b:3"),
        RawInput(4, _line(20), "b:4"),
    ]
    writer = DeltaWriter(lake, flow_id="f")
    writer.write(
        [
            processor.process(FileChunk("web", "a", "jsonl", first), now=NOW),
            processor.process(FileChunk("web", "b", "jsonl", second), now=NOW),
        ]
    )
    report = writer.stats.report(flow_id="f", elapsed=1)
    assert report.events == 11 and report.duplicates == 3 and report.reconciled
    events = lake.read("events")
    assert events.height == 11 and events["event_id"].n_unique() == 11
    consent = lake.read("consent_ledger")
    assert consent.filter(pl.col("evidence").str.contains('"m5"')).height == 1
    # another flow (other app ids) over the same data: the index loads the ids from the table
    other = DeltaWriter(lake, flow_id="g")
    other.write([processor.process(FileChunk("web", "a", "jsonl", first), now=NOW)])
    assert other.stats.duplicates == 10 and other.stats.events == 0
    assert lake.count("events") == 11


def test_index_claims_and_eviction() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC).date()
    loaded: list[list[Any]] = []

    def loader(dates: Any) -> list[tuple[Any, str]]:
        loaded.append(list(dates))
        return [(day, "stored")]

    index = EventIndex(loader, max_ids=3)
    assert index.claim(["stored", "a", "a", "b"], [day] * 4) == [False, True, False, True]
    assert len(loaded) == 1 and len(loaded[0]) == 3  # the day and its neighbours
    index.release(["b"])
    assert "b" not in index and "a" in index


def test_compaction(settings: Settings, lake: Lakehouse) -> None:
    inputs = _inputs(40)
    writer = DeltaWriter(lake, flow_id="f")
    for outcome in _outcomes(settings, inputs, 4):
        writer.write([outcome])
    before = len(lake.files("raw_events"))
    removed = compact_small_files(lake, ["raw_events", "events"], min_files=4)
    assert removed["raw_events"] == before
    assert len(lake.files("raw_events")) < before
    assert lake.count("raw_events") == 40


def _month_outcomes(settings: Settings, batches: int, months: int) -> list[Outcome]:
    """``batches`` outcomes whose events fall in each of ``months`` months (one file per month
    and commit in the month-partitioned ``events``)."""
    processor = Processor(settings)
    outcomes = []
    for b in range(batches):
        inputs = []
        for m in range(months):
            i = 1 + b * months + m
            msg = {**orjson.loads(_line(i)), "timestamp": f"2026-{1 + m:02d}-03T10:00:00.000Z"}
            inputs.append(RawInput(i, orjson.dumps(msg), f"f:{i}"))
        outcomes.append(processor.process(FileChunk("web", "s", "jsonl", inputs), now=NOW))
    return outcomes


def test_small_files_are_counted_per_partition(settings: Settings, lake: Lakehouse) -> None:
    writer = DeltaWriter(lake, flow_id="f")
    for outcome in _month_outcomes(settings, 3, 2):
        writer.write([outcome])
    assert lake.small_files("events", below=1 << 30) == {
        "event_month=2026-01": 3,
        "event_month=2026-02": 3,
    }
    assert lake.small_files("consent_ledger", below=1 << 30) == {"": 3}  # not partitioned
    assert lake.small_files("events", below=1) == {}


def test_partition_scope_compacts_once_one_partition_has_gathered_enough(
    settings: Settings, lake: Lakehouse
) -> None:
    writer = DeltaWriter(lake, flow_id="f")
    for outcome in _month_outcomes(settings, 3, 2):
        writer.write([outcome])
    # 6 small files in all, 3 per month
    assert compact_small_files(lake, ["events"], min_files=4, scope="partition") == {}
    assert len(lake.files("events")) == 6
    writer.write(_month_outcomes(settings, 4, 2)[3:])  # a fourth file in each month
    rows = lake.read("events").sort("event_id")
    assert compact_small_files(lake, ["events"], min_files=4, scope="partition") == {"events": 8}
    assert lake.small_files("events", below=1 << 30) == {
        "event_month=2026-01": 1,
        "event_month=2026-02": 1,
    }
    assert lake.read("events").sort("event_id").equals(rows)
    assert rows.height == 8
