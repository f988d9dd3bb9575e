"""The streaming consent engine: statements by subject into the ledger and current state.

Wired into the ingest and stream dataflows by :func:`attach_consent_engine`:

* the consent statements of every outcome (web CMP signals, TCF strings, Consent Mode, GPC,
  CRM/ERP flags, ...) stay in Arrow columns: each outcome sends every sink partition the ledger
  rows of its subjects (split by a stable crc32 of ``subject_hash``) with its watermark;
* :class:`ConsentSink` commits at every epoch end, per partition (and in the background as soon
  as a stream with a thousand statements or more waiting ends, beside the Delta sink's commit of
  the same rows): the new statements to
  ``consent_ledger`` - exactly once: one Delta application transaction per ``(partition,
  origin stream)`` whose version is the last input ``seq`` committed, plus dedupe by
  ``idempotency_key`` against the table - and then, per ``(subject_hash, purpose)``, the
  epoch's winning statement by rule 6 to ``consent_state``
  (:func:`consent.state.state_table`; upsert by ``subject_hash, purpose``; a row replaces the
  stored one only when its rule-6 ``precedence`` is at least as high, so writers in any order
  converge on the winner).

The ``consent_state`` table is the engine's state: no copy of it is kept in the dataflow (nothing
to snapshot per subject); a statement that wins among its epoch's still has to win against the
stored row. Every outcome also sends a watermark ``(stream, last seq)`` to every
sink partition; once all partitions have committed past it, :class:`ConsentMarks` lets the
landing log truncate behind it (``DurableMarks.require``: the smaller of the events writer's and
these marks). Each table's commits record their own Delta application transactions, so a
replay after a crash is filtered per table (and the ledger by the keys too): a kill -9 loses and
duplicates nothing, even between the ledger's commit and the state's.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import bytewax.operators as op
import pyarrow as pa
import pyarrow.compute as pc
from bytewax.dataflow import Stream
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition
from typing_extensions import override

from cdp.ingest import IngestStats, Outcome
from cdp.ingest.dedupe import EventIndex
from cdp.ingest.outcome import PRIVATE_SEQ
from cdp.ingest.suppression import SuppressionList
from cdp.ingest.writer import consent_key_loader
from consent.privacy import pseudonymize_erased_table
from consent.state import state_table
from pipelines._commits import CommitQueue, close_partition
from storage import TABLES, Lakehouse
from storage.lakehouse import as_arrow

__all__ = [
    "ConsentMarks",
    "ConsentSink",
    "attach_consent_engine",
]

logger = logging.getLogger(__name__)

_WATERMARK: Final = "\x00"
_LEDGER_NAME: Final = "consent_ledger"
_STATE_NAME: Final = "consent_state"
_LEDGER: Final = TABLES[_LEDGER_NAME]
_SEQ: Final = PRIVATE_SEQ
_NO_QUARANTINE: Final[Counter[str]] = Counter()


@dataclass(frozen=True, slots=True)
class _Ledger:
    """One outcome's ledger rows for one sink partition (None: no row) and its watermark.

    ``rows`` holds the catalogue's columns plus ``_seq``."""

    stream: str
    seq: int
    rows: pa.Table | None
    #: the outcome's :attr:`~cdp.ingest.Outcome.ends_stream`
    ends_stream: bool = False


#: a stream that ends makes a partition commit what it holds at once from this many statements
#: on, in the background (a run of many small files does not make a commit per file)
_ENDING_ROWS: Final = 1_000


class ConsentMarks:
    """Per stream, the last ``seq`` every consent sink partition has committed past."""

    def __init__(self, parts: int) -> None:
        self._parts = parts
        self._lock = threading.Lock()
        self._marks: dict[str, dict[int, int]] = {}

    def mark(self, part: int, stream: str, seq: int) -> None:
        with self._lock:
            by_part = self._marks.setdefault(stream, {})
            if seq > by_part.get(part, -1):
                by_part[part] = seq

    def get(self, stream: str) -> int | None:
        with self._lock:
            by_part = self._marks.get(stream)
            if by_part is None or len(by_part) < self._parts:
                return None
            return min(by_part.values())


