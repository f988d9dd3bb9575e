"""Erasure with proof (GDPR Art. 17) and export (Art. 15/20) of one person's data.

:func:`erase` and :func:`export_subject` take an identifier ``type:value`` (``customer_id``,
``email``, ``phone``, ``user_id``, ``anonymous_id`` or ``<source>:<record id>``, see
:func:`cdp.models.parse_identifier`) and resolve it to the person: the source records the
identifier names (``identity_records``: e-mail, phone, user id, anonymous id, record key; or
``identity_map`` for a customer id, following ``identity_merges`` to the current id), the
customer those records belong to in ``identity_map``, and then **every** record of that
customer. Precision first: an identifier several customers hold (a family e-mail) is refused
(:class:`AmbiguousSubjectError`), as is an old customer id that was split; anonymous ids seen
with another user's id are not counted as the person's.

The person's identifiers are ``<source>:<record id>``, ``email:…``, ``phone:…``,
``user_id:…``, ``anonymous_id:…`` of each record (see :func:`cdp.ingest.record_identifiers`),
the anonymous ids their user ids were seen with in ``events``, ``customer_id:…`` of each
customer id (current and merged-away), and the identifier asked for.

**Erasure**, in this order:

1. ``suppression`` rows (keyed hash of every identifier, ``erased_at``, ``request_id``) are
   written first, so a running ingest holds the person's new inputs back from then on (they
   become payload-free ``suppressed`` quarantine rows; see :mod:`cdp.ingest.suppression`).
   An identifier another customer's record still holds (a family e-mail) is not suppressed:
   that would hold the other person's data back, and make the gate treat them as erased;
2. rows are deleted: ``events`` (the person's record keys, user ids, anonymous ids),
   ``raw_events`` and ``quarantine`` (payloads that contain one of the person's e-mails, phone
   numbers, user ids, anonymous ids, or a record id of the same source: a landing batch body
   mixing several people goes as a whole), ``identity_records``, ``identity_map``,
   ``identity_links`` (either side), ``identity_overrides`` naming a record, ``profiles`` and
   ``segment_membership`` (customer ids). Deletes are MERGEs on key columns, so no value reaches
   the commit log;
3. proof is kept pseudonymous: ``consent_ledger`` rows of the person keep ids, hashes, purpose,
   status, times, source, method, notice and ``evidence_hash``, with ``subject_value`` and the
   raw ``evidence`` set to null; ``activation_log`` rows keep the decision (customer id,
   purpose, allowed, reasons, evidence ids, versions) with ``subject`` set to null.
   ``identity_merges`` holds only customer ids and stays;
   (After the suppression rows are written, the erasure waits ``settle_s`` and resolves the
   person again, so that what a running ingest committed meanwhile is included.)
4. with ``retention="immediate"`` (the default): every table that may hold personal data is
   vacuumed with retention 0, and the tables changed have their log history truncated
   (checkpoint, then the older commits deleted): old files and old log entries are physically
   gone, and time travel before the erasure with them;
5. verification: every remaining file of every table - data files, ``_delta_log`` commits and
   checkpoints - is read as bytes and, for Parquet, decoded, and searched (case-insensitively)
   for each of the person's values: e-mails, phone numbers, user ids, anonymous ids, record ids
   (6 characters or more) and full names. A value another remaining record still holds (a
   namesake, a shared family e-mail) is not searched for (counted in ``shared_values``). A table
   whose log still holds a value has its history truncated, a data file no version references
   any more that still holds one is deleted, and everything is scanned again. The findings
   name table, file, kind of value and place - never the value - and must be empty. (A full
   vacuum with retention 0 is not used: it would also delete files a concurrent writer has
   written but not yet committed.)

Statistics: tables are created with Delta statistics disabled for personal columns
(``storage/catalog.py``), so the log holds no personal min/max values to begin with; the
truncation in step 4 also covers lakehouses written before that.

``retention="deferred"`` stops after step 3: the rows are gone from the latest version, the
files go at the next routine vacuum; verification is skipped (``verified`` is None).

The :class:`ErasureReport` (request id, customer ids, identifier hashes, rows per table, files
vacuumed, verification, times) holds no personal data of the person and is appended to the
``erasure_requests`` table. Erasing an identifier already erased reports ``already_erased``;
one that resolves to nothing is suppressed all the same and reports ``not_found``.

**Export** (:func:`export_subject`): every row held about the person, as JSON-ready data, with a
manifest of the tables and versions read (each table is read at one version).
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cdp.ingest.suppression import identifier, record_identifiers
from cdp.models import InvalidInputError, parse_identifier
from consent.gate import ConsentError
from storage import TABLES, Lakehouse, StorageError

if TYPE_CHECKING:
    from cdp.config import Settings

__all__ = [
    "AmbiguousSubjectError",
    "ErasureReport",
    "Finding",
    "PrivacyError",
    "Retention",
    "SubjectNotFoundError",
    "erase",
    "export_subject",
    "pseudonymize_erased",
    "pseudonymize_erased_table",
]

logger = logging.getLogger(__name__)

#: ``consent_ledger`` columns holding a person's raw values (the catalogue's ``personal``):
#: nulled on the rows of an erased subject, which stay as pseudonymous proof.
_LEDGER_PERSONAL: Final = TABLES["consent_ledger"].personal


def pseudonymize_erased(rows: Iterable[dict[str, Any]], erased: Collection[str]) -> None:
    """Null the raw values of the ledger ``rows`` whose ``subject_hash`` is in ``erased`` (the
    ``suppression`` hashes), in place: a statement about an erased person is kept only as
    pseudonymous proof, as :func:`erase` leaves the earlier ones."""
    for row in rows:
        if row["subject_hash"] in erased:
            row.update(dict.fromkeys(_LEDGER_PERSONAL))


def pseudonymize_erased_table(table: pa.Table, erased: Collection[str]) -> pa.Table:
    """:func:`pseudonymize_erased` of ledger rows in columns: ``table`` with the raw values of
    the rows whose ``subject_hash`` is in ``erased`` nulled (the other columns as they are)."""
    if not erased or not table.num_rows:
        return table
    hit = pc.is_in(table["subject_hash"], value_set=pa.array(list(erased), pa.string()))
    if not pc.any(hit).as_py():
        return table
    for name in _LEDGER_PERSONAL:
        if name in table.column_names:
            column = table[name]
            blank = pa.nulls(table.num_rows, column.type)
            index = table.column_names.index(name)
            table = table.set_column(index, table.field(name), pc.if_else(hit, blank, column))
    return table


Retention = Literal["immediate", "deferred"]
ErasureStatus = Literal["erased", "already_erased", "not_found"]

#: Tables that may hold a person's data (vacuumed by an immediate erasure).
_PERSONAL_TABLES: Final = (
    "raw_events",
    "events",
    "quarantine",
    "identity_records",
    "identity_map",
    "identity_links",
    "identity_overrides",
    "consent_ledger",
    "profiles",
    "segment_membership",
    "activation_log",
)
_MIN_RECORD_ID: Final = 6
_SCAN_THREADS: Final = min(4, os.cpu_count() or 1)
_MIN_NAME: Final = 5
_UNMATCHABLE: Final = "\x00"


class PrivacyError(ConsentError):
    """An erasure or export could not be done (bad identifier, unreadable tables)."""


class SubjectNotFoundError(PrivacyError):
    """The identifier resolves to nobody."""


class AmbiguousSubjectError(PrivacyError):
    """The identifier (a shared e-mail, a shared device) belongs to several customers."""


@dataclass(frozen=True)
class Finding:
    """A value of the erased person found in a file (the value itself is never recorded)."""

    table: str
    file: str
    kind: str
    where: Literal["data", "log", "checkpoint", "other"]


@dataclass(frozen=True)
class ErasureReport:
    """The deletion report of one erasure (no personal data of the person)."""

    request_id: str
    requested_by: str
    identifier_type: str
    identifier_hash: str
    status: ErasureStatus
    retention: Retention
    customer_ids: tuple[str, ...]
    identifier_hashes: tuple[str, ...]
    rows_deleted: dict[str, int]
    rows_redacted: dict[str, int]
    files_vacuumed: int
    history_truncated: tuple[str, ...]
    #: True: scanned, nothing found; False: something found; None: not scanned (deferred).
    verified: bool | None
    findings: tuple[Finding, ...]
    #: values searched for, per kind (``email``: 2, ...), and values (identifiers) another
    #: customer's remaining record also holds: not searched for, not suppressed
    values_checked: dict[str, int]
    shared_values: dict[str, int]
    files_scanned: int
    table_versions: dict[str, int]
    started_at: datetime
    finished_at: datetime

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "request_id": self.request_id,
            "requested_by": self.requested_by,
            "identifier_type": self.identifier_type,
            "identifier_hash": self.identifier_hash,
            "status": self.status,
            "retention": self.retention,
            "customer_ids": list(self.customer_ids),
            "identifier_hashes": list(self.identifier_hashes),
            "rows_deleted": dict(self.rows_deleted),
            "rows_redacted": dict(self.rows_redacted),
            "files_vacuumed": self.files_vacuumed,
            "history_truncated": list(self.history_truncated),
            "verified": self.verified,
            "findings": [f.__dict__ for f in self.findings],
            "values_checked": dict(self.values_checked),
            "shared_values": dict(self.shared_values),
            "files_scanned": self.files_scanned,
            "table_versions": dict(self.table_versions),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
        }


# -- resolution --------------------------------------------------------------------------------


@dataclass
class _Subject:
    """One person as found in the lakehouse."""

    kind: str
    value: str
    customer_ids: set[str] = field(default_factory=set)
    #: identity_records rows of the person (every column)
    records: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: (source, source_record_id) of the person's records (identity_records or identity_map)
    keys: set[tuple[str, str]] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    anonymous_ids: set[str] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)
    #: identity_map rows of the person's customers
    mapped: int = 0

    @property
    def requested(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def found(self) -> bool:
        """Whether the identifier resolved to a mapped customer or a record."""
        return bool(self.mapped or self.records.height)


def _parse(raw: str) -> tuple[str, str]:
    try:
        return parse_identifier(raw)
    except InvalidInputError as e:
        raise PrivacyError(f"bad identifier: {e.reason}") from None


class _Reader:
    """Reads tables at versions pinned on first use (one consistent view per request)."""

    def __init__(self, lakehouse: Lakehouse) -> None:
        self.lakehouse = lakehouse
        self.versions: dict[str, int] = {}

    def scan(self, name: str) -> pl.LazyFrame | None:
        lh = self.lakehouse
        try:
            if name not in self.versions:
                if not lh.exists(name):
                    return None
                self.versions[name] = lh.version(name)
            return lh.scan(name, version=self.versions[name])
        except StorageError as e:
            raise PrivacyError(f"cannot read table {name}: {type(e).__name__}") from e

    def read(self, name: str, predicate: pl.Expr | None = None) -> pl.DataFrame:
        scan = self.scan(name)
        if scan is None:
            schema = pl.DataFrame(pa.schema(TABLES[name].schema).empty_table()).schema
            return pl.DataFrame(schema=schema)
        if predicate is not None:
            scan = scan.filter(predicate)
        return scan.collect()


def _in(column: str, values: Iterable[str]) -> pl.Expr:
    return pl.col(column).is_in(sorted(set(values)) or [_UNMATCHABLE])


def _keys_expr(keys: set[tuple[str, str]], source: str, record: str) -> pl.Expr:
    joined = [f"{s}\x1f{r}" for s, r in keys] or [_UNMATCHABLE]
    return pl.concat_str(pl.col(source), pl.lit("\x1f"), pl.col(record)).is_in(joined)


def _current_ids(reader: _Reader, ids: set[str], mapped: set[str]) -> set[str]:
    """The current ids of ``ids`` (an old id follows its merges to the id it became) and every
    old id merged wholly into them (statements may still carry those).

    An old id that was split in several has no single current id: asking for it is refused,
    and it is not counted as one of a current id's old ids (it was somebody else's too).
    """
    merges = reader.read("identity_merges").select("old_customer_id", "new_customer_id")
    targets: dict[str, set[str]] = {}
    for old, new in merges.iter_rows():
        if old != new:
            targets.setdefault(old, set()).add(new)
    current: set[str] = set()
    for cid in ids:
        seen = {cid}
        while cid not in mapped and cid in targets:
            nxt = targets[cid] - seen
            if len(nxt) > 1:
                raise PrivacyError(
                    "this customer id was split into several customers; give a current "
                    "customer id or another identifier"
                )
            if not nxt:
                break
            cid = nxt.pop()
            seen.add(cid)
        current.add(cid)
    found = set(current)
    changed = True
    while changed:
        changed = False
        for old, news in targets.items():
            if old not in found and news <= found:
                found.add(old)
                changed = True
    return found


def _resolve(reader: _Reader, settings: Settings, raw: str) -> _Subject:
    kind, value = _parse(raw)
    subject = _Subject(kind, value)
    records = reader.read("identity_records")
    imap = reader.read("identity_map").select("source", "source_record_id", "customer_id")
    seed_keys: set[tuple[str, str]] = set()
    cids: set[str] = set()
    if kind == "customer_id":
        cids.add(value)
    elif kind == "email":
        seed = records.filter(pl.col("email") == value)
        seed_keys.update(seed.select("source", "source_record_id").iter_rows())
    elif kind == "phone":
        seed = records.filter(pl.col("phone") == value)
        seed_keys.update(seed.select("source", "source_record_id").iter_rows())
    elif kind in ("user_id", "anonymous_id"):
        web = [n for n, s in settings.sources.items() if s.kind == "web"]
        seed = records.filter(
            (pl.col(kind) == value)
            | (
                pl.col("source").is_in(web or [_UNMATCHABLE])
                & (pl.col("source_record_id") == value)
            )
        )
        seed_keys.update(seed.select("source", "source_record_id").iter_rows())
        if kind == "user_id":
            subject.user_ids.add(value)
        else:
            subject.anonymous_ids.add(value)
    else:  # <source>:<record id>
        seed_keys.add((kind, value))
    if seed_keys:
        seeded = set(
            imap.filter(_keys_expr(seed_keys, "source", "source_record_id"))
            .get_column("customer_id")
            .to_list()
        )
        if len(seeded) > 1:  # precision first: never erase or export somebody else
            raise AmbiguousSubjectError(
                f"this identifier belongs to {len(seeded)} customers; give a customer id or "
                "a record key (<source>:<record id>)"
            )
        cids.update(seeded)
    if cids:
        cids = _current_ids(reader, cids, set(imap.get_column("customer_id").to_list()))
    mine = imap.filter(_in("customer_id", cids))
    keys = seed_keys | set(mine.select("source", "source_record_id").iter_rows())
    person = records.filter(_keys_expr(keys, "source", "source_record_id"))
    subject.keys = keys | set(person.select("source", "source_record_id").iter_rows())
    subject.customer_ids = cids
    subject.mapped = mine.height
    subject.records = person
    subject.user_ids.update(v for v in person.get_column("user_id").to_list() if v)
    subject.anonymous_ids.update(v for v in person.get_column("anonymous_id").to_list() if v)
    if subject.user_ids:  # anonymous ids seen with the person's user ids, and nobody else's
        seen = reader.read(
            "events", _in("user_id", subject.user_ids) & pl.col("anonymous_id").is_not_null()
        )
        theirs = set(seen.get_column("anonymous_id").unique().to_list())
        shared = reader.read(
            "events",
            _in("anonymous_id", theirs)
            & pl.col("user_id").is_not_null()
            & ~_in("user_id", subject.user_ids),
        )
        subject.anonymous_ids.update(theirs - set(shared.get_column("anonymous_id").to_list()))
    ids: set[str] = {subject.requested}
    for row in person.iter_rows(named=True):
        ids.update(record_identifiers(row))
    for source, record_id in subject.keys:
        found = identifier(source, record_id)
        if found:
            ids.add(found)
    for cid in cids:
        ids.add(f"customer_id:{cid}")
    for uid in subject.user_ids:
        ids.add(f"user_id:{uid}")
    for aid in subject.anonymous_ids:
        ids.add(f"anonymous_id:{aid}")
    subject.identifiers = ids
    return subject


def _events_of(reader: _Reader, subject: _Subject) -> pl.DataFrame:
    """The person's events: of their record keys, their user ids, and their anonymous ids
    unless the event names another user."""
    return reader.read(
        "events",
        _keys_expr(subject.keys, "source", "source_record_id")
        | _in("user_id", subject.user_ids)
        | (
            _in("anonymous_id", subject.anonymous_ids)
            & (pl.col("user_id").is_null() | _in("user_id", subject.user_ids))
        ),
    )


def _payload_needles(subject: _Subject) -> tuple[_Matcher, dict[str, _Matcher]]:
    """Matchers of payloads that are the person's: one for any payload, and one per source for
    record ids (a record id only counts in a payload of its own source)."""
    values: set[str] = set(subject.user_ids) | set(subject.anonymous_ids)
    for column in ("email", "phone"):
        values.update(v for v in subject.records.get_column(column).to_list() if v)
    if subject.kind in ("email", "phone"):
        values.add(subject.value)
    per_source: dict[str, set[str]] = {}
    for source, record_id in subject.keys:
        per_source.setdefault(source, set()).add(record_id)
    return _matcher(values), {k: _matcher(v) for k, v in per_source.items()}


_Matcher = re.Pattern[bytes] | None
#: a value counts only as a whole token: ``jo@x.com`` is not found in ``banjo@x.com``, nor
#: ``usr_1`` in ``usr_12``
_BEFORE: Final = rb"(?<![a-z0-9_.+@-])"
_AFTER: Final = rb"(?![a-z0-9_@-]|\.[a-z0-9])"


def _matcher(values: Iterable[str]) -> _Matcher:
    forms = sorted({v.lower().encode() for v in values if len(v) >= 3}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile(_BEFORE + b"(?:" + b"|".join(re.escape(f) for f in forms) + b")" + _AFTER)


def _payload_rows(
    frame: pl.DataFrame, anywhere: _Matcher, per_source: Mapping[str, _Matcher]
) -> list[bool]:
    out = []
    for source, payload in frame.select("source", "payload").iter_rows():
        if payload is None:
            out.append(False)
            continue
        low = bytes(payload).lower()
        own = per_source.get(source)
        hit = bool(anywhere and anywhere.search(low)) or bool(own and own.search(low))
        out.append(hit)
    return out


# -- erasure -----------------------------------------------------------------------------------


def erase(
    lakehouse: Lakehouse,
    settings: Settings,
    identifier: str,
    *,
    request_id: str | None = None,
    requested_by: str,
    retention: Retention = "immediate",
    settle_s: float = 2.0,
) -> ErasureReport:
    """Erase the person ``identifier`` names (see the module documentation).

    ``settle_s``: how long to wait after writing the suppression rows before the person's rows
    are read for deletion, so that a running ingest (which looks at the suppression table
    about once a second) commits nothing of theirs afterwards. 0 when nothing ingests.
    """
    if retention not in get_args(Retention):
        raise PrivacyError(f"retention must be one of {', '.join(get_args(Retention))}")
    if not requested_by or not requested_by.strip():
        raise PrivacyError("requested_by is required (who asked for the erasure)")
    started = datetime.now(UTC)
    request_id = request_id or str(uuid.uuid4())
    hash_of = settings.privacy.hash_identifier
    reader = _Reader(lakehouse)
    subject = _resolve(reader, settings, identifier)
    requested_hash = hash_of(subject.requested)
    suppressed = set(reader.read("suppression").get_column("identifier_hash").to_list())
    if subject.found or _events_of(reader, subject).height:
        status: ErasureStatus = "erased"
    else:
        status = "already_erased" if requested_hash in suppressed else "not_found"
    common = _held_by_others(reader, subject)
    hashes = {hash_of(i): i.partition(":")[0] for i in subject.identifiers - common}
    logger.info(
        "erasure %s: %d customer id(s), %d identifier(s)",
        request_id,
        len(subject.customer_ids),
        len(hashes),
    )

    # 1. suppression first: a running ingest holds the person's new inputs back from now on
    _suppress(lakehouse, hashes, suppressed, started, request_id)
    if settle_s > 0:  # let running writers see the suppression before the rows are read
        time.sleep(settle_s)
    reader = _Reader(lakehouse)
    subject = _resolve(reader, settings, identifier)  # again, with what arrived meanwhile
    common = _held_by_others(reader, subject)
    more = {hash_of(i): i.partition(":")[0] for i in subject.identifiers - common}
    _suppress(lakehouse, more, suppressed | set(hashes), started, request_id)
    hashes.update(more)
    # 2. and 3. delete, redact (statements on a shared identifier too: they keep their hash)
    every = {hash_of(i) for i in subject.identifiers}
    deleted, redacted = _delete_rows(lakehouse, reader, subject, every)
    vacuumed = 0
    truncated: list[str] = []
    findings: list[Finding] = []
    checked: dict[str, int] = {}
    shared: dict[str, int] = {}
    for found in common:
        kind = found.partition(":")[0]
        shared[kind] = shared.get(kind, 0) + 1
    scanned = 0
    verified: bool | None = None
    if retention == "immediate":
        # 4. old files and old log entries physically gone
        changed = {t for t, n in {**deleted, **redacted}.items() if n}
        for name in _PERSONAL_TABLES:
            if lakehouse.exists(name):
                vacuumed += len(lakehouse.vacuum(name, retention_hours=0))
        for name in sorted(changed):
            lakehouse.truncate_history(name)
            truncated.append(name)
        # 5. verify; what a first pass finds in old logs or orphaned files is removed, then
        # everything is scanned again
        needles, checked, shared = _needles(lakehouse, subject)
        findings, scanned = _scan(lakehouse, needles)
        logs = {f.table for f in findings if f.where in ("log", "checkpoint")} - changed
        for name in sorted(logs):  # e.g. statistics of a table created by an older version
            lakehouse.truncate_history(name)
            vacuumed += len(lakehouse.vacuum(name, retention_hours=0))
            truncated.append(name)
        orphans: dict[str, set[str]] = {}
        for f in findings:
            if f.where == "data":
                orphans.setdefault(f.table, set()).add(f.file)
        for name, paths in sorted(orphans.items()):
            vacuumed += lakehouse.delete_unreferenced(name, paths)
        if logs or orphans:
            findings, scanned = _scan(lakehouse, needles)
        verified = not findings
        if findings:
            logger.error("erasure %s: %d finding(s) after erasure", request_id, len(findings))
    versions = {n: lakehouse.version(n) for n in TABLES if lakehouse.exists(n)}
    report = ErasureReport(
        request_id=request_id,
        requested_by=requested_by.strip(),
        identifier_type=subject.kind,
        identifier_hash=requested_hash,
        status=status,
        retention=retention,
        customer_ids=tuple(sorted(subject.customer_ids)),
        identifier_hashes=tuple(sorted(hashes)),
        rows_deleted=deleted,
        rows_redacted=redacted,
        files_vacuumed=vacuumed,
        history_truncated=tuple(truncated),
        verified=verified,
        findings=tuple(findings),
        values_checked=checked,
        shared_values=shared,
        files_scanned=scanned,
        table_versions=versions,
        started_at=started,
        finished_at=datetime.now(UTC),
    )
    _store_report(lakehouse, report)
    return report


def _held_by_others(reader: _Reader, subject: _Subject) -> set[str]:
    """The person's identifiers another customer's remaining record also holds (a family
    e-mail): they are not suppressed, or that person's data would be held back too."""
    others = reader.read("identity_records").filter(
        ~_keys_expr(subject.keys, "source", "source_record_id")
    )
    held: set[str] = set()
    for column in ("email", "phone", "user_id", "anonymous_id"):
        values = others.get_column(column).drop_nulls().str.strip_chars().to_list()
        held.update(f"{column}:{v}" for v in values if v)
    return subject.identifiers & held


