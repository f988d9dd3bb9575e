"""Exactly-once, deduplicated writes of outcomes into the lakehouse (:class:`DeltaWriter`).

Stream processors replay after a crash (Bytewax recovery is at-least-once: it resumes from the
last snapshot), so the writer makes every write idempotent:

* **Exactly-once per stream.** Every row carries the ``seq`` of its input in its stream. Appends
  are Delta *application transactions*: ``app_id = "<flow_id>:<table>:<stream>"`` and
  ``txn_version`` the last ``seq`` the micro-batch covers. Rows whose ``seq`` is at or below the
  version already committed for their ``app_id`` are dropped before writing - whatever the batch
  boundaries of the replay - and a commit of a version already there is skipped by
  :meth:`storage.Lakehouse.append`. The committed versions are read from the table the first time
  a stream is seen and tracked afterwards.
* **Dedupe by event id.** ``events`` rows are claimed in a shared :class:`EventIndex`; a row whose
  id is known (in this micro-batch, an earlier one, or the table) is a *duplicate*: not written,
  counted, and its ``identity_records`` and ``consent_ledger`` rows are dropped with it.
* **Commit order.** ``quarantine``, ``raw_events``, ``identity_records`` (an upsert: newest
  ``updated_at`` wins, deletes honoured, idempotent by nature), ``consent_ledger`` (statements
  also deduplicated by ``idempotency_key``, with a second index like the events'), then
  ``events`` last: rows that
  depend on the dedupe decision are committed before the decision itself is, so a replay after a
  crash between two commits takes the same decisions again.

* **Suppression.** Events carrying an identifier erased under GDPR Art. 17 become
  ``quarantine`` rows of type ``suppressed`` without payload, and their other rows are dropped
  (:mod:`cdp.ingest.suppression`), before anything else is decided.

After all tables of a micro-batch are committed, ``on_durable(stream, seq)`` tells the source that
everything up to ``seq`` is safe (the landing log truncates behind it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from cdp.ingest.dedupe import EventIndex, IdLoader
from cdp.ingest.options import IngestOptions
from cdp.ingest.outcome import PRIVATE_EVENT, PRIVATE_SEQ, Outcome, stable_id
from cdp.ingest.report import IngestStats
from cdp.ingest.suppression import SUPPRESSED, SuppressionList
from storage import TABLES, Lakehouse

if TYPE_CHECKING:
    from cdp.config import PrivacySettings

__all__ = ["DeltaWriter", "compact_small_files", "consent_key_loader", "events_id_loader"]

logger = logging.getLogger(__name__)

#: Tables the ingest appends to with application transactions.
_APPENDED = ("quarantine", "raw_events", "consent_ledger", "events")


def events_id_loader(lakehouse: Lakehouse) -> IdLoader:
    """An :data:`~cdp.ingest.dedupe.IdLoader` reading ``(event_date, event_id)`` from ``events``."""

    def load(dates: Sequence[date]) -> Iterable[tuple[date, str]]:
        if not lakehouse.exists("events"):
            return []
        frame = (
            lakehouse.scan("events")
            .filter(pl.col("event_date").is_in(list(dates)))
            .select("event_date", "event_id")
            .collect()
        )
        return zip(frame["event_date"].to_list(), frame["event_id"].to_list(), strict=True)

    return load


def consent_key_loader(lakehouse: Lakehouse) -> IdLoader:
    """An :data:`~cdp.ingest.dedupe.IdLoader` of ``consent_ledger`` idempotency keys by the
    date of ``captured_at``."""

    def load(dates: Sequence[date]) -> Iterable[tuple[date, str]]:
        if not lakehouse.exists("consent_ledger"):
            return []
        wanted = set(dates)
        start = datetime.combine(min(wanted), dt_time(), UTC)
        end = datetime.combine(max(wanted), dt_time(), UTC) + timedelta(days=1)
        frame = (
            lakehouse.scan("consent_ledger")
            .filter((pl.col("captured_at") >= start) & (pl.col("captured_at") < end))
            .select(pl.col("captured_at").dt.date().alias("day"), "idempotency_key")
            .collect()
        )
        pairs = zip(frame["day"].to_list(), frame["idempotency_key"].to_list(), strict=True)
        return [(day, key) for day, key in pairs if day in wanted]

    return load


#: a data file below this size is small: compaction bins it with others (delta-rs writes files
#: of up to 100 MB when it compacts)
SMALL_FILE_BYTES: Final = 32 << 20


def compact_small_files(
    lakehouse: Lakehouse,
    tables: Iterable[str],
    *,
    min_files: int = 8,
    scope: Literal["table", "partition"] = "table",
) -> dict[str, int]:
    """Compact the tables that hold at least ``min_files`` small data files (under
    :data:`SMALL_FILE_BYTES`) in all (``scope="table"``) or in one of their partitions
    (``"partition"``: a month-partitioned table gets a few files per month from every run, and is
    rewritten only once a month has gathered many); files removed per compacted table.

    Micro-batches write small files; compaction rewrites them into large ones (readers are not
    affected, concurrent appends do not conflict with it).
    """
    removed: dict[str, int] = {}
    for name in tables:
        if not lakehouse.exists(name):
            continue
        counts = lakehouse.small_files(name, below=SMALL_FILE_BYTES)
        found = sum(counts.values()) if scope == "table" else max(counts.values(), default=0)
        if found < min_files:
            continue
        metrics = lakehouse.compact(name)
        removed[name] = int(metrics.get("numFilesRemoved", 0))
        logger.info("compacted %s: %d files rewritten", name, removed[name])
    return removed


def _after(table: pa.Table | None, seq: int) -> pa.Table | None:
    """Rows of ``table`` whose input comes after ``seq`` (no copy when all of them do)."""
    if table is None or table.num_rows == 0:
        return None
    seqs = table.column(PRIVATE_SEQ)
    if seq <= 0 or pc.min(seqs).as_py() > seq:
        return table
    kept = table.filter(pc.greater(seqs, seq))
    return kept if kept.num_rows else None


def _public(table: pa.Table) -> pa.Table:
    """The catalogue's columns (chunked as they came: joining them first costs a copy)."""
    return table.select([c for c in table.column_names if not c.startswith("_")])


