"""Identity assignment in the stream: new ``identity_records`` get an ``identity_map`` row.

``cdp stream`` adds to its dataflow (thin wiring of :class:`identity.StreamAssigner`):

* :class:`IdentityRecordsTailSource` - follows the ``identity_records`` Delta table commit by
  commit (appends and the ingest's upserts; compactions and deletes are skipped) and emits the
  rows each commit added; its state is the last table version handled, so a restart resumes
  after it (a first start begins at the current version: the assigner catches up the records
  that have no map row when it builds). When a full resolution saves a new model it emits an
  empty batch, so the assigner rebuilds even if no record arrives; a ``DELETE`` commit (an
  erasure) emits a reset, so the resolver forgets the deleted records (it is rebuilt).
* :class:`IdentityAssignSink` - runs the assigner on each batch: new records are assigned by the
  long-lived incremental resolver and upserted into ``identity_map`` (idempotent: a replay
  writes nothing twice). Before the first full resolution nothing is assigned (logged once).

The ingest's hot path is not touched: the tail reads the committed table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

import pyarrow.parquet as pq
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from typing_extensions import override

from storage import TABLES, Lakehouse

if TYPE_CHECKING:
    from identity import StreamAssigner

__all__ = ["IdentityAssignSink", "IdentityRecordsTailSource"]

logger = logging.getLogger(__name__)

_TABLE: Final = "identity_records"
#: the columns stored in the data files (``source`` is the partition, in the path)
_FILE_COLUMNS: Final = tuple(n for n in TABLES[_TABLE].schema.names if n != "source")
_ADDING_OPERATIONS: Final = frozenset({"WRITE", "MERGE", "CREATE OR REPLACE TABLE", "UPDATE"})
_LOG_EVERY: Final = 1_000

#: A batch: (identity_records version, rows that commit added, rebuild the resolver first)
Batch = tuple[int, list[dict[str, Any]], bool]


def _partition_source(uri: str) -> str | None:
    """The ``source`` of a data file from its Hive-style path (``.../source=crm/part-...``)."""
    for part in reversed(uri.split("/")[:-1]):
        if part.startswith("source="):
            value = unquote(part.removeprefix("source="))
            return None if value == "__HIVE_DEFAULT_PARTITION__" else value
    return None


class _TailPartition(StatefulSourcePartition[Batch, int]):
    def __init__(
        self,
        lakehouse: Lakehouse,
        resume: int | None,
        poll: timedelta,
        stop: threading.Event | None,
    ) -> None:
        self._lakehouse = lakehouse
        self._poll = poll
        self._stop = stop
        self._version = resume if resume is not None else self._latest(_TABLE)
        self._files: dict[str, str | None] | None = None
        self._models: int | None = None
        self._started = False
        self._next_awake: datetime | None = None

    def _latest(self, name: str) -> int:
        return self._lakehouse.version(name) if self._lakehouse.exists(name) else -1

    def _table_files(self, version: int) -> dict[str, str | None]:
        """``file path -> source`` (the partition value, from the path) at ``version``."""
        if version < 0:
            return {}
        uris = self._lakehouse.table(_TABLE, version=version).file_uris()
        return {uri.removeprefix("file://"): _partition_source(uri) for uri in uris}

    @override
    def next_batch(self) -> list[Batch]:
        if self._stop is not None and self._stop.is_set():
            raise StopIteration
        self._next_awake = datetime.now(UTC) + self._poll
        models = self._latest("identity_models")
        tick = not self._started or models != self._models
        self._started, self._models = True, models
        latest = self._latest(_TABLE)
        if latest <= self._version:
            return [(self._version, [], False)] if tick else []
        version = self._version + 1  # one commit per batch
        if self._files is None:
            self._files = self._table_files(self._version)
        current = self._table_files(version)
        added = sorted(set(current) - set(self._files))
        self._files = current
        self._version = version
        self._next_awake = None  # more versions may be waiting
        operation = self._lakehouse.operation(_TABLE, version, latest=latest)
        if operation == "DELETE":
            return [(version, [], True)]
        if operation not in _ADDING_OPERATIONS or not added:
            return [(version, [], False)] if tick else []
        rows: list[dict[str, Any]] = []
        for path in added:
            source = current[path]
            for row in pq.read_table(path, columns=list(_FILE_COLUMNS)).to_pylist():
                row["source"] = source
                rows.append(row)
        return [(version, rows, False)]

    @override
    def next_awake(self) -> datetime | None:
        return self._next_awake

    @override
    def snapshot(self) -> int:
        return self._version


class IdentityRecordsTailSource(FixedPartitionedSource[Batch, int]):
    """Rows added to ``identity_records``, one batch per commit (see the module doc)."""

    def __init__(
        self,
        lakehouse: Lakehouse,
        *,
        poll: timedelta = timedelta(milliseconds=200),
        stop: threading.Event | None = None,
    ) -> None:
        self._lakehouse = lakehouse
        self._poll = poll
        self._stop = stop

    @override
    def list_parts(self) -> list[str]:
        return ["identity-records"]

    @override
    def build_part(self, step_id: str, for_key: str, resume_state: int | None) -> _TailPartition:
        return _TailPartition(self._lakehouse, resume_state, self._poll, self._stop)


class _AssignPartition(StatelessSinkPartition[Batch]):
    def __init__(self, sink: IdentityAssignSink) -> None:
        self._sink = sink
        self._logged = 0

    @override
    def write_batch(self, items: list[Batch]) -> None:
        assigner = self._sink._get()
        for _version, rows, reset in items:
            if reset:
                assigner.invalidate()
            assigner.process(rows)
        stats = assigner.stats
        if stats.assigned - self._logged >= _LOG_EVERY:
            self._logged = stats.assigned
            logger.info("stream identity assignment: %s", stats.as_dict())

    @override
    def close(self) -> None:
        # (Bytewax closes a partition while unwinding too: nothing here may raise, and an
        # assigner never made is not made now - that would import Splink to log nothing)
        made = self._sink._made
        if made is not None and made.stats.assigned:
            logger.info("stream identity assignment: %s", made.stats.as_dict())


class IdentityAssignSink(DynamicSink[Batch]):
    """Runs one shared :class:`identity.StreamAssigner` on the tail's batches.

    ``assigner`` makes it (called once, at the first batch: the identity packages, Splink
    included, are imported in the worker, not while the stream starts).
    """

    def __init__(self, assigner: Callable[[], StreamAssigner]) -> None:
        self._make = assigner
        self._made: StreamAssigner | None = None
        self._lock = threading.Lock()

    def _get(self) -> StreamAssigner:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made

    @override
    def build(self, step_id: str, worker_index: int, worker_count: int) -> _AssignPartition:
        return _AssignPartition(self)
