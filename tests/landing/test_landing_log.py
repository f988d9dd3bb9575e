"""The durable landing log: framing, ordering, paging, group commit, segments, recovery."""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cdp.config import parse_config
from cdp.landing import (
    LandingEntry,
    LandingError,
    LandingFullError,
    LandingLog,
    LandingPosition,
    landing_root,
    list_lanes,
    read_lane,
    truncate_lane,
)


def _entry(i: int, payload: bytes | None = None, **meta: str) -> LandingEntry:
    return LandingEntry(
        source="web",
        received_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(microseconds=i * 1001),
        route="batch" if i % 2 else "track",
        content_type="application/json" if i % 3 else "text/plain;charset=UTF-8",
        payload=payload if payload is not None else f'{{"n":{i}}}'.encode(),
        meta={"write_key_source": "web", **meta},
        entry_id=f"{i:032x}",
    )


def _payloads(rng: random.Random) -> Iterator[bytes]:
    yield b""
    yield b"\x00" * 10
    yield gzip.compress(b'{"batch": []}' * 50)
    yield bytes(range(256)) * 4
    yield b"CDPL" * 100  # the record magic inside a payload is just data
    yield struct.pack("<II", 12, 0) + b"\xff\xfe"
    while True:
        yield rng.randbytes(rng.randint(0, 5000))