class DeltaWriter:
    """Writes outcomes of one flow exactly once (see the module documentation).

    One writer is shared by all sink partitions of a flow in a process; each stream is written by
    one partition at a time (the dataflow routes a stream to one partition).
    """

    def __init__(
        self,
        lakehouse: Lakehouse,
        *,
        flow_id: str,
        index: EventIndex | None = None,
        stats: IngestStats | None = None,
        options: IngestOptions | None = None,
        on_durable: Callable[[str, int], None] | None = None,
        compact: bool = False,
        write_consent: bool = True,
        privacy: PrivacySettings | None = None,
    ) -> None:
        self.lakehouse = lakehouse
        self.flow_id = flow_id
        self.options = options or IngestOptions()
        self.index = index or EventIndex(
            events_id_loader(lakehouse), max_ids=self.options.dedupe_max_ids
        )
        self.statements = EventIndex(
            consent_key_loader(lakehouse), max_ids=self.options.dedupe_max_ids
        )
        self.stats = stats or IngestStats()
        self.on_durable = on_durable
        self.compact = compact
        #: False when the flow's consent engine writes ``consent_ledger`` (pipelines.consent)
        self.write_consent = write_consent
        self.suppression = SuppressionList(
            lakehouse, privacy.hash_identifier if privacy is not None else None
        )
        self._committed: dict[tuple[str, str], int] = {}
        self._upsert_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._commits_since_compact: Counter[str] = Counter()

    def app_id(self, table: str, stream: str) -> str:
        """The Delta application-transaction id of ``stream`` on ``table``."""
        return f"{self.flow_id}:{table}:{stream}"

    def committed(self, table: str, stream: str) -> int:
        """The last ``seq`` of ``stream`` committed to ``table`` (0 when none)."""
        key = (table, stream)
        found = self._committed.get(key)
        if found is None:
            version = self.lakehouse.transaction_version(table, self.app_id(table, stream))
            found = self._committed[key] = version or 0
        return found

    def write(self, outcomes: Sequence[Outcome]) -> None:
        """Commit outcomes (any streams, each stream's outcomes in order)."""
        by_stream: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            by_stream.setdefault(outcome.stream, []).append(outcome)
        for stream_outcomes in by_stream.values():
            stream_outcomes.sort(key=lambda o: o.first_seq)
            self._write_stream(Outcome.concat(stream_outcomes))

    def _write_stream(self, outcome: Outcome) -> None:
        stream = outcome.stream
        covered = outcome.last_seq
        started = time.perf_counter()
        tables = _suppress(outcome.tables, self.suppression.blocked(outcome.tables), stream)

        quarantine = _after(tables.get("quarantine"), self.committed("quarantine", stream))
        raw = _after(tables.get("raw_events"), self.committed("raw_events", stream))
        events_done = self.committed("events", stream)
        events = _after(tables.get("events"), events_done)
        identity = _after(tables.get("identity_records"), events_done)
        consent = (
            _after(tables.get("consent_ledger"), self.committed("consent_ledger", stream))
            if self.write_consent
            else None
        )
        duplicates = sum(1 for s in outcome.duplicate_seqs if s > events_done)

        claimed: list[str] = []
        if events is not None:
            ids = events.column("event_id").to_pylist()
            fresh = self.index.claim(ids, _dates(events.column("event_date")))
            claimed = [i for i, new in zip(ids, fresh, strict=True) if new]
            if len(claimed) < len(ids):
                seqs = events.column(PRIVATE_SEQ).to_pylist()
                dropped = {(s, i) for s, i, new in zip(seqs, ids, fresh, strict=True) if not new}
                duplicates += len(ids) - len(claimed)
                events = events.filter(pa.array(fresh, pa.bool_()))
                identity = _without(identity, dropped)
                consent = _without(consent, dropped)
        stated: list[str] = []
        if consent is not None:
            keys = consent.column("idempotency_key").to_pylist()
            days = _dates(pc.cast(consent.column("captured_at"), pa.date32()))
            fresh_keys = self.statements.claim(keys, days)
            stated = [k for k, new in zip(keys, fresh_keys, strict=True) if new]
            if len(stated) < len(keys):
                consent = consent.filter(pa.array(fresh_keys, pa.bool_()))

        commits = 0
        rows: dict[str, int] = {}
        try:
            for name, table in (
                ("quarantine", quarantine),
                ("raw_events", raw),
                ("identity_records", identity),
                ("consent_ledger", consent),
                ("events", events),
            ):
                if table is None or table.num_rows == 0:
                    continue
                data = _public(table)
                if name == "identity_records":
                    with self._upsert_lock:
                        self.lakehouse.upsert(
                            name, data, newer_by="updated_at", delete_by="deleted"
                        )
                else:
                    result = self.lakehouse.append(
                        name,
                        data,
                        app_id=self.app_id(name, stream),
                        txn_version=covered,
                        metadata={"cdp.flow": self.flow_id, "cdp.stream": stream},
                    )
                    self._committed[(name, stream)] = covered
                    if result.skipped:
                        logger.info("%s: %s already committed up to %d", stream, name, covered)
                commits += 1
                rows[name] = table.num_rows
                self._commits_since_compact[name] += 1
        except BaseException:
            self.index.release(claimed)
            self.statements.release(stated)
            raise

        quarantined: Counter[str] = Counter()
        if quarantine is not None:
            # rows of stage "consent" (bad_consent) come on top of an event: not an input's fate
            stages = quarantine.column("stage").to_pylist()
            types = quarantine.column("error_type").to_pylist()
            quarantined.update(t for t, s in zip(types, stages, strict=True) if s != "consent")
        written_events = events.num_rows if events is not None else 0
        accounted = written_events + quarantined.total() + duplicates
        self.stats.add(
            inputs=outcome.inputs,
            events=written_events,
            duplicates=duplicates,
            skipped=max(0, outcome.inputs - accounted),
            quarantined=quarantined,
            rows=rows,
            commits=commits,
        )
        if commits:
            logger.debug(
                "%s: committed %d tables up to seq %d in %.3fs",
                stream,
                commits,
                covered,
                time.perf_counter() - started,
            )
        if self.on_durable is not None:
            self.on_durable(stream, covered)
        if self.compact:
            self._maybe_compact()

    def _maybe_compact(self) -> None:
        due = [n for n, c in self._commits_since_compact.items() if c >= self.options.compact_every]
        if not due or not self._compact_lock.acquire(blocking=False):
            return
        try:
            for name in due:
                self._commits_since_compact[name] = 0
            compact_small_files(self.lakehouse, due, min_files=2)
        except Exception as e:  # maintenance must not stop ingest; it runs again later
            logger.warning("compaction failed (%s); will retry later", type(e).__name__)
        finally:
            self._compact_lock.release()


