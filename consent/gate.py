"""The consent gate: one default-deny decision procedure (see ``docs/consent-rules.md``).

:class:`ConsentState` is built once from ``consent_ledger`` rows, the customers' identifiers
and the ``suppression`` hashes; it indexes the statements by owner (customer) and purpose.
:func:`decide` answers one subject and purpose; :func:`decide_many` answers a whole frame of
customers with Polars expressions and gives exactly the same answers. The rule numbers in
comments (``R1``…) are the numbers of ``docs/consent-rules.md``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from cdp.config import Notice, PrivacySettings, Purpose
from cdp.errors import CdpError
from cdp.models.consent import parse_identifier

__all__ = [
    "ALLOW_REASONS",
    "DEFAULT_MAX_STALENESS",
    "LEDGER_COLUMNS",
    "NEGATIVE_STATUSES",
    "ConsentError",
    "ConsentState",
    "Decision",
    "build_state",
    "decide",
    "decide_many",
    "extend_state",
]

logger = logging.getLogger(__name__)

#: The ``consent_ledger`` columns the gate reads.
LEDGER_COLUMNS: Final[tuple[str, ...]] = (
    "consent_id",
    "subject_hash",
    "customer_id",
    "purpose",
    "channel",
    "status",
    "captured_at",
    "expires_at",
    "recorded_at",
)
#: Statuses that refuse (a denial, a withdrawal, an objection).
NEGATIVE_STATUSES: Final[frozenset[str]] = frozenset({"denied", "withdrawn", "objected"})
#: Tie order at the same ``captured_at`` (R6): higher wins.
_PRIORITY: Final[dict[str, int]] = {
    "granted": 0,
    "expired": 1,
    "denied": 2,
    "withdrawn": 3,
    "objected": 4,
}
#: Reason code of a refusal whose winning statement has this status (R10).
_NEGATIVE_REASON: Final[dict[str, str]] = {
    "denied": "DENIED",
    "withdrawn": "WITHDRAWN",
    "objected": "OBJECTED",
    "expired": "EXPIRED",
}
#: Reason code of an allowed decision, by legal basis.
ALLOW_REASONS: Final[dict[str, str]] = {
    "consent": "CONSENT_GRANTED",
    "legitimate_interest": "LEGITIMATE_INTEREST",
    "opt_out": "NO_OPT_OUT",
    "contract": "CONTRACT",
    "legal_obligation": "LEGAL_OBLIGATION",
}
DEFAULT_MAX_STALENESS: Final = timedelta(seconds=60)
_UNRESOLVED: Final = "#"  # owner prefix of statements on an identifier of no known customer


class ConsentError(CdpError):
    """Base class of the consent engine's errors."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One gate decision: allowed or not, why, and on which evidence and versions."""

    allowed: bool
    reason_codes: tuple[str, ...]
    evidence_ids: tuple[str, ...]
    versions: dict[str, int]
    purpose: str
    subject: str
    decided_at: datetime
    destination: str | None = None
    #: The customer the subject resolved to in the identity state used (None: no customer).
    customer_id: str | None = None


# One indexed statement: (captured_at, priority, rank, consent_id, status, subject_hash,
# channel, expires_at, recorded_at); ``rank`` is the consent_id's rank in descending order,
# so that at the same instant and priority the smallest consent_id sorts last (wins).
_Row = tuple[datetime, int, int, str, str, str, str | None, datetime | None, datetime]


