"""Bytewax sources: files, drop folders, the landing log and Kafka, emitting chunks.

Every source follows the recovery contract: a partition's state comes only from
``resume_state``; ``snapshot()`` is the position after the last chunk emitted; ``next_batch``
never waits (it returns ``[]`` and says when to come back with ``next_awake``). One item is a
whole chunk (:mod:`cdp.ingest.process`) of one stream, so the per-item cost of the runtime is
paid once per thousands of inputs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from typing_extensions import override

from cdp.ingest import (
    Chunk,
    FileChunk,
    FilePosition,
    IngestOptions,
    LandingChunk,
    MessageChunk,
    MessageInput,
    Outcome,
    landing_stream,
    open_reader,
    seq_position,
)
from cdp.ingest.readers import (
    BatchReader,
    CsvDialect,
    CsvReader,
    FileReader,
    JsonLinesReader,
    RawInput,
    compression_of,
    file_format,
    is_input_file,
)
from cdp.ingest.records import missing_columns, source_columns
from cdp.landing import LandingPosition, list_lanes, read_lane, truncate_lane
from pipelines._pool import ChunkPool, LinesTask

if TYPE_CHECKING:
    from cdp.config import SourceConfig

__all__ = [
    "DropFolderSource",
    "DropState",
    "DurableMarks",
    "FileSource",
    "KafkaChunkSource",
    "LandingSource",
    "ReadProgress",
    "file_parts",
    "file_stream",
]

logger = logging.getLogger(__name__)

_EPOCH_MS = datetime(1970, 1, 1, tzinfo=UTC)
#: how soon a file partition looks again for outcomes of its chunks in a pool
_POOL_POLL = timedelta(milliseconds=2)


def file_stream(path: Path, label: str | None = None) -> str:
    """The stream id (exactly-once unit) of an input file: its absolute path, and the
    ``label`` of a reprocessing run (``pipelines.ingest.reprocess_label``)."""
    stream = f"file:{Path(path).resolve()}"
    return f"{stream}@{label}" if label else stream


def _now() -> datetime:
    return datetime.now(UTC)


def _open(
    path: Path,
    fmt: str,
    position: FilePosition | None,
    options: IngestOptions,
    config: SourceConfig | None,
) -> FileReader:
    """A reader of a file of the source ``config`` (its CSV dialect); a CSV header that
    lacks columns the source reads is logged (the column names of the configuration only)."""
    dialect = CsvDialect.from_settings(config.csv if config is not None else None)
    reader = open_reader(
        path,
        format=fmt,
        position=position,
        max_record_bytes=options.max_record_bytes,
        dialect=dialect,
    )
    if isinstance(reader, CsvReader) and config is not None and reader.header:
        missing = missing_columns(reader.header, config)
        if missing:
            _warn_columns(reader, config, missing)
    return reader


#: missing columns a warning names (the rest are counted)
_NAMED_COLUMNS = 5


def _warn_columns(reader: CsvReader, config: SourceConfig, missing: list[tuple[str, str]]) -> None:
    named = ", ".join(f"{column} ({role})" for column, role in missing[:_NAMED_COLUMNS])
    if len(missing) > _NAMED_COLUMNS:
        named += f" and {len(missing) - _NAMED_COLUMNS} more"
    lost = (
        "its records are quarantined"
        if any(role in ("record_id", "subject", "purpose", "status") for _, role in missing)
        else "those values are empty in every record"
    )
    hint = ""
    if len(missing) == len(source_columns(config)):  # none there: the file is not as expected
        hint = (
            f". Split at {reader.delimiter!r}, its header has {len(reader.header)} "
            f"column(s): set sources.{config.name}.csv.delimiter if the file uses another "
            f"delimiter; a file without a header row needs sources.{config.name}.csv.header: "
            "false and its columns (its first line was read as the header)"
        )
    logger.warning(
        "%s: the header has no column %s of source %s: %s%s",
        reader.name,
        named,
        config.name,
        lost,
        hint,
    )


class DurableMarks:
    """What the sinks have committed, per stream, for sources that clean up behind it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marks: dict[str, int] = {}
        self._also: list[Any] = []

    def mark(self, stream: str, seq: int) -> None:
        with self._lock:
            if seq > self._marks.get(stream, -1):
                self._marks[stream] = seq

    def require(self, other: Any) -> None:
        """Another sink's marks (an object with ``get(stream)``): :meth:`get` is the smaller."""
        self._also.append(other)

    def get(self, stream: str) -> int | None:
        with self._lock:
            found = self._marks.get(stream)
        for other in self._also:
            theirs = other.get(stream)
            if found is None or theirs is None:
                return None
            found = min(found, theirs)
        return found