def _segment_files(root: Path, lane: str = "lane-000") -> list[Path]:
    return sorted((root / lane).glob("*.log"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts os.fsync calls (every fsync of the log goes through os.fsync)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_round_trip_of_many_entries_keeps_every_byte(root: Path) -> None:
    rng = random.Random(3)
    payloads = _payloads(rng)
    entries = [_entry(i, next(payloads), gpc="1" if i % 5 == 0 else "0") for i in range(300)]
    with LandingLog(root) as log:
        positions = [log.append_sync(e) for e in entries]
        assert log.lane == "lane-000"
    read = read_lane(root, "lane-000")
    assert [e for _, e in read] == entries
    assert [p for p, _ in read] == positions
    assert read[0][1].received_at.tzinfo is not None


def test_positions_are_ordered_and_point_behind_their_entry(root: Path) -> None:
    with LandingLog(root) as log:
        positions = [log.append_sync(_entry(i)) for i in range(50)]
        assert log.stats().position == positions[-1]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert positions[-1].offset == _segment_files(root)[0].stat().st_size
    assert LandingPosition(0, 10) < LandingPosition(0, 11) < LandingPosition(1, 0)


def test_read_lane_pages_with_after_and_limit(root: Path) -> None:
    with LandingLog(root) as log:
        entries = [_entry(i) for i in range(103)]
        for e in entries:
            log.append_sync(e)
    seen: list[LandingEntry] = []
    after: LandingPosition | None = None
    pages = 0
    while page := read_lane(root, "lane-000", after=after, limit=10):
        assert len(page) <= 10
        seen.extend(e for _, e in page)
        after = page[-1][0]
        pages += 1
    assert seen == entries
    assert pages == 11
    assert read_lane(root, "lane-000", after=after) == []


def test_read_lane_max_bytes_returns_at_least_one_entry(root: Path) -> None:
    with LandingLog(root) as log:
        for i in range(5):
            log.append_sync(_entry(i, b"x" * 1000))
    assert len(read_lane(root, "lane-000", max_bytes=1)) == 1
    assert len(read_lane(root, "lane-000", max_bytes=2500)) == 3
    assert len(read_lane(root, "lane-000", max_bytes=None)) == 5


def test_missing_root_and_lane_read_as_empty(root: Path) -> None:
    assert list_lanes(root) == []
    assert read_lane(root, "lane-000") == []
    assert truncate_lane(root, "lane-000", upto=LandingPosition(5, 0)) == 0


def test_group_commit_of_concurrent_async_appends(root: Path, fsyncs: list[int]) -> None:
    entries = [_entry(i, os.urandom(200)) for i in range(2000)]

    async def run(log: LandingLog) -> list[LandingPosition]:
        return await asyncio.gather(*(log.append(e) for e in entries))

    with LandingLog(root, max_batch_delay=0.005) as log:
        fsyncs.clear()  # directory fsyncs of the lane's creation
        positions = asyncio.run(run(log))
        commits = log.stats().fsyncs
    assert len(set(positions)) == len(entries)
    read = read_lane(root, "lane-000")
    assert {e.entry_id for _, e in read} == {e.entry_id for e in entries}
    by_id = {e.entry_id: p for p, e in read}
    assert all(by_id[e.entry_id] == p for e, p in zip(entries, positions, strict=True))
    assert len(fsyncs) == commits
    assert len(fsyncs) <= len(entries) // 20


def test_group_commit_from_threads(root: Path, fsyncs: list[int]) -> None:
    with LandingLog(root) as log:
        fsyncs.clear()
        results: list[LandingPosition] = []
        lock = threading.Lock()

        def work(base: int) -> None:
            for i in range(50):
                pos = log.append_sync(_entry(base + i))
                with lock:
                    results.append(pos)

        threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(set(results)) == 400
    assert len(read_lane(root, "lane-000")) == 400
    assert len(fsyncs) < 400


def test_readers_tail_a_lane_while_it_is_written(root: Path) -> None:
    entries = [_entry(i, os.urandom(random.Random(i).randint(0, 3000))) for i in range(600)]
    done = threading.Event()

    def write() -> None:
        with LandingLog(root, segment_bytes=64 << 10, max_batch_delay=0) as log:
            for e in entries:
                log.append_sync(e)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[LandingEntry] = []
    after: LandingPosition | None = None
    polls = 0
    while True:
        finished = done.is_set()
        page = read_lane(root, "lane-000", after=after, limit=50) if list_lanes(root) else []
        polls += 1
        if page:
            assert after is None or page[0][0] > after
            seen.extend(e for _, e in page)
            after = page[-1][0]
        elif finished:
            break
    writer.join()
    assert seen == entries
    assert polls > 12


def test_segments_roll_over(root: Path, fsyncs: list[int]) -> None:
    entries = [_entry(i, b"p" * 700) for i in range(40)]
    with LandingLog(root, segment_bytes=4096) as log:
        positions = [log.append_sync(e) for e in entries]
    files = _segment_files(root)
    assert len(files) > 5
    assert [f.name for f in files[:2]] == ["000000000000.log", "000000000001.log"]
    assert all(f.stat().st_size <= 4096 for f in files)
    assert [p.segment for p in positions] == sorted(p.segment for p in positions)
    assert [e for _, e in read_lane(root, "lane-000")] == entries
    # paging across segment boundaries
    after = positions[4]
    assert [e for _, e in read_lane(root, "lane-000", after=after, limit=3)] == entries[5:8]


def test_an_entry_larger_than_a_segment_gets_its_own(root: Path) -> None:
    with LandingLog(root, segment_bytes=1024) as log:
        log.append_sync(_entry(0))
        big = log.append_sync(_entry(1, b"B" * 5000))
        after = log.append_sync(_entry(2))
    assert big.segment == 1 and after.segment == 2
    assert [e.entry_id for _, e in read_lane(root, "lane-000")] == [f"{i:032x}" for i in range(3)]


def test_truncate_lane_deletes_only_consumed_segments(root: Path) -> None:
    with LandingLog(root, segment_bytes=2048) as log:
        positions = [log.append_sync(_entry(i, b"q" * 500)) for i in range(30)]
        upto = positions[14]
        removed = truncate_lane(root, "lane-000", upto=upto)
        assert removed == upto.segment
        assert min(int(f.stem) for f in _segment_files(root)) == upto.segment
        rest = read_lane(root, "lane-000", after=upto)
        assert [p for p, _ in rest] == positions[15:]
        # the writer keeps going after consumers truncated
        log.append_sync(_entry(99))
    assert read_lane(root, "lane-000", after=positions[-1])[0][1].entry_id == f"{99:032x}"
    assert truncate_lane(root, "lane-000", upto=positions[-1]) >= 1
    assert _segment_files(root)  # the newest segment stays


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data, cut: data[: cut + 3], id="partial-header"),
        pytest.param(lambda data, cut: data[: cut + 20], id="partial-body"),
        pytest.param(lambda data, cut: data[:cut] + b"\x00" * 300, id="zero-filled-tail"),
        pytest.param(lambda data, cut: data[: len(data) - 1], id="last-byte-missing"),
        pytest.param(
            lambda data, cut: data[: len(data) - 5] + b"XXXXX", id="crc-mismatch-in-last-record"
        ),
    ],
)
def test_torn_tail_reads_complete_records_and_writer_repairs_it(
    root: Path, damage: Callable[[bytes, int], bytes]
) -> None:
    with LandingLog(root) as log:
        positions = [log.append_sync(_entry(i)) for i in range(10)]
    path = _segment_files(root)[0]
    cut = positions[8].offset  # start of the last record
    path.write_bytes(damage(path.read_bytes(), cut))

    read = read_lane(root, "lane-000")
    assert [p for p, _ in read] == positions[:9]
    assert read_lane(root, "lane-000", after=positions[8]) == []

    with LandingLog(root, lane="lane-000") as log:
        assert path.stat().st_size == cut
        new = log.append_sync(_entry(100))
        assert new.segment == 0 and new.offset > cut
        assert path.stat().st_size == new.offset
    ids = [e.entry_id for _, e in read_lane(root, "lane-000")]
    assert ids == [f"{i:032x}" for i in [*range(9), 100]]