@dataclass(frozen=True)
class ConsentState:
    """A read of the consent state; build it with :func:`build_state` (or ``unavailable``)."""

    purposes: Mapping[str, Purpose]
    ledger: pl.DataFrame  # LEDGER_COLUMNS plus ``owner`` and ``priority``
    identifiers: Mapping[str, frozenset[str]]  # customer_id -> identifier hashes
    owner_of_hash: Mapping[str, str]
    erased_owners: frozenset[str]
    suppressed: frozenset[str]
    privacy: PrivacySettings
    fresh_at: datetime
    max_staleness: timedelta
    versions: dict[str, int]
    available: bool = True
    #: the notice catalogue (R12): a grant counts only within its notice's purposes/channels
    notices: Mapping[str, Notice] = field(default_factory=dict)
    _index: dict[tuple[str, str], list[_Row]] = field(default_factory=dict, repr=False)

    @classmethod
    def unavailable(cls, purposes: Mapping[str, Purpose] | None = None) -> ConsentState:
        """A state that could not be read: every decision is ``STATE_UNAVAILABLE`` (R1)."""
        return cls(
            purposes=dict(purposes or {}),
            ledger=_empty_ledger(),
            identifiers={},
            owner_of_hash={},
            erased_owners=frozenset(),
            suppressed=frozenset(),
            privacy=PrivacySettings(),
            fresh_at=datetime.min.replace(tzinfo=UTC),
            max_staleness=DEFAULT_MAX_STALENESS,
            versions={},
            available=False,
        )

    def owner(self, subject: str) -> str:
        """The owner key of a ``type:value`` subject: its customer, else ``#<hash>``."""
        kind, value = parse_identifier(subject)
        if kind == "customer_id":
            return value
        hashed = self.privacy.hash_identifier(f"{kind}:{value}")
        return self.owner_of_hash.get(hashed, _UNRESOLVED + hashed)

    def statements(self, owner: str, purpose: str) -> list[_Row]:
        """The indexed statements of one owner for one purpose (sorted by R6 order)."""
        return self._index.get((owner, purpose), [])


def _empty_ledger() -> pl.DataFrame:
    ts = pl.Datetime("us", "UTC")
    schema: dict[str, Any] = {c: pl.String for c in LEDGER_COLUMNS}
    schema.update(captured_at=ts, expires_at=ts, recorded_at=ts)
    return pl.DataFrame(schema=schema)


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _identity_pairs(
    identities: Mapping[str, Iterable[str]] | pl.DataFrame | None,
    *,
    normalized: bool = False,
) -> list[tuple[str, str]]:
    """``(customer_id, normalized type:value)`` pairs from a mapping or identity_map rows."""
    if identities is None:
        return []
    pairs: list[tuple[str, str]] = []
    if isinstance(identities, pl.DataFrame):
        if "identifier" in identities.columns:
            rows = identities.select("customer_id", "identifier").iter_rows()
            items: Iterable[tuple[str, str]] = ((c, i) for c, i in rows)
        else:
            rows = identities.select("customer_id", "source", "source_record_id").iter_rows()
            items = ((c, f"{s}:{r}") for c, s, r in rows)
    else:
        items = ((c, i) for c, ids in identities.items() for i in ids)
    if normalized:
        return list(items)
    for customer, identifier in items:
        kind, value = parse_identifier(identifier)
        pairs.append((customer, f"{kind}:{value}"))
    return pairs


