"""The consent store: the gate's state kept current over the lakehouse tables.

:class:`ConsentStore` reads ``consent_ledger``, ``identity_map`` (with the identifiers of the
mapped ``identity_records``: email, phone, user_id, anonymous_id), ``identity_merges`` and
``suppression``, builds a :class:`~consent.gate.ConsentState` and keeps it current:

- :meth:`ConsentStore.state` checks the Delta versions of the watched tables at most every
  ``check_interval``; a ledger that only grew (appends: no data file removed) is read
  incrementally (only the data files added since the last read); any other change (identity,
  suppression, a ledger delete or compaction) rebuilds the state.
- :meth:`ConsentStore.record` appends statements idempotently and puts them in force for the
  very next decision of this store (read-your-write).
- It fails closed: when a table cannot be read the state is
  :meth:`ConsentState.unavailable <consent.gate.ConsentState.unavailable>` (every decision is
  ``STATE_UNAVAILABLE``) and the reason is logged; a state not refreshed within
  ``max_staleness`` of the decision time denies ``STATE_STALE``.

Every decision records the versions read (``consent_ledger``, ``identity_map``,
``identity_merges``, ``suppression``) and the customer the subject resolved to.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import polars as pl

from cdp.config import Settings
from cdp.ingest.consent import ConsentRows
from cdp.models.consent import ConsentStatement, parse_consent_statement, parse_identifier
from cdp.models.errors import InvalidInputError
from consent.gate import (
    DEFAULT_MAX_STALENESS,
    LEDGER_COLUMNS,
    ConsentError,
    ConsentState,
    Decision,
    build_state,
    decide,
    decide_many,
    extend_state,
)
from consent.privacy import pseudonymize_erased
from storage import Lakehouse, StorageError, TableMissingError

__all__ = ["WATCHED_TABLES", "ConsentStore", "identity_pairs", "merge_targets"]

logger = logging.getLogger(__name__)

#: Tables whose Delta versions the state depends on (recorded in every decision).
WATCHED_TABLES: Final[tuple[str, ...]] = (
    "consent_ledger",
    "identity_map",
    "identity_merges",
    "suppression",
)
_LEDGER = "consent_ledger"
_READ_COLUMNS: Final[tuple[str, ...]] = (
    *LEDGER_COLUMNS,
    "subject_type",
    "subject_value",
    "notice_version",  # R12: what the notice of a grant covers
)
#: identity_records columns that are identifiers of the record's customer.
_RECORD_IDENTIFIERS: Final[tuple[str, ...]] = ("email", "phone", "user_id", "anonymous_id")
_CACHE_LIMIT: Final = 5_000_000


def _now() -> datetime:
    return datetime.now(UTC)


class ConsentStore:
    """The current consent state of one lakehouse, and the gate over it (thread-safe)."""

    def __init__(
        self,
        lakehouse: Lakehouse,
        settings: Settings,
        *,
        max_staleness: timedelta = DEFAULT_MAX_STALENESS,
        clock: Callable[[], datetime] = _now,
        check_interval: timedelta = timedelta(milliseconds=250),
        record_identifiers: bool = True,
    ) -> None:
        self._lakehouse = lakehouse
        self._settings = settings
        self._purposes = dict(settings.purposes)
        self._max_staleness = max_staleness
        self._clock = clock
        self._interval = check_interval.total_seconds()
        self._record_identifiers = record_identifiers
        self._rows = ConsentRows(settings)
        self._lock = threading.RLock()
        self._state: ConsentState | None = None
        self._files: frozenset[str] = frozenset()  # ledger data files the state has read
        self._checked = float("-inf")  # monotonic time of the last version check
        self._merged: dict[str, str] = {}  # old customer_id -> current customer_id
        # Kept between rebuilds (identities change little): keyed hashes and normalized forms.
        self._hashes: dict[str, str] = {}
        self._normalized: dict[str, str | None] = {}
        #: Why the last refresh failed (None when it succeeded); never holds personal data.
        self.last_error: str | None = None

    # -- state -----------------------------------------------------------------------------

    def state(self) -> ConsentState:
        """The current state; checks the tables' versions at most every ``check_interval``."""
        with self._lock:
            if self._state is None or time.monotonic() - self._checked >= self._interval:
                return self._refresh(force=False)
            return self._state

    def refresh(self) -> ConsentState:
        """Check the tables now (reads what changed) and return the state."""
        with self._lock:
            return self._refresh(force=True)

    def _refresh(self, *, force: bool) -> ConsentState:
        now = self._clock()
        try:
            versions = {name: self._version(name) for name in WATCHED_TABLES}
            state = self._state
            if state is None or not state.available or self._rebuild_needed(state, versions):
                state = self._build(versions, now)
            elif versions[_LEDGER] != state.versions.get(_LEDGER):
                state = self._extend(state, versions, now)
            else:  # nothing changed: the state is complete up to now
                state = replace(state, fresh_at=now, versions=versions)
        except Exception as e:  # any failure to read the tables fails closed (R1)
            reason = f"{type(e).__name__}: {str(e)[:300]}"
            if reason != self.last_error:
                logger.error("consent state unavailable (failing closed): %s", reason)
            self.last_error = reason
            self._state = ConsentState.unavailable(self._purposes)
            self._files = frozenset()
            self._checked = time.monotonic()
            return self._state
        if self.last_error is not None:
            logger.info("consent state available again")
        self.last_error = None
        self._state = state
        self._checked = time.monotonic()
        return state

    def _version(self, name: str) -> int:
        # A cached handle does not notice a table that went away: check that it is there.
        if not self._lakehouse.exists(name):
            raise TableMissingError(f"table {name} cannot be found")
        return self._lakehouse.version(name)

    @staticmethod
    def _rebuild_needed(state: ConsentState, versions: Mapping[str, int]) -> bool:
        return any(
            versions[name] != state.versions.get(name) for name in WATCHED_TABLES if name != _LEDGER
        )

    def _ledger_files(self, version: int) -> frozenset[str]:
        return frozenset(self._lakehouse.table(_LEDGER, version=version).file_uris())

    def _build(self, versions: Mapping[str, int], now: datetime) -> ConsentState:
        lh = self._lakehouse
        ledger = (
            lh.scan(_LEDGER, version=versions[_LEDGER])
            .select(_READ_COLUMNS)
            .unique(subset="consent_id", keep="first", maintain_order=True)
            .collect()
        )
        files = self._ledger_files(versions[_LEDGER])
        imap = lh.read("identity_map", version=versions["identity_map"])
        merges = lh.read("identity_merges", version=versions["identity_merges"])
        suppressed = (
            lh.scan("suppression", version=versions["suppression"])
            .select("identifier_hash")
            .collect()
            .get_column("identifier_hash")
            .to_list()
        )
        identities = self._identities(imap)
        self._merged = merge_targets(merges, set(identities))
        state = build_state(
            self._redirect(ledger),
            self._purposes,
            identities=identities,
            suppressed=suppressed,
            privacy=self._settings.privacy,
            fresh_at=now,
            max_staleness=self._max_staleness,
            versions=versions,
            hash_cache=self._hashes,
            normalized=True,
            notices=self._settings.notices,
        )
        if len(self._hashes) > _CACHE_LIMIT:
            self._hashes.clear()
        self._files = files
        logger.info(
            "consent state built: %d statements, %d customers, versions %s",
            state.ledger.height,
            len(state.identifiers),
            dict(versions),
        )
        return state

    def _identities(self, imap: pl.DataFrame) -> dict[str, list[str]]:
        """customer_id -> ``type:value`` identifiers (source keys and record identifiers)."""
        pairs = identity_pairs(self._lakehouse, imap, record_identifiers=self._record_identifiers)
        out: dict[str, list[str]] = {}
        for customer, identifier in pairs.select("customer_id", "identifier").iter_rows():
            out.setdefault(customer, []).append(identifier)
        return self._valid(out)

    def _redirect(self, ledger: pl.DataFrame) -> pl.DataFrame:
        """Ledger rows owned by an old (merged) customer id owned by the customer it became.

        A statement on ``customer_id:<old>`` or recorded with ``customer_id`` ``<old>`` counts
        for the customer ``<old>`` was merged into (``identity_merges``), as decisions do.
        """
        merged = self._merged
        if not merged or ledger.height == 0:
            return ledger
        out = ledger.with_columns(pl.col("customer_id").replace(merged))
        if "subject_type" in out.columns and "subject_value" in out.columns:
            out = out.with_columns(
                subject_value=pl.when(pl.col("subject_type") == "customer_id")
                .then(pl.col("subject_value").replace(merged))
                .otherwise(pl.col("subject_value"))
            )
        return out

    def _valid(self, by_customer: dict[str, list[str]]) -> dict[str, list[str]]:
        """Normalized identifiers; those that do not parse (a malformed e-mail) are dropped."""
        if len(self._normalized) > _CACHE_LIMIT:
            self._normalized.clear()
        cache = self._normalized
        out: dict[str, list[str]] = {}
        for customer, identifiers in by_customer.items():
            kept = out.setdefault(customer, [])
            for identifier in identifiers:
                if identifier in cache:
                    found = cache[identifier]
                else:
                    try:
                        kind, value = parse_identifier(identifier)
                        found = f"{kind}:{value}"
                    except InvalidInputError:
                        found = None
                    cache[identifier] = found
                if found is not None:
                    kept.append(found)
        return out

    def _extend(
        self, state: ConsentState, versions: Mapping[str, int], now: datetime
    ) -> ConsentState:
        files = self._ledger_files(versions[_LEDGER])
        if self._files - files:  # a file was removed: a delete, an overwrite or a compaction
            logger.info("consent ledger had a non-append change: rebuilding the state")
            return self._build(versions, now)
        added = sorted(files - self._files)
        rows = (
            pl.scan_parquet(added, storage_options=self._lakehouse.storage_options)
            .select(_READ_COLUMNS)
            .collect()
            if added
            else _no_rows()
        )
        self._files = files
        logger.debug("consent ledger: %d rows read from %d new files", rows.height, len(added))
        return extend_state(state, self._redirect(rows), fresh_at=now, versions=versions)

    # -- writes ----------------------------------------------------------------------------

    def record(
        self,
        statements: Iterable[ConsentStatement | Mapping[str, Any]],
        *,
        recorded_at: datetime | None = None,
    ) -> list[str]:
        """Validate and append statements; returns their ``consent_id`` s (input order).

        A statement whose idempotency key is already in the ledger is not written again (its
        ``consent_id`` is returned all the same). The statements are in force for the very
        next decision of this store. A statement without ``channel`` is for the purpose's
        channel (the catalogue's), as for statements found by ingest. Raises
        :class:`~cdp.models.errors.InvalidInputError` naming the field of an invalid statement
        (nothing is written then) or for a purpose missing from the purpose catalogue.
        """
        parsed = [
            s if isinstance(s, ConsentStatement) else parse_consent_statement(s) for s in statements
        ]
        for s in parsed:
            if not self._rows.known(s.purpose):
                raise InvalidInputError("purpose", "not in the purpose catalogue")
        at = recorded_at or self._clock()
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        rows = [self._rows.row_from_statement(s, recorded_at=at) for s in parsed]
        for row in rows:  # a statement names no channel: the purpose's (as ingest does)
            if row["channel"] is None:
                row["channel"] = self._purposes[row["purpose"]].channel
        ids = [r["consent_id"] for r in rows]
        with self._lock:
            state = self._refresh(force=True)
            if not state.available:
                raise ConsentError("the consent ledger cannot be read; nothing was recorded")
            have = set(
                state.ledger.filter(pl.col("consent_id").is_in(ids))
                .get_column("consent_id")
                .to_list()
            )
            new: dict[str, dict[str, Any]] = {}
            for r in rows:
                if r["consent_id"] not in have:
                    new.setdefault(r["consent_id"], r)
            for r in new.values():  # the customer at recording time (replay rests on it)
                if r["customer_id"] is None:
                    subject = self._resolve(f"{r['subject_type']}:{r['subject_value']}")
                    owner = state.owner(subject)
                    r["customer_id"] = None if owner.startswith("#") else owner
            if not new:
                return ids
            written = list(new.values())
            pseudonymize_erased(written, state.suppressed)
            result = self._lakehouse.append(_LEDGER, written)
            versions = dict(state.versions)
            previous = state.versions.get(_LEDGER)
            frame = pl.DataFrame(
                [{c: r[c] for c in _READ_COLUMNS} for r in written],
                schema=_no_rows().schema,
            )
            if previous is not None and result.version == previous + 1:
                # No other commit in between: the state now is exactly that version.
                versions[_LEDGER] = result.version
                self._files = self._ledger_files(result.version)
            self._state = extend_state(state, self._redirect(frame), versions=versions)
            logger.info("recorded %d consent statements (%d new)", len(ids), len(written))
        return ids

    # -- decisions -------------------------------------------------------------------------

    def _resolve(self, subject: str) -> str:
        kind, value = parse_identifier(subject)
        if kind == "customer_id" and value in self._merged:
            return f"customer_id:{self._merged[value]}"
        return subject

    def decide(
        self,
        subject: str,
        purpose: str,
        *,
        at: datetime | None = None,
        destination: str | None = None,
        as_of: datetime | None = None,
        jurisdiction: str | None = None,
        channel: str | None = None,
    ) -> Decision:
        """The gate's decision for ``subject`` (any ``type:value``) and ``purpose``.

        ``at`` defaults to the store's clock. An old ``customer_id`` of a merged customer
        resolves to the customer it was merged into (``identity_merges``).
        """
        state = self.state()
        with self._lock:
            resolved = self._resolve(subject)
        decision = decide(
            state,
            resolved,
            purpose,
            at=at if at is not None else self._clock(),
            as_of=as_of,
            jurisdiction=jurisdiction,
            channel=channel,
            destination=destination,
        )
        if resolved != subject:
            return _with_subject(decision, subject)
        return decision

    def decide_many(
        self,
        frame: pl.DataFrame,
        purpose: str,
        *,
        at: datetime | None = None,
        destination: str | None = None,
        as_of: datetime | None = None,
        jurisdiction: str | None = None,
        channel: str | None = None,
    ) -> pl.DataFrame:
        """:meth:`decide` for every ``customer_id`` of ``frame`` (vectorized, input order).

        Returns ``customer_id, allowed, reason_codes, evidence_ids`` plus ``purpose``,
        ``destination``, ``decided_at``, ``ledger_version``, ``identity_version`` and
        ``table_versions`` (JSON), the columns :class:`~consent.activation.ActivationLog`
        records.
        """
        state = self.state()
        at_ = at if at is not None else self._clock()
        at_ = at_ if at_.tzinfo is not None else at_.replace(tzinfo=UTC)
        with self._lock:
            merged = dict(self._merged)
        original = frame.get_column("customer_id").cast(pl.String)
        asked = frame.with_columns(customer_id=original.replace(merged) if merged else original)
        out = decide_many(
            state,
            asked,
            purpose,
            at=at_,
            as_of=as_of,
            jurisdiction=jurisdiction,
            channel=channel,
        )
        versions = dict(state.versions)
        return out.with_columns(
            customer_id=original,
            purpose=pl.lit(purpose, dtype=pl.String),
            destination=pl.lit(destination, dtype=pl.String),
            decided_at=pl.lit(at_, dtype=pl.Datetime("us", "UTC")),
            ledger_version=pl.lit(versions.get(_LEDGER), dtype=pl.Int64),
            identity_version=pl.lit(versions.get("identity_map"), dtype=pl.Int64),
            table_versions=pl.lit(orjson.dumps(versions).decode(), dtype=pl.String),
        )

    def current(self, identifier: str) -> dict[str, Decision]:
        """One decision per purpose of the catalogue for ``identifier``, now."""
        at = self._clock()
        return {p: self.decide(identifier, p, at=at) for p in self._purposes}

    def history(self, identifier: str) -> pl.DataFrame:
        """Every ledger row of the identifier's customer (all its identifiers), sorted.

        Sorted by ``captured_at``, ``recorded_at`` and ``consent_id``; every ledger column
        (the bitemporal ``captured_at``/``recorded_at``/``expires_at`` included) plus
        ``owner`` (the customer, or ``#<hash>`` for an unresolved identifier). Raises
        :class:`ConsentError` when the state cannot be read.
        """
        state = self.state()
        if not state.available:
            raise ConsentError("the consent state cannot be read")
        with self._lock:
            owner = state.owner(self._resolve(identifier))
        ids = state.ledger.filter(pl.col("owner") == owner).get_column("consent_id").unique()
        version = state.versions.get(_LEDGER)
        rows = (
            self._lakehouse.scan(_LEDGER, version=version)
            .filter(pl.col("consent_id").is_in(ids.implode()))
            .collect()
        )
        if rows.height < ids.len():  # statements recorded here after that version
            rows = self._lakehouse.read(_LEDGER).filter(pl.col("consent_id").is_in(ids.implode()))
        return (
            rows.unique(subset="consent_id", keep="first")
            .with_columns(owner=pl.lit(owner, dtype=pl.String))
            .sort("captured_at", "recorded_at", "consent_id")
        )


