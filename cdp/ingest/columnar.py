"""Columnar fast path of JSON-lines web files: a whole chunk of lines at once.

:meth:`cdp.ingest.web.WebProcessor.add_inputs` handles one line after the other; most of its
cost per line is building Python objects (``orjson.loads`` of the whole message, its
``properties`` and ``context`` dumped again as JSON). :func:`add_plain_lines` decodes each line
with msgspec into a typed struct whose string keys are checked by type and whose object-valued
keys (``properties``, ``traits``, ``context``, ``integrations``) stay their raw JSON text - which
is what the ``events`` columns keep (:class:`cdp.ingest.web.RawSpans`) - and does the rest -
validation of ids and timestamps, clock-skew correction, event dates, dedupe within the chunk,
the ``events`` and ``raw_events`` columns - with vectorized Polars/Arrow expressions. Only the
few parts the identity and consent rows read (an identify's traits, a context's consent keys,
parsed once per distinct text) become Python objects.

A line takes this path only when :func:`cdp.ingest.web._fast_message` would accept it with the
very same result: ids as non-blank strings (ASCII-bounded, so that ``str.strip`` needs no
Unicode rules), ``...Z`` timestamps in the strict ISO-8601 form ``YYYY-MM-DDTHH:MM:SS[.f]Z``,
objects where objects belong, valid UTF-8, no TC string or Consent Mode (and no ``\\u`` escape
in the context or properties, which could spell one). Every other line - bad JSON, odd types,
other timestamp forms, batches, oversize lines - goes through
:meth:`~cdp.ingest.web.WebProcessor.add_inputs`, the per-line path, which stays the single
source of truth. If one of those lines turns out to be a valid event (not a rejection), the
order of events within the chunk matters for the dedupe and the consent statements, so the
whole chunk takes the per-line path instead (rare: the fast path's lines are the plain ones).
The tests prove both paths give identical outcomes.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import msgspec
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from cdp.ingest.outcome import OutcomeBuilder, binary_array
from cdp.ingest.readers import InputBatch
from cdp.ingest.web import (  # one definition
    _BY_NAME,
    _CONSENT_UPDATED,
    _NO_SPAN,
    _SENT_PROPERTIES,
    _SENT_TRAITS,
    _TYPES,
    WebMessage,
)

if TYPE_CHECKING:
    from cdp.ingest.web import WebProcessor

__all__ = ["ErrorHandler", "add_plain_lines"]

logger = logging.getLogger(__name__)

#: ``on_error(builder, seq, payload, ref, error)``: an input whose processing raised (a bug).
ErrorHandler = Callable[[OutcomeBuilder, int, bytes, str, BaseException], None]

_JSON: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
# ``datetime.fromisoformat`` accepts every string of this form but year 0 (excluded below) and
# impossible dates and times (which the strict parse turns into nulls; a second of 60 it would
# take as a leap second is excluded here): the same instant, in UTC. ``(?-u)``: ASCII digits.
_STRICT_Z: Final = r"(?-u)^\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]\d(?:\.\d{1,6})?Z$"
_Z_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%.fZ"
# a first and last character that ``str.strip`` keeps: the string is not blank
_NON_BLANK: Final = r"(?s)^[!-~](?:.*[!-~])?$"
_US: Final = pl.Datetime("us", "UTC")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
_MIN_US: Final = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_US
_MAX_US: Final = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // _ONE_US
#: the string-valued keys of a message (the others must not be there, or be an object)
_TEXT_KEYS: Final = (
    "type",
    "messageId",
    "userId",
    "anonymousId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "event",
    "name",
    "category",
    "groupId",
    "previousId",
    "channel",
    "writeKey",
)
#: the object-valued keys, kept as their JSON text
_RAW_KEYS: Final = ("properties", "traits", "context", "integrations")
#: the string keys the columns need (``channel`` and ``writeKey`` need only msgspec's type check)
_FRAME_KEYS: Final = tuple(k for k in _TEXT_KEYS if k not in ("channel", "writeKey"))
_TEXT_GETTERS: Final = tuple((key, operator.attrgetter(key)) for key in _FRAME_KEYS)
_RAW_GETTERS: Final = tuple((key, operator.attrgetter(key)) for key in _RAW_KEYS)
#: kinds whose rows need parsed parts: identify (traits), group and alias (built properties)
_PARSED_KINDS: Final = ("identify", "group", "alias")
# keys of TC strings and Consent Mode in a context (cdp.ingest.consent.has_decoded_signals) or
# properties, and ``\u`` escapes (a key spelled with them could be one of these, or "consent")
_DECODED_CONTEXT_KEYS: Final = (
    "tcfString",
    "tcString",
    "consentMode",
    "tcf",
    "gdpr_consent",
    "googleConsentMode",
)
_DECODED_PROPERTY_KEYS: Final = ("gdpr_consent",)


def _screen(keys: tuple[str, ...]) -> str:
    """A regex matching any of ``keys`` as a JSON key or string (``"key"``) or a ``\\u``
    escape: one pass of the regex engine's literal search (3x faster than ``contains_any``)."""
    return '"(?:' + "|".join(map(re.escape, keys)) + ')"' + r"|\\u"


