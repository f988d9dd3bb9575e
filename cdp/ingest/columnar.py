"""Columnar fast path of JSON-lines web files: a whole chunk of lines at once.

:meth:`cdp.ingest.web.WebProcessor.add_inputs` handles one line after the other; most of its
cost per line is Python bookkeeping (timestamps parsed into ``datetime`` objects, row tuples,
Arrow conversion of Python objects). :func:`add_plain_lines` keeps in Python only what has to
be (one ``orjson.loads`` per line, type checks, the canonical JSON of ``properties``/``traits``/
``context``) and does the rest - validation of ids and timestamps, clock-skew correction, event
dates, dedupe within the chunk, the ``events`` and ``raw_events`` columns - with vectorized
Polars/Arrow expressions.

A line takes this path only when :func:`cdp.ingest.web._fast_message` would accept it with the
very same result: ids as non-blank strings (ASCII-bounded, so that ``str.strip`` needs no
Unicode rules), ``...Z`` timestamps in the strict ISO-8601 form ``YYYY-MM-DDTHH:MM:SS[.f]Z``,
objects where objects belong. Every other line - bad JSON, odd types, other timestamp forms,
batches, oversize lines - goes through :meth:`~cdp.ingest.web.WebProcessor.add_inputs`, the
per-line path, which stays the single source of truth. If one of those lines turns out to be a
valid event (not a rejection), the order of events within the chunk matters for the dedupe and
the consent statements, so the whole chunk takes the per-line path instead (rare: the fast
path's lines are the plain ones). The tests prove both paths give identical outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from cdp.ingest.consent import has_decoded_signals
from cdp.ingest.outcome import OutcomeBuilder, binary_array
from cdp.ingest.readers import InputBatch
from cdp.ingest.web import _BY_NAME, _CONSENT_UPDATED, _TYPES, WebMessage  # one definition

if TYPE_CHECKING:
    from cdp.ingest.web import WebProcessor

__all__ = ["ErrorHandler", "add_plain_lines"]

logger = logging.getLogger(__name__)

#: ``on_error(builder, seq, payload, ref, error)``: an input whose processing raised (a bug).
ErrorHandler = Callable[[OutcomeBuilder, int, bytes, str, BaseException], None]

_JSON: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_EMPTY_JSON: Final = b"{}"
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
_STRING_COLUMNS: Final = (
    "type",
    "message_id",
    "user_id",
    "anonymous_id",
    "timestamp",
    "original",
    "sent_at",
    "received_at",
    "name",
    "category",
    "group_id",
    "previous_id",
)


@dataclass(slots=True)
class _Lines:
    """Column lists of the plain lines of a chunk (one entry per candidate line)."""

    index: list[int] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    message_id: list[str] = field(default_factory=list)
    user_id: list[str | None] = field(default_factory=list)
    anonymous_id: list[str | None] = field(default_factory=list)
    timestamp: list[str | None] = field(default_factory=list)
    original: list[str | None] = field(default_factory=list)
    sent_at: list[str | None] = field(default_factory=list)
    received_at: list[str | None] = field(default_factory=list)
    name: list[str | None] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    group_id: list[str | None] = field(default_factory=list)
    previous_id: list[str | None] = field(default_factory=list)
    properties_json: list[bytes] = field(default_factory=list)
    traits: list[dict[str, Any] | None] = field(default_factory=list)
    traits_json: list[bytes] = field(default_factory=list)
    context: list[dict[str, Any] | None] = field(default_factory=list)
    context_json: list[bytes] = field(default_factory=list)
    consent: list[bool] = field(default_factory=list)
    fingerprint: list[bytes | None] = field(default_factory=list)


class _SlowError(Exception):
    """The line is not plain: the per-line path decides."""


def _kind_columns(
    kind: str, get: Callable[[str], Any]
) -> tuple[Any, Any, Any, Any, bytes, dict[str, Any] | None]:
    """``(name, category, group_id, previous_id, properties JSON, traits)`` of a message."""
    dumps = orjson.dumps
    if kind == "track":
        name = get("event")
        props = get("properties")
        if type(name) is not str or (props is not None and type(props) is not dict):
            raise _SlowError
        return name, None, None, None, dumps(props, option=_JSON) if props else _EMPTY_JSON, None
    if kind == "page" or kind == "screen":
        name = get("name")
        category = get("category")
        props = get("properties")
        if (
            (name is not None and type(name) is not str)
            or (category is not None and type(category) is not str)
            or (props is not None and type(props) is not dict)
        ):
            raise _SlowError
        props_json = dumps(props, option=_JSON) if props else _EMPTY_JSON
        return name, category, None, None, props_json, None
    if kind == "identify":
        traits = get("traits")
        if traits is not None and type(traits) is not dict:
            raise _SlowError
        return None, None, None, None, _EMPTY_JSON, traits or None
    if kind == "group":
        group_id = get("groupId")
        traits = get("traits")
        if type(group_id) is not str or (traits is not None and type(traits) is not dict):
            raise _SlowError
        props_json = dumps({"groupId": group_id}, option=_JSON)
        return None, None, group_id, None, props_json, traits or None
    previous_id = get("previousId")  # alias
    if type(previous_id) is not str or get("userId") is None:
        raise _SlowError
    props_json = dumps({"previousId": previous_id}, option=_JSON)
    return None, None, None, previous_id, props_json, None


def _scan(batch: InputBatch, max_bytes: int) -> tuple[_Lines, list[int]]:
    """Parse every line; the plain candidates in columns, the indexes of the others."""
    lines = _Lines()
    slow: list[int] = []
    loads = orjson.loads
    dumps = orjson.dumps
    decode_error = orjson.JSONDecodeError
    rejections = batch.rejections
    by_name = _BY_NAME.isdisjoint
    types = _TYPES
    add_index = lines.index.append
    add_type = lines.type.append
    add_mid = lines.message_id.append
    add_uid = lines.user_id.append
    add_aid = lines.anonymous_id.append
    add_ts = lines.timestamp.append
    add_ot = lines.original.append
    add_sa = lines.sent_at.append
    add_ra = lines.received_at.append
    add_name = lines.name.append
    add_cat = lines.category.append
    add_gid = lines.group_id.append
    add_pid = lines.previous_id.append
    add_ctx = lines.context.append
    add_ctx_json = lines.context_json.append
    add_props_json = lines.properties_json.append
    add_traits = lines.traits.append
    add_traits_json = lines.traits_json.append
    add_consent = lines.consent.append
    add_fingerprint = lines.fingerprint.append
    str_ = str
    dict_ = dict
    int_ = int
    for index, payload in enumerate(batch.payloads):
        if (rejections and index in rejections) or len(payload) > max_bytes:
            slow.append(index)
            continue
        try:
            doc = loads(payload)
        except decode_error:
            slow.append(index)
            continue
        if type(doc) is not dict_ or "batch" in doc or not by_name(doc):
            slow.append(index)
            continue
        get = doc.get
        kind = get("type")
        mid = get("messageId")
        uid = get("userId")
        aid = get("anonymousId")
        ts = get("timestamp")
        ot = get("originalTimestamp")
        sa = get("sentAt")
        ra = get("receivedAt")
        ctx = get("context")
        integrations = get("integrations")
        version = get("version")
        channel = get("channel")
        write_key = get("writeKey")
        if (
            type(kind) is not str_
            or kind not in types
            or type(mid) is not str_
            or (uid is not None and type(uid) is not str_)
            or (aid is not None and type(aid) is not str_)
            or (uid is None and aid is None)
            or (ts is not None and type(ts) is not str_)
            or (ot is not None and type(ot) is not str_)
            or (sa is not None and type(sa) is not str_)
            or (ra is not None and type(ra) is not str_)
            or (ctx is not None and type(ctx) is not dict_)
            or (integrations is not None and type(integrations) is not dict_)
            or (version is not None and type(version) is not int_ and type(version) is not str_)
            or (channel is not None and type(channel) is not str_)
            or (write_key is not None and type(write_key) is not str_)
        ):
            slow.append(index)
            continue
        try:
            name, category, group_id, previous_id, props_json, traits = _kind_columns(kind, get)
            traits_json = dumps(traits, option=_JSON) if traits else _EMPTY_JSON
            ctx_json = dumps(ctx, option=_JSON) if ctx else _EMPTY_JSON
            props = get("properties")
            if (ctx or props) and has_decoded_signals(ctx or {}, props):
                # TC strings and Consent Mode are decoded on the per-line path only
                raise _SlowError
            fingerprint = None
            if ctx and ("consent" in ctx or "consentManagement" in ctx):
                # as WebProcessor._add_consent tells a restated choice from a new one
                pair = (ctx.get("consent"), ctx.get("consentManagement"))
                fingerprint = dumps(pair, option=_JSON)
        except (_SlowError, TypeError):  # a wrong type; an integer beyond 64 bits
            slow.append(index)
            continue
        add_index(index)
        add_type(kind)
        add_mid(mid)
        add_uid(uid)
        add_aid(aid)
        add_ts(ts)
        add_ot(ot)
        add_sa(sa)
        add_ra(ra)
        add_name(name)
        add_cat(category)
        add_gid(group_id)
        add_pid(previous_id)
        add_props_json(props_json)
        add_traits(traits)
        add_traits_json(traits_json)
        add_ctx(ctx)
        add_ctx_json(ctx_json)
        add_consent(fingerprint is not None)
        add_fingerprint(fingerprint)
    return lines, slow


def _non_blank(name: str) -> pl.Expr:
    return pl.col(name).str.contains(_NON_BLANK)


def _opt_id(name: str) -> pl.Expr:
    return pl.col(name).is_null() | _non_blank(name)


def _z_time(name: str) -> tuple[pl.Expr, pl.Expr]:
    """``(ok, microseconds)`` of an optional strict ``...Z`` timestamp column."""
    parsed = pl.col(name).str.strptime(_US, _Z_FORMAT, strict=False)
    column = pl.col(name)
    ok = column.is_null() | (
        column.str.contains(_STRICT_Z) & ~column.str.starts_with("0000") & parsed.is_not_null()
    )
    return ok, parsed.dt.epoch("us")


def _compute(lines: _Lines, *, received_us: int, trust_received_at: bool) -> pl.DataFrame:
    """Validation and the time columns of the candidate lines, vectorized."""
    frame = pl.DataFrame(
        {name: getattr(lines, name) for name in _STRING_COLUMNS},
        schema=dict.fromkeys(_STRING_COLUMNS, pl.String),
    )
    ts_ok, ts = _z_time("timestamp")
    ot_ok, ot = _z_time("original")
    sa_ok, sa = _z_time("sent_at")
    ra_ok, ra = _z_time("received_at")
    kind = pl.col("type")
    ok = (
        _non_blank("message_id")
        & _opt_id("user_id")
        & _opt_id("anonymous_id")
        & ts_ok
        & ot_ok
        & sa_ok
        & ra_ok
        & pl.when(kind == "track")
        .then(_non_blank("name"))
        .when(kind.is_in(["page", "screen"]))
        .then(_opt_id("name") & _opt_id("category"))
        .when(kind == "group")
        .then(_non_blank("group_id"))
        .when(kind == "alias")
        .then(_non_blank("previous_id"))
        .otherwise(pl.lit(True))
    )
    received = pl.lit(received_us, pl.Int64)
    if trust_received_at:
        received = pl.coalesce(ra, received)
    client = pl.coalesce(ts, ot)
    occurred = (
        pl.when(client.is_not_null() & sa.is_not_null())
        .then(received - (sa - client))
        .when(client.is_not_null())
        .then(client)
        .otherwise(received)
    )
    frame = frame.with_columns(
        ok.fill_null(False).alias("ok"),
        occurred.alias("occurred_us"),
        received.alias("received_us"),
        sa.alias("sent_us"),
    )
    # an instant outside Python's datetime range makes the per-line path fail: leave it there
    return frame.with_columns(
        pl.col("ok")
        & pl.col("occurred_us").is_between(_MIN_US, _MAX_US)
        & pl.col("received_us").is_between(_MIN_US, _MAX_US)
    )


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
    if lines.index:
        received_us = (received_at - _EPOCH) // _ONE_US
        frame = _compute(lines, received_us=received_us, trust_received_at=trust_received_at)
        ok = frame["ok"]
        if not ok.all():
            positions = (~ok).arg_true().to_list()
            slow = sorted([*slow, *(lines.index[p] for p in positions)])
            frame = frame.with_row_index("_pos").filter(pl.col("ok"))
        else:
            frame = frame.with_row_index("_pos")
    if slow:
        sub = InputBatch(
            batch.name,
            [seqs[i] for i in slow],
            [batch.payloads[i] for i in slow],
            {n: batch.rejections[i] for n, i in enumerate(slow) if i in batch.rejections},
        )

        def failed(seq: int, payload: bytes, ref: str, error: BaseException) -> None:
            on_error(scratch, seq, payload, ref, error)

        web.add_inputs(
            scratch,
            sub,
            received_at=received_at,
            trust_received_at=trust_received_at,
            content_type=content_type,
            keep_raw=False,
            on_error=failed,
        )
        if scratch.has_events():
            return False  # a valid but unusual message: its order counts, go line by line
    builder.absorb(scratch)
    if frame is not None and frame.height:
        _add_events(web, builder, lines, frame, [seqs[i] for i in lines.index])
    builder.cover_many(seqs, len(seqs) - len(slow))
    if keep_raw and seqs:
        builder.add_table(
            "raw_events", _raw_table(builder, web.source, batch, received_at, content_type)
        )
    return True


def _add_events(
    web: WebProcessor,
    builder: OutcomeBuilder,
    lines: _Lines,
    frame: pl.DataFrame,
    line_seqs: list[int],
) -> None:
    """The ``events`` rows of the plain lines, then their identity and consent rows."""
    positions = frame["_pos"].to_list()
    everything = len(positions) == len(line_seqs)

    def pick(values: list[Any]) -> list[Any]:
        return values if everything else [values[p] for p in positions]

    seqs = pick(line_seqs)
    message_id = frame["message_id"]
    first = message_id.is_first_distinct()
    duplicates: list[int] = []
    if not first.all():
        duplicates = [seqs[p] for p in (~first).arg_true().to_list()]
    source = web.source
    user_id = frame["user_id"]
    occurred = frame["occurred_us"].cast(_US)
    columns = {
        "event_id": message_id,
        "source": pl.repeat(source, frame.height, dtype=pl.String, eager=True),
        "event_type": frame["type"],
        "event_name": frame["name"],
        "occurred_at": occurred,
        "event_date": occurred.dt.date(),
        "received_at": frame["received_us"].cast(_US),
        "sent_at": frame["sent_us"].cast(_US),
        "source_record_id": user_id.fill_null(frame["anonymous_id"]),
        "user_id": user_id,
        "anonymous_id": frame["anonymous_id"],
        "message_id": message_id,
        "properties": pl.Series(pick(lines.properties_json), dtype=pl.Binary).cast(pl.String),
        "traits": pl.Series(pick(lines.traits_json), dtype=pl.Binary).cast(pl.String),
        "context": pl.Series(pick(lines.context_json), dtype=pl.Binary).cast(pl.String),
        "_seq": pl.Series(seqs, dtype=pl.Int64),
    }
    events = pl.DataFrame(columns)
    if duplicates:
        events = events.filter(first)
    builder.add_event_table(events.to_arrow(), duplicates)

    # identity and consent rows: per message, in order, as the per-line path adds them; of the
    # messages restating their subject's consent choice unchanged, none adds a row
    kinds = pick(lines.type)
    consent = pick(lines.consent)
    stating = _stating(frame, pick(lines.fingerprint), first) if any(consent) else None
    wanted = [
        n
        for n, kind in enumerate(kinds)
        if kind == "identify" or kind == "alias" or (stating is not None and stating[n])
    ]
    if not wanted:
        return
    if duplicates:
        first_flags = first.to_list()
        wanted = [n for n in wanted if first_flags[n]]
    occurred_us = frame["occurred_us"].gather(wanted).to_list()
    user_ids = user_id.gather(wanted).to_list()
    anonymous_ids = frame["anonymous_id"].gather(wanted).to_list()
    names = frame["name"].gather(wanted).to_list()
    ids = message_id.gather(wanted).to_list()
    for k, n in enumerate(wanted):
        p = positions[n]
        msg = WebMessage(
            kinds[n],
            ids[k],
            user_ids[k],
            anonymous_ids[k],
            ids[k],
            _EPOCH + timedelta(microseconds=occurred_us[k]),
            lines.context[p] or {},
            lines.traits[p] or {},
            lines.previous_id[p],
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
                lines.traits_json[p],
                None,
            ),
            {},  # properties: only read for decoded signals, which take the per-line path
        )
        web.accept_rows(builder, msg, seqs[n])


def _stating(frame: pl.DataFrame, fingerprints: list[Any], first: pl.Series) -> list[bool]:
    """Per message: whether its consent signals may state something new.

    The rule of ``WebProcessor._add_consent`` in columns: the first message of a subject in
    the chunk, one whose choice differs from that subject's previous message, and every
    explicit ``Segment Consent Preference Updated`` event. Duplicates state nothing.
    """
    signals = pl.DataFrame(
        {
            "fingerprint": pl.Series(fingerprints, dtype=pl.Binary),
            "first": first,
            "user_id": frame["user_id"],
            "anonymous_id": frame["anonymous_id"],
            "explicit": (frame["type"] == "track") & (frame["name"] == _CONSENT_UPDATED),
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
