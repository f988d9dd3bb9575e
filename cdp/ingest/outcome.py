"""What processing makes of inputs: rows for every table, in columns (:class:`Outcome`).

An :class:`OutcomeBuilder` collects the rows of many inputs (one chunk of a file, one poll of the
landing log) and :meth:`~OutcomeBuilder.build` turns them into Arrow tables whose columns are the
catalogue's (``storage/catalog.py``) plus private bookkeeping columns the sinks use and drop:

* ``_seq`` (every table): the position of the input the row comes from in its stream, for the
  exactly-once filter (a row whose ``_seq`` is already committed is skipped on replay);
* ``_event`` (``identity_records``, ``consent_ledger``): the event the row belongs to, so rows of
  an event dropped as a duplicate are dropped with it.

Every input yields exactly one row in ``events`` or in ``quarantine``, or repeats an event of the
same chunk (a duplicate: counted, no row) - the reconciliation invariant
``inputs == len(events) + len(quarantine) + duplicates``; ``raw_events``, ``identity_records``
and ``consent_ledger`` rows come on top, and so do ``quarantine`` rows of stage ``consent``
(``bad_consent``: an undecodable consent signal in a message whose event is kept).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any, Final

import pyarrow as pa

from cdp.models import InvalidInputError
from cdp.models.events import EVENT_COLUMNS
from storage.catalog import TABLES
from storage.lakehouse import as_arrow

__all__ = [
    "EVENT_TABLE_COLUMNS",
    "IDENTITY_ROW_COLUMNS",
    "LEDGER_COLUMNS",
    "PRIVATE_EVENT",
    "PRIVATE_SEQ",
    "TABLE_ORDER",
    "Outcome",
    "OutcomeBuilder",
    "Rejection",
    "binary_array",
    "stable_id",
]

logger = logging.getLogger(__name__)

PRIVATE_SEQ: Final = "_seq"
PRIVATE_EVENT: Final = "_event"
#: Tables an outcome may hold, in the order the sink commits them (``events`` last, see
#: :mod:`cdp.ingest.writer`).
TABLE_ORDER: Final[tuple[str, ...]] = (
    "quarantine",
    "raw_events",
    "identity_records",
    "consent_ledger",
    "events",
)
#: The ``events`` columns the builder fills, in the order of :meth:`OutcomeBuilder.add_event`.
EVENT_TABLE_COLUMNS: Final[tuple[str, ...]] = EVENT_COLUMNS
_RAW_COLUMNS: Final = (
    "raw_id",
    "source",
    "received_at",
    "content_type",
    "payload",
    "ingest_batch",
)
_QUARANTINE_COLUMNS: Final = (
    "quarantine_id",
    "source",
    "received_at",
    "payload",
    "error_type",
    "error",
    "field",
    "stage",
    "record_ref",
    "ingest_batch",
)


def _schema(table: str, columns: Sequence[str], extra: Sequence[pa.Field]) -> pa.Schema:
    spec = TABLES[table].schema
    return pa.schema([spec.field(c).with_nullable(True) for c in columns] + list(extra))


_MAX_OFFSET: Final = 2**31 - 1
_SEQ_FIELD: Final = pa.field(PRIVATE_SEQ, pa.int64())
_EVENT_FIELD: Final = pa.field(PRIVATE_EVENT, pa.string())
_EVENTS_SCHEMA: Final = _schema("events", EVENT_TABLE_COLUMNS, [_SEQ_FIELD])
_RAW_SCHEMA: Final = _schema("raw_events", _RAW_COLUMNS, [_SEQ_FIELD])
_QUARANTINE_SCHEMA: Final = _schema("quarantine", _QUARANTINE_COLUMNS, [_SEQ_FIELD])
_SCHEMAS: Final = {
    "events": _EVENTS_SCHEMA,
    "raw_events": _RAW_SCHEMA,
    "quarantine": _QUARANTINE_SCHEMA,
}
#: The ``consent_ledger`` columns of the values :meth:`OutcomeBuilder.add_consent_values`
#: takes, in order (the catalogue's).
LEDGER_COLUMNS: Final[tuple[str, ...]] = tuple(TABLES["consent_ledger"].schema.names)
#: The ``identity_records`` columns of :meth:`OutcomeBuilder.add_identity_values` (the
#: catalogue's but ``ingested_at``, which the builder adds).
IDENTITY_ROW_COLUMNS: Final[tuple[str, ...]] = tuple(
    c for c in TABLES["identity_records"].schema.names if c != "ingested_at"
)
_LEDGER_NAMES: Final = frozenset(LEDGER_COLUMNS)
_IDENTITY_NAMES: Final = frozenset(IDENTITY_ROW_COLUMNS)
_ROW_FIELDS: Final = [_SEQ_FIELD, _EVENT_FIELD]
_LEDGER_SCHEMA: Final = _schema("consent_ledger", LEDGER_COLUMNS, _ROW_FIELDS)
_IDENTITY_SCHEMA: Final = _schema(
    "identity_records", (*IDENTITY_ROW_COLUMNS, "ingested_at"), _ROW_FIELDS
)


def stable_id(*parts: object) -> str:
    """A deterministic 32-hex-digit id of ``parts`` (replays give the same id)."""
    key = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an input was refused: a typed reason for the ``quarantine`` table.

    ``error_type`` is one of :data:`cdp.models.ERROR_TYPES` or an ingest-level type
    (``bad_encoding``, ``bad_compression``, ``unknown_source``, ``internal``); ``error`` names
    the field and the problem, never the value.
    """

    error_type: str
    error: str
    field: str | None = None
    stage: str = "validate"

    @classmethod
    def from_error(cls, error: InvalidInputError, *, stage: str = "validate") -> Rejection:
        """The rejection of a model error (its typed reason and message, never the value)."""
        return cls(error.error_type, str(error), error.field, stage)