_CONTEXT_SCREEN: Final = _screen(_DECODED_CONTEXT_KEYS)
_PROPERTY_SCREEN: Final = _screen(_DECODED_PROPERTY_KEYS)


# A message line decoded for the fast path. Typed fields make msgspec refuse a line whose ids,
# timestamps or names are not strings (it then takes the per-line path, which decides); the
# object-valued keys stay their raw JSON text (``msgspec.Raw``, never parsed into Python
# objects, the bulk of the cost of ``orjson.loads``); a key of :data:`_BY_NAME` or ``batch``
# (typed ``UnsetType``, which no JSON value satisfies) sends the line to the per-line path.
_Plain: Final = msgspec.defstruct(
    "_Plain",
    [
        *((name, str | None, None) for name in _TEXT_KEYS),
        ("version", int | str | None, None),
        *((name, msgspec.Raw, _NO_SPAN) for name in _RAW_KEYS),
        *((name, msgspec.UnsetType, msgspec.UNSET) for name in sorted({"batch", *_BY_NAME})),
    ],
    gc=False,  # strings and spans only, no cycles: not tracked by the garbage collector
)
_PLAIN: Final = msgspec.json.Decoder(_Plain)
_DECODE_ERRORS: Final = (msgspec.DecodeError, RecursionError)


class _ContextConsent(msgspec.Struct, rename={"managed": "consentManagement"}, gc=False):
    """The consent keys of a context (the rest of it is skipped unparsed)."""

    consent: msgspec.Raw = _NO_SPAN
    managed: msgspec.Raw = _NO_SPAN


_CONTEXT_CONSENT: Final = msgspec.json.Decoder(_ContextConsent)


@dataclass(slots=True)
class _Lines:
    """The plain candidate lines of a chunk: their index in the chunk and decoded messages."""

    index: list[int] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)


def _scan(batch: InputBatch, max_bytes: int) -> tuple[_Lines, list[int]]:
    """Decode every line; the plain candidates, and the indexes of the others.

    msgspec validates the JSON syntax of the whole line (skipped values included) and the UTF-8
    of the strings it decodes; the UTF-8 of the rest is checked here (``isascii`` first: most
    lines are ASCII).
    """
    lines = _Lines()
    slow: list[int] = []
    decode = _PLAIN.decode
    errors = _DECODE_ERRORS
    rejections = batch.rejections
    add_index = lines.index.append
    add_message = lines.messages.append
    add_slow = slow.append
    for index, payload in enumerate(batch.payloads):
        if (rejections and index in rejections) or len(payload) > max_bytes:
            add_slow(index)
            continue
        if not payload.isascii():
            try:
                payload.decode()
            except UnicodeDecodeError:
                add_slow(index)
                continue
        try:
            message = decode(payload)
        except errors:
            add_slow(index)
            continue
        add_index(index)
        add_message(message)
    return lines, slow


def _raw_series(values: list[Any]) -> pl.Series:
    """A ``Binary`` series of raw JSON spans (``b""`` for an absent key)."""
    return pl.Series(binary_array(values), dtype=pl.Binary)


def _non_blank(name: str) -> pl.Expr:
    return pl.col(name).str.contains(_NON_BLANK)


def _opt_id(name: str) -> pl.Expr:
    return pl.col(name).is_null() | _non_blank(name)


#: the timestamp keys, parsed once each into ``<key>_us`` (microseconds since the epoch)
_TIME_KEYS: Final = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")


