"""Web (Segment-spec) inputs: messages and batches into events, identities and consent.

:class:`WebProcessor` turns one message body, one batch body (each item an input) or one JSON
line into rows of an :class:`~cdp.ingest.outcome.OutcomeBuilder`:

* ``events``: :func:`cdp.models.event_from_message` of :func:`cdp.models.parse_message` (the
  batch's ``context``/``integrations`` merged into each item as :func:`cdp.models.split_batch`
  does; clock-skew correction from ``sentAt``).
* ``identity_records`` for ``identify`` (traits through :func:`cdp.models.identity_from_traits`
  and :meth:`cdp.models.IdentityFields.from_raw`; a message without traits still gives its row,
  versioned by the event's ``occurred_at``) and ``alias`` (``userId`` linked to ``previousId``,
  without a version so that it never replaces an identify's row). ``source_record_id`` is
  ``userId``, else ``anonymousId``. Reserved traits become identity fields, the others
  ``attributes``.
* ``consent_ledger`` rows for consent signals in the context (:mod:`cdp.ingest.consent`).
* ``quarantine`` for every rejected input, with the model error's type and message.

The JSON columns of ``events`` (``properties``, ``traits``, ``context``) keep a message's own
JSON text as sent (:class:`RawSpans`: the client's key order, spacing and number spelling) when
the message is a document on its own (a file line, a Kafka message, a single-message request).
What the product builds (a group's ``{"groupId": ...}``, an alias's ``previousId``, the merged
context of a batch item) is canonical JSON (sorted keys, compact).

**Fast path.** Validating every message with pydantic costs ~40 µs; most messages are plain (ids
as strings, ISO-8601 UTC timestamps, objects where objects belong), and for those
:func:`_fast_message` computes the very same row with a few dict lookups. Anything unusual (a
missing ``messageId``, numeric ids, other timestamp forms, snake_case wire names, a wrong type)
goes through the models, which stay the single source of truth; the tests check that both paths
give identical rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import msgspec
import orjson

from cdp.ingest.consent import (
    ConsentRows,
    decoded_consent_signals,
    has_decoded_signals,
    web_consent_signals,
)
from cdp.ingest.outcome import IDENTITY_ROW_COLUMNS, OutcomeBuilder, Rejection
from cdp.ingest.readers import InputBatch, RawInput
from cdp.models import (
    MAX_BATCH_ITEMS,
    Alias,
    Group,
    Identify,
    IdentityFields,
    InvalidInputError,
    Message,
    SourceRecord,
    event_from_message,
    identity_from_traits,
    parse_message,
    parse_timestamp,
)
from cdp.models._json import canonical_json
from cdp.models.messages import merge_batch_item

if TYPE_CHECKING:
    from cdp.config import Settings
    from cdp.ingest.options import IngestOptions

__all__ = [
    "RESERVED_TRAITS",
    "RawSpans",
    "WebMessage",
    "WebProcessor",
    "decode_json",
    "object_text",
    "raw_spans",
]

logger = logging.getLogger(__name__)

#: Traits :func:`cdp.models.identity_from_traits` reads; the others go to ``attributes``.
RESERVED_TRAITS: Final = frozenset(
    {
        "firstName",
        "first_name",
        "lastName",
        "last_name",
        "name",
        "email",
        "phone",
        "birthday",
        "address",
        "company",
    }
)
_TYPES: Final = frozenset({"identify", "track", "page", "screen", "group", "alias"})
#: message types whose ``properties`` / ``traits`` are the message's own (not built from ids)
_SENT_PROPERTIES: Final = frozenset({"track", "page", "screen"})
_SENT_TRAITS: Final = frozenset({"identify", "group"})
# Wire names pydantic also accepts by attribute name: such bodies take the model path.
_BY_NAME: Final = frozenset(
    {
        "message_id",
        "user_id",
        "anonymous_id",
        "original_timestamp",
        "sent_at",
        "received_at",
        "write_key",
        "group_id",
        "previous_id",
    }
)
_ISO_Z: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")
_JSON: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_EMPTY: Final[dict[str, Any]] = {}
#: The track event analytics.js sends when a visitor changes their consent choice.
_CONSENT_UPDATED: Final = "Segment Consent Preference Updated"
_fromiso = datetime.fromisoformat
#: The identity columns of an ``identity_records`` row (between ``deleted`` and ``user_id``).
_IDENTITY_FIELDS: Final = IDENTITY_ROW_COLUMNS[4:-3]


#: an absent span (a key the message does not have)
_NO_SPAN: Final = msgspec.Raw(b"")
_EMPTY_OBJECT: Final = b"{}"
# JSON that orjson refuses but the standard allows (numbers beyond a double, integers beyond 64
# bits, deep nesting within msgspec's bound): still a document, decoded exactly by msgspec
_LENIENT: Final = msgspec.json.Decoder(float_hook=float)


class _NeedsModelError(Exception):
    """The fast path cannot decide; validate with the models."""


class RawSpans(msgspec.Struct):
    """The JSON text of a message's ``properties``, ``traits`` and ``context`` as sent.

    The ``events`` columns of those names keep this text (lossless: the client's key order,
    number spelling and escapes), not a re-serialization of the parsed value.
    """

    properties: msgspec.Raw = _NO_SPAN
    traits: msgspec.Raw = _NO_SPAN
    context: msgspec.Raw = _NO_SPAN


_SPANS: Final = msgspec.json.Decoder(RawSpans)


def raw_spans(payload: bytes) -> RawSpans | None:
    """The spans of one JSON message document; None when it is not an object."""
    try:
        return _SPANS.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return None


def object_text(span: msgspec.Raw | bytes) -> bytes:
    """The JSON column text of an object-valued key: its text as sent; ``{}`` when absent/null.

    Only for a key whose value was validated to be an object or null.
    """
    text = bytes(span)
    return text if text[:1] == b"{" else _EMPTY_OBJECT


def decode_json(payload: bytes) -> tuple[Any, Rejection | None]:
    """``(value, None)`` for a JSON document, ``(None, rejection)`` for bad JSON or encoding."""
    try:
        return orjson.loads(payload), None
    except orjson.JSONDecodeError:
        try:
            return _LENIENT.decode(payload), None
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            pass
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            return None, Rejection("bad_encoding", "not valid UTF-8", None, "parse")
        return None, Rejection("bad_json", "not valid JSON", None, "parse")


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_JSON)
    except TypeError:
        return canonical_json(value).encode()


def _ts(value: Any) -> datetime | None:
    # only "...Z" ASCII strings that fromisoformat reads: parse_timestamp gives the same UTC
    # instant for them (its stripping, epoch and zone-word rules cannot apply)
    if value is None:
        return None
    if type(value) is str and value[-1:] == "Z" and value.isascii():
        try:
            return _fromiso(value)
        except ValueError:
            pass
    raise _NeedsModelError


def _obj(value: Any) -> dict[str, Any]:
    if value is None:
        return _EMPTY
    if type(value) is dict:
        return value
    raise _NeedsModelError


def _opt_id(value: Any) -> str | None:
    """A non-blank string or None; anything else needs the model's slow path."""
    if value is None:
        return None
    if type(value) is str and value.strip():
        return value
    raise _NeedsModelError


