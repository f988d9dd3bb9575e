"""Consent audit: a subject's history, an activation's lineage, replay, and violations.

Every decision here is the gate's (:func:`consent.gate.decide`) over a state rebuilt from the
lakehouse as it was *known* at a system time; nothing re-implements a rule.

Replay never uses Delta time travel (vacuum removes old files): the time axes are columns.

- Statements known at system time ``known_at``: the ``consent_ledger`` rows with
  ``recorded_at <= known_at``.
- Identity known at ``known_at``: an identifier belongs to the customer the current
  ``identity_map`` gives it when that mapping is known to have held then (its ``resolved_at``
  is empty or ``<= known_at``, or no ``identity_merges`` row moved that customer after
  ``known_at``); otherwise to the ``customer_id`` recorded with its latest ledger row
  recorded by ``known_at`` (the customer at recording time). An old customer id resolves
  through the ``identity_merges`` rows with ``at <= known_at`` (chains followed), unless it
  was still a customer then.
- Erasure known at ``known_at``: the ``suppression`` rows with ``erased_at <= known_at``.

:meth:`ConsentAudit.violations` replays every allowed activation of ``activation_log`` as of
its ``decided_at`` with what was known then: a denial is an **engine fault** (the gate allowed
what the consent in force did not). Replayed with every statement known now, a denial is a
**late-arriving withdrawal** (a refusal captured before the decision but recorded after it),
reported apart: the engine could not have known it. States are built once per identity epoch
(the instants at which identity changed), so tens of thousands of activations cost one gate
call each.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import polars as pl

from cdp.config import Settings
from cdp.models.consent import parse_identifier
from cdp.models.errors import InvalidInputError
from consent.gate import (
    LEDGER_COLUMNS,
    ConsentError,
    ConsentState,
    Decision,
    build_state,
    decide,
    decide_many,
)
from consent.store import ConsentStore, identity_pairs, merge_targets
from storage import Lakehouse

__all__ = [
    "ActivationNotFoundError",
    "ConsentAudit",
    "Lineage",
    "SubjectHistory",
    "Violations",
]

logger = logging.getLogger(__name__)

_TS: Final = pl.Datetime("us", "UTC")
_BEGINNING: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NO_STALENESS: Final = timedelta(days=365_000)
_VECTOR_MIN: Final = 16  # activations at one instant replayed with one decide_many pass
_LEDGER_READ: Final[tuple[str, ...]] = (
    *LEDGER_COLUMNS,
    "subject_type",
    "subject_value",
    "notice_version",
)
#: Columns of each row of :attr:`Violations.engine_faults` / ``late_withdrawals``.
VIOLATION_COLUMNS: Final[tuple[str, ...]] = (
    "activation_id",
    "activation_type",
    "customer_id",
    "subject",
    "purpose",
    "destination",
    "decided_at",
    "reason_codes",
    "evidence_ids",
    "replay_reason_codes",
    "replay_evidence_ids",
)


class ActivationNotFoundError(ConsentError):
    """No ``activation_log`` row has that ``activation_id``."""


@dataclass(frozen=True, slots=True)
class SubjectHistory:
    """Every ledger row of a subject's customer, with the identity state it was read under."""

    subject: str
    #: The customer the subject resolves to now (None: an identifier of no known customer).
    customer_id: str | None
    #: How many identifiers the identity state gives the customer.
    identifiers: int
    #: Old customer ids merged into this customer (``identity_merges``).
    merged_from: tuple[str, ...]
    #: Table versions of the state read.
    versions: dict[str, int]
    #: Ledger rows sorted by ``captured_at``, ``recorded_at``, ``consent_id``.
    rows: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Lineage:
    """One activation: its log row, its evidence, the state used, and its decision replayed."""

    activation: dict[str, Any]
    #: The ledger rows of its ``evidence_ids``.
    evidence: pl.DataFrame
    #: Table versions the decision read (``table_versions``).
    versions: dict[str, int]
    #: The decision replayed as of ``decided_at`` with what was known then.
    replayed: Decision
    #: The decision replayed as of ``decided_at`` with everything known now.
    replayed_now: Decision

    @property
    def consistent(self) -> bool:
        """Whether the replay (known then) gives the logged answer."""
        return self.replayed.allowed == bool(self.activation["allowed"])