@dataclass
class Outcome:
    """The rows one chunk of inputs of one stream produced (see the module documentation).

    ``stream`` is the exactly-once unit (a file, a landing lane, a Kafka partition), ``seq`` the
    position of an input in it; ``first_seq``..``last_seq`` is the range of inputs covered, and
    ``inputs`` how many inputs that range held.
    """

    stream: str
    source: str
    first_seq: int
    last_seq: int
    inputs: int
    tables: dict[str, pa.Table] = field(default_factory=dict)
    #: ``seq`` of inputs whose event repeated an event of the same chunk (no row written)
    duplicate_seqs: list[int] = field(default_factory=list)
    #: a hint of the source: no input of ``stream`` follows in this run (a file read to its
    #: end), so a sink may commit what it holds now rather than at the epoch's end
    ends_stream: bool = False

    def count(self, table: str) -> int:
        """Rows for ``table``."""
        found = self.tables.get(table)
        return 0 if found is None else found.num_rows

    def table(self, name: str) -> pa.Table:
        """Rows for ``name`` in the catalogue's schema (private columns dropped)."""
        found = self.tables.get(name)
        spec = TABLES[name]
        if found is None:
            return spec.schema.empty_table()
        public = found.select([c for c in found.column_names if not c.startswith("_")])
        return as_arrow(public, spec)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Rows for ``name`` as dicts of the catalogue's columns."""
        return self.table(name).to_pylist()

    @staticmethod
    def concat(outcomes: Sequence[Outcome]) -> Outcome:
        """One outcome of several consecutive outcomes of the same stream."""
        if not outcomes:
            raise ValueError("nothing to concatenate")
        first = outcomes[0]
        if len(outcomes) == 1:
            return first
        names: dict[str, list[pa.Table]] = {}
        for outcome in outcomes:
            for name, tbl in outcome.tables.items():
                names.setdefault(name, []).append(tbl)
        return Outcome(
            stream=first.stream,
            source=first.source,
            first_seq=min(o.first_seq for o in outcomes),
            last_seq=max(o.last_seq for o in outcomes),
            inputs=sum(o.inputs for o in outcomes),
            tables={
                n: pa.concat_tables(ts, promote_options="permissive") for n, ts in names.items()
            },
            duplicate_seqs=[s for o in outcomes for s in o.duplicate_seqs],
        )