@dataclass(slots=True)
class WebMessage:
    """The parts of a validated message the rows need (from either path)."""

    type: str
    message_id: str | None
    user_id: str | None
    anonymous_id: str | None
    event_id: str
    occurred_at: datetime
    context: dict[str, Any]
    traits: dict[str, Any]
    previous_id: str | None
    event_row: tuple[Any, ...]
    #: the message's properties (track, page, screen), for consent signals in them
    properties: dict[str, Any]


def _fast_message(
    obj: dict[str, Any],
    type_hint: str | None,
    source: str,
    received_at: datetime,
    trust_received_at: bool = False,
    spans: RawSpans | None = None,
) -> WebMessage:
    """The message of a plain body exactly as the model path computes it, else raises.

    With ``trust_received_at`` the message's own ``receivedAt`` (when set) is the receipt time.
    With the ``spans`` of the body (a message sent on its own, not an item of a batch) the JSON
    columns keep the text as sent.
    """
    get = obj.get
    kind = get("type")
    if kind is None:
        if type_hint is None:
            raise _NeedsModelError
        kind = type_hint
    elif type(kind) is not str or kind not in _TYPES or (type_hint and kind != type_hint):
        raise _NeedsModelError
    if not _BY_NAME.isdisjoint(obj):
        raise _NeedsModelError
    message_id = get("messageId")
    if type(message_id) is not str or not message_id.strip():
        raise _NeedsModelError  # no id: the event id is a digest of the validated message
    user_id = _opt_id(get("userId"))
    anonymous_id = _opt_id(get("anonymousId"))
    if user_id is None and anonymous_id is None:
        raise _NeedsModelError
    timestamp = _ts(get("timestamp"))
    original = _ts(get("originalTimestamp"))
    sent_at = _ts(get("sentAt"))
    own_received_at = _ts(get("receivedAt"))
    if trust_received_at and own_received_at is not None:
        received_at = own_received_at
    context = _obj(get("context"))
    _obj(get("integrations"))
    version = get("version")
    if version is not None and type(version) is not int and type(version) is not str:
        raise _NeedsModelError
    for key in ("channel", "writeKey"):
        value = get(key)
        if value is not None and type(value) is not str:
            raise _NeedsModelError

    name: str | None = None
    properties: dict[str, Any] = _EMPTY
    traits: dict[str, Any] = _EMPTY
    previous_id: str | None = None
    if kind == "track":
        name = get("event")
        if type(name) is not str or not name.strip():
            raise _NeedsModelError
        properties = _obj(get("properties"))
    elif kind == "page" or kind == "screen":
        name = _opt_id(get("name"))
        _opt_id(get("category"))
        properties = _obj(get("properties"))
    elif kind == "identify":
        traits = _obj(get("traits"))
    elif kind == "group":
        group_id = _opt_id(get("groupId"))
        if group_id is None:
            raise _NeedsModelError
        traits = _obj(get("traits"))
        properties = {"groupId": group_id}
    else:  # alias
        previous_id = _opt_id(get("previousId"))
        if user_id is None or previous_id is None:
            raise _NeedsModelError
        properties = {"previousId": previous_id}

    client_time = timestamp or original
    if client_time is not None and sent_at is not None:
        occurred_at = received_at - (sent_at - client_time)
    elif client_time is not None:
        occurred_at = client_time
    else:
        occurred_at = received_at
    row = (
        message_id,
        source,
        kind,
        name,
        occurred_at,
        occurred_at.date(),
        received_at,
        sent_at,
        user_id or anonymous_id,
        user_id,
        anonymous_id,
        message_id,
        *_json_columns(kind, properties, traits, context, spans),
    )
    return WebMessage(
        kind,
        message_id,
        user_id,
        anonymous_id,
        message_id,
        occurred_at,
        context,
        traits,
        previous_id,
        row,
        properties,
    )


