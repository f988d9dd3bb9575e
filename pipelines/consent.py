"""The streaming consent engine: statements keyed by subject into the ledger and current state.

Wired into the ingest and stream dataflows by :func:`attach_consent_engine`:

* the consent statements of every outcome (web CMP signals, TCF strings, Consent Mode, GPC,
  CRM/ERP flags, ...) are keyed by ``subject_hash``: one item per subject and outcome holds
  that subject's statements (idempotency key, purpose and rule-6 precedence only);
* a stateful step per subject (:class:`consent.state.SubjectConsent`) drops statements already
  seen (``idempotency_key``) and keeps the winning statement per purpose; it emits the
  statements that became a winner;
* the ledger rows themselves never leave Arrow: each outcome sends every sink partition the
  rows of its subjects (split by the partition function) with its watermark;
* :class:`ConsentSink` (partitioned by a stable crc32 of the subject hash) commits at every epoch
  end: new statements to ``consent_ledger`` - exactly once: one Delta application transaction per
  ``(partition, origin stream)`` whose version is the last input ``seq`` committed, plus dedupe
  by ``idempotency_key`` against the table - and the changed winners to ``consent_state``
  (upsert by ``subject_hash, purpose``; a row replaces the stored one only when its rule-6
  ``precedence`` is at least as high, so writers in any order converge on the winner).

Every outcome also sends a watermark ``(stream, last seq)`` to every sink partition; once all
partitions have committed past it, :class:`ConsentMarks` lets the landing log truncate behind it
(``DurableMarks.require``: the smaller of the events writer's and these marks). A replay after
a crash is filtered by the transactions and the keys: a kill -9 loses and duplicates nothing.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import bytewax.operators as op
import polars as pl
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
from consent.state import STATE_COLUMNS, SubjectConsent, precedence_of
from storage import TABLES, Lakehouse
from storage.lakehouse import as_arrow

__all__ = [
    "ConsentMarks",
    "ConsentSink",
    "attach_consent_engine",
]

logger = logging.getLogger(__name__)

_WATERMARK: Final = "\x00"
_LEDGER: Final = TABLES["consent_ledger"]
_SEQ: Final = PRIVATE_SEQ
#: private column of the rows sent to the sink: the statement's rule-6 precedence
_PRECEDENCE: Final = "_precedence"
_NO_QUARANTINE: Final[Counter[str]] = Counter()


@dataclass(frozen=True, slots=True)
class _Statements:
    """The statements of one outcome about one subject: ``(seq, idempotency_key, purpose,
    precedence, status)`` each, in ledger order (one stateful-step item per subject and
    outcome)."""

    stream: str
    statements: list[tuple[int, str, str, str, str]]


@dataclass(frozen=True, slots=True)
class _Ledger:
    """One outcome's ledger rows for one sink partition (None: no row) and its watermark.

    ``rows`` holds the catalogue's columns plus ``_seq`` and ``_precedence``."""

    stream: str
    seq: int
    rows: pa.Table | None


@dataclass(frozen=True, slots=True)
class _Winners:
    """What the stateful step emits for one subject: its statements that became the winner of
    their purpose, as ``(seq, idempotency_key)`` of a row of the same outcome's ``_Ledger``."""

    stream: str
    handles: list[tuple[int, str]]


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