_EPOCH_DAY = date(1970, 1, 1)


def _dates(column: pa.ChunkedArray | pa.Array) -> list[date]:
    """The ``date32`` values of ``column`` as dates (one object per distinct day: fast)."""
    numbers = pc.cast(column, pa.int32()).to_pylist()
    days = {day: _EPOCH_DAY + timedelta(days=day) for day in set(numbers)}
    return list(map(days.__getitem__, numbers))


_SUPPRESSED_ERROR = "an identifier of this input was erased (GDPR Art. 17); input not kept"


def _suppress(
    tables: dict[str, pa.Table], blocked: set[tuple[int, str]], stream: str
) -> dict[str, pa.Table]:
    """``tables`` with the blocked events turned into payload-free ``suppressed`` quarantine
    rows, and their identity, consent and raw rows dropped (see :mod:`cdp.ingest.suppression`)."""
    if not blocked:
        return tables
    out = dict(tables)
    events = tables["events"]
    seqs = events.column(PRIVATE_SEQ).to_pylist()
    ids = events.column("event_id").to_pylist()
    keep = [(s, i) not in blocked for s, i in zip(seqs, ids, strict=True)]
    gone = events.filter(pc.invert(pa.array(keep, pa.bool_())))
    out["events"] = events.filter(pa.array(keep, pa.bool_()))
    for name in ("identity_records", "consent_ledger"):
        found = _without(tables.get(name), blocked)
        if found is None:
            out.pop(name, None)
        else:
            out[name] = found
    blocked_seqs = {s for s, _ in blocked}
    raw = tables.get("raw_events")
    if raw is not None:
        raw_keep = [s not in blocked_seqs for s in raw.column(PRIVATE_SEQ).to_pylist()]
        out["raw_events"] = raw.filter(pa.array(raw_keep, pa.bool_()))
    n = gone.num_rows
    gone_seqs = gone.column(PRIVATE_SEQ).to_pylist()
    gone_ids = gone.column("event_id").to_pylist()
    schema = tables["quarantine"].schema if "quarantine" in tables else _QUARANTINE_ROWS
    columns: dict[str, Any] = {
        "quarantine_id": [
            stable_id(SUPPRESSED, stream, s, i) for s, i in zip(gone_seqs, gone_ids, strict=True)
        ],
        "source": gone.column("source"),
        "received_at": gone.column("received_at"),
        "error_type": [SUPPRESSED] * n,
        "error": [_SUPPRESSED_ERROR] * n,
        "stage": ["suppress"] * n,
        PRIVATE_SEQ: gone_seqs,
    }
    arrays = [
        pa.array(columns[f.name], f.type)
        if f.name in columns and not isinstance(columns[f.name], pa.ChunkedArray)
        else (columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type))
        for f in schema
    ]
    rows = pa.Table.from_arrays(arrays, schema=schema)
    previous = tables.get("quarantine")
    out["quarantine"] = (
        rows
        if previous is None
        else pa.concat_tables([previous, rows], promote_options="permissive")
    )
    return out


_QUARANTINE_ROWS = pa.schema(
    [
        f.with_nullable(True)
        for f in TABLES["quarantine"].schema
        if f.name not in TABLES["quarantine"].derived
    ]
    + [pa.field(PRIVATE_SEQ, pa.int64())]
)


def _without(table: pa.Table | None, dropped: set[tuple[Any, Any]]) -> pa.Table | None:
    """``table`` without the rows of dropped ``(seq, event id)`` pairs."""
    if table is None:
        return None
    seqs = table.column(PRIVATE_SEQ).to_pylist()
    events = table.column(PRIVATE_EVENT).to_pylist()
    keep = [(s, e) not in dropped for s, e in zip(seqs, events, strict=True)]
    kept = table.filter(pa.array(keep, pa.bool_()))
    return kept if kept.num_rows else None