def _sent_json(kind: str, spans: RawSpans) -> tuple[bytes | None, bytes | None, bytes]:
    """``(properties, traits, context)`` JSON text as sent of what came from the message
    itself; None for what the product builds (canonical JSON of the validated value)."""
    return (
        object_text(spans.properties) if kind in _SENT_PROPERTIES else None,
        object_text(spans.traits) if kind in _SENT_TRAITS else None,
        object_text(spans.context),
    )


def _json_columns(
    kind: str,
    properties: dict[str, Any],
    traits: dict[str, Any],
    context: dict[str, Any],
    spans: RawSpans | None,
) -> tuple[Any, Any, Any]:
    """``(properties, traits, context)`` JSON of a validated message (see :func:`_sent_json`)."""
    if spans is None:
        return _json(properties), _json(traits), _json(context)
    sent_properties, sent_traits, sent_context = _sent_json(kind, spans)
    return (
        _json(properties) if sent_properties is None else sent_properties,
        _json(traits) if sent_traits is None else sent_traits,
        sent_context,
    )


def _model_message(
    obj: Mapping[str, Any],
    type_hint: str | None,
    source: str,
    received_at: datetime,
    spans: RawSpans | None = None,
) -> WebMessage:
    """The message through the pydantic models (raises :class:`InvalidInputError`)."""
    msg: Message = parse_message(obj, type_hint=type_hint)
    event = event_from_message(msg, source=source, received_at=received_at)
    row = event.to_row()
    traits: dict[str, Any] = msg.traits if isinstance(msg, Identify | Group) else {}
    if spans is not None:  # what came from the message itself: its text as sent
        sent_properties, sent_traits, row["context"] = _sent_json(msg.type, spans)
        if sent_properties is not None:
            row["properties"] = sent_properties
        if sent_traits is not None:
            row["traits"] = sent_traits
    return WebMessage(
        msg.type,
        msg.message_id,
        msg.user_id,
        msg.anonymous_id,
        event.event_id,
        event.occurred_at,
        msg.context,
        traits,
        msg.previous_id if isinstance(msg, Alias) else None,
        (
            row["event_id"],
            row["source"],
            row["event_type"],
            row["event_name"],
            row["occurred_at"],
            row["event_date"],
            row["received_at"],
            row["sent_at"],
            row["source_record_id"],
            row["user_id"],
            row["anonymous_id"],
            row["message_id"],
            row["properties"],
            row["traits"],
            row["context"],
        ),
        _props if isinstance(_props := getattr(msg, "properties", None), dict) else {},
    )