def _items(outcome: Outcome, parts: int) -> list[tuple[str, _Ledger]]:
    """One item per sink partition: the outcome's ledger rows of that partition's subjects, in
    columns, and the outcome's watermark."""
    stream = outcome.stream
    table = outcome.tables.get("consent_ledger")
    if table is None or not table.num_rows:
        return [
            (f"{_WATERMARK}{p}", _Ledger(stream, outcome.last_seq, None, outcome.ends_stream))
            for p in range(parts)
        ]
    seqs = table[_SEQ].cast(pa.int64())
    rows = as_arrow(table.drop_columns(_private(table)), _LEDGER).append_column(_SEQ, seqs)
    by_part: list[pa.Table | None] = [rows]
    if parts > 1:
        # the partition of each distinct subject once, then of every row by lookup
        subjects = rows["subject_hash"]
        distinct = pc.unique(subjects)
        buckets = pa.array([_part_of(s) % parts for s in distinct.to_pylist()], pa.int64())
        of_row = pc.take(buckets, pc.index_in(subjects, value_set=distinct))
        by_part = []
        for p in range(parts):
            mine = rows.filter(pc.equal(of_row, p))
            by_part.append(mine if mine.num_rows else None)
    return [
        (f"{_WATERMARK}{p}", _Ledger(stream, outcome.last_seq, part, outcome.ends_stream))
        for p, part in enumerate(by_part)
    ]


def _private(table: pa.Table) -> list[str]:
    return [c for c in table.column_names if c.startswith("_")]


def _part_of(subject_hash: str) -> int:
    """The sink partition of a subject (before the modulo): a stable crc32, never ``hash()``."""
    return zlib.crc32(subject_hash.encode("utf-8", "surrogatepass"))


class _ConsentPartition(StatefulSinkPartition[_Ledger, None]):
    def __init__(self, sink: ConsentSink, index: int) -> None:
        self._sink = sink
        self._index = index
        self._ledgers: list[tuple[str, pa.Table]] = []
        self._rows = 0
        self._watermarks: dict[str, int] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._commits = CommitQueue(f"cdp-consent-{index}")

    @override
    def write_batch(self, values: list[_Ledger]) -> None:
        ends = False
        for value in values:
            if value.seq > self._watermarks.get(value.stream, -1):
                self._watermarks[value.stream] = value.seq
            if value.rows is not None:
                self._ledgers.append((value.stream, value.rows))
                self._rows += value.rows.num_rows
            ends = ends or value.ends_stream
        if ends and self._rows >= _ENDING_ROWS:
            # a stream's input ended: commit now, beside the flow and the other sinks (the
            # epoch's end then waits for it instead of starting it)
            ledgers, self._ledgers, self._rows = self._ledgers, [], 0
            self._commits.submit(self._sink.commit, self, ledgers)

    def _app_id(self, table: str, stream: str) -> str:
        return f"{self._sink.flow_id}:{table}:p{self._index}:{stream}"

    def _done(self, table: str, stream: str) -> int:
        """The last input ``seq`` of ``stream`` whose rows this partition committed to
        ``table`` (its Delta application transaction, read once)."""
        found = self._committed.get((table, stream))
        if found is None:
            version = self._sink.lakehouse.transaction_version(table, self._app_id(table, stream))
            found = self._committed[table, stream] = version or 0
        return found

    def _mark_committed(self, table: str, versions: dict[str, int]) -> None:
        for stream, version in versions.items():
            key = (table, stream)
            self._committed[key] = max(version, self._committed.get(key, 0))

    def _flush(self) -> None:
        self._commits.wait()
        ledgers, self._ledgers, self._rows = self._ledgers, [], 0
        watermarks, self._watermarks = self._watermarks, {}
        if ledgers:
            self._sink.commit(self, ledgers)
        for stream, seq in watermarks.items():
            self._sink.marks.mark(self._index, stream, seq)

    @override
    def snapshot(self) -> None:
        # the epoch ends: its statements and state are durable before it counts as done
        self._flush()

    @override
    def close(self) -> None:
        close_partition(self._flush, self._commits, f"consent sink {self._index}")


