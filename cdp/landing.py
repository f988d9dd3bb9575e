"""The durable landing log between the collector and the streaming dataflows.

The collector acknowledges a request only after its payload is in this log and ``fsync``'ed; a
dataflow tails the log (:func:`read_lane`) and writes the Delta tables. The log is a folder of
*lanes*, one per writer process, each a sequence of *segment* files::

    <root>/<lane>/.lock                 exclusive flock of the one writer that owns the lane
    <root>/<lane>/000000000000.log      segments, numbered from 0, rolled at ``segment_bytes``
    <root>/<lane>/000000000001.log

A segment is a sequence of records ``[u32 length][u32 crc32(body)][body]`` (little-endian), with
``body = b"CDPL" [u32 header length] [header: JSON] [payload bytes]``. The header holds the
entry's fields (``v``, ``id``, ``source``, ``received_at`` in epoch microseconds, ``route``,
``content_type``, ``meta``); the payload is stored as is, so it round-trips byte for byte. The
magic ``CDPL`` lets a reader that meets a damaged record look for valid records after it.

Writer (:class:`LandingLog`): one thread drains a queue of entries, writes every waiting entry,
``fsync``'s once and then resolves every waiter (*group commit*); it waits at most
``max_batch_delay`` after the oldest waiting entry to gather more. A new segment is started when
the next record would cross ``segment_bytes`` (the lane folder is ``fsync``'ed when a segment is
created). On start the writer takes the lane's lock (``lane=None``: the first free lane
``lane-000``, ``lane-001``, ..., so several server workers each get one), scans the last segment
and cuts a torn tail left by a crash.

Readers (:func:`read_lane`) never block and never need the lock. A torn or partly written last
record ends what is readable (a crash mid-write, or a write in progress); a damaged record
followed by valid records, or damage in a segment that is not the last, is corruption and raises
:class:`LandingError`.

Durability: an entry is acknowledged after ``fsync`` of its segment, so it survives a process
kill and a power loss. A reader may see a record before its ``fsync`` has finished; such a record
survives a process kill (the page cache stays) but not a power loss, where its writer never
acknowledged it either.

The default root is ``<folder of cdp.yaml>/landing`` (:func:`landing_root`); every collector
process and the dataflow that reads them use the same root.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import logging
import os
import struct
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import orjson

from cdp.errors import CdpError

if TYPE_CHECKING:
    from cdp.config import Settings

__all__ = [
    "LANDING_DIR",
    "ROUTES",
    "LandingEntry",
    "LandingError",
    "LandingFullError",
    "LandingLog",
    "LandingPosition",
    "LandingStats",
    "landing_root",
    "list_lanes",
    "read_lane",
    "truncate_lane",
]

logger = logging.getLogger(__name__)

#: Folder name of the landing root below the configuration file's folder.
LANDING_DIR: Final = "landing"
#: The values of :attr:`LandingEntry.route`: the tracking API's message routes, ``batch``,
#: ``rejected`` for a request the collector refused (the dataflow quarantines it), and ``consent``
#: for a consent statement of a ``kind: consent`` source (``cdp.ingest.statements``).
ROUTES: Final[tuple[str, ...]] = (
    "identify",
    "track",
    "page",
    "screen",
    "group",
    "alias",
    "batch",
    "rejected",
    "consent",
)

_FRAME: Final = struct.Struct("<II")  # body length, crc32 of the body
_HLEN: Final = struct.Struct("<I")  # header length inside the body
_MAGIC: Final = b"CDPL"
_PREFIX: Final = len(_MAGIC) + _HLEN.size
_MIN_BODY: Final = _PREFIX + 2  # magic, header length and at least "{}"
_MAX_BODY: Final = 256 << 20
_VERSION: Final = 1
_SUFFIX: Final = ".log"
_LOCK: Final = ".lock"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)
_GATHER_BYTES: Final = 4 << 20  # stop waiting for more entries once this much is queued
_IOV_CHUNK: Final = 512


class LandingError(CdpError):
    """The landing log cannot do what was asked (corrupt segment, lane taken, closed, failed)."""


class LandingFullError(LandingError):
    """Backpressure: more than ``max_pending_bytes`` are waiting to be written."""


@dataclass(frozen=True)
class LandingEntry:
    """One received request, as landed.

    ``payload`` is the request body exactly as received (after gzip decoding); ``route`` is one
    of :data:`ROUTES`; ``meta`` holds small string facts about the request, never a raw IP
    address or user agent. The collector sets:

    * ``write_key_source``: the source the write key selected (same as ``source``);
      ``auth``: where the key was found (``basic``, ``body``, ``query``); ``path``: the route
      path (``/v1/t``); ``content_encoding`` when the body was compressed; ``gpc: "1"`` for a
      ``Sec-GPC: 1`` request (Global Privacy Control);
    * for ``route == "rejected"``: ``error_type`` (a quarantine error type: ``bad_json``,
      ``schema``, ``oversize``, ``bad_format``), ``error`` (the reason, without values),
      ``route`` (the route the request was sent to) and ``truncated: "1"`` when only the first
      bytes of an oversize body are kept.
    """

    source: str
    received_at: datetime
    route: str
    content_type: str
    payload: bytes
    meta: dict[str, str]
    entry_id: str

    @classmethod
    def create(
        cls,
        *,
        source: str,
        route: str,
        payload: bytes,
        content_type: str = "application/json",
        meta: dict[str, str] | None = None,
        received_at: datetime | None = None,
    ) -> LandingEntry:
        """A new entry with a fresh ``entry_id`` (uuid4 hex), received now unless given."""
        return cls(
            source=source,
            received_at=received_at or datetime.now(UTC),
            route=route,
            content_type=content_type,
            payload=payload,
            meta=dict(meta or {}),
            entry_id=uuid.uuid4().hex,
        )


@dataclass(frozen=True, order=True)
class LandingPosition:
    """Where an entry ends in its lane: ``offset`` is the byte offset of the NEXT entry.

    Positions are totally ordered within one lane; pass one to :func:`read_lane` as ``after``
    to continue behind that entry, or to :func:`truncate_lane` once everything up to it is
    consumed.
    """

    segment: int
    offset: int


@dataclass(frozen=True)
class LandingStats:
    """Counters of one writer since it was opened."""

    lane: str
    entries: int
    bytes: int
    fsyncs: int
    commits: int
    pending_bytes: int
    position: LandingPosition


def landing_root(settings: Settings) -> Path:
    """The landing root for a configuration: ``<folder of cdp.yaml>/landing``.

    It sits beside the configuration file (``settings.base_dir``) whether the lakehouse is a
    local folder or an object store, because the landing log is always a local, fsync'ed file
    of the machine that runs the collector.
    """
    return settings.base_dir / LANDING_DIR


# --- encoding --------------------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise LandingError("received_at must be a timezone-aware datetime")
    return (moment - _EPOCH) // _MICRO


def _encode(entry: LandingEntry) -> bytes:
    """The record (frame and body) of one entry."""
    if not isinstance(entry.payload, bytes | bytearray | memoryview):
        raise LandingError("payload must be bytes")
    meta = entry.meta
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise LandingError("meta keys and values must be strings")
    header = orjson.dumps(
        {
            "v": _VERSION,
            "id": entry.entry_id,
            "source": entry.source,
            "received_at": _micros(entry.received_at),
            "route": entry.route,
            "content_type": entry.content_type,
            "meta": meta,
        }
    )
    prefix = _MAGIC + _HLEN.pack(len(header)) + header
    length = len(prefix) + len(entry.payload)
    if length > _MAX_BODY:
        raise LandingError(f"entry too large for the landing log ({length} bytes)")
    crc = zlib.crc32(entry.payload, zlib.crc32(prefix))
    return b"".join((_FRAME.pack(length, crc), prefix, entry.payload))


def _decode(body: bytes, where: str) -> LandingEntry:
    try:
        (hlen,) = _HLEN.unpack_from(body, len(_MAGIC))
        header = orjson.loads(body[_PREFIX : _PREFIX + hlen])
        if header["v"] != _VERSION:
            raise LandingError(f"{where}: unknown record version {header['v']!r}")
        meta = header["meta"]
        return LandingEntry(
            source=str(header["source"]),
            received_at=_EPOCH + timedelta(microseconds=int(header["received_at"])),
            route=str(header["route"]),
            content_type=str(header["content_type"]),
            payload=body[_PREFIX + hlen :],
            meta={str(k): str(v) for k, v in meta.items()},
            entry_id=str(header["id"]),
        )
    except LandingError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, struct.error) as e:
        raise LandingError(f"{where}: undecodable record header") from e


def _body_ok(length: int, crc: int, body: bytes) -> bool:
    return (
        len(body) == length
        and body[: len(_MAGIC)] == _MAGIC
        and zlib.crc32(body) & 0xFFFFFFFF == crc
    )


# --- scanning --------------------------------------------------------------------------------


def _segment_name(segment: int) -> str:
    return f"{segment:012d}{_SUFFIX}"


def _segments(lane_dir: Path) -> list[int]:
    found: list[int] = []
    try:
        names = [p.name for p in lane_dir.iterdir()]
    except FileNotFoundError:
        return found
    for name in names:
        stem, dot, ext = name.partition(".")
        if dot and "." + ext == _SUFFIX and stem.isdigit():
            found.append(int(stem))
    found.sort()
    return found


def _valid_record_after(data: bytes, start: int) -> int | None:
    """Offset of the first complete, valid record that starts after ``start``, if any."""
    pos = start + _FRAME.size
    while True:
        found = data.find(_MAGIC, pos)
        if found < 0:
            return None
        begin = found - _FRAME.size
        pos = found + 1
        length, crc = _FRAME.unpack_from(data, begin)
        if not (_MIN_BODY <= length <= _MAX_BODY):
            continue
        body = data[found : found + length]
        if _body_ok(length, crc, body):
            return begin


@dataclass
class _Scan:
    """What one pass over a segment found."""

    entries: list[tuple[LandingPosition, LandingEntry]] = field(default_factory=list)
    end: int = 0  # offset after the last good record read
    clean: bool = True  # the data ended exactly at a record boundary
    payload_bytes: int = 0


def _scan_segment(
    path: Path,
    segment: int,
    start: int,
    *,
    last: bool,
    decode: bool,
    limit: int | None = None,
    max_bytes: int | None = None,
) -> _Scan:
    """Read the records of one segment from ``start``.

    Stops at the end of the data, at ``limit`` entries or ``max_bytes`` of payload, or at a
    damaged tail of the *last* segment. Raises :class:`LandingError` for corruption: a damaged
    record followed by a valid one, or any damage in a segment that is not the last.
    """
    scan = _Scan(end=start)
    where = f"landing segment {path.parent.name}/{path.name}"
    with path.open("rb", buffering=1 << 20) as f:
        f.seek(start)
        offset = start
        while True:
            if limit is not None and len(scan.entries) >= limit:
                return scan
            if max_bytes is not None and scan.entries and scan.payload_bytes >= max_bytes:
                return scan
            head = f.read(_FRAME.size)
            if not head:
                return scan
            damaged = False
            if len(head) < _FRAME.size:
                complete = False
            else:
                length, crc = _FRAME.unpack(head)
                if not (_MIN_BODY <= length <= _MAX_BODY):
                    damaged, complete = True, True
                else:
                    body = f.read(length)
                    complete = len(body) == length
                    if complete and not _body_ok(length, crc, body):
                        # a write may be in progress right there: look once more, past the
                        # reader's buffer
                        body = os.pread(f.fileno(), length, offset + _FRAME.size)
                        damaged = not _body_ok(length, crc, body)
                        f.seek(offset + _FRAME.size + length)
            if not damaged and complete:
                offset += _FRAME.size + length
                scan.end = offset
                if decode:
                    entry = _decode(body, f"{where} offset {offset - _FRAME.size - length}")
                    scan.entries.append((LandingPosition(segment, offset), entry))
                    scan.payload_bytes += len(entry.payload)
                else:
                    scan.entries.append((LandingPosition(segment, offset), _NO_ENTRY))
                continue
            # an incomplete or damaged record at `offset`
            scan.clean = False
            if not last:
                raise LandingError(
                    f"{where}: damaged record at offset {offset} in a sealed segment"
                )
            if damaged:
                f.seek(offset)
                rest = f.read()
                if _valid_record_after(rest, 1) is not None:
                    raise LandingError(
                        f"{where}: damaged record at offset {offset} followed by valid records"
                    )
            return scan


_NO_ENTRY: Final = LandingEntry("", _EPOCH, "", "", b"", {}, "")


def _repair_tail(path: Path, segment: int) -> int:
    """Scan the last segment, cut a torn or damaged tail; the offset to continue at."""
    scan = _scan_segment(path, segment, 0, last=True, decode=False)
    size = path.stat().st_size
    if scan.end < size:
        with path.open("rb") as f:
            f.seek(scan.end)
            rest = f.read()
        if _valid_record_after(rest, 1) is not None:
            raise LandingError(
                f"landing segment {path.parent.name}/{path.name}: damaged record at offset "
                f"{scan.end} followed by valid records; move the lane aside and inspect it"
            )
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, scan.end)
            os.fsync(fd)
        finally:
            os.close(fd)
        logger.warning(
            "landing lane %s: cut a torn tail of %d bytes in segment %d (a crash mid-write)",
            path.parent.name,
            size - scan.end,
            segment,
        )
    return scan.end


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading ---------------------------------------------------------------------------------


def list_lanes(root: Path) -> list[str]:
    """The lanes under ``root`` (sorted); ``[]`` when there is no root yet."""
    try:
        return sorted(
            p.name for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    except FileNotFoundError:
        return []


def read_lane(
    root: Path,
    lane: str,
    *,
    after: LandingPosition | None = None,
    limit: int = 10_000,
    max_bytes: int | None = 64 << 20,
) -> list[tuple[LandingPosition, LandingEntry]]:
    """Entries of ``lane`` after ``after`` (from the start when None), oldest first.

    Never blocks and returns ``[]`` when there is nothing new. Returns at most ``limit``
    entries and stops once ``max_bytes`` of payload are gathered (at least one entry is
    returned). A torn last record (a crash mid-write, or a write in progress) ends what is
    readable; corruption raises :class:`LandingError`.
    """
    if limit <= 0:
        return []
    lane_dir = Path(root) / lane
    segments = _segments(lane_dir)
    if not segments:
        return []
    out: list[tuple[LandingPosition, LandingEntry]] = []
    payload = 0
    first_seg, first_off = (after.segment, after.offset) if after else (segments[0], 0)
    for i, segment in enumerate(segments):
        if segment < first_seg:
            continue
        start = first_off if segment == first_seg else 0
        last = i == len(segments) - 1
        try:
            scan = _scan_segment(
                lane_dir / _segment_name(segment),
                segment,
                start,
                last=last,
                decode=True,
                limit=limit - len(out),
                max_bytes=None if max_bytes is None else max(1, max_bytes - payload),
            )
        except FileNotFoundError:  # truncated by a consumer meanwhile
            continue
        out.extend(scan.entries)
        payload += scan.payload_bytes
        if len(out) >= limit or (max_bytes is not None and payload >= max_bytes and out):
            break
        if not scan.clean:
            break
    return out


def truncate_lane(root: Path, lane: str, *, upto: LandingPosition) -> int:
    """Delete the segments of ``lane`` that lie wholly before ``upto``; how many were deleted.

    Call it with the position of the last entry a consumer has durably processed. The segment
    that holds ``upto`` (and so the one the writer appends to) is never deleted.
    """
    lane_dir = Path(root) / lane
    removed = 0
    for segment in _segments(lane_dir):
        if segment >= upto.segment:
            break
        try:
            (lane_dir / _segment_name(segment)).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    if removed:
        _fsync_dir(lane_dir)
    return removed


# --- writing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    record: bytes
    enqueued: float
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[LandingPosition] | concurrent.futures.Future[LandingPosition]
    settled: bool = False


def _settle(results: list[tuple[asyncio.Future[LandingPosition], Any]]) -> None:
    for future, outcome in results:
        if future.done():  # cancelled: the caller gave up waiting (the entry is still landed)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class LandingLog:
    """The writer of one lane; one per collector process. Thread- and asyncio-safe.

    ``append`` returns once the entry is ``fsync``'ed. When more than ``max_pending_bytes``
    wait to be written, ``append`` raises :class:`LandingFullError` at once (backpressure).
    """

    def __init__(
        self,
        root: Path,
        *,
        lane: str | None = None,
        segment_bytes: int = 64 << 20,
        max_batch_delay: float = 0.002,
        max_pending_bytes: int = 64 << 20,
    ) -> None:
        if segment_bytes <= 0 or max_pending_bytes <= 0 or max_batch_delay < 0:
            raise ValueError("segment_bytes and max_pending_bytes must be > 0, delay >= 0")
        self._root = Path(root)
        self._segment_bytes = segment_bytes
        self._max_batch_delay = max_batch_delay
        self._max_pending = max_pending_bytes
        self._cond = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._queued_bytes = 0
        self._pending_bytes = 0
        self._closing = False
        self._closed = False
        self._failure: BaseException | None = None
        self._entries = self._bytes = self._fsyncs = self._commits = 0

        try:
            self._root.mkdir(parents=True, exist_ok=True)
            self._lane, self._lock_fd = self._claim_lane(lane)
        except OSError as e:
            raise LandingError(f"cannot open the landing root {self._root}: {e.strerror}") from e
        try:
            self._lane_dir = self._root / self._lane
            segments = _segments(self._lane_dir)
            if segments:
                self._segment = segments[-1]
                self._offset = _repair_tail(
                    self._lane_dir / _segment_name(self._segment), segments[-1]
                )
                self._fd = os.open(
                    self._lane_dir / _segment_name(self._segment), os.O_WRONLY | os.O_APPEND
                )
            else:
                self._segment, self._offset = 0, 0
                self._fd = self._create_segment(0)
        except OSError as e:
            os.close(self._lock_fd)
            raise LandingError(f"cannot open landing lane {self._lane}: {e.strerror}") from e
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._thread = threading.Thread(
            target=self._run, name=f"landing-writer-{self._lane}", daemon=True
        )
        self._thread.start()
        logger.info(
            "landing lane %s open at segment %d offset %d", self._lane, self._segment, self._offset
        )

    # -- public -------------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        return self._root

    @property
    def lane(self) -> str:
        return self._lane

    @property
    def max_pending_bytes(self) -> int:
        return self._max_pending

    @property
    def closed(self) -> bool:
        return self._closed or self._closing

    @property
    def failed(self) -> bool:
        """A write or fsync failed: appends raise until the process restarts."""
        return self._failure is not None

    async def append(self, entry: LandingEntry) -> LandingPosition:
        """Land one entry; returns its position once it is ``fsync``'ed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[LandingPosition] = loop.create_future()
        self._enqueue(_encode(entry), loop, future)
        return await future

    def append_sync(self, entry: LandingEntry) -> LandingPosition:
        """Land one entry from a thread; returns its position once it is ``fsync``'ed."""
        future: concurrent.futures.Future[LandingPosition] = concurrent.futures.Future()
        self._enqueue(_encode(entry), None, future)
        return future.result()

    def pending_bytes(self) -> int:
        """Bytes accepted by ``append`` and not yet durable (queued or being written)."""
        return self._pending_bytes

    def stats(self) -> LandingStats:
        """Counters since the writer was opened (for metrics)."""
        return LandingStats(
            lane=self._lane,
            entries=self._entries,
            bytes=self._bytes,
            fsyncs=self._fsyncs,
            commits=self._commits,
            pending_bytes=self._pending_bytes,
            position=LandingPosition(self._segment, self._offset),
        )

    def close(self) -> None:
        """Write what is queued, then release the lane. Idempotent."""
        with self._cond:
            if self._closing:
                already = True
            else:
                already = False
                self._closing = True
                self._cond.notify_all()
        if already:
            self._thread.join()
            return
        self._thread.join()
        try:
            os.close(self._fd)
        finally:
            os.close(self._lock_fd)  # releases the flock
            self._closed = True
        logger.info("landing lane %s closed", self._lane)

    def __enter__(self) -> LandingLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- lanes and segments -------------------------------------------------------------------

    def _claim_lane(self, lane: str | None) -> tuple[str, int]:
        if lane is not None:
            if not lane or "/" in lane or lane.startswith("."):
                raise ValueError("a lane name is a plain folder name")
            fd = self._try_lock(lane)
            if fd is None:
                raise LandingError(f"landing lane {lane} is owned by another writer")
            return lane, fd
        index = 0
        while True:
            name = f"lane-{index:03d}"
            fd = self._try_lock(name)
            if fd is not None:
                return name, fd
            index += 1

    def _try_lock(self, lane: str) -> int | None:
        lane_dir = self._root / lane
        if not lane_dir.exists():
            lane_dir.mkdir(exist_ok=True)
            _fsync_dir(self._root)
        fd = os.open(lane_dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _create_segment(self, segment: int) -> int:
        fd = os.open(
            self._lane_dir / _segment_name(segment),
            os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL,
            0o644,
        )
        _fsync_dir(self._lane_dir)
        return fd

    # -- queue --------------------------------------------------------------------------------

    def _enqueue(
        self,
        record: bytes,
        loop: asyncio.AbstractEventLoop | None,
        future: asyncio.Future[LandingPosition] | concurrent.futures.Future[LandingPosition],
    ) -> None:
        size = len(record)
        with self._cond:
            if self._closing:
                raise LandingError("the landing log is closed")
            if self._failure is not None:
                raise LandingError("the landing log failed; restart the process") from (
                    self._failure
                )
            if self._pending_bytes and self._pending_bytes + size > self._max_pending:
                raise LandingFullError("too many bytes waiting to be landed")
            self._queue.append(_Pending(record, time.monotonic(), loop, future))
            self._pending_bytes += size
            self._queued_bytes += size
            if len(self._queue) == 1 or self._queued_bytes >= _GATHER_BYTES:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                if self._max_batch_delay > 0:
                    deadline = self._queue[0].enqueued + self._max_batch_delay
                    while not self._closing and self._queued_bytes < _GATHER_BYTES:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)
                batch = list(self._queue)
                self._queue.clear()
                self._queued_bytes = 0
            try:
                self._commit(batch)
            except BaseException as e:  # never let the writer thread die silently
                logger.exception("landing lane %s: writer failed", self._lane)
                self._fail(e)
                self._abort(batch, e)

    def _commit(self, batch: list[_Pending]) -> None:
        if self._failure is not None:
            self._abort(batch, self._failure)
            return
        chunk: list[_Pending] = []
        positions: list[LandingPosition] = []
        end = self._offset
        for pending in batch:
            size = len(pending.record)
            if end > 0 and end + size > self._segment_bytes:
                if chunk and not self._flush(chunk, positions, batch):
                    return
                chunk, positions = [], []
                if not self._roll(batch):
                    return
                end = 0
            end += size
            chunk.append(pending)
            positions.append(LandingPosition(self._segment, end))
        if chunk:
            self._flush(chunk, positions, batch)

    def _flush(
        self, chunk: list[_Pending], positions: list[LandingPosition], batch: list[_Pending]
    ) -> bool:
        """Write and fsync one segment's part of a batch; resolve its waiters."""
        start = self._offset
        records = [p.record for p in chunk]
        try:
            _write_all(self._fd, records)
        except OSError as e:
            logger.error("landing lane %s: write failed (%s)", self._lane, e.strerror)
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                self._fail(e)
            self._abort(batch, e)
            return False
        try:
            os.fsync(self._fd)
        except OSError as e:  # the page cache can no longer be trusted: stop for good
            logger.error("landing lane %s: fsync failed (%s)", self._lane, e.strerror)
            self._fail(e)
            self._abort(batch, e)
            return False
        written = sum(len(r) for r in records)
        self._offset = start + written
        self._entries += len(chunk)
        self._bytes += written
        self._fsyncs += 1
        self._commits += 1
        self._resolve(list(zip(chunk, positions, strict=True)))
        return True

    def _roll(self, batch: list[_Pending]) -> bool:
        try:
            fd = self._create_segment(self._segment + 1)
        except OSError as e:
            logger.error("landing lane %s: cannot start a segment (%s)", self._lane, e.strerror)
            self._abort(batch, e)
            return False
        os.close(self._fd)
        self._fd = fd
        self._segment += 1
        self._offset = 0
        return True

    def _fail(self, error: BaseException) -> None:
        with self._cond:
            if self._failure is None:
                self._failure = error

    def _abort(self, batch: list[_Pending], error: BaseException) -> None:
        """Fail every waiter of ``batch`` not resolved yet."""
        reason = (
            error.strerror
            if isinstance(error, OSError) and error.strerror
            else type(error).__name__
        )
        failure = LandingError(f"landing write failed: {reason}")
        self._resolve([(p, failure) for p in batch if not p.settled])

    def _resolve(self, outcomes: list[tuple[_Pending, Any]]) -> None:
        outcomes = [(p, o) for p, o in outcomes if not p.settled]
        for pending, _ in outcomes:
            pending.settled = True
        released = sum(len(p.record) for p, _ in outcomes)
        with self._cond:
            self._pending_bytes -= released
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[LandingPosition], Any]]]
        by_loop = {}
        for pending, outcome in outcomes:
            if pending.loop is None:
                future = pending.future
                assert isinstance(future, concurrent.futures.Future)
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            else:
                assert isinstance(pending.future, asyncio.Future)
                by_loop.setdefault(pending.loop, []).append((pending.future, outcome))
        for loop, results in by_loop.items():
            # a closed loop has nobody waiting any more
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, results)


def _write_all(fd: int, records: list[bytes]) -> None:
    for i in range(0, len(records), _IOV_CHUNK):
        part = records[i : i + _IOV_CHUNK]
        total = sum(len(r) for r in part)
        done = os.writev(fd, part)
        if done < total:
            view = memoryview(b"".join(part))[done:]
            while view:
                view = view[os.write(fd, view) :]