def _suppress(
    lakehouse: Lakehouse,
    hashes: Mapping[str, str],
    done: set[str],
    at: datetime,
    request_id: str,
) -> None:
    rows = [
        {"identifier_hash": h, "identifier_type": t, "erased_at": at, "request_id": request_id}
        for h, t in sorted(hashes.items())
        if h not in done
    ]
    lakehouse.upsert("suppression", rows)


def _delete_rows(
    lakehouse: Lakehouse, reader: _Reader, subject: _Subject, hashes: set[str]
) -> tuple[dict[str, int], dict[str, int]]:
    deleted: dict[str, int] = {}
    redacted: dict[str, int] = {}
    lh = lakehouse

    def delete(name: str, rows: pl.DataFrame, on: Sequence[str]) -> None:
        if rows.height:
            deleted[name] = deleted.get(name, 0) + lh.delete_matching(name, rows, on=on).rows
        else:
            deleted.setdefault(name, 0)

    events = _events_of(reader, subject)
    # each delete matches on the table's partition column too, so that it rewrites only the
    # partitions that hold the rows
    delete("events", events.select("event_month", "event_id"), ["event_month", "event_id"])
    needles, per_source = _payload_needles(subject)
    for name, key in (("raw_events", "raw_id"), ("quarantine", "quarantine_id")):
        [part] = TABLES[name].partition_by
        frame = reader.read(name).select(part, key, "source", "payload")
        hits = frame.filter(pl.Series(_payload_rows(frame, needles, per_source), dtype=pl.Boolean))
        delete(name, hits.select(part, key), [part, key])
    keys = pl.DataFrame(
        sorted(subject.keys),
        schema={"source": pl.String, "source_record_id": pl.String},
        orient="row",
    )
    delete("identity_records", keys, ["source", "source_record_id"])
    delete("identity_map", keys, ["source", "source_record_id"])
    for side in ("left", "right"):
        side_keys = keys.rename(
            {"source": f"{side}_source", "source_record_id": f"{side}_record_id"}
        )
        delete("identity_links", side_keys, [f"{side}_source", f"{side}_record_id"])
    refs = [f"{s}:{r}" for s, r in subject.keys]
    overrides = reader.read("identity_overrides", _in("left_key", refs) | _in("right_key", refs))
    delete("identity_overrides", overrides.select("override_id"), ["override_id"])
    cids = _in("customer_id", subject.customer_ids)
    delete("profiles", reader.read("profiles", cids).select("customer_id"), ["customer_id"])
    delete(
        "segment_membership",
        reader.read("segment_membership", cids).select("segment", "customer_id"),
        ["segment", "customer_id"],
    )
    ledger = reader.read("consent_ledger", _in("subject_hash", hashes) | cids)
    if ledger.height:
        redacted["consent_ledger"] = lh.redact(
            "consent_ledger",
            ledger.select("idempotency_key"),
            on=["idempotency_key"],
            columns=list(_LEDGER_PERSONAL),
        ).rows
    activations = reader.read("activation_log", cids | _in("subject", subject.identifiers))
    if activations.height:
        redacted["activation_log"] = lh.redact(
            "activation_log",
            activations.select("decided_date", "activation_id"),
            on=["decided_date", "activation_id"],
            columns=["subject"],
        ).rows
    return deleted, redacted