class ConsentSink(FixedPartitionedSink[_Ledger, None]):
    """Writes the consent engine's results (see the module documentation)."""

    def __init__(
        self,
        lakehouse: Lakehouse,
        *,
        flow_id: str,
        parts: int = 2,
        stats: IngestStats | None = None,
        marks: ConsentMarks | None = None,
        max_ids: int = 2_000_000,
    ) -> None:
        self.lakehouse = lakehouse
        self.flow_id = flow_id
        self.parts = parts
        self.stats = stats
        self.marks = marks or ConsentMarks(parts)
        self.keys = EventIndex(consent_key_loader(lakehouse), max_ids=max_ids)
        self.suppression = SuppressionList(lakehouse, None)
        self._state_lock = threading.Lock()

    @override
    def list_parts(self) -> list[str]:
        return [f"consent-{i}" for i in range(self.parts)]

    @override
    def part_fn(self, item_key: str) -> int:
        if item_key.startswith(_WATERMARK):
            return int(item_key[1:])
        return zlib.crc32(item_key.encode("utf-8", "surrogatepass"))

    @override
    def build_part(self, step_id: str, for_part: str, resume_state: None) -> _ConsentPartition:
        return _ConsentPartition(self, int(for_part.rsplit("-", 1)[1]))

    def commit(self, part: _ConsentPartition, ledgers: list[tuple[str, pa.Table]]) -> None:
        """Commit one partition's rows of an epoch (``(origin stream, rows)`` of its
        :class:`_Ledger` items): the new statements to ``consent_ledger``, then per subject and
        purpose the best of them to ``consent_state``.

        Each table's commit records, per origin stream, the last input ``seq`` it covers (a
        Delta application transaction of its own), and a replay skips only what that table
        holds: after a crash between the two commits, the replayed statements still reach
        ``consent_state``; a statement replayed once both are committed writes nothing."""
        ledger_parts, ledger_versions = _after(ledgers, lambda s: part._done(_LEDGER_NAME, s))
        state_parts, state_versions = _after(ledgers, lambda s: part._done(_STATE_NAME, s))
        rows = _concat(ledger_parts)
        claimed: list[str] = []
        if rows is not None:
            keys = rows["idempotency_key"].to_pylist()
            days = rows["captured_at"].cast(pa.timestamp("us", "UTC")).cast(pa.date32())
            fresh = self.keys.claim(keys, days.to_pylist())
            claimed = [k for k, new in zip(keys, fresh, strict=True) if new]
            if len(claimed) < len(keys):
                rows = rows.filter(pa.array(fresh, pa.bool_()))
            # an erased subject: the statement is kept as pseudonymous proof
            rows = pseudonymize_erased_table(
                rows.drop_columns(_private(rows)), self.suppression.hashes()
            )
        statements = _concat(state_parts)
        states = None
        if statements is not None:
            states = state_table(statements, updated_at=datetime.now(UTC))
        written = merged = 0
        try:
            if rows is not None and rows.num_rows:
                appended = self.lakehouse.append(
                    _LEDGER_NAME,
                    rows,
                    transactions={
                        part._app_id(_LEDGER_NAME, s): v for s, v in ledger_versions.items()
                    },
                    metadata={"cdp.flow": self.flow_id, "cdp.step": "consent"},
                )
                written = appended.rows
            if states is not None:
                with self._state_lock:
                    result = self.lakehouse.upsert(
                        _STATE_NAME,
                        states,
                        newer_by="precedence",
                        transactions={
                            part._app_id(_STATE_NAME, s): v for s, v in state_versions.items()
                        },
                    )
                merged = 0 if result.skipped else states.num_rows
        except BaseException:
            self.keys.release(claimed)
            raise
        if rows is not None and rows.num_rows:
            part._mark_committed(_LEDGER_NAME, ledger_versions)
        if states is not None:
            part._mark_committed(_STATE_NAME, state_versions)
        if self.stats is not None:
            self.stats.add(
                inputs=0,
                events=0,
                duplicates=0,
                skipped=0,
                quarantined=_NO_QUARANTINE,
                rows={_LEDGER_NAME: written, _STATE_NAME: merged},
                commits=int(written > 0) + int(merged > 0),
            )


def _after(
    ledgers: list[tuple[str, pa.Table]], done: Callable[[str], int]
) -> tuple[list[pa.Table], dict[str, int]]:
    """The rows of ``ledgers`` past what a table holds (``done(stream)``: the last ``seq``
    committed) and, per origin stream, the last ``seq`` of them."""
    parts: list[pa.Table] = []
    versions: dict[str, int] = {}
    for stream, table in ledgers:
        seqs = table[_SEQ]
        committed = done(stream)
        last = pc.max(seqs).as_py()
        if last <= committed:
            continue  # committed before a crash: replayed
        versions[stream] = max(last, versions.get(stream, 0))
        if pc.min(seqs).as_py() <= committed:
            table = table.filter(pc.greater(seqs, committed))
        parts.append(table)
    return parts, versions


def _concat(tables: list[pa.Table]) -> pa.Table | None:
    if not tables:
        return None
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def attach_consent_engine(
    outcomes: Stream[Outcome],
    *,
    lakehouse: Lakehouse,
    flow_id: str,
    parts: int = 2,
    stats: IngestStats | None = None,
    marks: ConsentMarks | None = None,
) -> ConsentSink:
    """Add the consent engine to a flow: ``outcomes`` -> their ledger rows by subject ->
    :class:`ConsentSink`."""
    sink = ConsentSink(lakehouse, flow_id=flow_id, parts=parts, stats=stats, marks=marks)
    items = op.flat_map("consent_items", outcomes, lambda o: _items(o, parts))
    op.output("consent_sink", items, sink)
    return sink