def _time_columns(frame: pl.DataFrame) -> list[pl.Series]:
    """Per timestamp key: ``<key>_strict`` (the value has the strict ``...Z`` form; null where
    absent) and ``<key>_us``, its microseconds since the epoch (null where absent, not strict,
    or an impossible date or time)."""
    strict = frame.select(
        pl.col(key).str.contains(_STRICT_Z).alias(f"{key}_strict") for key in _TIME_KEYS
    )
    columns: list[pl.Series] = []
    for key in _TIME_KEYS:
        flags = strict.get_column(f"{key}_strict")
        text = frame.get_column(key)
        if not flags.all():  # (nulls aside: an absent key is no reason to mask)
            text = text.zip_with(flags.fill_null(False), _NO_TEXT.extend_constant(None, len(text)))
        columns.extend((flags, _epoch_us(text).alias(f"{key}_us")))
    return columns


_NO_TEXT: Final = pl.Series(dtype=pl.String)
_ARROW_US: Final = pa.timestamp("us", "UTC")


def _epoch_us(text: pl.Series) -> pl.Series:
    """Microseconds since the epoch of strict ``...Z`` strings (or nulls).

    Arrow's ISO-8601 cast parses them about ten times faster than a ``strptime``, with the same
    results (``datetime.fromisoformat``'s); it refuses a whole column for one impossible date
    or time (a 30 February), which the ``strptime`` then turns into a null."""
    try:
        instants = pc.cast(text.to_arrow(), _ARROW_US)
    except pa.ArrowInvalid:
        return text.str.strptime(_US, _Z_FORMAT, strict=False, cache=False).dt.epoch("us")
    return pl.Series(pc.cast(instants, pa.int64()), dtype=pl.Int64)


def _time_ok(name: str) -> pl.Expr:
    """The optional timestamp is absent or in the strict ``...Z`` form (after
    :func:`_time_columns`)."""
    column = pl.col(name)
    return column.is_null() | (
        pl.col(f"{name}_strict")
        & ~column.str.starts_with("0000")
        & pl.col(f"{name}_us").is_not_null()
    )


def _object_ok(name: str) -> pl.Expr:
    """The raw span is an object, ``null`` or absent (what ``_obj`` of the per-line path takes)."""
    column = pl.col(name)
    return column.bin.starts_with(b"{") | (column == b"") | (column == b"null")


def _object_text(name: str) -> pl.Expr:
    """:func:`cdp.ingest.web.object_text` in columns."""
    column = pl.col(name)
    return pl.when(column.bin.starts_with(b"{")).then(column).otherwise(pl.lit(b"{}"))


def _compute(lines: _Lines, *, received_us: int, trust_received_at: bool) -> pl.DataFrame:
    """Validation, the time columns and the JSON columns of the candidate lines, vectorized."""
    messages = lines.messages
    frame = pl.DataFrame(
        {
            **{key: list(map(get, messages)) for key, get in _TEXT_GETTERS},
            **{key: _raw_series(list(map(get, messages))) for key, get in _RAW_GETTERS},
        },
        schema={**dict.fromkeys(_FRAME_KEYS, pl.String), **dict.fromkeys(_RAW_KEYS, pl.Binary)},
    )
    frame = frame.with_columns(_time_columns(frame))
    kind = pl.col("type")
    user_id = pl.col("userId")
    context = pl.col("context").cast(pl.String)
    properties = pl.col("properties").cast(pl.String)
    # Kleene logic: an ``(not this kind) | rule`` term is true for the other kinds and decides
    # for this one (a null - a missing id - makes ``ok`` null, filled as false)
    ok = (
        kind.is_in(sorted(_TYPES))
        & _non_blank("messageId")
        & _opt_id("userId")
        & _opt_id("anonymousId")
        & (user_id.is_not_null() | pl.col("anonymousId").is_not_null())
        & _time_ok("timestamp")
        & _time_ok("originalTimestamp")
        & _time_ok("sentAt")
        & _time_ok("receivedAt")
        & _object_ok("context")
        & _object_ok("integrations")
        & ((kind != "track") | (_non_blank("event") & _object_ok("properties")))
        & (
            ~kind.is_in(["page", "screen"])
            | (_opt_id("name") & _opt_id("category") & _object_ok("properties"))
        )
        & (~kind.is_in(["identify", "group"]) | _object_ok("traits"))
        & ((kind != "group") | _non_blank("groupId"))
        & ((kind != "alias") | (_non_blank("previousId") & user_id.is_not_null()))
        # TC strings and Consent Mode are decoded on the per-line path only; a key spelled
        # with escapes could hide one (or a consent key): such lines go there too
        & ~context.str.contains(_CONTEXT_SCREEN)
        & ~properties.str.contains(_PROPERTY_SCREEN)
    )
    received = pl.lit(received_us, pl.Int64)
    if trust_received_at:
        received = pl.coalesce("receivedAt_us", received)
    client = pl.coalesce("timestamp_us", "originalTimestamp_us")
    sa = pl.col("sentAt_us")
    occurred = (
        pl.when(client.is_not_null() & sa.is_not_null())
        .then(received - (sa - client))
        .when(client.is_not_null())
        .then(client)
        .otherwise(received)
    )
    sent_properties = kind.is_in(sorted(_SENT_PROPERTIES))
    frame = frame.with_columns(
        ok.fill_null(False).alias("ok"),
        occurred.alias("occurred_us"),
        received.alias("received_us"),
        sa.alias("sent_us"),
        pl.when(kind == "track")
        .then(pl.col("event"))
        .when(kind.is_in(["page", "screen"]))
        .then(pl.col("name"))
        .alias("event_name"),
        pl.when(sent_properties)
        .then(_object_text("properties"))
        .otherwise(pl.lit(b"{}"))
        .alias("properties_text"),
        pl.when(kind.is_in(sorted(_SENT_TRAITS)))
        .then(_object_text("traits"))
        .otherwise(pl.lit(b"{}"))
        .alias("traits_text"),
        _object_text("context").alias("context_text"),
        context.str.contains('"consent', literal=True).fill_null(False).alias("consent_keys"),
    )
    # an instant outside Python's datetime range makes the per-line path fail: leave it there
    return frame.with_columns(
        pl.col("ok")
        & pl.col("occurred_us").is_between(_MIN_US, _MAX_US)
        & pl.col("received_us").is_between(_MIN_US, _MAX_US)
    )