def _store_report(lakehouse: Lakehouse, report: ErasureReport) -> None:
    data = report.to_json()
    row = {
        **{k: data[k] for k in ("request_id", "requested_by", "identifier_type", "status")},
        "identifier_hash": report.identifier_hash,
        "retention": report.retention,
        "customer_ids": list(report.customer_ids),
        "identifier_hashes": list(report.identifier_hashes),
        "rows_deleted": orjson.dumps(report.rows_deleted).decode(),
        "rows_redacted": orjson.dumps(report.rows_redacted).decode(),
        "files_vacuumed": report.files_vacuumed,
        "history_truncated": list(report.history_truncated),
        "verified": report.verified,
        "findings": orjson.dumps(data["findings"]).decode(),
        "table_versions": orjson.dumps(report.table_versions).decode(),
        "started_at": report.started_at,
        "finished_at": report.finished_at,
    }
    lakehouse.append("erasure_requests", [row])


# -- verification ------------------------------------------------------------------------------


def _needles(
    lakehouse: Lakehouse, subject: _Subject
) -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    """Values to search for, by kind, less those a remaining record still holds."""
    rec = subject.records
    wanted: dict[str, set[str]] = {
        "email": {v for v in rec.get_column("email").to_list() if v},
        "phone": {v for v in rec.get_column("phone").to_list() if v},
        "user_id": set(subject.user_ids),
        "anonymous_id": set(subject.anonymous_ids),
        "record_id": {r for _, r in subject.keys if len(r) >= _MIN_RECORD_ID},
        "name": set(),
    }
    if subject.kind in ("email", "phone", "user_id", "anonymous_id"):
        wanted[subject.kind].add(subject.value)
    for first, last, full in rec.select("first_name", "last_name", "full_name").iter_rows():
        if first and last:
            wanted["name"].add(f"{first} {last}")
        if full:
            wanted["name"].add(full)
    wanted["name"] = {n for n in wanted["name"] if len(n) >= _MIN_NAME}
    # values still held by a remaining record (someone else's) are not the person's alone
    remaining = lakehouse.read("identity_records")
    held: dict[str, set[str]] = {
        "email": set(remaining.get_column("email").drop_nulls().to_list()),
        "phone": set(remaining.get_column("phone").drop_nulls().to_list()),
        "user_id": set(remaining.get_column("user_id").drop_nulls().to_list()),
        "anonymous_id": set(remaining.get_column("anonymous_id").drop_nulls().to_list()),
        "record_id": set(remaining.get_column("source_record_id").to_list()),
        "name": {
            v.lower()
            for v in remaining.select(
                pl.concat_str("first_name", pl.lit(" "), "last_name").alias("n")
            )
            .get_column("n")
            .drop_nulls()
            .to_list()
        }
        | {v.lower() for v in remaining.get_column("full_name").drop_nulls().to_list()},
    }
    shared: dict[str, int] = {}
    for kind, values in wanted.items():
        others = held[kind] if kind != "name" else held["name"]
        keep = {v for v in values if (v.lower() if kind == "name" else v) not in others}
        if len(keep) < len(values):
            shared[kind] = len(values) - len(keep)
        wanted[kind] = keep
    checked = {k: len(v) for k, v in wanted.items() if v}
    return wanted, checked, shared