def build_state(
    ledger: pl.DataFrame,
    purposes: Mapping[str, Purpose],
    *,
    identities: Mapping[str, Iterable[str]] | pl.DataFrame | None = None,
    suppressed: Iterable[str] = (),
    privacy: PrivacySettings | None = None,
    fresh_at: datetime | None = None,
    max_staleness: timedelta = DEFAULT_MAX_STALENESS,
    versions: Mapping[str, int] | None = None,
    hash_cache: MutableMapping[str, str] | None = None,
    normalized: bool = False,
    notices: Mapping[str, Notice] | None = None,
) -> ConsentState:
    """Index ledger rows by owner and purpose.

    ``identities`` maps customer_id to its ``type:value`` identifiers, or is a frame of
    identity_map rows (``customer_id``, ``source``, ``source_record_id``) or of
    (``customer_id``, ``identifier``). ``suppressed`` holds ``suppression.identifier_hash``
    values. ``fresh_at`` is the instant up to which the ledger read is complete (default now);
    ``versions`` the table versions read (recorded in every decision).
    ``hash_cache`` (identifier -> keyed hash, owned by the caller and only ever used with one
    hash key) saves re-hashing identifiers between builds; ``normalized`` says the
    ``identities`` are already normalized ``type:value`` strings (not parsed again).
    ``notices`` is the notice catalogue (R12; the ledger's ``notice_version`` column is read
    when present).
    Raises :class:`ConsentError` when the ledger lacks a column the gate reads.
    """
    _check_columns(ledger)
    privacy = privacy or PrivacySettings()
    hash_of = _hasher(privacy, hash_cache)
    owner_of_hash: dict[str, str] = {}
    by_customer: dict[str, set[str]] = {}
    for customer, identifier in _identity_pairs(identities, normalized=normalized):
        hashed = hash_of(identifier)
        owner_of_hash[hashed] = customer
        by_customer.setdefault(customer, set()).add(hashed)
    known: Iterable[str] = ()
    if isinstance(identities, pl.DataFrame):
        known = identities.get_column("customer_id").unique().to_list()
    elif identities is not None:
        known = identities.keys()
    for customer in known:  # customers without identifiers are customers too
        by_customer.setdefault(customer, set())
    for customer in list(by_customer):
        hashed = hash_of(f"customer_id:{customer}")
        owner_of_hash[hashed] = customer
        by_customer[customer].add(hashed)
    frame = _prepare(ledger, owner_of_hash, notices)
    for owner, hashed in frame.select("owner", "subject_hash").unique().iter_rows():
        if not owner.startswith(_UNRESOLVED):
            by_customer.setdefault(owner, set()).add(hashed)
    suppressed_set = frozenset(suppressed)
    erased = {c for c, hashes in by_customer.items() if hashes & suppressed_set}
    erased.update(
        _UNRESOLVED + h
        for h in frame.get_column("subject_hash").unique().to_list()
        if h in suppressed_set
    )
    index = _build_index(frame)
    logger.debug("consent state built: %d statements, %d customers", frame.height, len(by_customer))
    return ConsentState(
        purposes=dict(purposes),
        ledger=frame,
        identifiers={c: frozenset(h) for c, h in by_customer.items()},
        owner_of_hash=owner_of_hash,
        erased_owners=frozenset(erased),
        suppressed=suppressed_set,
        privacy=privacy,
        fresh_at=_utc(fresh_at),
        max_staleness=max_staleness,
        versions=dict(versions or {}),
        notices=dict(notices or {}),
        _index=index,
    )


def _hasher(
    privacy: PrivacySettings, cache: MutableMapping[str, str] | None
) -> Callable[[str], str]:
    """``privacy.hash_identifier`` (HMAC-SHA256) with the key schedule done once.

    The inner and outer SHA-256 states of the key are computed once and copied per
    identifier (RFC 2104), which is what ``hmac`` does, without its per-call setup.
    """
    key = privacy.hash_key.encode()
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hash_of(identifier: str) -> str:
        if cache is not None:
            found = cache.get(identifier)
            if found is not None:
                return found
        i = inner.copy()
        i.update(identifier.encode())
        o = outer.copy()
        o.update(i.digest())
        digest = o.hexdigest()
        if cache is not None:
            cache[identifier] = digest
        return digest

    return hash_of


def _build_index(frame: pl.DataFrame) -> dict[tuple[str, str], list[_Row]]:
    """(owner, purpose) -> statements in R6 order, cut from one sorted pass over the frame."""
    ordered = frame.select(_INDEX_COLUMNS).sort(
        "owner", "purpose", "captured_at", "priority", "_rid", maintain_order=True
    )
    if ordered.height == 0:
        return {}
    bounds = (
        ordered.select(
            g=pl.struct("owner", "purpose").rle_id(),
        )
        .with_row_index("i")
        .group_by("g", maintain_order=True)
        .agg(start=pl.col("i").first(), end=pl.col("i").last() + 1)
    )
    starts = bounds.get_column("start").to_list()
    ends = bounds.get_column("end").to_list()
    owners = ordered.get_column("owner").gather(starts).to_list()
    purposes = ordered.get_column("purpose").gather(starts).to_list()
    rows: list[_Row] = ordered.select(_INDEX_COLUMNS[2:]).rows()
    return {(o, p): rows[a:b] for o, p, a, b in zip(owners, purposes, starts, ends, strict=True)}