@dataclass(slots=True)
class _Parsed:
    """What the rows of identity and consent need, parsed for the lines that have them."""

    #: per candidate position: the consent keys of the context ({} when none)
    context: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: per candidate position: the consent fingerprint (as ``WebProcessor._add_consent``)
    fingerprint: dict[int, bytes] = field(default_factory=dict)
    #: per candidate position: the traits of an identify
    traits: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: per candidate position: the canonical properties of a group or alias
    properties: dict[int, bytes] = field(default_factory=dict)


def _consent_context(consent: bytes, managed: bytes) -> tuple[dict[str, Any], bytes]:
    """The consent keys of a context as the per-line path reads them, and their fingerprint
    (as ``WebProcessor._add_consent``); the parsed values are shared, never modified."""
    context: dict[str, Any] = {}
    if consent:
        context["consent"] = orjson.loads(consent)
    if managed:
        context["consentManagement"] = orjson.loads(managed)
    pair = (context.get("consent"), context.get("consentManagement"))
    return context, orjson.dumps(pair, option=_JSON)


def _parse_parts(lines: _Lines, frame: pl.DataFrame) -> tuple[_Parsed, list[int]]:
    """Parse the few parts the rows need as Python objects; positions that cannot be parsed
    as the per-line path would (``orjson``) go there."""
    parsed = _Parsed()
    failed: list[int] = []
    messages = lines.messages
    seen: dict[tuple[bytes, bytes], tuple[dict[str, Any], bytes]] = {}
    loads = orjson.loads
    dumps = orjson.dumps
    wanted = frame.select(
        pl.col("ok") & (pl.col("consent_keys") | pl.col("type").is_in(_PARSED_KINDS))
    ).to_series()
    positions = wanted.arg_true()
    kinds = frame["type"].gather(positions).to_list()
    consent_keys = frame["consent_keys"].gather(positions).to_list()
    for p, kind, has_consent in zip(positions.to_list(), kinds, consent_keys, strict=True):
        message = messages[p]
        try:
            if kind == "identify":
                traits = bytes(message.traits)
                parsed.traits[p] = loads(traits) if traits[:1] == b"{" else {}
            elif kind == "group":
                parsed.properties[p] = dumps({"groupId": message.groupId}, option=_JSON)
            elif kind == "alias":
                parsed.properties[p] = dumps({"previousId": message.previousId}, option=_JSON)
            if has_consent:
                found = _CONTEXT_CONSENT.decode(message.context)
                if found.consent or found.managed:
                    # a subject's choice rides on every message: parse each text once
                    key = (bytes(found.consent), bytes(found.managed))
                    known = seen.get(key)
                    if known is None:
                        known = seen[key] = _consent_context(*key)
                    parsed.context[p], parsed.fingerprint[p] = known
        except (orjson.JSONDecodeError, TypeError, *_DECODE_ERRORS):
            failed.append(p)
    return parsed, failed