def test_crc_corruption_followed_by_valid_records_raises(root: Path) -> None:
    with LandingLog(root) as log:
        positions = [log.append_sync(_entry(i)) for i in range(10)]
    path = _segment_files(root)[0]
    data = bytearray(path.read_bytes())
    data[positions[3].offset + 30] ^= 0xFF  # inside the body of the 5th record
    path.write_bytes(bytes(data))
    with pytest.raises(LandingError, match="followed by valid records"):
        read_lane(root, "lane-000")
    # what precedes the damage is still readable by paging up to it
    assert len(read_lane(root, "lane-000", limit=4)) == 4
    with pytest.raises(LandingError, match="followed by valid records"):
        LandingLog(root, lane="lane-000")
    assert path.stat().st_size == len(data)  # the writer refused to cut anything


def test_damaged_length_followed_by_valid_records_raises(root: Path) -> None:
    with LandingLog(root) as log:
        positions = [log.append_sync(_entry(i)) for i in range(6)]
    path = _segment_files(root)[0]
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, positions[1].offset, 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    with pytest.raises(LandingError):
        read_lane(root, "lane-000")


def test_damage_in_a_sealed_segment_raises(root: Path) -> None:
    with LandingLog(root, segment_bytes=1024) as log:
        for i in range(20):
            log.append_sync(_entry(i, b"z" * 300))
    first = _segment_files(root)[0]
    first.write_bytes(first.read_bytes()[:-10])
    with pytest.raises(LandingError, match="sealed segment"):
        read_lane(root, "lane-000")


def test_two_writers_get_different_lanes(root: Path) -> None:
    with LandingLog(root) as a, LandingLog(root) as b:
        assert (a.lane, b.lane) == ("lane-000", "lane-001")
        a.append_sync(_entry(1))
        b.append_sync(_entry(2))
        with pytest.raises(LandingError, match="owned by another writer"):
            LandingLog(root, lane="lane-000")
    assert list_lanes(root) == ["lane-000", "lane-001"]
    assert [e.entry_id for _, e in read_lane(root, "lane-001")] == [f"{2:032x}"]
    with LandingLog(root) as again:  # released on close
        assert again.lane == "lane-000"