@dataclass(frozen=True, slots=True)
class Violations:
    """Allowed activations that the consent in force at their time contradicts."""

    since: datetime | None
    #: Allowed activations checked.
    checked: int
    #: Contradicted by what was known at decision time: the engine was wrong.
    engine_faults: pl.DataFrame
    #: Contradicted only by statements recorded after the decision (late-arriving).
    late_withdrawals: pl.DataFrame


@dataclass(frozen=True)
class _Tables:
    ledger: pl.DataFrame  # _LEDGER_READ columns
    identity: pl.DataFrame  # subject_hash, customer_id, resolved_at (current identity_map)
    merges: pl.DataFrame  # old_customer_id, new_customer_id, at
    suppression: pl.DataFrame  # identifier_hash, erased_at
    versions: dict[str, int]
    #: subject_hash -> customer_id for erased identifiers (their identity rows are deleted):
    #: the customer an activation resting on one of their statements recorded
    erased_owner: pl.DataFrame  # subject_hash, _erased_customer


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ConsentAudit:
    """Audit queries over one lakehouse (reads the tables afresh on every call)."""

    def __init__(
        self, lakehouse: Lakehouse, settings: Settings, *, store: ConsentStore | None = None
    ) -> None:
        self._lakehouse = lakehouse
        self._settings = settings
        self._purposes = dict(settings.purposes)
        self._store = store

    # -- reading ---------------------------------------------------------------------------

    def _read(self) -> _Tables:
        lh = self._lakehouse
        versions = {
            name: lh.version(name)
            for name in ("consent_ledger", "identity_map", "identity_merges", "suppression")
        }
        ledger = (
            lh.scan("consent_ledger", version=versions["consent_ledger"])
            .select(_LEDGER_READ)
            .unique(subset="consent_id", keep="first", maintain_order=True)
            .collect()
            .with_columns(pl.col(c).cast(_TS) for c in ("captured_at", "expires_at", "recorded_at"))
        )
        imap = lh.read("identity_map", version=versions["identity_map"])
        pairs = identity_pairs(lh, imap)
        hashes: list[str | None] = []
        hash_of = self._settings.privacy.hash_identifier
        for identifier in pairs.get_column("identifier").to_list():
            try:
                kind, value = parse_identifier(identifier)
            except InvalidInputError:
                hashes.append(None)
                continue
            hashes.append(hash_of(f"{kind}:{value}"))
        identity = (
            pairs.with_columns(subject_hash=pl.Series(hashes, dtype=pl.String))
            .drop_nulls("subject_hash")
            .select("subject_hash", "customer_id", "resolved_at")
        )
        merges = (
            lh.scan("identity_merges", version=versions["identity_merges"])
            .select("old_customer_id", "new_customer_id", pl.col("at").cast(_TS))
            .collect()
        )
        suppression = (
            lh.scan("suppression", version=versions["suppression"])
            .select("identifier_hash", pl.col("erased_at").cast(_TS))
            .collect()
        )
        erased_owner = _erased_owners(lh, ledger, suppression)
        return _Tables(ledger, identity, merges, suppression, versions, erased_owner)

    # -- the state known at a system time --------------------------------------------------

    def _state(self, tables: _Tables, known_at: datetime, *, late: bool) -> _KnownState:
        """The gate state as known at ``known_at`` (``late``: every statement known now)."""
        merges = tables.merges.filter(pl.col("at") <= known_at)
        moved_after = set(
            tables.merges.filter(pl.col("at") > known_at).get_column("new_customer_id").to_list()
        )
        identity = tables.identity.filter(
            pl.col("resolved_at").is_null()
            | (pl.col("resolved_at") <= known_at)
            | ~pl.col("customer_id").is_in(list(moved_after))
        )
        current = set(identity.get_column("customer_id").to_list())
        merged = merge_targets(merges, current)
        ledger = tables.ledger
        known = ledger if late else ledger.filter(pl.col("recorded_at") <= known_at)
        # The customer at recording time of each identifier: its latest row known by then
        # (for a late-arriving identifier: its first row).
        bound = ledger.filter(pl.col("customer_id").is_not_null())
        then = (
            bound.filter(pl.col("recorded_at") <= known_at)
            .sort("recorded_at", "consent_id")
            .group_by("subject_hash")
            .agg(_ledger_customer=pl.col("customer_id").last())
        )
        mapped = identity.group_by("subject_hash").agg(_mapped=pl.col("customer_id").first())
        frame = known.join(mapped, on="subject_hash", how="left").join(
            then, on="subject_hash", how="left"
        )
        frame = frame.join(tables.erased_owner, on="subject_hash", how="left")
        candidates: list[pl.Expr] = [pl.col("_mapped"), pl.col("_ledger_customer")]
        if late:
            first_after = (
                bound.filter(pl.col("recorded_at") > known_at)
                .sort("recorded_at", "consent_id")
                .group_by("subject_hash")
                .agg(_later_customer=pl.col("customer_id").first())
            )
            frame = frame.join(first_after, on="subject_hash", how="left")
            candidates.append(pl.col("_later_customer"))
        candidates.extend([pl.col("customer_id"), pl.col("_erased_customer")])
        owner = (
            pl.when(
                (pl.col("subject_type") == "customer_id") & pl.col("subject_value").is_not_null()
            )
            .then(pl.col("subject_value"))
            .otherwise(pl.coalesce(*candidates))  # (an erased row's value is redacted)
        )
        frame = frame.with_columns(_owner=owner)
        if merged:
            frame = frame.with_columns(
                _owner=pl.when(pl.col("_owner").is_in(list(current)))
                .then(pl.col("_owner"))
                .otherwise(pl.col("_owner").replace(merged))
            )
        extra = ["notice_version"] if "notice_version" in frame.columns else []  # R12
        ledger_for_gate = frame.select(
            *(c for c in LEDGER_COLUMNS if c != "customer_id"),
            *extra,
            customer_id=pl.col("_owner"),
        )
        suppressed = (
            tables.suppression.filter(pl.col("erased_at") <= known_at)
            .get_column("identifier_hash")
            .to_list()
        )
        state = build_state(
            ledger_for_gate,
            self._purposes,
            suppressed=suppressed,
            privacy=self._settings.privacy,
            fresh_at=known_at,
            max_staleness=_NO_STALENESS,
            versions=tables.versions,
            notices=self._settings.notices,
        )
        owner_of_hash = dict(
            frame.select("subject_hash", "_owner")
            .drop_nulls("_owner")
            .unique("subject_hash")
            .rows()
        )
        identity_owner = dict(mapped.rows())
        return _KnownState(state, merged, current, owner_of_hash, identity_owner)

    # -- public queries --------------------------------------------------------------------

    def replay(
        self,
        subject: str,
        purpose: str,
        *,
        valid_at: datetime,
        known_at: datetime | None = None,
    ) -> Decision:
        """The gate's decision for ``subject`` and ``purpose`` at valid time ``valid_at``,
        using only what was known at system time ``known_at`` (default: now).

        Raises :class:`~cdp.models.errors.InvalidInputError` for a malformed subject.
        """
        parse_identifier(subject)
        valid = _utc(valid_at)
        known = _utc(known_at)
        known_state = self._state(self._read(), known, late=False)
        return known_state.decide(subject, purpose, at=valid, as_of=known)

    def subject_history(self, identifier: str) -> SubjectHistory:
        """Every ledger row (bitemporal: ``captured_at``, ``recorded_at``, ``expires_at``) of
        every identifier of ``identifier``'s customer, with the identity state used."""
        store = self._store or ConsentStore(self._lakehouse, self._settings)
        rows = store.history(identifier)
        state = store.state()
        decision = store.decide(identifier, next(iter(self._purposes), "_"))
        customer = decision.customer_id
        merges = self._lakehouse.read("identity_merges")
        merged_from: tuple[str, ...] = ()
        if customer is not None and merges.height:
            merged_from = tuple(
                sorted(
                    set(
                        merges.filter(pl.col("new_customer_id") == customer)
                        .get_column("old_customer_id")
                        .to_list()
                    )
                    - {customer}
                )
            )
        count = len(state.identifiers.get(customer, ())) if customer is not None else 0
        return SubjectHistory(
            subject=identifier,
            customer_id=customer,
            identifiers=count,
            merged_from=merged_from,
            versions=dict(state.versions),
            rows=rows,
        )

    def _activation(self, activation_id: str) -> dict[str, Any]:
        found = (
            self._lakehouse.scan("activation_log")
            .filter(pl.col("activation_id") == activation_id)
            .collect()
        )
        if found.height == 0:
            raise ActivationNotFoundError("no activation has that id")
        return found.row(0, named=True)

    def activations(self, subject: str, *, limit: int = 1000) -> pl.DataFrame:
        """The logged activations of ``subject``'s customer (its old merged ids included),
        latest first."""
        kind, value = parse_identifier(subject)
        store = self._store or ConsentStore(self._lakehouse, self._settings)
        customer = store.decide(f"{kind}:{value}", next(iter(self._purposes), "_")).customer_id
        ids = {f"{kind}:{value}"}
        customers: set[str] = set()
        if customer is not None:
            customers.add(customer)
            merges = self._lakehouse.read("identity_merges")
            customers.update(
                merges.filter(pl.col("new_customer_id") == customer)
                .get_column("old_customer_id")
                .to_list()
            )
        wanted = pl.col("subject").is_in(list(ids))
        if customers:
            wanted |= pl.col("customer_id").is_in(list(customers))
        return (
            self._lakehouse.scan("activation_log")
            .filter(wanted)
            .sort("decided_at", "activation_id", descending=True)
            .head(limit)
            .collect()
        )

    def activation_lineage(self, activation_id: str) -> Lineage:
        """The activation row, its evidence rows, the versions and identity state used, and
        its decision replayed (known then and known now).

        Raises :class:`ActivationNotFoundError` for an unknown id.
        """
        row = self._activation(activation_id)
        tables = self._read()
        evidence_ids = list(row.get("evidence_ids") or [])
        evidence = (
            self._lakehouse.scan("consent_ledger")
            .filter(pl.col("consent_id").is_in(evidence_ids))
            .collect()
            .unique(subset="consent_id", keep="first")
            .sort("captured_at", "consent_id")
        )
        versions: dict[str, int] = {}
        if row.get("table_versions"):
            try:
                versions = dict(orjson.loads(row["table_versions"]))
            except orjson.JSONDecodeError:
                versions = {}
        decided = _utc(row["decided_at"])
        subject = _subject_of(row)
        then = self._state(tables, decided, late=False)
        now = self._state(tables, decided, late=True)
        return Lineage(
            activation=row,
            evidence=evidence,
            versions=versions,
            replayed=then.decide(subject, row["purpose"], at=decided, as_of=decided),
            replayed_now=now.decide(subject, row["purpose"], at=decided, as_of=None),
        )

    def violations(self, since: datetime | None = None) -> Violations:
        """Allowed activations (decided at or after ``since``) that the consent in force at
        their decision time contradicts: engine faults and late-arriving withdrawals."""
        since_ = _utc(since) if since is not None else None
        log = self._lakehouse.scan("activation_log").filter(pl.col("allowed"))
        if since_ is not None:
            log = log.filter(pl.col("decided_at") >= since_)
        allowed = log.with_columns(pl.col("decided_at").cast(_TS)).sort("decided_at").collect()
        empty = _violation_frame([])
        if allowed.height == 0:
            return Violations(since_, 0, empty, empty)
        tables = self._read()
        epochs = _identity_epochs(tables)
        faults: list[dict[str, Any]] = []
        late: list[dict[str, Any]] = []
        cache: dict[tuple[int, bool], _KnownState] = {}

        def state_for(at: datetime, *, is_late: bool, group_end: datetime) -> _KnownState:
            key = (bisect.bisect_right(epochs, at), is_late)
            found = cache.get(key)
            if found is None:
                found = self._state(tables, group_end, late=is_late)
                cache[key] = found
            return found

        # The instant each activation's epoch ends (states are built as of the epoch's last
        # activation: identity does not change within an epoch; statements are cut by as_of).
        decided = allowed.get_column("decided_at").to_list()
        epoch_of = [bisect.bisect_right(epochs, t) for t in decided]
        group_end: dict[int, datetime] = {}
        for e, t in zip(epoch_of, decided, strict=True):
            group_end[e] = t  # sorted: the last one wins
        # A segment sync decides many customers at one instant: such a group is replayed with
        # one vectorized gate pass (decide_many gives decide's answers); the rest one by one.
        groups = allowed.group_by("decided_at", "purpose", maintain_order=True)
        for (t_raw, purpose), group in groups:
            t = _utc(t_raw)
            end = group_end[bisect.bisect_right(epochs, t)]
            then_state = state_for(t, is_late=False, group_end=end)
            late_state = state_for(t, is_late=True, group_end=end)
            rows = group.to_dicts()
            if len(rows) >= _VECTOR_MIN and all(r.get("customer_id") for r in rows):
                customers = [then_state.customer(r["customer_id"]) for r in rows]
                then = then_state.decide_many(customers, str(purpose), at=t, as_of=t)
                kept = []
                for row, verdict in zip(rows, then, strict=True):
                    if verdict[0]:
                        kept.append(row)
                    else:
                        faults.append(_violation(row, verdict[1], verdict[2]))
                if not kept:
                    continue
                customers = [late_state.customer(r["customer_id"]) for r in kept]
                now = late_state.decide_many(customers, str(purpose), at=t, as_of=None)
                for row, verdict in zip(kept, now, strict=True):
                    if not verdict[0]:
                        late.append(_violation(row, verdict[1], verdict[2]))
                continue
            for row in rows:
                subject = _subject_of(row)
                one = then_state.decide(subject, row["purpose"], at=t, as_of=t)
                if not one.allowed:
                    faults.append(_violation(row, one.reason_codes, one.evidence_ids))
                    continue
                one = late_state.decide(subject, row["purpose"], at=t, as_of=None)
                if not one.allowed:
                    late.append(_violation(row, one.reason_codes, one.evidence_ids))
        if faults:
            logger.error("consent audit: %d engine faults", len(faults))
        logger.info(
            "consent audit: %d allowed activations checked, %d engine faults, "
            "%d late-arriving withdrawals (%d identity epochs)",
            allowed.height,
            len(faults),
            len(late),
            len(cache),
        )
        return Violations(since_, allowed.height, _violation_frame(faults), _violation_frame(late))