def identity_pairs(
    lakehouse: Lakehouse, imap: pl.DataFrame, *, record_identifiers: bool = True
) -> pl.DataFrame:
    """``customer_id, identifier, resolved_at``: every identifier of every mapped customer.

    The identifiers are the ``<source>:<record id>`` keys of ``imap`` (identity_map rows) and,
    with ``record_identifiers``, the e-mail, phone, user id and anonymous id of the mapped
    ``identity_records`` (raw ``type:value``, not normalized). ``resolved_at`` is the
    identity_map row's (null when it has none).
    """
    resolved = (
        pl.col("resolved_at").cast(pl.Datetime("us", "UTC"))
        if "resolved_at" in imap.columns
        else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    )
    keys = imap.select(
        pl.col("customer_id").cast(pl.String),
        identifier=pl.col("source") + pl.lit(":") + pl.col("source_record_id"),
        resolved_at=resolved,
    )
    if not record_identifiers or imap.height == 0:
        return keys
    try:
        records = (
            lakehouse.scan("identity_records")
            .filter(~pl.col("deleted"))
            .select("source", "source_record_id", *_RECORD_IDENTIFIERS)
            .collect()
        )
    except StorageError as e:
        raise ConsentError(f"identity_records cannot be read: {e}") from e
    joined = imap.select("source", "source_record_id", "customer_id", resolved_at=resolved).join(
        records, on=["source", "source_record_id"], how="inner"
    )
    long = (
        joined.unpivot(
            index=["customer_id", "resolved_at"],
            on=list(_RECORD_IDENTIFIERS),
            variable_name="kind",
            value_name="value",
        )
        .drop_nulls("value")
        .select(
            "customer_id",
            identifier=pl.col("kind") + pl.lit(":") + pl.col("value"),
            resolved_at="resolved_at",
        )
        .unique(maintain_order=True)
    )
    return pl.concat([keys, long], how="vertical")


