"""The sinks commit a stream that ends at once, in the background; the epoch's end waits for it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

import pipelines._sink as sink_module
from cdp.config import Settings
from cdp.ingest import DeltaWriter, FileChunk, IngestOptions, Outcome, Processor, RawInput
from pipelines._sink import DeltaSink
from pipelines.consent import ConsentSink, _items
from pipelines.ingest import run_ingest
from storage import Lakehouse

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _outcome(settings: Settings, first: int, n: int, *, ends: bool) -> Outcome:
    """``n`` track messages of ``n`` users, each stating a consent choice (one statement each)."""
    inputs = [
        RawInput(
            i,
            orjson.dumps(
                {
                    "type": "track",
                    "event": "Viewed",
                    "messageId": f"m{i}",
                    "userId": f"u{i}",
                    "timestamp": "2026-01-02T10:00:00.000Z",
                    "context": {"consent": {"categoryPreferences": {"Advertising": i % 2 == 0}}},
                }
            ),
            f"f:{i}",
        )
        for i in range(first, first + n)
    ]
    outcome = Processor(settings).process(FileChunk("web", "s", "jsonl", inputs), now=NOW)
    outcome.ends_stream = ends
    return outcome


def _lake(settings: Settings) -> Lakehouse:
    lake = Lakehouse.from_settings(settings)
    lake.init()
    return lake


def _until(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_delta_sink_commits_a_stream_that_ends_before_the_epoch_does(
    settings: Settings,
) -> None:
    lake = _lake(settings)
    writer = DeltaWriter(lake, flow_id="f", write_consent=False)
    # a group commit would wait for 200 inputs; a stream that ends commits from 20 on
    part = DeltaSink(writer, IngestOptions(flush_rows=1_000)).build_part("delta", "delta-0", None)
    try:
        part.write_batch([_outcome(settings, 1, 30, ends=False)])
        time.sleep(0.3)
        assert lake.count("events") == 0  # held for the epoch's end
        part.write_batch([_outcome(settings, 31, 30, ends=True)])
        _until(lambda: lake.count("events") == 60)  # committed with no snapshot
        part.write_batch([_outcome(settings, 61, 5, ends=True)])  # too few: left for it
        time.sleep(0.3)
        assert lake.count("events") == 60
        part.snapshot()
        assert lake.count("events") == 65
    finally:
        part.close()
    assert writer.stats.report(flow_id="f", elapsed=1).reconciled


def test_a_failed_background_commit_keeps_the_next_one_of_its_stream_from_writing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = _lake(settings)
    writer = DeltaWriter(lake, flow_id="f", write_consent=False)
    append = Lakehouse.append
    calls = {"events": 0}

    def append_slowly_failing_first(self: Lakehouse, name: str, *args: Any, **kw: Any) -> Any:
        if name == "events":
            calls["events"] += 1
            if calls["events"] == 1:
                time.sleep(0.3)  # the second commit is queued behind this one meanwhile
                raise RuntimeError("disk full")
        return append(self, name, *args, **kw)

    monkeypatch.setattr(Lakehouse, "append", append_slowly_failing_first)
    part = DeltaSink(writer, IngestOptions(flush_rows=1_000)).build_part("delta", "delta-0", None)
    part.write_batch([_outcome(settings, 1, 30, ends=True)])
    part.write_batch([_outcome(settings, 31, 30, ends=True)])  # queued behind the first
    with pytest.raises(RuntimeError, match="disk full"):
        part.snapshot()
    monkeypatch.setattr(Lakehouse, "append", append)
    # had the second written, its transaction version would hide the first's rows from a replay
    part._commits.close()  # whatever was queued has run
    assert calls["events"] == 1
    assert lake.count("events") == 0
    assert lake.transaction_version("events", "f:events:s") is None


def test_the_consent_sink_commits_a_stream_that_ends_before_the_epoch_does(
    settings: Settings,
) -> None:
    lake = _lake(settings)
    sink = ConsentSink(lake, flow_id="f", parts=1)
    part = sink.build_part("consent", "consent-0", None)
    try:
        small = _outcome(settings, 1, 50, ends=True)  # an ending with few statements: held
        part.write_batch([item for _, item in _items(small, 1)])
        time.sleep(0.3)
        assert lake.count("consent_ledger") == 0
        big = _outcome(settings, 51, 1_100, ends=True)
        part.write_batch([item for _, item in _items(big, 1)])
        _until(lambda: lake.count("consent_ledger") == 1_150)  # committed with no snapshot
        _until(lambda: lake.count("consent_state") == 1_150)
        assert sink.marks.get("s") is None  # the watermark waits for the epoch's end
        part.snapshot()
        assert sink.marks.get("s") == big.last_seq
    finally:
        part.close()


def test_the_file_source_marks_the_last_outcome_of_each_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = []
    for f in range(2):
        path = tmp_path / f"web-{f}.jsonl"
        lines = (_outcome_line(f * 1_000 + i) for i in range(230))
        path.write_bytes(b"\n".join(lines) + b"\n")
        paths.append(path)
    seen: list[tuple[str, int, bool]] = []
    write_batch = sink_module._DeltaPartition.write_batch

    def noting(self: Any, values: list[Outcome]) -> None:
        seen.extend((o.stream, o.last_seq, o.ends_stream) for o in values)
        write_batch(self, values)

    monkeypatch.setattr(sink_module._DeltaPartition, "write_batch", noting)
    options = IngestOptions(chunk_rows=50, parse_processes=1, helper_start="wait")
    report = run_ingest(settings, "web", paths, recovery=False, options=options)
    assert report.reconciled and report.events == 460
    for stream in {s for s, _, _ in seen}:
        mine = sorted((last, ends) for s, last, ends in seen if s == stream)
        assert len(mine) == 5  # chunks of 50 of 230 lines
        assert [ends for _, ends in mine] == [False] * 4 + [True]


def _outcome_line(i: int) -> bytes:
    return orjson.dumps(
        {
            "type": "track",
            "event": "Viewed",
            "messageId": f"m{i}",
            "anonymousId": f"a{i % 13}",
            "timestamp": "2026-01-02T10:00:00.000Z",
        }
    )