@dataclass(frozen=True)
class _KnownState:
    state: ConsentState
    merged: dict[str, str]
    current: set[str]
    owner_of_hash: dict[str, str]
    identity_owner: dict[str, str]

    def resolve(self, subject: str, privacy_hash: Any) -> str:
        kind, value = parse_identifier(subject)
        if kind == "customer_id":
            if value in self.current:
                return f"customer_id:{value}"
            return f"customer_id:{self.merged.get(value, value)}"
        hashed = privacy_hash(f"{kind}:{value}")
        owner = self.identity_owner.get(hashed) or self.owner_of_hash.get(hashed)
        if owner is None:
            return subject
        if owner not in self.current:
            owner = self.merged.get(owner, owner)
        return f"customer_id:{owner}"

    def customer(self, customer_id: str) -> str:
        """The customer an activation's ``customer_id`` was then (an old id follows merges)."""
        if customer_id in self.current:
            return customer_id
        return self.merged.get(customer_id, customer_id)

    def decide_many(
        self, customers: list[str], purpose: str, *, at: datetime, as_of: datetime | None
    ) -> list[tuple[bool, list[str], list[str]]]:
        """``(allowed, reason_codes, evidence_ids)`` per customer (the gate, vectorized)."""
        frame = pl.DataFrame({"customer_id": customers}, schema={"customer_id": pl.String})
        out = decide_many(self.state, frame, purpose, at=at, as_of=as_of)
        return list(
            zip(
                out.get_column("allowed").to_list(),
                out.get_column("reason_codes").to_list(),
                out.get_column("evidence_ids").to_list(),
                strict=True,
            )
        )

    def decide(
        self, subject: str, purpose: str, *, at: datetime, as_of: datetime | None
    ) -> Decision:
        resolved = self.resolve(subject, self.state.privacy.hash_identifier)
        d = decide(self.state, resolved, purpose, at=at, as_of=as_of)
        if resolved == subject:
            return d
        return Decision(
            allowed=d.allowed,
            reason_codes=d.reason_codes,
            evidence_ids=d.evidence_ids,
            versions=d.versions,
            purpose=d.purpose,
            subject=subject,
            decided_at=d.decided_at,
            destination=d.destination,
            customer_id=d.customer_id,
        )