def test_backpressure_raises_when_too_much_is_pending(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = os.fsync

    def blocked(fd: int) -> None:
        release.wait(10)
        real(fd)

    with LandingLog(root, max_pending_bytes=2000, max_batch_delay=0) as log:
        monkeypatch.setattr(os, "fsync", blocked)
        first = threading.Thread(target=log.append_sync, args=(_entry(0, b"a" * 1500),))
        first.start()
        for _ in range(200):
            if log.pending_bytes():
                break
            threading.Event().wait(0.01)
        assert log.pending_bytes() > 1500
        with pytest.raises(LandingFullError):
            log.append_sync(_entry(1, b"b" * 1000))
        release.set()
        first.join()
        assert log.pending_bytes() == 0
        log.append_sync(_entry(2, b"c" * 1000))
    assert [e.entry_id[-1] for _, e in read_lane(root, "lane-000")] == ["0", "2"]


def test_a_cancelled_append_is_still_landed(root: Path) -> None:
    async def run(log: LandingLog) -> None:
        task = asyncio.ensure_future(log.append(_entry(7)))
        await asyncio.sleep(0)  # queued
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with LandingLog(root) as log:
        asyncio.run(run(log))
    assert [e.entry_id for _, e in read_lane(root, "lane-000")] == [f"{7:032x}"]


def test_fsync_failure_fails_the_log_for_good(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = LandingLog(root)
    try:
        log.append_sync(_entry(0))

        def broken(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", broken)
        with pytest.raises(LandingError, match="write failed"):
            log.append_sync(_entry(1))
        assert log.failed
        with pytest.raises(LandingError, match="failed"):
            log.append_sync(_entry(2))
    finally:
        monkeypatch.undo()
        log.close()


def test_entries_are_checked_before_they_are_queued(root: Path) -> None:
    with LandingLog(root) as log:
        naive = LandingEntry("web", datetime(2026, 1, 1), "track", "", b"{}", {}, "x")
        with pytest.raises(LandingError, match="timezone-aware"):
            log.append_sync(naive)
        not_text: Any = {"n": 1}
        bad_meta = LandingEntry("web", datetime.now(UTC), "track", "", b"{}", not_text, "x")
        with pytest.raises(LandingError, match="strings"):
            log.append_sync(bad_meta)
        other_zone = _entry(1)
        shifted = LandingEntry(
            **{
                **other_zone.__dict__,
                "received_at": other_zone.received_at.astimezone(timezone(timedelta(hours=2))),
            }
        )
        log.append_sync(shifted)
    ((_, read),) = read_lane(root, "lane-000")
    assert read.received_at == other_zone.received_at
    assert read.received_at.utcoffset() == timedelta(0)


def test_closed_log_refuses_appends_and_close_is_idempotent(root: Path) -> None:
    log = LandingLog(root)
    log.append_sync(_entry(0))
    log.close()
    log.close()
    assert log.closed
    with pytest.raises(LandingError, match="closed"):
        log.append_sync(_entry(1))


def test_close_writes_what_is_queued(root: Path) -> None:
    log = LandingLog(root, max_batch_delay=0.5)

    async def run() -> list[asyncio.Task[LandingPosition]]:
        tasks = [asyncio.ensure_future(log.append(_entry(i))) for i in range(20)]
        await asyncio.sleep(0)
        await asyncio.to_thread(log.close)
        return tasks

    async def settle() -> list[LandingPosition]:
        tasks = await run()
        return list(await asyncio.gather(*tasks))

    positions = asyncio.run(settle())
    assert len(positions) == 20
    assert len(read_lane(root, "lane-000")) == 20


def test_record_format_is_length_crc_body(root: Path) -> None:
    with LandingLog(root) as log:
        log.append_sync(_entry(0, b"PAYLOAD"))
    data = _segment_files(root)[0].read_bytes()
    length, crc = struct.unpack_from("<II", data)
    body = data[8:]
    assert len(body) == length
    assert zlib.crc32(body) == crc
    assert body.startswith(b"CDPL") and body.endswith(b"PAYLOAD")


def test_landing_root_is_beside_the_configuration(tmp_path: Path) -> None:
    settings = parse_config({}, base_dir=tmp_path)
    assert landing_root(settings) == tmp_path / "landing"


def test_entry_create_stamps_id_and_time() -> None:
    before = datetime.now(UTC)
    entry = LandingEntry.create(source="web", route="track", payload=b"{}")
    assert len(entry.entry_id) == 32 and int(entry.entry_id, 16) >= 0
    assert before <= entry.received_at <= datetime.now(UTC)
    assert entry.meta == {} and entry.content_type == "application/json"
