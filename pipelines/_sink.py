"""The Delta sink: outcomes into the lakehouse, exactly once (Bytewax wiring of the writer).

Items are ``(stream, outcome)``; the stable ``part_fn`` (crc32 of the stream id) sends every
outcome of a stream to the same partition, in order. A partition buffers outcomes and commits
them through the flow's :class:`~cdp.ingest.DeltaWriter`:

* in the background (one commit in flight at a time, so the order of a stream is kept), while
  the worker goes on processing - Delta writes run in Rust without the GIL: a group commit of
  what waits as soon as the previous commit is done and a fifth of ``flush_rows`` inputs wait,
  or, while a commit is still in flight, once ``flush_rows`` inputs wait (the worker then
  waits for it). The writer stays busy on the side, and little is left to write when the
  input ends;
* as soon as a stream ends (an outcome's ``ends_stream``: its file was read to the end), in the
  background too, queued behind the commit in flight, from a tenth of a group commit on: the
  rest of a big file is written while the flow goes on (the consent sink commits at the same
  time), rather than after the epoch's end;
* at every epoch end (``snapshot``) for the rest, waiting for the background commits first, so
  an epoch's rows are durable before Bytewax records the epoch as done.

A queued commit runs only once the one before it succeeded
(:class:`~pipelines._commits.CommitQueue`).

A commit that fails is raised from the next call (the flow stops; recovery replays). A replay is
filtered by the Delta application transactions (see :mod:`cdp.ingest.writer`), so the sink keeps
no state of its own.
"""

from __future__ import annotations

import logging
import zlib

from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition
from typing_extensions import override

from cdp.ingest import DeltaWriter, IngestOptions, Outcome
from pipelines._commits import CommitQueue, close_partition

__all__ = ["DeltaSink"]

logger = logging.getLogger(__name__)


#: a stream that ends commits its rest at once from a tenth of a group commit on (less waits
#: for the epoch's end: a run of many small files does not make a commit per file)
_ENDING_SHARE = 10


class _DeltaPartition(StatefulSinkPartition[Outcome, None]):
    def __init__(self, writer: DeltaWriter, options: IngestOptions, name: str) -> None:
        self._writer = writer
        self._flush_rows = options.flush_rows
        self._group_rows = max(1, options.flush_rows // 5)
        self._buffer: list[Outcome] = []
        self._rows = 0
        self._name = name
        self._commits = CommitQueue(f"cdp-{name}")

    @override
    def write_batch(self, values: list[Outcome]) -> None:
        ends = False
        for outcome in values:
            self._buffer.append(outcome)
            self._rows += outcome.inputs
            ends = ends or outcome.ends_stream
        idle = self._commits.idle()
        # group commit: whatever waits once the writer is idle (and enough to be worth a
        # commit), or, with a commit in flight, once flush_rows wait (the worker then waits)
        if (idle and self._rows >= self._group_rows) or self._rows >= self._flush_rows:
            self._commits.wait()
            self._submit()
        elif ends and self._rows >= self._group_rows // _ENDING_SHARE:
            # a stream's input ended: commit its rest now, after the commit in flight, while
            # the flow goes on (the epoch's end then has less to wait for)
            self._submit()

    def _submit(self) -> None:
        buffer, self._buffer, self._rows = self._buffer, [], 0
        self._commits.submit(self._writer.write, buffer)

    def _flush(self) -> None:
        self._commits.wait()
        if self._buffer:
            buffer, self._buffer, self._rows = self._buffer, [], 0
            self._writer.write(buffer)

    @override
    def snapshot(self) -> None:
        # the epoch ends: make its rows durable before the epoch counts as done
        self._flush()

    @override
    def close(self) -> None:
        close_partition(self._flush, self._commits, f"Delta sink {self._name}")


class DeltaSink(FixedPartitionedSink[Outcome, None]):
    """Writes ``(stream, outcome)`` items with one shared writer; stable partitioning."""

    def __init__(self, writer: DeltaWriter, options: IngestOptions) -> None:
        self._writer = writer
        self._options = options
        self._parts = [f"delta-{i}" for i in range(options.sink_partitions)]

    @override
    def list_parts(self) -> list[str]:
        return list(self._parts)

    @override
    def part_fn(self, item_key: str) -> int:
        return zlib.crc32(item_key.encode("utf-8", "surrogatepass"))

    @override
    def build_part(self, step_id: str, for_part: str, resume_state: None) -> _DeltaPartition:
        return _DeltaPartition(self._writer, self._options, for_part)
