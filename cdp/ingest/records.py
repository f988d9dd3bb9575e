"""Record inputs (CRM, ERP, other): rows, JSON objects and change events into the tables.

:class:`RecordProcessor` maps one input of a record source:

* a row (CSV, Parquet) or a JSON object (JSON lines, Kafka) with :func:`cdp.models.map_record`;
* a Debezium-style change event ``{"op": "c|u|d|r", "before": …, "after": …, "ts_ms": …}``
  (also wrapped as ``{"payload": {…}}``): ``c``/``u``/``r`` map the ``after`` image, ``d`` the
  ``before`` image as a delete (only its record id is needed). ``ts_ms`` is the version when the
  record has no ``updated_at``, and a delete's version when it is later than the image's.

and writes

* an ``events`` row (:func:`cdp.models.event_from_record`: an ``upsert`` or ``delete``; made
  as a row directly, :func:`cdp.models.events.record_event_row`),
* an ``identity_records`` row (:meth:`cdp.models.SourceRecord.to_identity_row`; the sink upserts
  it, newest ``updated_at`` wins, a delete removes the record),
* ``consent_ledger`` rows for set consent flags (:mod:`cdp.ingest.consent`),
* or one ``quarantine`` row when the input is refused (``bad_json``, ``schema``,
  ``missing_field``, ``missing_identity``, …).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from cdp.ingest.consent import ConsentRows
from cdp.ingest.outcome import EVENT_TABLE_COLUMNS, OutcomeBuilder, Rejection
from cdp.ingest.web import decode_json
from cdp.models import (
    InvalidInputError,
    SourceRecord,
    consent_status_from_flag,
    map_record,
)
from cdp.models.events import record_event_row

if TYPE_CHECKING:
    from cdp.config import SourceConfig
    from cdp.ingest.options import IngestOptions

__all__ = ["CDC_OPS", "RecordProcessor", "missing_columns", "source_columns", "unwrap_change"]

logger = logging.getLogger(__name__)

#: Debezium operations: create, update, delete, read (snapshot).
CDC_OPS: Final = frozenset({"c", "u", "d", "r"})
_DELETED_MARK: Final = "__cdp_deleted__"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


#: the columns every statement of a consent source needs (cdp.ingest.statements)
_STATEMENT_COLUMNS: Final = ("subject", "purpose", "status", "captured_at")


def source_columns(source: SourceConfig) -> list[tuple[str, str]]:
    """The columns a record or statement source reads: ``(column, what it is for)``
    (``record_id``, ``updated_at``, ``deleted``, ``fields.<name>``, ``consent.<purpose>``;
    a consent source's statement fields)."""
    if source.kind == "consent":
        return [(column, column) for column in _STATEMENT_COLUMNS]
    wanted: list[tuple[str, str]] = []
    if source.record_id:
        wanted.append((source.record_id, "record_id"))
    if source.updated_at is not None:
        wanted.append((source.updated_at.column, "updated_at"))
    if source.deleted:
        wanted.append((source.deleted, "deleted"))
    wanted += [(m.column, f"fields.{name}") for name, m in source.fields.items()]
    wanted += [(c.column, f"consent.{purpose}") for purpose, c in source.consent.items()]
    return wanted


def missing_columns(header: Sequence[str], source: SourceConfig) -> list[tuple[str, str]]:
    """The :func:`source_columns` a CSV ``header`` lacks.

    A file without its record id column has every record quarantined; one without a mapped
    field has that field empty in every record: both are usually a wrong delimiter, a file
    without a header row, or a renamed export column, which the caller reports once per file.
    """
    present = set(header)
    return [(column, role) for column, role in source_columns(source) if column not in present]


def unwrap_change(
    obj: Mapping[str, Any],
) -> tuple[Mapping[str, Any], bool, datetime | None] | None:
    """``(row, is_delete, ts)`` of a change event, None when ``obj`` is a plain record.

    Raises :class:`InvalidInputError` (``schema``) for a change event without its image.
    """
    envelope = obj
    inner = obj.get("payload")
    if isinstance(inner, Mapping) and "op" in inner and "op" not in obj:
        envelope = inner
    op = envelope.get("op")
    if not isinstance(op, str) or not ("after" in envelope or "before" in envelope):
        return None
    if op not in CDC_OPS:
        raise InvalidInputError("op", "unknown change operation", error_type="schema")
    ts: datetime | None = None
    ts_ms = envelope.get("ts_ms")
    if isinstance(ts_ms, int) and not isinstance(ts_ms, bool):
        try:
            ts = _EPOCH + timedelta(milliseconds=ts_ms)
        except OverflowError:
            raise InvalidInputError(
                "ts_ms", "timestamp out of range", error_type="bad_format"
            ) from None
    image = envelope.get("before" if op == "d" else "after")
    if image is None and op == "d":
        image = {}
    if not isinstance(image, Mapping):
        side = "before" if op == "d" else "after"
        raise InvalidInputError(side, "the change event has no record image", error_type="schema")
    return image, op == "d", ts


class JsonObjectProcessor:
    """One JSON object per input, to :meth:`add_row`; anything else refused with its reason.

    Shared by the record and the consent-statement processors (``what`` names the input in
    the ``schema`` rejection).
    """

    source: str
    what: ClassVar[str] = "record"

    def add_payload(
        self,
        builder: OutcomeBuilder,
        payload: bytes,
        *,
        seq: int,
        ref: str,
        received_at: datetime,
    ) -> None:
        """One JSON object (a line of a JSON-lines file, a Kafka message, a landed item)."""
        value, rejection = decode_json(payload)
        if rejection is None and not isinstance(value, dict):
            rejection = Rejection("schema", f"a {self.what} must be a JSON object", None, "parse")
        if rejection is not None:
            self.reject(
                builder, rejection, payload=payload, seq=seq, ref=ref, received_at=received_at
            )
            return
        self.add_row(builder, value, payload=payload, seq=seq, ref=ref, received_at=received_at)

    def reject(
        self,
        builder: OutcomeBuilder,
        rejection: Rejection,
        *,
        payload: bytes | None,
        seq: int,
        ref: str,
        received_at: datetime,
    ) -> None:
        """One refused input."""
        builder.cover(seq)
        builder.add_rejection(
            rejection,
            source=self.source,
            received_at=received_at,
            payload=payload,
            record_ref=ref,
            seq=seq,
        )

    def add_row(
        self,
        builder: OutcomeBuilder,
        row: Mapping[str, Any],
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
        changes: bool = True,
    ) -> None:
        raise NotImplementedError


class RecordProcessor(JsonObjectProcessor):
    """Rows of the inputs of one record source (see the module documentation)."""

    def __init__(self, source: SourceConfig, consent: ConsentRows, options: IngestOptions) -> None:
        self.config = source
        self.source = source.name
        self.options = options
        self.consent = consent
        self._delete_config = (
            source if source.deleted else source.model_copy(update={"deleted": _DELETED_MARK})
        )
        self._consent_columns = {
            purpose: (c.column, c.true_means) for purpose, c in source.consent.items()
        }

    def add_row(
        self,
        builder: OutcomeBuilder,
        row: Mapping[str, Any],
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
        changes: bool = True,
    ) -> None:
        """One parsed record: a CSV/Parquet row, a JSON object or (``changes``) a change event."""
        try:
            record, image = self._map(row, changes)
        except InvalidInputError as e:
            stage = "validate" if e.error_type in ("bad_json", "schema") else "map"
            self.reject(
                builder,
                Rejection.from_error(e, stage=stage),
                payload=payload,
                seq=seq,
                ref=ref,
                received_at=received_at,
            )
            return
        builder.cover(seq)
        event = record_event_row(record, received_at=received_at)
        if not builder.add_event(tuple(event[c] for c in EVENT_TABLE_COLUMNS), seq):
            return  # the same record version again in this chunk: a duplicate
        builder.add_identity(record.to_identity_row(), event_id=event["event_id"], seq=seq)
        if not record.deleted and self._consent_columns:
            self._add_consent(builder, record, image, event["event_id"], seq, received_at)

    def _map(self, obj: Mapping[str, Any], changes: bool) -> tuple[SourceRecord, Mapping[str, Any]]:
        change = unwrap_change(obj) if changes else None
        if change is None:
            return map_record(obj, self.config), obj
        image, is_delete, ts = change
        if not is_delete:
            record = map_record(image, self.config)
            if record.updated_at is None and ts is not None:
                record = record.model_copy(update={"updated_at": ts})
            return record, image
        config = self._delete_config
        marked = {**image, config.deleted or _DELETED_MARK: True}
        record = map_record(marked, config)
        version = record.updated_at
        if ts is not None and (version is None or ts > version):
            version = ts
        return record.model_copy(update={"deleted": True, "updated_at": version}), image

    def _add_consent(
        self,
        builder: OutcomeBuilder,
        record: SourceRecord,
        image: Mapping[str, Any],
        event_id: str,
        seq: int,
        received_at: datetime,
    ) -> None:
        captured_at = record.updated_at or received_at
        for purpose, flag in record.consent.items():
            column, true_means = self._consent_columns[purpose]
            status = consent_status_from_flag(flag, true_means=true_means)
            if status is None or not self.consent.known(purpose):
                continue
            raw = image.get(column)
            statement = self.consent.row(
                subject_type=self.source,
                subject_value=record.source_record_id,
                purpose=purpose,
                status=status,
                captured_at=captured_at,
                source=self.source,
                method="crm_flag",
                evidence={"column": column, "value": raw if _plain(raw) else str(raw)},
                recorded_at=builder.ingested_at,
            )
            builder.add_consent(statement, event_id=event_id, seq=seq)


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