def add_plain_lines(
    web: WebProcessor,
    builder: OutcomeBuilder,
    batch: InputBatch,
    *,
    received_at: datetime,
    trust_received_at: bool,
    content_type: str | None,
    keep_raw: bool,
    on_error: ErrorHandler,
) -> bool:
    """Add the rows of ``batch`` (lines of a file of ``web.source``) to a fresh ``builder``.

    Returns False, having added nothing, when the chunk must take the per-line path (see the
    module documentation); the outcome is then that of
    :meth:`~cdp.ingest.web.WebProcessor.add_inputs`.
    """
    lines, slow = _scan(batch, web.options.max_message_bytes)
    seqs = batch.seqs
    scratch = OutcomeBuilder(
        stream=builder.stream,
        source=builder.source,
        ingested_at=builder.ingested_at,
        batch_id=builder.batch_id,
    )
    frame: pl.DataFrame | None = None
    parsed = _Parsed()
    if lines.index:
        received_us = (received_at - _EPOCH) // _ONE_US
        frame = _compute(lines, received_us=received_us, trust_received_at=trust_received_at)
        parsed, failed = _parse_parts(lines, frame)
        ok = frame["ok"]
        if failed:
            ok = ok.scatter(failed, False)
        frame = frame.with_row_index("_pos")
        if not ok.all():
            positions = (~ok).arg_true().to_list()
            slow = sorted([*slow, *(lines.index[p] for p in positions)])
            frame = frame.filter(ok)
    if slow:
        sub = InputBatch(
            batch.name,
            [seqs[i] for i in slow],
            [batch.payloads[i] for i in slow],
            {n: batch.rejections[i] for n, i in enumerate(slow) if i in batch.rejections},
        )

        def failed_line(seq: int, payload: bytes, ref: str, error: BaseException) -> None:
            on_error(scratch, seq, payload, ref, error)

        web.add_inputs(
            scratch,
            sub,
            received_at=received_at,
            trust_received_at=trust_received_at,
            content_type=content_type,
            keep_raw=False,
            on_error=failed_line,
        )
        if scratch.has_events():
            return False  # a valid but unusual message: its order counts, go line by line
    builder.absorb(scratch)
    if frame is not None and frame.height:
        _add_events(web, builder, frame, parsed, [seqs[i] for i in lines.index])
    builder.cover_many(seqs, len(seqs) - len(slow))
    if keep_raw and seqs:
        builder.add_table(
            "raw_events", _raw_table(builder, web.source, batch, received_at, content_type)
        )
    return True