def _check_columns(ledger: pl.DataFrame) -> None:
    missing = [c for c in LEDGER_COLUMNS if c not in ledger.columns]
    if missing:
        raise ConsentError(f"consent ledger lacks columns: {', '.join(missing)}")


def _outside_notice(notices: Mapping[str, Notice]) -> pl.Expr:
    """R12: a grant given under a catalogued notice that does not cover its purpose (or,
    when the notice lists channels, its channel)."""
    purposes = [f"{n}\x1f{p}" for n, notice in notices.items() for p in notice.purposes]
    channels = [f"{n}\x1f{c}" for n, notice in notices.items() for c in notice.channels]
    with_channels = [n for n, notice in notices.items() if notice.channels]
    version = pl.col("notice_version")
    return (
        (pl.col("status") == "granted")
        & version.is_in(list(notices))
        & (
            ~(version + "\x1f" + pl.col("purpose")).is_in(purposes)
            | (
                version.is_in(with_channels)
                & ~(version + "\x1f" + pl.col("channel").fill_null("")).is_in(channels)
            )
        )
    ).fill_null(False)


def _prepare(
    ledger: pl.DataFrame,
    owner_of_hash: Mapping[str, str],
    notices: Mapping[str, Notice] | None = None,
) -> pl.DataFrame:
    """Ledger rows with their ``owner``, ``priority`` and ``_rid``, in R6 order; grants
    outside their notice (R12) are left out."""
    if notices and "notice_version" in ledger.columns:
        ledger = ledger.filter(~_outside_notice(notices))
    by_customer_id = (
        pl.when(pl.col("subject_type") == "customer_id").then(pl.col("subject_value"))
        if {"subject_type", "subject_value"} <= set(ledger.columns)
        else pl.lit(None, dtype=pl.String)
    )
    ts = pl.Datetime("us", "UTC")
    frame = ledger.select(*LEDGER_COLUMNS, _by_id=by_customer_id).with_columns(
        pl.col(c).cast(ts) for c in ("captured_at", "expires_at", "recorded_at")
    )
    hash_map = pl.DataFrame(
        {"subject_hash": list(owner_of_hash), "_mapped": list(owner_of_hash.values())},
        schema={"subject_hash": pl.String, "_mapped": pl.String},
    )
    return (
        frame.join(hash_map, on="subject_hash", how="left", maintain_order="left")
        .with_columns(
            owner=pl.coalesce(
                "_mapped", "_by_id", "customer_id", pl.lit(_UNRESOLVED) + pl.col("subject_hash")
            ),
            priority=pl.col("status").replace_strict(_PRIORITY, default=-1, return_dtype=pl.Int8),
            _rid=pl.col("consent_id").rank("dense", descending=True).cast(pl.Int64),
        )
        .drop("_mapped", "_by_id")
        .filter(pl.col("priority") >= 0)
        # R6 order within each owner, kept by decide_many (extend_state keeps each owner's
        # rows together and in this order; the order between owners does not matter).
        .sort("owner", "captured_at", "priority", "_rid")
    )


_INDEX_COLUMNS: Final[tuple[str, ...]] = (
    "owner",
    "purpose",
    "captured_at",
    "priority",
    "_rid",
    "consent_id",
    "status",
    "subject_hash",
    "channel",
    "expires_at",
    "recorded_at",
)


