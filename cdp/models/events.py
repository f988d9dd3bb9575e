"""The unified event: one row of the ``events`` table, built from a message or a record.

:func:`event_from_message` (web):

* ``event_id`` is the ``messageId`` (the dedup key); a message without one gets the sha256
  of its canonical JSON (wire names, sorted keys), so a retried body keeps its id.
* ``source_record_id`` is ``userId``, else ``anonymousId`` (the web identity key).
* ``event_name``: the ``event`` of a track, the ``name`` of a page or screen, else None.
* ``occurred_at`` is corrected for the client's clock: with ``sentAt`` and a client time
  (``timestamp``, else ``originalTimestamp``) it is ``received_at - (sentAt - client
  time)``; with a client time only it is that time; otherwise ``received_at``.
* ``properties``: a track's, page's or screen's properties; for a group ``{"groupId": ...}``
  and for an alias ``{"previousId": ...}`` so that the ids are not lost. ``traits``: an
  identify's or group's traits. ``context``: the message context.

:func:`event_from_record` (CRM/ERP): ``event_type`` ``record``, ``event_name`` ``upsert`` or
``delete``, ``occurred_at`` the record's ``updated_at`` (else ``received_at``), and no
properties (personal data lives in ``identity_records``, not in events). ``event_id`` is the
sha256 (hex) of ``"{source}\\x1f{record id}\\x1f{version}"`` where the version is
``updated_at.isoformat()``; two refinements keep dedup from dropping real changes: a delete
appends ``"\\x1fdelete"`` (a delete may carry the version of the last upsert), and a record
without ``updated_at`` uses ``"sha256:" +`` a digest of its identity row and attributes as its
version (re-ingesting the same file repeats the id, a changed record gets a new one).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cdp.models._json import canonical_json
from cdp.models.messages import Alias, Group, Identify, Message, Page, Screen, Track
from cdp.models.records import SourceRecord

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "EventType",
    "UnifiedEvent",
    "event_from_message",
    "event_from_record",
    "record_event_id",
    "record_event_row",
]

logger = logging.getLogger(__name__)

EventType = Literal["identify", "track", "page", "screen", "group", "alias", "record"]
EVENT_TYPES: Final[tuple[str, ...]] = (
    "identify",
    "track",
    "page",
    "screen",
    "group",
    "alias",
    "record",
)
#: Columns of :meth:`UnifiedEvent.to_row` (the ``events`` table), in order.
EVENT_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "source",
    "event_type",
    "event_name",
    "occurred_at",
    "event_date",
    "received_at",
    "sent_at",
    "source_record_id",
    "user_id",
    "anonymous_id",
    "message_id",
    "properties",
    "traits",
    "context",
)
_SEP: Final = "\x1f"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UnifiedEvent(BaseModel):
    """One event as stored in the ``events`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    event_id: str
    source: str
    event_type: EventType
    event_name: str | None = None
    occurred_at: datetime
    received_at: datetime
    sent_at: datetime | None = None
    source_record_id: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None
    message_id: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)

    @property
    def event_date(self) -> date:
        """The UTC date of ``occurred_at`` (the table's partition column)."""
        return _utc(self.occurred_at).date()

    def to_row(self) -> dict[str, Any]:
        """Flat row (:data:`EVENT_COLUMNS`); properties, traits, context as JSON strings."""
        return {
            "event_id": self.event_id,
            "source": self.source,
            "event_type": self.event_type,
            "event_name": self.event_name,
            "occurred_at": self.occurred_at,
            "event_date": self.event_date,
            "received_at": self.received_at,
            "sent_at": self.sent_at,
            "source_record_id": self.source_record_id,
            "user_id": self.user_id,
            "anonymous_id": self.anonymous_id,
            "message_id": self.message_id,
            "properties": canonical_json(self.properties),
            "traits": canonical_json(self.traits),
            "context": canonical_json(self.context),
        }


def _message_event_id(msg: Message) -> str:
    if msg.message_id:
        return msg.message_id
    return hashlib.sha256(canonical_json(msg.to_wire()).encode()).hexdigest()


def _occurred_at(msg: Message, received_at: datetime) -> datetime:
    client_time = msg.timestamp or msg.original_timestamp
    if client_time is not None and msg.sent_at is not None:
        return received_at - (msg.sent_at - client_time)
    if client_time is not None:
        return client_time
    return received_at


def event_from_message(msg: Message, *, source: str, received_at: datetime) -> UnifiedEvent:
    """The unified event of a validated Segment message (see the module documentation)."""
    received_at = _utc(received_at)
    name: str | None = None
    properties: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    if isinstance(msg, Track):
        name, properties = msg.event, msg.properties
    elif isinstance(msg, Page | Screen):
        name, properties = msg.name, msg.properties
    elif isinstance(msg, Identify):
        traits = msg.traits
    elif isinstance(msg, Group):
        traits, properties = msg.traits, {"groupId": msg.group_id}
    elif isinstance(msg, Alias):
        properties = {"previousId": msg.previous_id}
    return UnifiedEvent(
        event_id=_message_event_id(msg),
        source=source,
        event_type=msg.type,
        event_name=name,
        occurred_at=_occurred_at(msg, received_at),
        received_at=received_at,
        sent_at=msg.sent_at,
        source_record_id=msg.user_id or msg.anonymous_id,
        user_id=msg.user_id,
        anonymous_id=msg.anonymous_id,
        message_id=msg.message_id,
        properties=properties,
        traits=traits,
        context=msg.context,
    )


def _record_version(rec: SourceRecord) -> str:
    if rec.updated_at is not None:
        return rec.updated_at.isoformat()
    row = rec.to_identity_row()
    content = canonical_json([row[k] for k in sorted(row) if k != "updated_at"])
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()


def record_event_id(rec: SourceRecord) -> str:
    """The ``event_id`` of a record's event (see the module documentation)."""
    key = _SEP.join((rec.source, rec.source_record_id, _record_version(rec)))
    if rec.deleted:
        key += _SEP + "delete"
    return hashlib.sha256(key.encode()).hexdigest()


def _record_event_fields(rec: SourceRecord, received_at: datetime) -> dict[str, Any]:
    received_at = _utc(received_at)
    return {
        "event_id": record_event_id(rec),
        "source": rec.source,
        "event_type": "record",
        "event_name": "delete" if rec.deleted else "upsert",
        "occurred_at": _utc(rec.updated_at) if rec.updated_at else received_at,
        "received_at": received_at,
        "sent_at": None,
        "source_record_id": rec.source_record_id,
        "user_id": rec.user_id,
        "anonymous_id": rec.anonymous_id,
        "message_id": None,
        "properties": {},
        "traits": {},
        "context": {},
    }


def event_from_record(rec: SourceRecord, *, received_at: datetime) -> UnifiedEvent:
    """The unified event of a mapped CRM/ERP record: an upsert or a delete."""
    return UnifiedEvent(**_record_event_fields(rec, received_at))


def record_event_row(rec: SourceRecord, *, received_at: datetime) -> dict[str, Any]:
    """``event_from_record(rec, received_at=received_at).to_row()``, without building the
    model (the ingest's path, once per record): every field is made above, typed as the model
    would have it."""
    row = _record_event_fields(rec, received_at)
    row["event_date"] = row["occurred_at"].date()  # (UTC already)
    row["properties"] = row["traits"] = row["context"] = "{}"
    return row
