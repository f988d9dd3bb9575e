"""The streaming consent engine: statements keyed by subject into the ledger and current state.

Wired into the ingest and stream dataflows by :func:`attach_consent_engine`:

* the consent statements of every outcome (web CMP signals, TCF strings, Consent Mode, GPC,
  CRM/ERP flags, ...) are keyed by ``subject_hash``;
* a stateful step per subject (:class:`consent.state.SubjectConsent`) drops statements already
  seen (``idempotency_key``) and keeps the winning statement per purpose;
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
import pyarrow as pa
from bytewax.dataflow import Stream
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition
from typing_extensions import override

from cdp.ingest import IngestStats, Outcome
from cdp.ingest.dedupe import EventIndex
from cdp.ingest.outcome import PRIVATE_SEQ
from cdp.ingest.suppression import SuppressionList
from cdp.ingest.writer import consent_key_loader
from consent.privacy import pseudonymize_erased
from consent.state import SubjectConsent, state_row
from storage import Lakehouse

__all__ = [
    "ConsentMarks",
    "ConsentSink",
    "attach_consent_engine",
]

logger = logging.getLogger(__name__)

_WATERMARK: Final = "\x00"
_NO_QUARANTINE: Final[Counter[str]] = Counter()


@dataclass(frozen=True, slots=True)
class _Statement:
    stream: str
    seq: int
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Watermark:
    stream: str
    seq: int


@dataclass(frozen=True, slots=True)
class _Result:
    """What the stateful step emits for one statement: new ledger row and/or new winner."""

    stream: str
    seq: int
    ledger: dict[str, Any] | None
    state: dict[str, Any] | None


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


def _items(outcome: Outcome, parts: int) -> list[tuple[str, _Statement | _Watermark]]:
    items: list[tuple[str, _Statement | _Watermark]] = []
    table = outcome.tables.get("consent_ledger")
    if table is not None and table.num_rows:
        for row in table.to_pylist():
            seq = row.pop(PRIVATE_SEQ)
            row = {k: v for k, v in row.items() if not k.startswith("_")}
            items.append((row["subject_hash"], _Statement(outcome.stream, seq, row)))
    for part in range(parts):
        items.append((f"{_WATERMARK}{part}", _Watermark(outcome.stream, outcome.last_seq)))
    return items


def _is_statement(item: tuple[str, _Statement | _Watermark]) -> bool:
    return isinstance(item[1], _Statement)


def _apply(
    state: SubjectConsent | None, item: _Statement | _Watermark
) -> tuple[SubjectConsent | None, list[_Result]]:
    assert isinstance(item, _Statement)
    state = state or SubjectConsent()
    fresh, changed = state.apply([item.row])
    if not fresh:
        return state, []  # seen before: nothing to write
    winner = state.current[item.row["purpose"]][1] if changed else None
    now = datetime.now(UTC)
    return state, [
        _Result(
            item.stream,
            item.seq,
            fresh[0],
            state_row(winner, updated_at=now) if winner is not None else None,
        )
    ]


class _ConsentPartition(StatefulSinkPartition[Any, None]):
    def __init__(self, sink: ConsentSink, index: int) -> None:
        self._sink = sink
        self._index = index
        self._results: list[_Result] = []
        self._watermarks: dict[str, int] = {}
        self._committed: dict[str, int] = {}

    @override
    def write_batch(self, values: list[Any]) -> None:
        for value in values:
            if isinstance(value, _Watermark):
                if value.seq > self._watermarks.get(value.stream, -1):
                    self._watermarks[value.stream] = value.seq
            else:
                self._results.append(value)

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
        results, self._results = self._results, []
        watermarks, self._watermarks = self._watermarks, {}
        if results:
            self._sink.commit(self, results)
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

    def commit(self, part: _ConsentPartition, results: list[_Result]) -> None:
        """Commit one partition's results of an epoch: ledger rows, then state rows."""
        rows: list[dict[str, Any]] = []
        versions: dict[str, int] = {}  # origin stream -> last seq
        states: dict[tuple[str, str], dict[str, Any]] = {}
        for result in results:
            if result.seq <= part._done(result.stream):
                continue  # committed before a crash: replayed
            versions[result.stream] = max(result.seq, versions.get(result.stream, 0))
            if result.ledger is not None:
                rows.append(result.ledger)
            if result.state is not None:
                key = (result.state["subject_hash"], result.state["purpose"])
                known = states.get(key)
                if known is None or result.state["precedence"] >= known["precedence"]:
                    states[key] = result.state
        if not versions:
            return
        claimed: list[str] = []
        if rows:
            keys = [r["idempotency_key"] for r in rows]
            fresh = self.keys.claim(keys, [r["captured_at"].date() for r in rows])
            claimed = [k for k, new in zip(keys, fresh, strict=True) if new]
            rows = [r for r, new in zip(rows, fresh, strict=True) if new]
        if rows:  # an erased subject: the statement is kept as pseudonymous proof
            pseudonymize_erased(rows, self.suppression.hashes())
        try:
            written = 0
            if rows:
                appended = self.lakehouse.append(
                    "consent_ledger",
                    rows,
                    transactions={part._app_id(k): v for k, v in versions.items()},
                    metadata={"cdp.flow": self.flow_id, "cdp.step": "consent"},
                )
                written = appended.rows
            if states:
                with self._state_lock:
                    self.lakehouse.upsert(
                        "consent_state",
                        pa.Table.from_pylist(list(states.values())),
                        newer_by="precedence",
                    )
        except BaseException:
            self.keys.release(claimed)
            raise
        if rows:
            for stream, version in versions.items():
                part._committed[stream] = max(version, part._committed.get(stream, 0))
        if self.stats is not None:
            self.stats.add(
                inputs=0,
                events=0,
                duplicates=0,
                skipped=0,
                quarantined=_NO_QUARANTINE,
                rows={"consent_ledger": written, "consent_state": len(states)},
                commits=int(bool(rows)) + int(bool(states)),
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