def extend_state(
    state: ConsentState,
    ledger: pl.DataFrame,
    *,
    fresh_at: datetime | None = None,
    versions: Mapping[str, int] | None = None,
) -> ConsentState:
    """``state`` with appended ledger rows added (same answers as a full :func:`build_state`).

    For appends only, under the same identities and suppression: rows whose ``consent_id``
    the state already holds are skipped (a replayed or re-read statement). The statements of
    the touched owners are re-ranked among themselves: ``_rid`` ranks are only compared
    within one owner, so local ranks order them the same way. Costs O(rows of the touched
    owners) plus one pass over the ledger frame (no full sort, no re-indexing).
    """
    _check_columns(ledger)
    if not state.available:
        raise ConsentError("cannot extend an unavailable consent state")
    if ledger.height == 0:
        return replace(
            state,
            fresh_at=_utc(fresh_at) if fresh_at is not None else state.fresh_at,
            versions=dict(versions) if versions is not None else dict(state.versions),
        )
    hashes = ledger.get_column("subject_hash").unique().to_list()
    mapped = {h: state.owner_of_hash[h] for h in hashes if h in state.owner_of_hash}
    fresh = _prepare(ledger, mapped, state.notices).unique(
        subset="consent_id", keep="first", maintain_order=True
    )
    # A re-read statement has the same consent_id, hence the same subject and owner: only the
    # rows of the owners touched need to be looked at (never the whole ledger).
    owners = fresh.get_column("owner").unique().implode()
    mine = state.ledger.filter(pl.col("owner").is_in(owners))
    fresh = fresh.filter(~pl.col("consent_id").is_in(mine.get_column("consent_id").implode()))
    if fresh.height == 0:
        return replace(
            state,
            fresh_at=_utc(fresh_at) if fresh_at is not None else state.fresh_at,
            versions=dict(versions) if versions is not None else dict(state.versions),
        )
    index = dict(state._index)  # the lists of touched pairs are replaced, never mutated
    identifiers: dict[str, frozenset[str]] | Mapping[str, frozenset[str]] = state.identifiers
    erased = set(state.erased_owners)
    touched: dict[tuple[str, str], list[_Row]] = {}
    for owner, purpose, *rest in fresh.select(_INDEX_COLUMNS).iter_rows():
        key = (owner, purpose)
        if key not in touched:
            touched[key] = list(index.get(key, ()))
        touched[key].append(tuple(rest))
        hashed = rest[5]
        if hashed in state.suppressed:  # as build_state: the owner and the bare identifier
            erased.update((owner, _UNRESOLVED + hashed))
        if not owner.startswith(_UNRESOLVED):
            known = identifiers.get(owner, frozenset())
            if hashed not in known:
                if identifiers is state.identifiers:
                    identifiers = dict(state.identifiers)
                assert isinstance(identifiers, dict)
                identifiers[owner] = known | {hashed}
    for key, rows in touched.items():
        index[key] = _rerank(rows)
    # decide_many needs each owner's rows together, in R6 order (the order between owners
    # does not matter): the touched owners' rows move to the end, re-ranked among themselves.
    moved = (
        pl.concat([mine, fresh.select(state.ledger.columns)], how="vertical")
        .with_columns(_rid=pl.col("consent_id").rank("dense", descending=True).cast(pl.Int64))
        .sort("owner", "captured_at", "priority", "_rid")
    )
    ledger_all = pl.concat(
        [state.ledger.filter(~pl.col("owner").is_in(owners)), moved], how="vertical"
    )
    return replace(
        state,
        ledger=ledger_all,
        identifiers=identifiers,
        erased_owners=frozenset(erased),
        fresh_at=_utc(fresh_at) if fresh_at is not None else state.fresh_at,
        versions=dict(versions) if versions is not None else dict(state.versions),
        _index=index,
    )


def _rerank(rows: list[_Row]) -> list[_Row]:
    """The rows with ``_rid`` recomputed among themselves, sorted in R6 order."""
    ids = sorted({r[3] for r in rows}, reverse=True)
    rank = {cid: n for n, cid in enumerate(ids, start=1)}
    out: list[_Row] = [(r[0], r[1], rank[r[3]], *r[3:]) for r in rows]
    out.sort(key=_order_key)
    return out


def _order_key(row: _Row) -> tuple[datetime, int, int]:
    # R6: later captured_at wins; at the same instant the higher priority; then the
    # smallest consent_id (the highest descending rank).
    return (row[0], row[1], row[2])