class OutcomeBuilder:
    """Collects rows for one outcome; cheap appends, one Arrow conversion at the end."""

    __slots__ = (
        "_consent",
        "_duplicates",
        "_event_ids",
        "_event_seqs",
        "_events",
        "_first",
        "_identity",
        "_inputs",
        "_last",
        "_last_cover",
        "_prefix",
        "_quarantine",
        "_raw",
        "_tables",
        "batch_id",
        "ingested_at",
        "memo",
        "source",
        "stream",
    )

    def __init__(self, *, stream: str, source: str, ingested_at: datetime, batch_id: str) -> None:
        self.stream = stream
        self.source = source
        self.ingested_at = ingested_at
        self.batch_id = batch_id
        self._events: list[tuple[Any, ...]] = []
        self._event_seqs: list[int] = []
        self._event_ids: set[str] = set()
        self._duplicates: list[int] = []
        self._raw: list[tuple[Any, ...]] = []
        self._quarantine: list[tuple[Any, ...]] = []
        # rows as tuples: the columns of _IDENTITY_SCHEMA / _LEDGER_SCHEMA (``_seq`` 2nd last)
        self._identity: list[tuple[Any, ...]] = []
        self._consent: list[tuple[Any, ...]] = []
        self._tables: dict[str, list[pa.Table]] = {}
        self._inputs = 0
        self._first: int | None = None
        self._last = 0
        self._last_cover = (-1, 0)
        self._prefix = stable_id(stream)[:20]
        #: scratch space of the processors for this chunk (e.g. consent already stated)
        self.memo: dict[Any, Any] = {}

    # -- bookkeeping -----------------------------------------------------------------------

    def cover(self, seq: int, inputs: int = 1) -> None:
        """Record that the input(s) at ``seq`` were seen (``inputs`` of them: batch items)."""
        if self._first is None or seq < self._first:
            self._first = seq
        if seq > self._last:
            self._last = seq
        self._inputs += inputs
        self._last_cover = (seq, inputs)

    def drop_input(self, seq: int) -> None:
        """Forget the rows and the count of the input at ``seq`` (the last one added)."""
        while self._event_seqs and self._event_seqs[-1] == seq:
            self._event_seqs.pop()
            self._event_ids.discard(self._events.pop()[0])
        while self._duplicates and self._duplicates[-1] == seq:
            self._duplicates.pop()
        for rows in (self._raw, self._quarantine):
            while rows and rows[-1][-1] == seq:
                rows.pop()
        for rows in (self._identity, self._consent):
            while rows and rows[-1][-2] == seq:
                rows.pop()
        last_seq, count = self._last_cover
        if last_seq == seq:
            self._inputs -= count
            self._last_cover = (-1, 0)

    def cover_many(self, seqs: Sequence[int], inputs: int) -> None:
        """Record that ``inputs`` inputs at ``seqs`` (ascending) were seen, at once."""
        if not seqs:
            return
        if self._first is None or seqs[0] < self._first:
            self._first = seqs[0]
        self._last = max(self._last, seqs[-1])
        self._inputs += inputs
        self._last_cover = (-1, 0)

    def absorb(self, other: OutcomeBuilder) -> None:
        """Take the inputs and the rows of ``other`` (a builder of the same chunk)."""
        if other._first is not None:
            self.cover_many([other._first, other._last], other._inputs)
        for event_row, seq in zip(other._events, other._event_seqs, strict=True):
            self.add_event(event_row, seq)
        self._duplicates.extend(other._duplicates)
        self._raw.extend(other._raw)
        self._quarantine.extend(other._quarantine)
        self._identity.extend(other._identity)
        self._consent.extend(other._consent)
        for name, tables in other._tables.items():
            self._tables.setdefault(name, []).extend(tables)

    def has_events(self) -> bool:
        """Whether an event (or a duplicate of one) was added."""
        return bool(self._events or self._duplicates or "events" in self._tables)

    @property
    def inputs(self) -> int:
        return self._inputs

    def raw_id(self, seq: int) -> str:
        """The deterministic ``raw_id`` of the input at ``seq`` of this stream."""
        return f"{self._prefix}-{seq}"

    # -- rows ------------------------------------------------------------------------------

    def add_event(self, values: tuple[Any, ...], seq: int) -> bool:
        """One ``events`` row (``values`` in :data:`EVENT_TABLE_COLUMNS` order).

        Returns False, and adds nothing, when the chunk already holds this event id: the input
        is a duplicate (counted, not a row) and its identity and consent rows are left out too.
        """
        event_id = values[0]
        if event_id in self._event_ids:
            self._duplicates.append(seq)
            return False
        self._event_ids.add(event_id)
        self._events.append(values)
        self._event_seqs.append(seq)
        return True

    @property
    def duplicates(self) -> int:
        """Inputs that repeated an event of this chunk."""
        return len(self._duplicates)

    def add_raw(
        self,
        *,
        raw_id: str,
        source: str,
        received_at: datetime,
        content_type: str | None,
        payload: bytes,
        seq: int,
    ) -> None:
        """One ``raw_events`` row (the input as it came)."""
        self._raw.append((raw_id, source, received_at, content_type, payload, self.batch_id, seq))

    def add_rejection(
        self,
        rejection: Rejection,
        *,
        source: str,
        received_at: datetime,
        payload: bytes | None,
        record_ref: str,
        seq: int,
        index: int = -1,
        tag: str | None = None,
    ) -> None:
        """One ``quarantine`` row; ``index`` tells items of one input (a batch) apart.

        ``tag`` marks a row that comes on top of the input's event (a consent signal that could
        not be used, stage ``consent``): it is not counted as the input's outcome.
        """
        quarantine_id = f"{self._prefix}-{seq}" if index < 0 else f"{self._prefix}-{seq}-{index}"
        if tag is not None:
            quarantine_id = f"{quarantine_id}-{tag}"
        self._quarantine.append(
            (
                quarantine_id,
                source,
                received_at,
                payload,
                rejection.error_type,
                rejection.error,
                rejection.field,
                rejection.stage,
                record_ref,
                self.batch_id,
                seq,
            )
        )

    def add_event_table(self, table: pa.Table, duplicate_seqs: Sequence[int]) -> None:
        """``events`` rows in columns (:data:`EVENT_TABLE_COLUMNS` and ``_seq``), all distinct
        and new to this chunk, and the ``seq`` of inputs that were duplicates among them."""
        self.add_table("events", table)
        self._duplicates.extend(duplicate_seqs)

    def add_table(self, name: str, table: pa.Table) -> None:
        """Rows of ``name`` in columns (the private ``_seq`` column included)."""
        schema = _SCHEMAS.get(name)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        self._tables.setdefault(name, []).append(table)

    def add_identity(self, row: Mapping[str, Any], *, event_id: str, seq: int) -> None:
        """One ``identity_records`` row (``SourceRecord.to_identity_row()``)."""
        _check_row(row, _IDENTITY_NAMES, "identity_records")
        self.add_identity_values(
            tuple(map(row.get, IDENTITY_ROW_COLUMNS)), event_id=event_id, seq=seq
        )

    def add_identity_values(self, values: tuple[Any, ...], *, event_id: str, seq: int) -> None:
        """One ``identity_records`` row as the values of :data:`IDENTITY_ROW_COLUMNS`."""
        self._identity.append((*values, self.ingested_at, seq, event_id))

    def add_consent(self, row: Mapping[str, Any], *, event_id: str, seq: int) -> None:
        """One ``consent_ledger`` row."""
        _check_row(row, _LEDGER_NAMES, "consent_ledger")
        self._consent.append((*map(row.get, LEDGER_COLUMNS), seq, event_id))

    def add_consent_values(
        self, rows: Sequence[tuple[Any, ...]], *, event_id: str, seq: int
    ) -> None:
        """``consent_ledger`` rows of one event, each as the values of :data:`LEDGER_COLUMNS`."""
        tail = (seq, event_id)
        self._consent.extend([values + tail for values in rows])

    # -- result ----------------------------------------------------------------------------

    def build(self) -> Outcome:
        """The outcome, with one Arrow table per table that received rows."""
        tables: dict[str, pa.Table] = {}
        if self._events:
            tables["events"] = _columns_table(self._events, _EVENTS_SCHEMA, self._event_seqs)
        if self._raw:
            tables["raw_events"] = _columns_table(self._raw, _RAW_SCHEMA)
        if self._quarantine:
            tables["quarantine"] = _columns_table(self._quarantine, _QUARANTINE_SCHEMA)
        if self._identity:
            tables["identity_records"] = _columns_table(self._identity, _IDENTITY_SCHEMA)
        if self._consent:
            tables["consent_ledger"] = _columns_table(self._consent, _LEDGER_SCHEMA)
        for name, extra in self._tables.items():
            found = tables.get(name)
            parts = ([found] if found is not None else []) + extra
            tables[name] = (
                parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="default")
            )
        events = tables.get("events")
        if events is not None and events.num_rows:
            ingested = pa.repeat(
                pa.scalar(self.ingested_at, pa.timestamp("us", "UTC")), events.num_rows
            )
            tables["events"] = events.append_column("ingested_at", ingested)
        elif events is not None:
            del tables["events"]
        return Outcome(
            stream=self.stream,
            source=self.source,
            first_seq=self._first if self._first is not None else 0,
            last_seq=self._last,
            inputs=self._inputs,
            tables=tables,
            duplicate_seqs=list(self._duplicates),
        )