def message_event(
    obj: Mapping[str, Any],
    *,
    source: str,
    received_at: datetime,
    type_hint: str | None = None,
    fast: bool = True,
    spans: RawSpans | None = None,
) -> WebMessage:
    """The validated message of ``obj`` (fast path when possible); raises InvalidInputError.

    ``spans``: those of ``obj`` when it is a message document on its own (see
    :class:`RawSpans`); without them the JSON columns are canonical JSON.
    """
    if fast and type(obj) is dict:
        try:
            return _fast_message(obj, type_hint, source, received_at, spans=spans)
        except _NeedsModelError:
            pass
    return _model_message(obj, type_hint, source, received_at, spans)


class WebProcessor:
    """Rows of web inputs for one web source (see the module documentation)."""

    def __init__(self, settings: Settings, source: str, options: IngestOptions) -> None:
        self.source = source
        self.options = options
        self.consent = ConsentRows(settings)
        self._max_bytes = options.max_message_bytes
        self._gpc_purpose = "advertising" if self.consent.known("advertising") else None
        self._consent_settings = settings.consent
        self._purposes = settings.purposes
        self._trait_cache: dict[bytes | str, tuple[tuple[Any, ...], str]] = {}
        self._cmp_cache: dict[bytes, tuple[tuple[str, dict[str, str], Any], ...]] = {}

    # -- entry points ----------------------------------------------------------------------

    def add_document(
        self,
        builder: OutcomeBuilder,
        doc: Any,
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
        type_hint: str | None = None,
        trust_received_at: bool = False,
        gpc: bool = False,
    ) -> None:
        """One body: a batch (each item an input) or a single message (one input).

        ``received_at`` is the server's receipt time; with ``trust_received_at`` (archived
        files) a message's own ``receivedAt`` is used instead when it has one.
        """
        if isinstance(doc, dict) and (
            type_hint == "batch" or (type_hint is None and "batch" in doc and "type" not in doc)
        ):
            self._add_batch(
                builder,
                doc,
                payload=payload,
                seq=seq,
                ref=ref,
                received_at=received_at,
                trust_received_at=trust_received_at,
                gpc=gpc,
            )
            return
        builder.cover(seq)
        if type_hint == "batch":
            type_hint = None
        if len(payload) > self._max_bytes:
            self._reject(
                builder,
                Rejection("oversize", f"message over {self._max_bytes // 1024} KB", None, "parse"),
                payload,
                seq,
                ref,
                received_at,
            )
            return
        self._add_message(
            builder,
            doc,
            payload=payload,
            seq=seq,
            ref=ref,
            received_at=received_at,
            type_hint=type_hint,
            trust_received_at=trust_received_at,
            gpc=gpc,
            index=-1,
        )

    def add_payload(
        self,
        builder: OutcomeBuilder,
        payload: bytes,
        *,
        seq: int,
        ref: str,
        received_at: datetime,
        type_hint: str | None = None,
        trust_received_at: bool = False,
        gpc: bool = False,
    ) -> None:
        """One JSON body (a line of a file, a Kafka message, a landed request)."""
        doc, rejection = decode_json(payload)
        if rejection is not None:
            builder.cover(seq)
            self._reject(builder, rejection, payload, seq, ref, received_at)
            return
        self.add_document(
            builder,
            doc,
            payload=payload,
            seq=seq,
            ref=ref,
            received_at=received_at,
            type_hint=type_hint,
            trust_received_at=trust_received_at,
            gpc=gpc,
        )

    def add_inputs(
        self,
        builder: OutcomeBuilder,
        inputs: Sequence[RawInput],
        *,
        received_at: datetime,
        trust_received_at: bool,
        content_type: str | None,
        keep_raw: bool,
        on_error: Callable[[int, bytes, str, BaseException], None],
    ) -> None:
        """Many inputs of a file (the hot loop): plain messages take the fast path inline.

        Equivalent to :meth:`add_payload` (or :meth:`reject`) plus a ``raw_events`` row per
        input; an input whose processing raises unexpectedly goes to
        ``on_error(seq, payload, ref, error)``.
        """
        if isinstance(inputs, InputBatch):
            seqs, payloads, rejections = inputs.seqs, inputs.payloads, inputs.rejections
            ref_of = inputs.ref
        else:
            seqs = [i.seq for i in inputs]
            payloads = [i.payload for i in inputs]
            rejections = {n: i.rejection for n, i in enumerate(inputs) if i.rejection}

            def ref_of(index: int) -> str:
                return inputs[index].ref

        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        fast = _fast_message
        spans_of = raw_spans
        accept = self._accept
        source = self.source
        max_bytes = self._max_bytes
        cover = builder.cover
        add_raw = builder.add_raw
        raw_id = builder.raw_id
        for index, (seq, payload) in enumerate(zip(seqs, payloads, strict=True)):
            rejection = rejections.get(index) if rejections else None
            try:
                msg = None
                if rejection is None and len(payload) <= max_bytes:
                    try:
                        doc = loads(payload)
                    except decode_error:
                        doc = None
                    if type(doc) is dict and "batch" not in doc:
                        try:
                            msg = fast(
                                doc,
                                None,
                                source,
                                received_at,
                                trust_received_at,
                                spans=spans_of(payload),
                            )
                        except _NeedsModelError:
                            msg = None
                if msg is not None:
                    cover(seq)
                    accept(builder, msg, seq, gpc=False)
                elif rejection is not None:
                    self.reject(
                        builder,
                        rejection,
                        payload=payload,
                        seq=seq,
                        ref=ref_of(index),
                        received_at=received_at,
                    )
                else:
                    self.add_payload(
                        builder,
                        payload,
                        seq=seq,
                        ref=ref_of(index),
                        received_at=received_at,
                        trust_received_at=trust_received_at,
                    )
            except Exception as e:  # a bug, not a bad input: keep the input
                on_error(seq, payload, ref_of(index), e)
            if keep_raw:
                add_raw(
                    raw_id=raw_id(seq),
                    source=source,
                    received_at=received_at,
                    content_type=content_type,
                    payload=payload,
                    seq=seq,
                )

    def reject(
        self,
        builder: OutcomeBuilder,
        rejection: Rejection,
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
    ) -> None:
        """One input refused before parsing (reader-level, collector-level)."""
        builder.cover(seq)
        self._reject(builder, rejection, payload, seq, ref, received_at)

    # -- internals -------------------------------------------------------------------------

    def _reject(
        self,
        builder: OutcomeBuilder,
        rejection: Rejection,
        payload: bytes | None,
        seq: int,
        ref: str,
        received_at: datetime,
        index: int = -1,
    ) -> None:
        builder.add_rejection(
            rejection,
            source=self.source,
            received_at=received_at,
            payload=payload,
            record_ref=ref if index < 0 else f"{ref}#{index}",
            seq=seq,
            index=index,
        )

    def _add_batch(
        self,
        builder: OutcomeBuilder,
        doc: dict[str, Any],
        *,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
        trust_received_at: bool,
        gpc: bool,
    ) -> None:
        items = doc.get("batch")
        problem: Rejection | None = None
        if not isinstance(items, list):
            problem = Rejection("schema", "batch: must be a list of messages", "batch", "parse")
        elif len(items) > MAX_BATCH_ITEMS:
            problem = Rejection(
                "oversize", f"batch: more than {MAX_BATCH_ITEMS} messages", "batch", "parse"
            )
        if problem is not None or not items:
            # the body itself is the one input (an empty batch holds no message: schema)
            problem = problem or Rejection("schema", "batch: no messages", "batch", "parse")
            builder.cover(seq)
            self._reject(builder, problem, payload, seq, ref, received_at)
            return
        assert isinstance(items, list)
        builder.cover(seq, len(items))
        may_be_big = len(payload) > self._max_bytes
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                self._reject(
                    builder,
                    Rejection(
                        "schema", f"batch.{index}: a message must be a JSON object", None, "parse"
                    ),
                    _json(item),
                    seq,
                    ref,
                    received_at,
                    index,
                )
                continue
            if may_be_big:
                size = len(orjson.dumps(item))
                if size > self._max_bytes:
                    self._reject(
                        builder,
                        Rejection(
                            "oversize",
                            f"batch.{index}: message over {self._max_bytes // 1024} KB",
                            None,
                            "parse",
                        ),
                        orjson.dumps(item),
                        seq,
                        ref,
                        received_at,
                        index,
                    )
                    continue
            merged = merge_batch_item(doc, item)
            self._add_message(
                builder,
                merged,
                payload=None,
                seq=seq,
                ref=ref,
                received_at=received_at,
                type_hint=None,
                trust_received_at=trust_received_at,
                gpc=gpc,
                index=index,
                item=item,
            )

    def _add_message(
        self,
        builder: OutcomeBuilder,
        obj: Any,
        *,
        payload: bytes | None,
        seq: int,
        ref: str,
        received_at: datetime,
        type_hint: str | None,
        trust_received_at: bool,
        gpc: bool,
        index: int,
        item: Any = None,
    ) -> None:
        at = received_at
        if trust_received_at and isinstance(obj, dict):
            at = _own_received_at(obj) or received_at
        # a message on its own keeps its JSON columns as sent; a batch item is merged
        spans = raw_spans(payload) if payload is not None and index < 0 else None
        try:
            msg = message_event(
                obj, source=self.source, received_at=at, type_hint=type_hint, spans=spans
            )
        except InvalidInputError as e:
            rejected = payload if payload is not None else _json(item if item is not None else obj)
            prefix = f"batch.{index}." if index >= 0 else ""
            rejection = Rejection(
                e.error_type, prefix + str(e), (prefix + e.field) if e.field else None, "validate"
            )
            self._reject(builder, rejection, rejected, seq, ref, at, index)
            return
        self._accept(builder, msg, seq, gpc=gpc)

    def _accept(self, builder: OutcomeBuilder, msg: WebMessage, seq: int, *, gpc: bool) -> None:
        """The rows of a valid message: its event, identity and consent statements."""
        if not builder.add_event(msg.event_row, seq):
            return  # the same event again in this chunk: a duplicate
        self.accept_rows(builder, msg, seq, gpc=gpc)

    def accept_rows(
        self, builder: OutcomeBuilder, msg: WebMessage, seq: int, *, gpc: bool = False
    ) -> None:
        """The identity and consent rows of a valid message whose event was just added."""
        kind = msg.type
        if kind == "identify" or kind == "alias":
            self._add_identity(builder, msg, seq)
        context = msg.context
        if context and ("consent" in context or "consentManagement" in context):
            self._add_consent(builder, msg, seq, gpc=False)
        if (context or msg.properties) and has_decoded_signals(context, msg.properties):
            self._add_decoded(builder, msg, seq)
        if gpc:
            self._add_consent(builder, msg, seq, gpc=True)

    def _subject(self, msg: WebMessage) -> tuple[str, str]:
        if msg.user_id:
            return "user_id", msg.user_id
        assert msg.anonymous_id is not None
        return "anonymous_id", msg.anonymous_id

    def _add_decoded(self, builder: OutcomeBuilder, msg: WebMessage, seq: int) -> None:
        """Statements of TC strings and Consent Mode; undecodable ones to quarantine.

        A signal that cannot be used states nothing (never a grant): it gets a ``quarantine``
        row (``bad_consent``, stage ``consent``) beside the message's event, which is kept.
        """
        signals, problems = decoded_consent_signals(
            msg.context, msg.properties, self._consent_settings, self._purposes
        )
        subject_type, subject_value = self._subject(msg)
        seen = builder.memo
        explicit = msg.type == "track" and msg.event_row[3] == _CONSENT_UPDATED
        for signal in signals:
            key = ("decoded", signal.field, subject_type, subject_value)
            fingerprint = _json(signal.raw)
            if not explicit and seen.get(key) == fingerprint:
                continue  # the same choice repeated within the chunk
            seen[key] = fingerprint
            if not signal.statuses:
                continue
            evidence = self.consent.evidence(
                {"field": signal.field, "value": signal.raw, "event_id": msg.event_id}
                | signal.details
            )
            values = self.consent.signal_values(
                subject_type=subject_type,
                subject_value=subject_value,
                statuses=signal.statuses,
                captured_at=msg.occurred_at,
                source=self.source,
                method=signal.method,
                evidence=evidence,
                recorded_at=builder.ingested_at,
            )
            builder.add_consent_values(values, event_id=msg.event_id, seq=seq)
        for n, problem in enumerate(problems):
            rejection = Rejection(
                "bad_consent", f"{problem.field}: {problem.reason}", problem.field, "consent"
            )
            builder.add_rejection(
                rejection,
                source=self.source,
                received_at=builder.ingested_at,
                payload=_json(
                    {"event_id": msg.event_id, "field": problem.field, "value": problem.raw}
                ),
                record_ref=f"event:{msg.event_id}",
                seq=seq,
                tag=f"consent-{msg.event_id[:24]}-{n}",
            )

    def _add_identity(self, builder: OutcomeBuilder, msg: WebMessage, seq: int) -> None:
        key = msg.user_id or msg.anonymous_id
        assert key is not None
        if msg.type == "alias":
            record = SourceRecord(
                source=self.source,
                source_record_id=key,
                updated_at=None,  # never replaces the row of an identify
                user_id=msg.user_id,
                anonymous_id=msg.previous_id,
                attributes={"previousId": msg.previous_id},
            )
            builder.add_identity(record.to_identity_row(), event_id=msg.event_id, seq=seq)
            return
        identity, attributes = self._traits(msg.traits, msg.event_row[13])
        # as SourceRecord(...).to_identity_row(), with the normalized traits cached
        builder.add_identity_values(
            (
                self.source,
                key,
                msg.occurred_at,
                False,
                *identity,
                msg.user_id,
                msg.anonymous_id,
                attributes,
            ),
            event_id=msg.event_id,
            seq=seq,
        )

    def _traits(self, traits: dict[str, Any], key: bytes | str) -> tuple[tuple[Any, ...], str]:
        """Normalized identity columns (in :data:`_IDENTITY_FIELDS` order) and attributes JSON
        of ``traits`` (cached by content)."""
        found = self._trait_cache.get(key)
        if found is None:
            try:
                identity, _issues = IdentityFields.from_raw(identity_from_traits(traits))
            except InvalidInputError:  # pragma: no cover - traits only name known fields
                identity = IdentityFields()
            attributes = {k: v for k, v in traits.items() if k not in RESERVED_TRAITS}
            columns = identity.to_row()
            found = (tuple(map(columns.get, _IDENTITY_FIELDS)), canonical_json(attributes))
            if len(self._trait_cache) >= 50_000:
                self._trait_cache.clear()
            self._trait_cache[key] = found
        return found

    def _add_consent(
        self, builder: OutcomeBuilder, msg: WebMessage, seq: int, *, gpc: bool
    ) -> None:
        """Consent statements of one message; restatements within a chunk are collapsed.

        A subject's CMP choice rides on every message it sends. Within one chunk of inputs a
        statement is recorded for the first message of a subject and whenever the choice
        changes (and for every explicit ``Segment Consent Preference Updated`` event); the same
        choice repeated by the following messages is not a new statement.
        """
        if msg.user_id:
            subject_type, subject_value = "user_id", msg.user_id
        else:
            assert msg.anonymous_id is not None
            subject_type, subject_value = "anonymous_id", msg.anonymous_id
        rows = self.consent
        seen = builder.memo
        if gpc:
            if self._gpc_purpose is None:
                return
            key: tuple[str, ...] = ("gpc", subject_type, subject_value)
            if key in seen:
                return
            seen[key] = b""
            signals: Sequence[tuple[str, dict[str, str], Any]] = [
                ("meta.gpc", {self._gpc_purpose: "objected"}, "1")
            ]
            method = "gpc"
        else:
            context = msg.context
            consent = context.get("consent")
            managed = context.get("consentManagement")
            if consent is None and managed is None:
                return
            fingerprint = _json((consent, managed))
            key = ("cmp", subject_type, subject_value)
            explicit = msg.type == "track" and msg.event_row[3] == _CONSENT_UPDATED
            if not explicit and seen.get(key) == fingerprint:
                return
            seen[key] = fingerprint
            signals = self._cmp_signals(context, fingerprint)
            method = "web_cmp"
        for field, stated, raw in signals:
            values = rows.signal_values(
                subject_type=subject_type,
                subject_value=subject_value,
                statuses=stated,
                captured_at=msg.occurred_at,
                source=self.source,
                method=method,
                evidence=rows.evidence({"field": field, "value": raw, "event_id": msg.event_id}),
                recorded_at=builder.ingested_at,
            )
            builder.add_consent_values(values, event_id=msg.event_id, seq=seq)

    def _cmp_signals(
        self, context: Mapping[str, Any], fingerprint: bytes
    ) -> tuple[tuple[str, dict[str, str], Any], ...]:
        """The CMP signals of ``context`` that state a catalogue purpose, cached by the
        fingerprint of its consent objects (a site's visitors make a handful of choices)."""
        found = self._cmp_cache.get(fingerprint)
        if found is None:
            known = self.consent.known
            found = tuple(
                (field, stated, raw)
                for field, statuses, raw in web_consent_signals(context)
                if (stated := {p: s for p, s in statuses.items() if known(p)})
            )
            if len(self._cmp_cache) >= 10_000:
                self._cmp_cache.clear()
            self._cmp_cache[fingerprint] = found
        return found


def _own_received_at(obj: dict[str, Any]) -> datetime | None:
    """A message's own ``receivedAt`` (archives carry the server time), when it parses."""
    value = obj.get("receivedAt")
    if value is None:
        return None
    if type(value) is str and _ISO_Z.fullmatch(value):
        return _fromiso(value)
    try:
        found = parse_timestamp(value, field="receivedAt")
    except InvalidInputError:
        return None
    return found.astimezone(UTC) if found is not None else None