def _state_problem(state: ConsentState | None, at: datetime, as_of: datetime | None) -> str | None:
    if state is None or not state.available:
        return "STATE_UNAVAILABLE"
    reference = as_of if as_of is not None else at
    if reference - state.fresh_at > state.max_staleness:
        return "STATE_STALE"
    return None


def _basis(purpose: Purpose, jurisdiction: str | None) -> str:
    bases = purpose.legal_basis
    if jurisdiction is not None and jurisdiction in bases:
        return bases[jurisdiction]
    return bases.get("default", "consent")


def _evaluate(
    rows: list[_Row],
    *,
    purpose: Purpose,
    basis: str,
    channel: str | None,
    at: datetime,
    as_of: datetime | None,
) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """R5-R11 over one owner's statements for one purpose (sorted in R6 order)."""
    relevant = [
        r
        for r in rows
        if r[0] <= at
        and (as_of is None or r[8] <= as_of)
        and (r[4] != "granted" or r[6] == channel)
    ]
    winner = relevant[-1] if relevant else None
    if purpose.direct_marketing:  # R7
        objection = next((r for r in reversed(relevant) if r[4] == "objected"), None)
        if objection is not None and not any(
            r[4] == "granted" and r[0] > objection[0] for r in relevant
        ):
            return False, ("OBJECTED",), (objection[3],)
    if basis in ("contract", "legal_obligation"):  # R8
        return True, (ALLOW_REASONS[basis],), ((winner[3],) if winner else ())
    if winner is None:
        if basis == "consent":
            return False, ("NO_CONSENT",), ()
        return True, (ALLOW_REASONS[basis],), ()
    status = winner[4]
    if status in NEGATIVE_STATUSES:  # R9 / R10 / R11
        reason = "OBJECTED" if basis != "consent" else _NEGATIVE_REASON[status]
        conflict = _conflicting_grant(relevant, winner, at)
        if conflict is not None:
            return False, (reason, "CLUSTER_CONFLICT"), (winner[3], conflict[3])
        return False, (reason,), (winner[3],)
    if basis != "consent":  # R9: a grant or an expiry is no objection
        return True, (ALLOW_REASONS[basis],), (winner[3],)
    if status == "granted" and (winner[7] is None or winner[7] > at):  # R10
        return True, ("CONSENT_GRANTED",), (winner[3],)
    return False, ("EXPIRED",), (winner[3],)


def _conflicting_grant(relevant: list[_Row], winner: _Row, at: datetime) -> _Row | None:
    """R11: the latest grant that wins on its own identifier (≠ the winner's), unexpired."""
    latest_per_identifier: dict[str, _Row] = {}
    for r in relevant:  # sorted ascending: the last one per identifier wins
        latest_per_identifier[r[5]] = r
    found = [
        r
        for h, r in latest_per_identifier.items()
        if h != winner[5] and r[4] == "granted" and (r[7] is None or r[7] > at)
    ]
    return max(found, key=_order_key) if found else None