def _variants(value: str) -> set[bytes]:
    """The byte forms a value may take in a file: UTF-8, and JSON-escaped."""
    low = value.lower()
    forms = {low.encode()}
    escaped = orjson.dumps(low).decode()[1:-1]
    forms.add(escaped.encode())
    ascii_escaped = low.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
    forms.add(ascii_escaped.encode())
    return forms


def _scan(lakehouse: Lakehouse, needles: Mapping[str, set[str]]) -> tuple[list[Finding], int]:
    """Every file of every table, searched for the needles (see the module documentation).
    Files are read and searched on a few threads (Arrow releases the GIL while it decodes)."""
    raw_needles = [
        (kind, form) for kind, values in needles.items() for v in values for form in _variants(v)
    ]
    text_needles = [(kind, v) for kind, values in needles.items() for v in values]
    if not text_needles:
        return [], 0
    files = [
        (name, path)
        for name in TABLES
        if lakehouse.exists(name)
        for path in lakehouse.table_files(name)
    ]

    def search(item: tuple[str, str]) -> list[Finding]:
        name, path = item
        data = lakehouse.read_file(name, path)
        where = _where(path)
        low = data.lower()
        kinds = {kind for kind, form in raw_needles if form in low}
        if path.endswith(".parquet"):
            kinds |= _parquet_hits(data, text_needles)
        return [Finding(name, path, kind, where) for kind in kinds]

    with ThreadPoolExecutor(max_workers=_SCAN_THREADS) as pool:
        findings = {f for found in pool.map(search, files) for f in found}
    return sorted(findings, key=lambda f: (f.table, f.file, f.kind)), len(files)