@dataclass
class ReadProgress:
    """Bytes read of the input files (for progress bars): ``callback(done, total)``."""

    total: int
    callback: Callable[[int, int], None] | None = None
    _done: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: float = 0.0

    def update(self, key: str, done: int, *, final: bool = False) -> None:
        with self._lock:
            self._done[key] = done
            now = time.monotonic()
            if self.callback is None or (not final and now - self._last < 0.2):
                return
            self._last = now
            total_done = sum(self._done.values())
        self.callback(min(total_done, self.total), self.total)


# -- files -----------------------------------------------------------------------------------


def _read(reader: FileReader, options: IngestOptions) -> Sequence[RawInput]:
    """The next chunk of inputs (as columns where the reader can)."""
    if isinstance(reader, BatchReader):
        return reader.read_batch(options.chunk_rows, options.chunk_bytes)
    return reader.read(options.chunk_rows, options.chunk_bytes)


class _FilePartition(StatefulSourcePartition[Chunk | Outcome, FilePosition]):
    """One file (or byte range): chunks, or with a :class:`~pipelines._pool.ChunkPool` the
    outcomes of the chunks, in order, processed by the pool while the next ones are read."""

    def __init__(
        self,
        source: str,
        part: _FilePart,
        position: FilePosition | None,
        options: IngestOptions,
        progress: ReadProgress | None,
        stop: threading.Event | None,
        pool: ChunkPool | None = None,
        config: SourceConfig | None = None,
    ) -> None:
        self._source = source
        self._part = part
        self._options = options
        self._progress = progress
        self._stop = stop
        self._pool = pool
        #: chunks in the pool: their future outcome and the reader's position after them
        self._pending: deque[tuple[Future[Outcome], FilePosition]] = deque()
        self._read_all = False
        self._awake: datetime | None = None
        self._reader: FileReader
        if part.format == "jsonl":
            self._reader = JsonLinesReader(
                part.path,
                position=position,
                max_record_bytes=options.max_record_bytes,
                start=part.start,
                end=part.end,
            )
        else:
            self._reader = _open(part.path, part.format, position, options, config)

        #: the position after the last item emitted (what a snapshot records)
        self._emitted = self._reader.position

    @override
    def next_batch(self) -> list[Chunk | Outcome]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration  # the next run resumes from the snapshot
        pool = self._pool
        if pool is not None:
            if self._pending or pool.ready():
                return self._next_outcomes(pool)
            if self._options.helper_start == "wait":
                self._awake = datetime.now(UTC) + _POOL_POLL
                return []
        # no pool, or its helpers are still starting: this chunk is processed in the dataflow
        chunk = self._next_chunk()
        if chunk is None:
            raise StopIteration
        self._emitted = self._reader.position
        return [chunk]

    def _next_chunk(self) -> FileChunk | None:
        inputs = _read(self._reader, self._options)
        if self._progress is not None:
            self._progress.update(self._part.stream, self._done(), final=not inputs)
        if not inputs:
            self._reader.close()
            return None
        return FileChunk(
            self._source,
            self._part.stream,
            self._part.format,
            inputs,
            content_type=self._reader.content_type,
        )

    def _next_task(self) -> FileChunk | LinesTask | None:
        """The next chunk for the pool: of JSON lines only where it is (the helper reads it)."""
        reader = self._reader
        if isinstance(reader, JsonLinesReader):
            start = reader.position
            rows = reader.skip_batch(self._options.chunk_rows, self._options.chunk_bytes)
            if rows is not None:
                if self._progress is not None:
                    self._progress.update(self._part.stream, self._done(), final=not rows)
                if not rows:
                    reader.close()
                    return None
                part = self._part
                return LinesTask(self._source, part.stream, part.path, start, rows, reader.position)
        return self._next_chunk()  # lines only read_batch takes (oversize, the last one)

    def _next_outcomes(self, pool: ChunkPool) -> list[Chunk | Outcome]:
        """The outcomes done, in order; keeps ``pool.processes + 1`` chunks in flight."""
        out: list[Chunk | Outcome] = []
        pending = self._pending
        while pending and pending[0][0].done():
            future, position = pending.popleft()
            out.append(future.result())  # a helper that died raises: the run stops
            self._emitted = position
        while not self._read_all and len(pending) <= pool.processes:
            task = self._next_task()
            if task is None:
                self._read_all = True
                break
            pending.append((pool.submit(task), self._reader.position))
        if self._read_all and not pending:
            if not out:
                raise StopIteration
            last = out[-1]
            if isinstance(last, Outcome):  # the sinks may commit it at once
                last.ends_stream = True
        # nothing done yet: come back soon rather than spin
        self._awake = None if out else datetime.now(UTC) + _POOL_POLL
        return out

    @override
    def next_awake(self) -> datetime | None:
        return self._awake

    def _done(self) -> int:
        part = self._part
        if part.format == "parquet":
            return 0
        return max(0, min(self._reader.file_offset, part.stop) - part.start)

    @override
    def snapshot(self) -> FilePosition:
        # chunks still in the pool are read again after a restart
        return self._emitted

    @override
    def close(self) -> None:
        for future, _ in self._pending:
            future.cancel()
        self._reader.close()