def decide(
    state: ConsentState | None,
    subject: str,
    purpose: str,
    *,
    at: datetime | None = None,
    as_of: datetime | None = None,
    jurisdiction: str | None = None,
    channel: str | None = None,
    destination: str | None = None,
) -> Decision:
    """Whether ``purpose`` may use ``subject``'s data at ``at`` (default now).

    ``subject`` is ``customer_id:…`` or any ``type:value`` identifier (resolved through the
    state's identities). ``as_of`` replays the ledger as recorded at that system time.
    ``channel`` defaults to the purpose's channel. Never raises for a missing or stale
    state: it denies (fail closed); an identifier that does not parse raises
    :class:`~cdp.models.errors.InvalidInputError`.
    """
    at_ = _utc(at)
    as_of_ = _utc(as_of) if as_of is not None else None

    def result(
        allowed: bool,
        reasons: tuple[str, ...],
        evidence: tuple[str, ...],
        owner: str | None = None,
    ) -> Decision:
        return Decision(
            allowed=allowed,
            reason_codes=reasons,
            evidence_ids=evidence,
            versions=dict(state.versions) if state is not None else {},
            purpose=purpose,
            subject=subject,
            decided_at=at_,
            destination=destination,
            customer_id=None if owner is None or owner.startswith(_UNRESOLVED) else owner,
        )

    problem = _state_problem(state, at_, as_of_)  # R1
    if problem is not None or state is None:
        return result(False, (problem or "STATE_UNAVAILABLE",), ())
    spec = state.purposes.get(purpose)
    if spec is None:  # R2
        return result(False, ("UNKNOWN_PURPOSE",), ())
    owner = state.owner(subject)
    if (
        owner in state.erased_owners
        or (  # R3
            owner.startswith(_UNRESOLVED) and owner[1:] in state.suppressed
        )
    ):
        return result(False, ("ERASED",), (), owner)
    allowed, reasons, evidence = _evaluate(
        state.statements(owner, purpose),
        purpose=spec,
        basis=_basis(spec, jurisdiction),  # R4
        channel=channel if channel is not None else spec.channel,
        at=at_,
        as_of=as_of_,
    )
    return result(allowed, reasons, evidence, owner)


def _list(*items: pl.Expr) -> pl.Expr:
    return pl.concat_list(*items).list.drop_nulls()


