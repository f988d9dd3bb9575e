"""Processing: chunks of raw inputs into :class:`~cdp.ingest.outcome.Outcome` rows.

A *chunk* is what a source emits at once, all from one *stream* (the exactly-once unit: a file,
a landing lane, a Kafka partition) in order:

* :class:`FileChunk` - records of a file (:mod:`cdp.ingest.readers`) of one configured source;
* :class:`LandingChunk` - entries of one lane of the collector's landing log;
* :class:`MessageChunk` - messages of one Kafka partition of one source.

:class:`Processor` turns a chunk into one outcome; every input becomes exactly one ``events`` or
``quarantine`` row (a batch body: one per item). An input that makes the processing code itself
fail (a bug, never a bad input) is quarantined as ``internal`` rather than stopping the flow.

The one-input functions :func:`process_record`, :func:`process_message` and
:func:`process_landing_entry` return the outcome of a single input (for tests and tools).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import orjson

from cdp.ingest.columnar import add_plain_lines
from cdp.ingest.consent import ConsentRows
from cdp.ingest.errors import UnsupportedSourceError
from cdp.ingest.options import IngestOptions
from cdp.ingest.outcome import Outcome, OutcomeBuilder, Rejection, stable_id
from cdp.ingest.readers import InputBatch, RawInput
from cdp.ingest.records import RecordProcessor
from cdp.ingest.statements import StatementProcessor
from cdp.ingest.web import WebProcessor

if TYPE_CHECKING:
    from cdp.config import Settings
    from cdp.landing import LandingEntry, LandingPosition

__all__ = [
    "Chunk",
    "FileChunk",
    "LandingChunk",
    "MessageChunk",
    "MessageInput",
    "Processor",
    "landing_seq",
    "landing_stream",
    "process_landing_entry",
    "process_message",
    "process_record",
    "seq_position",
]

logger = logging.getLogger(__name__)

_OFFSET_BITS: Final = 40
_CONTENT_TYPES: Final = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
_MESSAGE_ROUTES: Final = frozenset({"identify", "track", "page", "screen", "group", "alias"})


def landing_seq(position: LandingPosition) -> int:
    """The exactly-once sequence number of a landing position (``segment << 40 | offset``)."""
    return (position.segment << _OFFSET_BITS) | position.offset


def seq_position(seq: int) -> tuple[int, int]:
    """``(segment, offset)`` of a landing sequence number (inverse of :func:`landing_seq`)."""
    return seq >> _OFFSET_BITS, seq & ((1 << _OFFSET_BITS) - 1)


def landing_stream(lane: str) -> str:
    """The stream id of a landing lane."""
    return f"landing:{lane}"


@dataclass(frozen=True, slots=True)
class FileChunk:
    """Consecutive records of one file of ``source`` (``stream`` names the file)."""

    source: str
    stream: str
    format: str
    inputs: Sequence[RawInput]
    #: archived web files carry the server's ``receivedAt`` per message: use it
    trust_received_at: bool = True
    #: the payloads' media type when not the format's usual one (a CSV file's charset)
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class LandingChunk:
    """Consecutive entries of one landing lane: ``(position, entry)`` pairs."""

    lane: str
    entries: Sequence[tuple[LandingPosition, LandingEntry]]

    @property
    def stream(self) -> str:
        return landing_stream(self.lane)


@dataclass(frozen=True, slots=True)
class MessageInput:
    """One message of a message broker: its sequence number, bytes, reference and time."""

    seq: int
    payload: bytes | None
    ref: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageChunk:
    """Consecutive messages of one partition (``stream``) of a broker topic of ``source``."""

    source: str
    stream: str
    messages: Sequence[MessageInput] = field(default_factory=list)


Chunk = FileChunk | LandingChunk | MessageChunk


class Processor:
    """Turns chunks of any configured source into outcomes (one per configuration)."""

    def __init__(self, settings: Settings, options: IngestOptions | None = None) -> None:
        self.settings = settings
        self.options = options or IngestOptions()
        self._consent = ConsentRows(settings)
        self._web: dict[str, WebProcessor] = {}
        self._records: dict[str, RecordProcessor | StatementProcessor] = {}

    # -- per source ------------------------------------------------------------------------

    def is_web(self, source: str) -> bool:
        """Whether ``source`` sends Segment-spec messages (``kind: web``)."""
        return self.settings.source(source).kind == "web"

    def web(self, source: str) -> WebProcessor:
        found = self._web.get(source)
        if found is None:
            config = self.settings.source(source)
            if config.kind != "web":
                raise UnsupportedSourceError(f"source {source} does not send web messages")
            found = self._web[source] = WebProcessor(self.settings, source, self.options)
        return found

    def records(self, source: str) -> RecordProcessor | StatementProcessor:
        found = self._records.get(source)
        if found is None:
            config = self.settings.source(source)
            if config.kind == "web":
                raise UnsupportedSourceError(f"source {source} sends web messages, not records")
            if config.kind == "consent":
                found = StatementProcessor(self.settings, config, self._consent, self.options)
            else:
                found = RecordProcessor(config, self._consent, self.options)
            self._records[source] = found
        return found

    # -- chunks ----------------------------------------------------------------------------

    def process(self, chunk: Chunk, *, now: datetime | None = None) -> Outcome:
        """The outcome of one chunk."""
        now = now or datetime.now(UTC)
        if isinstance(chunk, FileChunk):
            return self._file(chunk, now)
        if isinstance(chunk, LandingChunk):
            return self._landing(chunk, now)
        return self._messages(chunk, now)

    def _builder(self, stream: str, source: str, first_seq: int, now: datetime) -> OutcomeBuilder:
        batch = stable_id(stream, first_seq)[:16]
        return OutcomeBuilder(stream=stream, source=source, ingested_at=now, batch_id=batch)

    def _file(self, chunk: FileChunk, now: datetime) -> Outcome:
        inputs = chunk.inputs
        builder = self._builder(chunk.stream, chunk.source, inputs[0].seq if inputs else 0, now)
        content_type = chunk.content_type or _CONTENT_TYPES.get(chunk.format)
        keep_raw = self.options.keep_raw
        source = chunk.source
        if self.is_web(source):

            def failed(seq: int, payload: bytes, ref: str, error: BaseException) -> None:
                self._internal(builder, source, seq, payload, ref, now, error)

            def failed_in(
                into: OutcomeBuilder, seq: int, payload: bytes, ref: str, error: BaseException
            ) -> None:
                self._internal(into, source, seq, payload, ref, now, error)

            web = self.web(source)
            if not (
                self.options.columnar
                and isinstance(inputs, InputBatch)
                and add_plain_lines(
                    web,
                    builder,
                    inputs,
                    received_at=now,
                    trust_received_at=chunk.trust_received_at,
                    content_type=content_type,
                    keep_raw=keep_raw,
                    on_error=failed_in,
                )
            ):
                web.add_inputs(
                    builder,
                    inputs,
                    received_at=now,
                    trust_received_at=chunk.trust_received_at,
                    content_type=content_type,
                    keep_raw=keep_raw,
                    on_error=failed,
                )
        else:
            records = self.records(source)
            changes = chunk.format != "csv"
            for inp in inputs:
                try:
                    if inp.rejection is not None:
                        records.reject(
                            builder,
                            inp.rejection,
                            payload=inp.payload,
                            seq=inp.seq,
                            ref=inp.ref,
                            received_at=now,
                        )
                    elif inp.value is not None:
                        records.add_row(
                            builder,
                            inp.value,
                            payload=inp.payload,
                            seq=inp.seq,
                            ref=inp.ref,
                            received_at=now,
                            changes=changes,
                        )
                    else:
                        records.add_payload(
                            builder, inp.payload, seq=inp.seq, ref=inp.ref, received_at=now
                        )
                except Exception as e:
                    self._internal(builder, source, inp.seq, inp.payload, inp.ref, now, e)
                if keep_raw:
                    builder.add_raw(
                        raw_id=builder.raw_id(inp.seq),
                        source=source,
                        received_at=now,
                        content_type=content_type,
                        payload=inp.payload,
                        seq=inp.seq,
                    )
        return builder.build()

    def _landing(self, chunk: LandingChunk, now: datetime) -> Outcome:
        entries = chunk.entries
        first = landing_seq(entries[0][0]) if entries else 0
        builder = self._builder(chunk.stream, "landing", first, now)
        for position, entry in entries:
            seq = landing_seq(position)
            ref = f"{chunk.lane}:{position.segment}:{position.offset}"
            try:
                self._entry(builder, entry, seq, ref)
            except Exception as e:
                self._internal(builder, entry.source or "landing", seq, entry.payload, ref, now, e)
            if self.options.keep_raw:
                builder.add_raw(
                    raw_id=entry.entry_id,
                    source=entry.source or "unknown",
                    received_at=entry.received_at,
                    content_type=entry.content_type or None,
                    payload=entry.payload,
                    seq=seq,
                )
        return builder.build()

    def _entry(self, builder: OutcomeBuilder, entry: LandingEntry, seq: int, ref: str) -> None:
        received_at = entry.received_at
        source = entry.source
        config = self.settings.sources.get(source)
        if entry.route == "rejected":
            rejection = Rejection(
                entry.meta.get("error_type") or "schema",
                entry.meta.get("error") or "rejected by the collector",
                None,
                "collector",
            )
            self._reject_any(
                builder, source or "unknown", rejection, entry.payload, seq, ref, received_at
            )
            return
        if config is not None and config.kind == "consent" and entry.route == "consent":
            # a statement landed by the API for a consent source (cdp.ingest.statements)
            self.records(source).add_payload(
                builder, entry.payload, seq=seq, ref=ref, received_at=received_at
            )
            return
        if config is None or config.kind != "web":
            rejection = Rejection(
                "unknown_source", "no configured web source for this entry", "source", "route"
            )
            self._reject_any(
                builder, source or "unknown", rejection, entry.payload, seq, ref, received_at
            )
            return
        route = entry.route
        if route != "batch" and route not in _MESSAGE_ROUTES:
            rejection = Rejection("unknown_type", "unknown landing route", "route", "route")
            self._reject_any(builder, source, rejection, entry.payload, seq, ref, received_at)
            return
        self.web(source).add_payload(
            builder,
            entry.payload,
            seq=seq,
            ref=ref,
            received_at=received_at,
            type_hint=route,
            trust_received_at=False,
            gpc=entry.meta.get("gpc") == "1",
        )

    def _messages(self, chunk: MessageChunk, now: datetime) -> Outcome:
        messages = chunk.messages
        builder = self._builder(chunk.stream, chunk.source, messages[0].seq if messages else 0, now)
        source = chunk.source
        web = self.is_web(source)
        for message in messages:
            received_at = message.timestamp or now
            payload = message.payload if message.payload is not None else b""
            try:
                if web:
                    self.web(source).add_payload(
                        builder,
                        payload,
                        seq=message.seq,
                        ref=message.ref,
                        received_at=received_at,
                        trust_received_at=True,
                    )
                else:
                    self.records(source).add_payload(
                        builder, payload, seq=message.seq, ref=message.ref, received_at=received_at
                    )
            except Exception as e:
                self._internal(builder, source, message.seq, payload, message.ref, now, e)
            if self.options.keep_raw:
                builder.add_raw(
                    raw_id=builder.raw_id(message.seq),
                    source=source,
                    received_at=received_at,
                    content_type="application/json",
                    payload=payload,
                    seq=message.seq,
                )
        return builder.build()

    def reject_chunk(self, chunk: Chunk, rejection: Rejection) -> Outcome:
        """Every input of ``chunk`` quarantined with ``rejection`` (when processing it failed).

        A batch body counts as one input here: the rows keep the whole body.
        """
        now = datetime.now(UTC)
        if isinstance(chunk, FileChunk):
            items: list[tuple[int, str, bytes | None, str, datetime]] = [
                (i.seq, chunk.source, i.payload, i.ref, now) for i in chunk.inputs
            ]
        elif isinstance(chunk, LandingChunk):
            items = [
                (
                    landing_seq(p),
                    e.source or "unknown",
                    e.payload,
                    f"{chunk.lane}:{p.segment}:{p.offset}",
                    e.received_at,
                )
                for p, e in chunk.entries
            ]
        else:
            items = [(m.seq, chunk.source, m.payload, m.ref, now) for m in chunk.messages]
        builder = self._builder(chunk.stream, "landing", items[0][0] if items else 0, now)
        for seq, source, payload, ref, received_at in items:
            self._reject_any(builder, source, rejection, payload or b"", seq, ref, received_at)
        return builder.build()

    # -- rejections ------------------------------------------------------------------------

    def _reject_any(
        self,
        builder: OutcomeBuilder,
        source: str,
        rejection: Rejection,
        payload: bytes,
        seq: int,
        ref: str,
        received_at: datetime,
    ) -> None:
        builder.cover(seq)
        builder.add_rejection(
            rejection,
            source=source,
            received_at=received_at,
            payload=payload,
            record_ref=ref,
            seq=seq,
        )

    def _internal(
        self,
        builder: OutcomeBuilder,
        source: str,
        seq: int,
        payload: bytes | None,
        ref: str,
        now: datetime,
        error: BaseException,
    ) -> None:
        """Quarantine an input whose processing failed unexpectedly (never lose it)."""
        # the exception text may quote the input: log its type only
        logger.error(
            "processing failed for an input of source %s (%s): %s",
            source,
            ref,
            type(error).__name__,
        )
        builder.drop_input(seq)
        builder.cover(seq)
        builder.add_rejection(
            Rejection("internal", "processing failed; see the logs", None, "process"),
            source=source,
            received_at=now,
            payload=payload,
            record_ref=ref,
            seq=seq,
        )


# -- one input ---------------------------------------------------------------------------------

_PROCESSORS: dict[int, Processor] = {}


def _processor(settings: Settings, options: IngestOptions | None) -> Processor:
    if options is not None:
        return Processor(settings, options)
    found = _PROCESSORS.get(id(settings))
    if found is None or found.settings is not settings:
        if len(_PROCESSORS) > 16:
            _PROCESSORS.clear()
        found = _PROCESSORS[id(settings)] = Processor(settings)
    return found


def process_record(
    settings: Settings,
    source: str,
    record: Mapping[str, Any] | bytes,
    *,
    seq: int = 1,
    ref: str = "input",
    stream: str = "adhoc",
    received_at: datetime | None = None,
    options: IngestOptions | None = None,
) -> Outcome:
    """The outcome of one record of a record source: a mapping (a row, a change event) or JSON."""
    now = received_at or datetime.now(UTC)
    proc = _processor(settings, options)
    records = proc.records(source)
    builder = proc._builder(stream, source, seq, now)
    if isinstance(record, bytes | bytearray):
        records.add_payload(builder, bytes(record), seq=seq, ref=ref, received_at=now)
    else:
        payload = orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)
        records.add_row(builder, record, payload=payload, seq=seq, ref=ref, received_at=now)
    return builder.build()


def process_message(
    settings: Settings,
    source: str,
    body: Mapping[str, Any] | bytes,
    *,
    type_hint: str | None = None,
    seq: int = 1,
    ref: str = "input",
    stream: str = "adhoc",
    received_at: datetime | None = None,
    trust_received_at: bool = False,
    options: IngestOptions | None = None,
) -> Outcome:
    """The outcome of one web body: a message or a batch (each item an input), dict or JSON."""
    now = received_at or datetime.now(UTC)
    proc = _processor(settings, options)
    web = proc.web(source)
    builder = proc._builder(stream, source, seq, now)
    if isinstance(body, bytes | bytearray):
        web.add_payload(
            builder,
            bytes(body),
            seq=seq,
            ref=ref,
            received_at=now,
            type_hint=type_hint,
            trust_received_at=trust_received_at,
        )
    else:
        web.add_document(
            builder,
            dict(body),
            payload=orjson.dumps(body, default=str),
            seq=seq,
            ref=ref,
            received_at=now,
            type_hint=type_hint,
            trust_received_at=trust_received_at,
        )
    return builder.build()


def process_landing_entry(
    settings: Settings,
    entry: LandingEntry,
    *,
    lane: str,
    position: LandingPosition,
    options: IngestOptions | None = None,
) -> Outcome:
    """The outcome of one landed request (a message, a batch or a rejected request)."""
    return _processor(settings, options).process(LandingChunk(lane, [(position, entry)]))