def _where(path: str) -> Literal["data", "log", "checkpoint", "other"]:
    if path.startswith("_delta_log/"):
        return "checkpoint" if ".checkpoint." in path else "log"
    return "data" if path.endswith(".parquet") else "other"


def _parquet_hits(data: bytes, needles: list[tuple[str, str]]) -> set[str]:
    """Kinds of needle found in the decoded values of a Parquet file (one regular expression
    over each string column; the kinds are told apart only in a column that matched)."""
    try:
        schema = pq.read_schema(io.BytesIO(data))
        texts = [f.name for f in schema if _has_text(f.type)]
        if not texts:
            return set()
        table = pq.read_table(io.BytesIO(data), columns=texts)
    except (pa.ArrowInvalid, OSError):
        return {"unreadable"}
    anything = "|".join(re.escape(v) for _, v in needles)
    found: set[str] = set()
    for column in table.columns:
        if column.num_chunks == 0:
            continue
        for leaf in _leaves(column.combine_chunks()):
            if not pc.any(pc.match_substring_regex(leaf, anything, ignore_case=True)).as_py():
                continue
            for kind, value in needles:
                if (
                    kind not in found
                    and pc.any(pc.match_substring(leaf, value, ignore_case=True)).as_py()
                ):
                    found.add(kind)
    return found