def _no_rows() -> pl.DataFrame:
    ts = pl.Datetime("us", "UTC")
    schema: dict[str, Any] = {c: pl.String for c in _READ_COLUMNS}
    schema.update(captured_at=ts, expires_at=ts, recorded_at=ts)
    return pl.DataFrame(schema=schema)


def merge_targets(merges: pl.DataFrame, current: set[str]) -> dict[str, str]:
    """old customer_id -> the customer it now belongs to (chains followed, latest first)."""
    step: dict[str, str] = {}
    for old, new in merges.sort("at").select("old_customer_id", "new_customer_id").iter_rows():
        step[old] = new  # the latest change of an id wins
    out: dict[str, str] = {}
    for old in step:
        if old in current:  # still a customer of the identity map: no redirection
            continue
        seen = {old}
        target = step[old]
        while target in step and target not in current and target not in seen:
            seen.add(target)
            target = step[target]
        if target != old:
            out[old] = target
    return out


def _with_subject(decision: Decision, subject: str) -> Decision:
    return Decision(
        allowed=decision.allowed,
        reason_codes=decision.reason_codes,
        evidence_ids=decision.evidence_ids,
        versions=decision.versions,
        purpose=decision.purpose,
        subject=subject,
        decided_at=decision.decided_at,
        destination=decision.destination,
        customer_id=decision.customer_id,
    )