def _columns_table(
    rows: list[tuple[Any, ...]], schema: pa.Schema, seqs: list[int] | None = None
) -> pa.Table:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    if seqs is not None:
        columns.append(seqs)
    arrays = [_array(col, f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def binary_array(values: Sequence[bytes]) -> pa.Array:
    """A ``binary`` Arrow array of ``values`` (no None), from one joined buffer.

    ``pa.array`` copies value after value into a growing buffer, which costs microseconds per
    value for values of a kilobyte (whole input lines); joining first costs a memcpy.
    """
    data = b"".join(values)
    if len(data) >= _MAX_OFFSET:
        return pa.array(values, pa.binary())
    offsets = pa.array(itertools.accumulate(map(len, values), initial=0), pa.int32())
    return pa.Array.from_buffers(
        pa.binary(), len(values), [None, offsets.buffers()[1], pa.py_buffer(data)]
    )


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """``pa.array(values)``; a column of one repeated object is converted once."""
    if type_ == pa.binary() and values and None not in values:
        return binary_array(values)
    first = values[0] if values else None
    if (
        first is not None
        and len(values) > 16
        and values[-1] is first
        and all(map(operator.is_, values, repeat(first)))
    ):
        return pa.repeat(pa.scalar(first, type=type_), len(values))
    return pa.array(values, type=type_)


def _check_row(row: Mapping[str, Any], columns: frozenset[str], name: str) -> None:
    """A row of ``name`` names only its columns (the missing ones are nulls)."""
    if not row.keys() <= columns:
        unknown = sorted(set(row) - columns)
        raise KeyError(f"table {name} has no column(s) {', '.join(unknown)}")