def _subject_of(row: dict[str, Any]) -> str:
    if row.get("customer_id"):
        return f"customer_id:{row['customer_id']}"
    subject = row.get("subject")
    if not subject:
        raise ConsentError("an activation names neither a customer nor a subject")
    return str(subject)


def _erased_owners(
    lakehouse: Lakehouse, ledger: pl.DataFrame, suppression: pl.DataFrame
) -> pl.DataFrame:
    """``subject_hash, _erased_customer`` for erased identifiers with no customer of their own.

    Erasure deletes the identity-map rows of the person, and a statement that came without a
    customer (from a stream) would then belong to nobody when a past decision is replayed.
    For those identifiers only, the customer an activation resting on one of their statements
    recorded is taken (pseudonymous ids the erasure keeps).
    """
    empty = pl.DataFrame(schema={"subject_hash": pl.String, "_erased_customer": pl.String})
    if suppression.height == 0 or ledger.height == 0:
        return empty
    orphans = ledger.filter(
        pl.col("subject_hash").is_in(suppression.get_column("identifier_hash").implode())
        & pl.col("customer_id").is_null()
    ).select("consent_id", "subject_hash")
    if orphans.height == 0:
        return empty
    used = (
        lakehouse.scan("activation_log")
        .filter(pl.col("customer_id").is_not_null())
        .select("customer_id", "evidence_ids", "decided_at")
        .explode("evidence_ids")
        .filter(pl.col("evidence_ids").is_in(orphans.get_column("consent_id").implode()))
        .collect()
    )
    return (
        used.join(orphans, left_on="evidence_ids", right_on="consent_id")
        .sort("decided_at")
        .group_by("subject_hash")
        .agg(_erased_customer=pl.col("customer_id").first())
    )