def _has_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _has_text(kind.value_type)
    if pa.types.is_struct(kind) or pa.types.is_map(kind) or pa.types.is_list(kind):
        return any(_has_text(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_large_list(kind):
        return _has_text(kind.value_type)
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _leaves(array: pa.Array) -> Iterator[pa.Array]:
    """The string and binary arrays inside ``array`` (structs, lists and maps unpacked)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        yield from _leaves(array.dictionary_decode())
    elif pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            yield from _leaves(array.field(i))
    elif pa.types.is_map(kind):
        yield from _leaves(array.keys)
        yield from _leaves(array.items)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        yield from _leaves(array.flatten())
    elif (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ) and len(array):
        yield array


# -- export ------------------------------------------------------------------------------------


def export_subject(lakehouse: Lakehouse, settings: Settings, identifier: str) -> dict[str, Any]:
    """Everything held about the person ``identifier`` names, JSON-ready (Art. 15/20).

    Keys: ``subject`` (the identifier asked for), ``customer_ids``, ``identifiers`` (every
    ``type:value`` of the person), ``identity_records`` (by source), ``identity_map``,
    ``identity_links``, ``events``, ``raw_events`` (payloads as text), ``quarantine``,
    ``consent_history`` (ledger statements, oldest first), ``activations``,
    ``segment_memberships``, ``profiles``, ``suppressed`` and ``manifest`` (tables and
    versions read, time). Raises :class:`SubjectNotFoundError` when nothing is held.
    """
    reader = _Reader(lakehouse)
    subject = _resolve(reader, settings, identifier)
    hash_of = settings.privacy.hash_identifier
    hashes = {hash_of(i) for i in subject.identifiers}
    if not subject.found and _events_of(reader, subject).height == 0:
        ledger = reader.read(
            "consent_ledger",
            _in("subject_hash", hashes) | _in("customer_id", subject.customer_ids),
        )
        if ledger.height == 0:
            raise SubjectNotFoundError("no data held for this identifier")
    cids = _in("customer_id", subject.customer_ids)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in subject.records.sort("source", "source_record_id").iter_rows(named=True):
        by_source.setdefault(row["source"], []).append(_json_row(row))
    keys = subject.keys
    needles, per_source = _payload_needles(subject)
    payloads: dict[str, list[dict[str, Any]]] = {}
    for name in ("raw_events", "quarantine"):
        frame = reader.read(name)
        hits = frame.filter(pl.Series(_payload_rows(frame, needles, per_source), dtype=pl.Boolean))
        payloads[name] = _rows(hits.sort("received_at"))
    links = reader.read(
        "identity_links",
        _keys_expr(keys, "left_source", "left_record_id")
        | _keys_expr(keys, "right_source", "right_record_id"),
    )
    result: dict[str, Any] = {
        "subject": subject.requested,
        "customer_ids": sorted(subject.customer_ids),
        "identifiers": sorted(subject.identifiers),
        "identity_records": by_source,
        "identity_map": _rows(
            reader.read("identity_map", _keys_expr(keys, "source", "source_record_id") | cids)
        ),
        "identity_links": _rows(links),
        "events": _rows(_events_of(reader, subject).sort("occurred_at", "event_id")),
        "raw_events": payloads["raw_events"],
        "quarantine": payloads["quarantine"],
        "consent_history": _rows(
            reader.read("consent_ledger", _in("subject_hash", hashes) | cids).sort(
                "captured_at", "recorded_at", "consent_id"
            )
        ),
        "activations": _rows(
            reader.read("activation_log", cids | _in("subject", subject.identifiers)).sort(
                "decided_at", "activation_id"
            )
        ),
        "segment_memberships": _rows(
            reader.read("segment_membership", cids).sort("segment", "entered_at")
        ),
        "profiles": _rows(reader.read("profiles", cids)),
        "suppressed": bool(reader.read("suppression", _in("identifier_hash", hashes)).height),
    }
    result["manifest"] = {
        "generated_at": datetime.now(UTC).isoformat(),
        "tables": dict(sorted(reader.versions.items())),
        "counts": {
            k: (
                sum(len(v) for v in result[k].values())
                if isinstance(result[k], dict)
                else len(result[k])
            )
            for k in (
                "identity_records",
                "identity_map",
                "identity_links",
                "events",
                "raw_events",
                "quarantine",
                "consent_history",
                "activations",
                "segment_memberships",
                "profiles",
            )
        },
    }
    return result


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [_json_row(r) for r in frame.iter_rows(named=True)]


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in row.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value