def _add_events(
    web: WebProcessor,
    builder: OutcomeBuilder,
    frame: pl.DataFrame,
    parsed: _Parsed,
    line_seqs: list[int],
) -> None:
    """The ``events`` rows of the plain lines, then their identity and consent rows."""
    positions = frame["_pos"].to_list()
    seqs = line_seqs if len(positions) == len(line_seqs) else [line_seqs[p] for p in positions]
    message_id = frame["messageId"]
    first = message_id.is_first_distinct()
    duplicates: list[int] = []
    if not first.all():
        duplicates = [seqs[n] for n in (~first).arg_true().to_list()]
    kinds = frame["type"]
    properties = frame["properties_text"]
    if parsed.properties:  # group and alias: the properties built from their ids
        built = [
            (n, parsed.properties[p]) for n, p in enumerate(positions) if p in parsed.properties
        ]
        properties = properties.scatter([n for n, _ in built], [t for _, t in built])
    user_id = frame["userId"]
    occurred = frame["occurred_us"].cast(_US)
    columns = {
        "event_id": message_id,
        "source": pl.repeat(web.source, frame.height, dtype=pl.String, eager=True),
        "event_type": kinds,
        "event_name": frame["event_name"],
        "occurred_at": occurred,
        "event_date": occurred.dt.date(),
        "received_at": frame["received_us"].cast(_US),
        "sent_at": frame["sent_us"].cast(_US),
        "source_record_id": user_id.fill_null(frame["anonymousId"]),
        "user_id": user_id,
        "anonymous_id": frame["anonymousId"],
        "message_id": message_id,
        "properties": properties.cast(pl.String),
        "traits": frame["traits_text"].cast(pl.String),
        "context": frame["context_text"].cast(pl.String),
        "_seq": pl.Series(seqs, dtype=pl.Int64),
    }
    events = pl.DataFrame(columns)
    if duplicates:
        events = events.filter(first)
    builder.add_event_table(events.to_arrow(), duplicates)

    # identity and consent rows: per message, in order, as the per-line path adds them; of the
    # messages restating their subject's consent choice unchanged, none adds a row
    fingerprints = [parsed.fingerprint.get(p) for p in positions] if parsed.fingerprint else None
    stating = _stating(frame, fingerprints, first) if fingerprints else None
    identity = kinds.is_in(["identify", "alias"])
    wanted_mask = identity if stating is None else identity | pl.Series(stating)
    wanted = (wanted_mask & first).arg_true().to_list()
    if not wanted:
        return
    picked = frame[wanted]
    occurred_us = picked["occurred_us"].to_list()
    user_ids = picked["userId"].to_list()
    anonymous_ids = picked["anonymousId"].to_list()
    names = picked["event_name"].to_list()
    ids = picked["messageId"].to_list()
    types = picked["type"].to_list()
    previous_ids = picked["previousId"].to_list()
    traits_texts = picked["traits_text"].to_list()
    for k, n in enumerate(wanted):
        p = positions[n]
        msg = WebMessage(
            types[k],
            ids[k],
            user_ids[k],
            anonymous_ids[k],
            ids[k],
            _EPOCH + timedelta(microseconds=occurred_us[k]),
            parsed.context.get(p, {}),
            parsed.traits.get(p, {}),
            previous_ids[k],
            (
                None,
                None,
                None,
                names[k],
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                traits_texts[k],
                None,
            ),
            {},  # properties: only read for decoded signals, which take the per-line path
        )
        web.accept_rows(builder, msg, seqs[n])


def _stating(frame: pl.DataFrame, fingerprints: list[bytes | None], first: pl.Series) -> list[bool]:
    """Per message: whether its consent signals may state something new.

    The rule of ``WebProcessor._add_consent`` in columns: the first message of a subject in
    the chunk, one whose choice differs from that subject's previous message, and every
    explicit ``Segment Consent Preference Updated`` event. Duplicates state nothing.
    """
    signals = pl.DataFrame(
        {
            "fingerprint": pl.Series(fingerprints, dtype=pl.Binary),
            "first": first,
            "user_id": frame["userId"],
            "anonymous_id": frame["anonymousId"],
            "explicit": (frame["type"] == "track") & (frame["event_name"] == _CONSENT_UPDATED),
        }
    )
    subject = [pl.col("user_id").is_null(), pl.coalesce("user_id", "anonymous_id")]
    stated = pl.col("fingerprint").is_not_null() & pl.col("first")
    previous = pl.col("fingerprint").shift(1).over(subject)
    return (
        signals.with_row_index("_n")
        .filter(stated)
        .with_columns(
            (
                pl.col("explicit").fill_null(False)
                | previous.is_null()
                | (previous != pl.col("fingerprint"))
            ).alias("new")
        )
        .select("_n", "new")
        .pipe(lambda kept: _spread(kept, signals.height))
    )


def _spread(kept: pl.DataFrame, height: int) -> list[bool]:
    flags = [False] * height
    for n, new in zip(kept["_n"].to_list(), kept["new"].to_list(), strict=True):
        flags[n] = new
    return flags


def _raw_table(
    builder: OutcomeBuilder,
    source: str,
    batch: InputBatch,
    received_at: datetime,
    content_type: str | None,
) -> pa.Table:
    """The ``raw_events`` rows of every line of the chunk (as the per-line path adds them)."""
    n = len(batch.seqs)
    seqs = pa.array(batch.seqs, pa.int64())
    prefix = builder.raw_id(0)[:-1]
    raw_ids = pc.binary_join_element_wise(prefix, pc.cast(seqs, pa.string()), "")
    return pa.table(
        {
            "raw_id": raw_ids,
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "received_at": pa.repeat(pa.scalar(received_at, pa.timestamp("us", "UTC")), n),
            "content_type": pa.repeat(pa.scalar(content_type, pa.string()), n),
            "payload": binary_array(batch.payloads),
            "ingest_batch": pa.repeat(pa.scalar(builder.batch_id, pa.string()), n),
            "_seq": seqs,
        }
    )