def _items(outcome: Outcome, parts: int) -> list[tuple[str, _Statements | _Ledger]]:
    """One item per subject of the outcome's statements (to the stateful step) and one per
    sink partition with that partition's ledger rows in columns and the watermark."""
    stream = outcome.stream
    table = outcome.tables.get("consent_ledger")
    if table is None or not table.num_rows:
        return [(f"{_WATERMARK}{p}", _Ledger(stream, outcome.last_seq, None)) for p in range(parts)]
    public = as_arrow(table.drop_columns(_private(table)), _LEDGER)
    seqs = table[PRIVATE_SEQ].to_pylist()
    subjects = public["subject_hash"].to_pylist()
    keys = public["idempotency_key"].to_pylist()
    purposes = public["purpose"].to_pylist()
    statuses = public["status"].to_pylist()
    micros = public["captured_at"].cast(pa.int64()).to_pylist()
    orders = list(map(precedence_of, micros, statuses, public["consent_id"].to_pylist()))
    by_subject: dict[str, list[tuple[int, str, str, str, str]]] = {}
    stated = zip(seqs, keys, purposes, orders, statuses, strict=True)
    for subject, statement in zip(subjects, stated, strict=True):
        found = by_subject.get(subject)
        if found is None:
            by_subject[subject] = [statement]
        else:
            found.append(statement)
    rows = public.append_column(_SEQ, pa.array(seqs, pa.int64())).append_column(
        _PRECEDENCE, pa.array(orders, pa.string())
    )
    if parts == 1:
        by_part = [rows]
    else:
        bucket = {s: _part_of(s) % parts for s in by_subject}
        picks: list[list[int]] = [[] for _ in range(parts)]
        for n, subject in enumerate(subjects):
            picks[bucket[subject]].append(n)
        by_part = [rows.take(pa.array(p, pa.int64())) if p else None for p in picks]
    items: list[tuple[str, _Statements | _Ledger]] = [
        (subject, _Statements(stream, statements)) for subject, statements in by_subject.items()
    ]
    items.extend(
        (f"{_WATERMARK}{p}", _Ledger(stream, outcome.last_seq, part))
        for p, part in enumerate(by_part)
    )
    return items


def _private(table: pa.Table) -> list[str]:
    return [c for c in table.column_names if c.startswith("_")]


def _part_of(subject_hash: str) -> int:
    """The sink partition of a subject (before the modulo; see :meth:`ConsentSink.part_fn`)."""
    return zlib.crc32(subject_hash.encode("utf-8", "surrogatepass"))


def _is_statement(item: tuple[str, _Statements | _Ledger]) -> bool:
    return isinstance(item[1], _Statements)


def _apply(
    state: SubjectConsent | None, item: _Statements | _Ledger
) -> tuple[SubjectConsent | None, list[_Winners]]:
    assert isinstance(item, _Statements)
    state = state or SubjectConsent()
    seen = state.seen
    won: dict[str, tuple[int, str]] = {}
    for seq, key, purpose, order, status in item.statements:
        if key in seen:
            continue  # seen before: the ledger sink drops it too, and it changes nothing
        if state.offer(key, purpose, order, {"idempotency_key": key, "status": status}):
            won[purpose] = (seq, key)
    if not won:
        return state, []
    return state, [_Winners(item.stream, list(won.values()))]


class _ConsentPartition(StatefulSinkPartition[Any, None]):
    def __init__(self, sink: ConsentSink, index: int) -> None:
        self._sink = sink
        self._index = index
        self._ledgers: list[tuple[str, pa.Table]] = []
        self._winners: set[tuple[str, int, str]] = set()
        self._watermarks: dict[str, int] = {}
        self._committed: dict[str, int] = {}

    @override
    def write_batch(self, values: list[Any]) -> None:
        for value in values:
            if isinstance(value, _Ledger):
                if value.seq > self._watermarks.get(value.stream, -1):
                    self._watermarks[value.stream] = value.seq
                if value.rows is not None:
                    self._ledgers.append((value.stream, value.rows))
            else:
                stream = value.stream
                self._winners.update((stream, seq, key) for seq, key in value.handles)

    def _app_id(self, stream: str) -> str:
        return f"{self._sink.flow_id}:consent_ledger:p{self._index}:{stream}"

    def _done(self, stream: str) -> int:
        found = self._committed.get(stream)
        if found is None:
            version = self._sink.lakehouse.transaction_version(
                "consent_ledger", self._app_id(stream)
            )
            found = self._committed[stream] = version or 0
        return found

    def _flush(self) -> None:
        ledgers, self._ledgers = self._ledgers, []
        winners, self._winners = self._winners, set()
        watermarks, self._watermarks = self._watermarks, {}
        if ledgers:
            self._sink.commit(self, ledgers, winners)
        for stream, seq in watermarks.items():
            self._sink.marks.mark(self._index, stream, seq)

    @override
    def snapshot(self) -> None:
        # the epoch ends: its statements and state are durable before it counts as done
        self._flush()

    @override
    def close(self) -> None:
        self._flush()