def decide_many(
    state: ConsentState | None,
    customers: pl.DataFrame,
    purpose: str,
    *,
    at: datetime | None = None,
    as_of: datetime | None = None,
    jurisdiction: str | None = None,
    channel: str | None = None,
) -> pl.DataFrame:
    """:func:`decide` for every ``customer_id`` of ``customers``, vectorized.

    A ``jurisdiction`` column in ``customers`` overrides the keyword per row. Returns
    ``customer_id, allowed, reason_codes, evidence_ids`` in the input order.
    """
    at_ = _utc(at)
    as_of_ = _utc(as_of) if as_of is not None else None
    ids = customers.select(
        pl.col("customer_id").cast(pl.String),
        (
            pl.col("jurisdiction").cast(pl.String)
            if "jurisdiction" in customers.columns
            else pl.lit(jurisdiction, dtype=pl.String).alias("jurisdiction")
        ),
    )
    out_schema = {
        "customer_id": pl.String,
        "allowed": pl.Boolean,
        "reason_codes": pl.List(pl.String),
        "evidence_ids": pl.List(pl.String),
    }

    def constant(code: str) -> pl.DataFrame:
        return ids.select(
            "customer_id",
            allowed=pl.lit(False),
            reason_codes=pl.lit([code], dtype=pl.List(pl.String)),
            evidence_ids=pl.lit([], dtype=pl.List(pl.String)),
        ).cast(out_schema)  # type: ignore[arg-type]

    problem = _state_problem(state, at_, as_of_)
    if problem is not None or state is None:
        return constant(problem or "STATE_UNAVAILABLE")
    spec = state.purposes.get(purpose)
    if spec is None:
        return constant("UNKNOWN_PURPOSE")
    asked_channel = channel if channel is not None else spec.channel
    ledger = state.ledger
    keep = (
        (pl.col("purpose") == purpose)
        & (pl.col("captured_at") <= at_)
        & ((pl.col("status") != "granted") | pl.col("channel").eq_missing(asked_channel))
    )
    if as_of_ is not None:
        keep &= pl.col("recorded_at") <= as_of_
    wanted = ids.select(pl.col("customer_id").alias("owner")).unique()
    rel = ledger.filter(keep).join(wanted, on="owner", how="semi", maintain_order="left")
    # R6 winner per owner: the last row in that order.
    win = rel.group_by("owner").agg(
        w_id=pl.col("consent_id").last(),
        w_status=pl.col("status").last(),
        w_hash=pl.col("subject_hash").last(),
        w_expires=pl.col("expires_at").last(),
        obj_at=pl.col("captured_at").filter(pl.col("status") == "objected").max(),
        obj_id=pl.col("consent_id").filter(pl.col("status") == "objected").last(),
        grant_at=pl.col("captured_at").filter(pl.col("status") == "granted").max(),
    )
    # R11: the last row per identifier, if an unexpired grant, on another identifier.
    per_id = (
        rel.group_by("owner", "subject_hash")
        .agg(pl.all().last())
        .filter(
            (pl.col("status") == "granted")
            & (pl.col("expires_at").is_null() | (pl.col("expires_at") > at_))
        )
        .join(win.select("owner", "w_hash"), on="owner")
        .filter(pl.col("subject_hash") != pl.col("w_hash"))
        .sort("owner", "captured_at", "priority", "_rid")
        .group_by("owner")
        .agg(c_id=pl.col("consent_id").last())
    )
    bases = {j: b for j, b in spec.legal_basis.items()}
    default_basis = bases.get("default", "consent")
    frame = (
        ids.join(win, left_on="customer_id", right_on="owner", how="left", maintain_order="left")
        .join(per_id, left_on="customer_id", right_on="owner", how="left", maintain_order="left")
        .with_columns(
            basis=pl.col("jurisdiction").replace_strict(
                bases, default=default_basis, return_dtype=pl.String
            ),
            erased=pl.col("customer_id").is_in(list(state.erased_owners)),
        )
    )
    negative = pl.col("w_status").is_in(list(NEGATIVE_STATUSES))
    consent = pl.col("basis") == "consent"
    fixed = pl.col("basis").is_in(["contract", "legal_obligation"])
    dm_objection = pl.lit(spec.direct_marketing) & (
        pl.col("obj_at").is_not_null()
        & (pl.col("grant_at").is_null() | (pl.col("grant_at") <= pl.col("obj_at")))
    )
    live_grant = (pl.col("w_status") == "granted") & (
        pl.col("w_expires").is_null() | (pl.col("w_expires") > at_)
    )
    neg_reason = (
        pl.when(consent)
        .then(pl.col("w_status").replace_strict(_NEGATIVE_REASON, default=None))
        .otherwise(pl.lit("OBJECTED"))
    )
    allow_reason = pl.col("basis").replace_strict(ALLOW_REASONS, default=None)
    s = pl.lit(None, dtype=pl.String)
    has_w = pl.col("w_id").is_not_null()
    conflict = pl.col("c_id").is_not_null()
    allowed = (
        pl.when(pl.col("erased") | dm_objection)
        .then(False)
        .when(fixed)
        .then(True)
        .when(~has_w)
        .then(~consent)
        .when(negative)
        .then(False)
        .when(~consent)
        .then(True)
        .otherwise(live_grant)
    )
    reasons = (
        pl.when(pl.col("erased"))
        .then(_list(pl.lit("ERASED")))
        .when(dm_objection)
        .then(_list(pl.lit("OBJECTED")))
        .when(fixed | (~has_w & ~consent))
        .then(_list(allow_reason))
        .when(~has_w)
        .then(_list(pl.lit("NO_CONSENT")))
        .when(negative)
        .then(_list(neg_reason, pl.when(conflict).then(pl.lit("CLUSTER_CONFLICT")).otherwise(s)))
        .when(~consent)
        .then(_list(allow_reason))
        .when(live_grant)
        .then(_list(pl.lit("CONSENT_GRANTED")))
        .otherwise(_list(pl.lit("EXPIRED")))
    )
    evidence = (
        pl.when(pl.col("erased"))
        .then(_list(s))
        .when(dm_objection)
        .then(_list(pl.col("obj_id")))
        .when(negative & ~fixed)
        .then(_list(pl.col("w_id"), pl.col("c_id")))
        .otherwise(_list(pl.col("w_id")))
    )
    return frame.select(
        "customer_id", allowed=allowed, reason_codes=reasons, evidence_ids=evidence
    ).cast(out_schema)  # type: ignore[arg-type]