def _identity_epochs(tables: _Tables) -> list[datetime]:
    """Sorted instants at which the identity known to replay can change."""
    instants: set[datetime] = set(tables.merges.get_column("at").to_list())
    instants.update(tables.identity.get_column("resolved_at").drop_nulls().to_list())
    # An identifier whose recorded customer changes (a row with another customer_id, or the
    # first one with a customer after rows without).
    changes = (
        tables.ledger.sort("subject_hash", "recorded_at", "consent_id")
        .with_columns(
            _prev=pl.col("customer_id").shift(1).over("subject_hash"),
            _n=pl.int_range(pl.len()).over("subject_hash"),
        )
        .filter(
            (pl.col("_n") > 0)
            & pl.col("customer_id").is_not_null()
            & (pl.col("_prev").is_null() | (pl.col("_prev") != pl.col("customer_id")))
        )
        .get_column("recorded_at")
        .to_list()
    )
    instants.update(changes)
    instants.update(tables.suppression.get_column("erased_at").to_list())
    return sorted(_utc(t) for t in instants)


def _violation(
    row: dict[str, Any], reasons: Sequence[str], evidence: Sequence[str]
) -> dict[str, Any]:
    return {
        "activation_id": row["activation_id"],
        "activation_type": row.get("activation_type"),
        "customer_id": row.get("customer_id"),
        "subject": row.get("subject"),
        "purpose": row["purpose"],
        "destination": row.get("destination"),
        "decided_at": _utc(row["decided_at"]),
        "reason_codes": list(row.get("reason_codes") or []),
        "evidence_ids": list(row.get("evidence_ids") or []),
        "replay_reason_codes": list(reasons),
        "replay_evidence_ids": list(evidence),
    }


def _violation_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema: dict[str, Any] = {c: pl.String for c in VIOLATION_COLUMNS}
    schema.update(
        decided_at=_TS,
        reason_codes=pl.List(pl.String),
        evidence_ids=pl.List(pl.String),
        replay_reason_codes=pl.List(pl.String),
        replay_evidence_ids=pl.List(pl.String),
    )
    return pl.DataFrame(rows, schema=schema)