class ConsentSink(FixedPartitionedSink[Any, None]):
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

    def commit(
        self,
        part: _ConsentPartition,
        ledgers: list[tuple[str, pa.Table]],
        winners: set[tuple[str, int, str]],
    ) -> None:
        """Commit one partition's rows of an epoch: new ledger rows, then changed winners.

        ``ledgers`` are ``(origin stream, rows)`` of :class:`_Ledger` items, ``winners`` the
        ``(stream, seq, idempotency_key)`` of their rows that won their purpose."""
        fresh_parts: list[pa.Table] = []
        versions: dict[str, int] = {}  # origin stream -> last seq
        won: list[bool] = []  # per row of fresh_parts (when there are winners)
        for stream, table in ledgers:
            seqs = table[_SEQ].to_pylist()
            done = part._done(stream)
            if max(seqs) <= done:
                continue  # committed before a crash: replayed
            versions[stream] = max(max(seqs), versions.get(stream, 0))
            if min(seqs) <= done:
                table = table.filter(pc.greater(table[_SEQ], done))
                seqs = table[_SEQ].to_pylist()
            fresh_parts.append(table)
            if winners:
                keys = table["idempotency_key"].to_pylist()
                taken: set[tuple[int, str]] = set()
                for handle in zip(seqs, keys, strict=True):
                    wins = (stream, *handle) in winners and handle not in taken
                    if wins:
                        taken.add(handle)
                    won.append(wins)
        rows = _concat(fresh_parts)
        if rows is None:
            return
        # the winning rows, picked once from all of them (a take per ledger table cost more)
        states = _state_table(rows.filter(pa.array(won, pa.bool_()))) if any(won) else None
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
        written = 0
        try:
            if rows.num_rows:
                appended = self.lakehouse.append(
                    "consent_ledger",
                    rows,
                    transactions={part._app_id(k): v for k, v in versions.items()},
                    metadata={"cdp.flow": self.flow_id, "cdp.step": "consent"},
                )
                written = appended.rows
            if states is not None:
                with self._state_lock:
                    self.lakehouse.upsert("consent_state", states, newer_by="precedence")
        except BaseException:
            self.keys.release(claimed)
            raise
        if rows.num_rows:
            for stream, version in versions.items():
                part._committed[stream] = max(version, part._committed.get(stream, 0))
        if self.stats is not None:
            state_rows = 0 if states is None else states.num_rows
            self.stats.add(
                inputs=0,
                events=0,
                duplicates=0,
                skipped=0,
                quarantined=_NO_QUARANTINE,
                rows={"consent_ledger": written, "consent_state": state_rows},
                commits=int(rows.num_rows > 0) + int(bool(state_rows)),
            )


def _concat(tables: list[pa.Table]) -> pa.Table | None:
    if not tables:
        return None
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _state_table(winners: pa.Table) -> pa.Table:
    """The ``consent_state`` rows of winning ledger rows: one per ``(subject_hash, purpose)``,
    the greatest precedence (of equal ones the last), as :func:`consent.state.state_row`."""
    # per (subject, purpose) the row of the greatest precedence, of equal ones the last
    best = (
        pl.DataFrame(
            {
                "subject": winners["subject_hash"],
                "purpose": winners["purpose"],
                "order": winners[_PRECEDENCE],
            }
        )
        .with_row_index("n")
        .group_by("subject", "purpose")
        .agg(pl.col("n").sort_by("order", "n").last())
        .get_column("n")
        .sort()
    )
    picked = winners if best.len() == winners.num_rows else winners.take(best.to_arrow())
    now = pa.scalar(datetime.now(UTC), pa.timestamp("us", "UTC"))
    columns = [c for c in STATE_COLUMNS if c not in ("precedence", "updated_at")]
    return (
        picked.select(columns)
        .append_column("precedence", picked[_PRECEDENCE])
        .append_column("updated_at", pa.repeat(now, picked.num_rows))
    )


def attach_consent_engine(
    outcomes: Stream[Outcome],
    *,
    lakehouse: Lakehouse,
    flow_id: str,
    parts: int = 2,
    stats: IngestStats | None = None,
    marks: ConsentMarks | None = None,
) -> ConsentSink:
    """Add the consent engine to a flow: ``outcomes`` -> keyed state -> :class:`ConsentSink`."""
    sink = ConsentSink(lakehouse, flow_id=flow_id, parts=parts, stats=stats, marks=marks)
    items = op.flat_map("consent_items", outcomes, lambda o: _items(o, parts))
    split = op.branch("consent_split", items, _is_statement)
    results = op.stateful_flat_map("consent_state", split.trues, _apply)
    out = op.merge("consent_out", results, split.falses)
    op.output("consent_sink", out, sink)
    return sink