@dataclass(frozen=True)
class _FilePart:
    """One partition of an input file: the whole file, or a byte range of a JSON-lines file."""

    stream: str
    path: Path
    format: str
    start: int = 0
    end: int | None = None
    stop: int = 0  # where the range's reading ends, for progress


def file_parts(
    paths: Sequence[Path],
    *,
    default_format: str | None,
    range_bytes: int,
    label: str | None = None,
) -> list[_FilePart]:
    """The partitions of ``paths``: JSON-lines files in ranges of ``range_bytes`` (a compressed
    one whole); ``label`` names a reprocessing run's streams (:func:`file_stream`)."""
    parts: list[_FilePart] = []
    for raw in paths:
        path = Path(raw)
        fmt = file_format(path, default_format)
        stream = file_stream(path, label)
        size = path.stat().st_size
        if fmt != "jsonl" or compression_of(path) is not None:
            parts.append(_FilePart(stream, path, fmt, 0, None, size))
            continue
        for k in range(max(1, -(-size // range_bytes))):
            start, end = k * range_bytes, (k + 1) * range_bytes
            parts.append(_FilePart(f"{stream}#{k}", path, fmt, start, end, min(end, size)))
    return parts


class FileSource(FixedPartitionedSource[Chunk | Outcome, FilePosition]):
    """Input files of one source: one partition (and stream) per file, or per byte range of a
    JSON-lines file (``options.range_bytes``; lines belong to the range they begin in)."""

    def __init__(
        self,
        source: str,
        paths: Sequence[Path],
        *,
        default_format: str | None,
        options: IngestOptions,
        progress: ReadProgress | None = None,
        stop: threading.Event | None = None,
        pool: ChunkPool | None = None,
        config: SourceConfig | None = None,
        label: str | None = None,
    ) -> None:
        self._source = source
        self._config = config
        parts = file_parts(
            paths, default_format=default_format, range_bytes=options.range_bytes, label=label
        )
        self._parts = {part.stream: part for part in parts}
        self._options = options
        self._progress = progress
        self._stop = stop
        self._pool = pool

    @override
    def list_parts(self) -> list[str]:
        return list(self._parts)

    @override
    def build_part(
        self, step_id: str, for_part: str, resume_state: FilePosition | None
    ) -> _FilePartition:
        return _FilePartition(
            self._source,
            self._parts[for_part],
            resume_state,
            self._options,
            self._progress,
            self._stop,
            self._pool,
            self._config,
        )


# -- drop folders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DropState:
    """A drop folder's progress: files done, and the file being read with its position."""

    done: frozenset[str] = frozenset()
    current: str | None = None
    position: FilePosition | None = None


def _ready_files(folder: Path, done: frozenset[str], settle: timedelta) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    cutoff = time.time() - settle.total_seconds()
    ready = []
    for path in entries:
        name = path.name
        if name in done or name.startswith(".") or not is_input_file(path):
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.is_file() and stat.st_mtime <= cutoff:
            ready.append(path)
    return sorted(ready, key=lambda p: p.name)


class _DropPartition(StatefulSourcePartition[Chunk, DropState]):
    def __init__(
        self,
        source: str,
        folder: Path,
        default_format: str | None,
        state: DropState | None,
        options: IngestOptions,
        stop: threading.Event | None,
        config: SourceConfig | None = None,
    ) -> None:
        self._source = source
        self._folder = folder
        self._default_format = default_format
        self._options = options
        self._config = config
        self._stop = stop
        state = state or DropState()
        self._done = state.done
        self._current: str | None = state.current
        self._reader: FileReader | None = None
        self._format = ""
        self._awake: datetime | None = None
        if self._current is not None:
            path = folder / self._current
            if path.exists():
                self._open(path, state.position)
            else:
                logger.warning("drop file %s vanished while being read", self._current)
                self._done = self._done | {self._current}
                self._current = None

    def _open(self, path: Path, position: FilePosition | None) -> None:
        self._format = file_format(path, self._default_format)
        self._reader = _open(path, self._format, position, self._options, self._config)
        self._current = path.name

    @override
    def next_batch(self) -> list[Chunk]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration
        self._awake = None
        if self._reader is None:
            ready = _ready_files(self._folder, self._done, self._options.drop_settle)
            if not ready:
                self._awake = _now() + self._options.poll_interval
                return []
            self._open(ready[0], None)
            logger.info("drop folder %s: reading %s", self._source, ready[0].name)
        assert self._reader is not None and self._current is not None
        inputs = _read(self._reader, self._options)
        if not inputs:
            self._reader.close()
            self._reader = None
            self._done = self._done | {self._current}
            logger.info("drop folder %s: %s done", self._source, self._current)
            self._current = None
            return []
        stream = f"drop:{self._source}/{self._current}"
        content_type = self._reader.content_type
        return [FileChunk(self._source, stream, self._format, inputs, content_type=content_type)]

    @override
    def next_awake(self) -> datetime | None:
        return self._awake

    @override
    def snapshot(self) -> DropState:
        position = self._reader.position if self._reader is not None else None
        return DropState(self._done, self._current, position)

    @override
    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


class DropFolderSource(FixedPartitionedSource[Chunk, DropState]):
    """Watched folders, one per source (``folders``: source -> folder); each file read once.

    A file is picked up once it has not changed for ``options.drop_settle`` (write it elsewhere
    and move it in, or write it quickly); files are read in name order. Names are the identity
    of a file: drop a new file under a new name. ``configs`` are the sources' configurations
    (how their CSV files are written, the columns they read).
    """

    def __init__(
        self,
        folders: dict[str, tuple[Path, str | None]],
        *,
        options: IngestOptions,
        stop: threading.Event | None = None,
        configs: Mapping[str, SourceConfig] | None = None,
    ) -> None:
        self._folders = folders
        self._options = options
        self._stop = stop
        self._configs = configs or {}

    @override
    def list_parts(self) -> list[str]:
        return [f"drops:{name}" for name in sorted(self._folders)]

    @override
    def build_part(
        self, step_id: str, for_part: str, resume_state: DropState | None
    ) -> _DropPartition:
        source = for_part.removeprefix("drops:")
        folder, default_format = self._folders[source]
        folder.mkdir(parents=True, exist_ok=True)
        return _DropPartition(
            source,
            folder,
            default_format,
            resume_state,
            self._options,
            self._stop,
            self._configs.get(source),
        )


# -- landing log -----------------------------------------------------------------------------


class _LandingPartition(StatefulSourcePartition[Chunk, dict[str, tuple[int, int]]]):
    def __init__(
        self,
        root: Path,
        state: dict[str, tuple[int, int]] | None,
        options: IngestOptions,
        stop: threading.Event | None,
        marks: DurableMarks | None,
    ) -> None:
        self._root = root
        self._positions = dict(state or {})
        self._options = options
        self._stop = stop
        self._marks = marks
        self._awake: datetime | None = None
        self._truncated: dict[str, int] = {}
        self._last_truncate = 0.0

    @override
    def next_batch(self) -> list[Chunk]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration
        chunks: list[Chunk] = []
        for lane in list_lanes(self._root):
            found = self._positions.get(lane)
            after = LandingPosition(*found) if found is not None else None
            entries = read_lane(self._root, lane, after=after, limit=self._options.landing_batch)
            if entries:
                last = entries[-1][0]
                self._positions[lane] = (last.segment, last.offset)
                chunks.append(LandingChunk(lane, entries))
        self._truncate()
        self._awake = None if chunks else _now() + self._options.poll_interval
        return chunks

    def _truncate(self) -> None:
        """Delete landing segments whose entries are all committed to the tables."""
        interval = self._options.landing_truncate_interval.total_seconds()
        if self._marks is None or time.monotonic() - self._last_truncate < interval:
            return
        self._last_truncate = time.monotonic()
        for lane in list(self._positions):
            durable = self._marks.get(landing_stream(lane))
            if durable is None or durable <= self._truncated.get(lane, -1):
                continue
            segment, offset = seq_position(durable)
            try:
                removed = truncate_lane(self._root, lane, upto=LandingPosition(segment, offset))
            except OSError as e:
                logger.warning("landing lane %s: truncate failed (%s)", lane, e.strerror)
                continue
            self._truncated[lane] = durable
            if removed:
                logger.info("landing lane %s: removed %d consumed segment(s)", lane, removed)

    @override
    def next_awake(self) -> datetime | None:
        return self._awake

    @override
    def snapshot(self) -> dict[str, tuple[int, int]]:
        return dict(self._positions)


class LandingSource(FixedPartitionedSource[Chunk, dict[str, tuple[int, int]]]):
    """The collector's landing log: every lane, one partition (lanes appear while running).

    A lane is one stream; an entry's ``seq`` is its position (``segment << 40 | offset``).
    Segments are deleted once every table has committed their entries (``marks``).
    """

    def __init__(
        self,
        root: Path,
        *,
        options: IngestOptions,
        stop: threading.Event | None = None,
        marks: DurableMarks | None = None,
    ) -> None:
        self._root = Path(root)
        self._options = options
        self._stop = stop
        self._marks = marks

    @override
    def list_parts(self) -> list[str]:
        return ["landing"]

    @override
    def build_part(
        self, step_id: str, for_part: str, resume_state: dict[str, tuple[int, int]] | None
    ) -> _LandingPartition:
        return _LandingPartition(self._root, resume_state, self._options, self._stop, self._marks)


# -- Kafka -----------------------------------------------------------------------------------


class _KafkaPartition(StatefulSourcePartition[Chunk, Any]):
    def __init__(
        self,
        inner: StatefulSourcePartition[Any, Any],
        source: str,
        stop: threading.Event | None,
        poll: timedelta,
    ) -> None:
        self._inner = inner
        self._source = source
        self._stop = stop
        self._poll = poll
        self._awake: datetime | None = None

    @override
    def next_batch(self) -> list[Chunk]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration
        messages = list(self._inner.next_batch())
        if not messages:
            self._awake = _now() + self._poll
            return []
        self._awake = None
        first = messages[0]
        stream = f"kafka:{first.topic}:{first.partition}"
        inputs = []
        for message in messages:
            timestamp = None
            kind, millis = message.timestamp or (0, 0)
            if kind and millis and millis > 0:
                timestamp = _EPOCH_MS + timedelta(milliseconds=millis)
            inputs.append(
                MessageInput(
                    seq=message.offset + 1,
                    payload=message.value,
                    ref=f"{message.topic}:{message.partition}:{message.offset}",
                    timestamp=timestamp,
                )
            )
        return [MessageChunk(self._source, stream, inputs)]

    @override
    def next_awake(self) -> datetime | None:
        return self._awake

    @override
    def snapshot(self) -> Any:
        return self._inner.snapshot()

    @override
    def close(self) -> None:
        self._inner.close()


class KafkaChunkSource(FixedPartitionedSource[Chunk, Any]):
    """A Kafka topic of one source through Bytewax's ``KafkaSource`` (offsets in the state).

    Each Kafka partition is one stream; a message's ``seq`` is its offset + 1.
    """

    def __init__(
        self,
        source: str,
        *,
        brokers: Sequence[str],
        topic: str,
        options: IngestOptions,
        add_config: dict[str, str] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        from bytewax.connectors.kafka import KafkaSource

        self._source = source
        self._stop = stop
        self._poll = options.poll_interval
        self._inner = KafkaSource(
            list(brokers),
            [topic],
            tail=True,
            add_config=dict(add_config or {}),
            batch_size=min(options.chunk_rows, 10_000),
        )

    @override
    def list_parts(self) -> list[str]:
        return self._inner.list_parts()

    @override
    def build_part(self, step_id: str, for_part: str, resume_state: Any) -> _KafkaPartition:
        inner = self._inner.build_part(step_id, for_part, resume_state)
        return _KafkaPartition(inner, self._source, self._stop, self._poll)
