"""Identity resolution over the lakehouse: resolve, explain, overrides, id history.

The tables (``storage.TABLES``):

* reads ``identity_records`` (live records), the previous ``identity_map``, Segment ``alias``
  events from ``events`` (``properties.previousId`` -> ``user_id``), the active rows of
  ``identity_overrides`` and the latest row of ``identity_models``;
* writes ``identity_map`` (replaced), ``identity_links`` (replaced: the evidence of the current
  map, one row per pair, so the table key stays unique), ``identity_merges`` (appended: the
  history of id changes) and one new ``identity_models`` row per run.

Runs are numbered by the model version they save (1, 2, ...). The ``identity_merges`` and
``identity_models`` appends are application transactions (``app_id="identity-resolve"``,
``txn_version`` = that number), so a run that is retried after a crash, or re-run with the
same ``run_id``, never writes its history twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import polars as pl

from identity._prepare import MATCH_COLUMNS
from identity._splink import COMPARISON_NAMES, default_model
from identity.errors import IdentityError
from identity.explain import Explanation, explain
from identity.resolve import resolve
from identity.settings import ResolveSettings
from storage import Lakehouse, TableMissingError

__all__ = [
    "APP_ID",
    "OverrideKind",
    "PairExplanation",
    "ResolveReport",
    "StoredModel",
    "active_overrides",
    "add_override",
    "alias_pairs",
    "deactivate_override",
    "explain_records",
    "format_explanation",
    "latest_model",
    "live_records",
    "resolve_customer_id",
    "resolve_lakehouse",
    "split_key",
]

logger = logging.getLogger(__name__)

#: Application id of the idempotent appends of a resolution run.
APP_ID: Final = "identity-resolve"
OverrideKind = Literal["merge", "never_merge", "split"]
_KINDS: Final = frozenset({"merge", "never_merge", "split"})
_MAX_CHAIN: Final = 1_000


@dataclass(frozen=True)
class ResolveReport:
    """What one :func:`resolve_lakehouse` run did (counts only: no personal data)."""

    run_id: str
    run_number: int
    model_version: int
    model_trained: bool
    records: int
    customers: int
    largest_cluster: int
    links: int
    merges: int
    splits: int
    overrides: int
    aliases: int
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able values (for the CLI)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class StoredModel:
    """One row of ``identity_models``."""

    model_id: str
    version: int
    model_json: str
    trained_on_records: int | None
    run_id: str | None
    settings_json: str | None = None


@dataclass(frozen=True)
class PairExplanation:
    """:class:`identity.Explanation` of two stored records, and where they are now."""

    explanation: Explanation
    customer_a: str | None
    customer_b: str | None
    model_version: int | None

    @property
    def same_customer(self) -> bool:
        """Whether the current ``identity_map`` puts both records in one customer."""
        return self.customer_a is not None and self.customer_a == self.customer_b


# -- reading -------------------------------------------------------------------------------


def _read(lakehouse: Lakehouse, name: str) -> pl.DataFrame | None:
    """The table, or None when it has not been created."""
    try:
        return lakehouse.read(name)
    except TableMissingError:
        return None


def split_key(key: str) -> tuple[str, str]:
    """``"source:record_id"`` -> ``(source, record_id)`` (a source never holds ``:``)."""
    source, sep, record_id = key.partition(":")
    if not sep or not source or not record_id:
        raise IdentityError("a record key is written source:record_id")
    return source, record_id


def live_records(lakehouse: Lakehouse) -> pl.DataFrame:
    """The latest version of every record of ``identity_records`` that is not deleted."""
    records = lakehouse.read("identity_records")
    if records.select(pl.struct("source", "source_record_id").is_duplicated().any()).item():
        records = records.sort("updated_at", nulls_last=False, maintain_order=True).unique(
            ["source", "source_record_id"], keep="last", maintain_order=True
        )
    return records.filter(~pl.col("deleted").fill_null(False))


def alias_pairs(lakehouse: Lakehouse) -> pl.DataFrame:
    """Segment ``alias`` pairs ``(previous_id, user_id)`` from ``events``."""
    schema = {"previous_id": pl.String, "user_id": pl.String}
    try:
        scan = lakehouse.scan("events")
    except TableMissingError:
        return pl.DataFrame(schema=schema)
    return (
        scan.filter(pl.col("event_type") == "alias")
        .select(
            pl.col("properties").str.json_path_match("$.previousId").alias("previous_id"),
            pl.col("user_id"),
        )
        .drop_nulls()
        .unique()
        .collect()
        .cast(schema)  # type: ignore[arg-type]
    )


def active_overrides(lakehouse: Lakehouse) -> pl.DataFrame:
    """Active overrides; for one pair of records only the latest decision counts."""
    rows = _read(lakehouse, "identity_overrides")
    if rows is None or rows.height == 0:
        return pl.DataFrame(
            schema={"kind": pl.String, "left_key": pl.String, "right_key": pl.String}
        )
    rows = rows.sort("created_at", "override_id")
    pair = [
        pl.min_horizontal("left_key", pl.col("right_key").fill_null("")).alias("_a"),
        pl.max_horizontal("left_key", pl.col("right_key").fill_null("")).alias("_b"),
    ]
    return (
        rows.with_columns(*pair)
        .unique(["_a", "_b"], keep="last", maintain_order=True)
        .filter(pl.col("active"))
        .select("kind", "left_key", "right_key")
    )


def _resolve_overrides(active: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Override rows as :func:`identity.resolve` takes them.

    ``split`` becomes ``never_merge`` between the record and every other live record (it is
    its own customer) except those a ``merge`` override pins to it: a merge wins over a split.
    """
    keys = (
        records.select(pl.concat_str("source", pl.lit(":"), "source_record_id"))
        .to_series()
        .to_list()
    )
    decided: dict[tuple[str, str], str] = {}
    splits: list[str] = []
    for kind, left, right in active.iter_rows():
        if kind == "split":
            splits.append(left)
        elif right is not None:
            decided[(min(left, right), max(left, right))] = kind
    known = set(keys)
    for left in splits:
        if left not in known:
            continue
        for other in keys:
            pair = (min(left, other), max(left, other))
            if other != left and pair not in decided:
                decided[pair] = "never_merge"
    schema = {
        c: pl.String
        for c in ("left_source", "left_record_id", "right_source", "right_record_id", "action")
    }
    rows = [_override_row(a, b, kind) for (a, b), kind in decided.items()]
    return pl.DataFrame(rows, schema=schema)


def _override_row(left: str, right: str, action: str) -> dict[str, str]:
    ls, lr = split_key(left)
    rs, rr = split_key(right)
    return {
        "left_source": ls,
        "left_record_id": lr,
        "right_source": rs,
        "right_record_id": rr,
        "action": action,
    }


def _models(lakehouse: Lakehouse) -> pl.DataFrame | None:
    models = _read(lakehouse, "identity_models")
    return None if models is None or models.height == 0 else models.sort("version")


def latest_model(lakehouse: Lakehouse) -> StoredModel | None:
    """The newest row of ``identity_models`` (None: no run saved a model yet)."""
    models = _models(lakehouse)
    if models is None:
        return None
    row = models.row(-1, named=True)
    return StoredModel(
        model_id=str(row["model_id"]),
        version=int(row["version"]),
        model_json=str(row["model_json"]),
        trained_on_records=row["trained_on_records"],
        run_id=row["run_id"],
        settings_json=row["settings_json"],
    )


def _settings_json(settings: ResolveSettings) -> str:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        if f.name in ("model_json", "spark"):  # Spark properties may hold credentials
            continue
        value = getattr(settings, f.name)
        values[f.name] = sorted(value) if isinstance(value, frozenset) else value
    return json.dumps(values, sort_keys=True)


# -- resolve -------------------------------------------------------------------------------


def _run_number(models: pl.DataFrame | None, run_id: str) -> tuple[int, bool]:
    """This run's number, and whether ``run_id`` already completed (a replay)."""
    if models is None:
        return 1, False
    done = models.filter(pl.col("run_id") == run_id)
    if done.height:
        return int(done.get_column("version").max()), True  # type: ignore[arg-type]
    return int(models.get_column("version").max()) + 1, False  # type: ignore[arg-type]


def _scoreable(records: pl.DataFrame) -> int:
    """Records with any field the model compares (what training counts)."""
    known = pl.any_horizontal(pl.col(c).is_not_null() for c in MATCH_COLUMNS)
    return int(records.select(known.sum()).item())


def _pick_model(
    settings: ResolveSettings, stored: StoredModel | None, live: int
) -> tuple[ResolveSettings, bool]:
    """Settings with the stored model when this data is too small to train on (or no
    training is asked for); True when this run trains a new model."""
    if settings.model_json is not None:
        return settings, False
    trains = settings.train and live >= settings.min_records_to_train
    if not trains and stored is not None:
        return dataclasses.replace(settings, model_json=stored.model_json), False
    return settings, trains


def resolve_lakehouse(
    lakehouse: Lakehouse,
    *,
    settings: ResolveSettings | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> ResolveReport:
    """Resolve every live ``identity_records`` row and write the identity tables.

    Ids stay stable against the previous ``identity_map``; Segment aliases and the active
    overrides are honoured (``split``: the record is its own customer). A run with fewer live
    records than ``settings.min_records_to_train`` (or with ``train=False``) reuses the latest
    stored model, else trains; either way the model used is saved as a new ``identity_models``
    version. Re-running a ``run_id`` rewrites the map but not the history (see the module
    documentation). One resolution runs at a time (the scheduler serialises them: two at once
    would share a run number). Raises :class:`IdentityError` for unusable data,
    :class:`storage.StorageError` when a table is missing or a write fails.
    """
    started = time.perf_counter()
    settings = settings or ResolveSettings()
    at = now or datetime.now(UTC)
    run_id = run_id or f"identity-{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    records = live_records(lakehouse)
    if records.height == 0:
        logger.info("no live identity records: writing an empty identity map")
    previous = _read(lakehouse, "identity_map")
    aliases = alias_pairs(lakehouse)
    active = active_overrides(lakehouse)
    models = _models(lakehouse)
    number, replay = _run_number(models, run_id)
    stored = latest_model(lakehouse)
    used, trains = _pick_model(settings, stored, _scoreable(records))

    res = resolve(
        records,
        settings=used,
        previous=previous,
        aliases=aliases,
        overrides=_resolve_overrides(active, records),
        run_id=run_id,
        now=at,
    )
    model_json = res.model_json or (stored.model_json if stored else None)
    if model_json is None:
        model_json = json.dumps(default_model(max(records.height, 2)), sort_keys=True)
    trained = trains and bool(res.stats.get("trained"))
    scoreable = int(res.stats.get("scoreable", 0))
    trained_on = scoreable if trained else (stored.trained_on_records if stored else None)

    lakehouse.append(
        "identity_merges", res.merges, app_id=APP_ID, txn_version=number, metadata={"run": run_id}
    )
    lakehouse.overwrite("identity_links", res.links)
    lakehouse.overwrite("identity_map", res.identity_map)
    model_row = {
        "model_id": hashlib.sha256(model_json.encode("utf-8")).hexdigest()[:16],
        "version": number,
        "created_at": at,
        "trained_on_records": trained_on,
        "model_json": model_json,
        "settings_json": _settings_json(used),
        "run_id": run_id,
    }
    lakehouse.append("identity_models", [model_row], app_id=APP_ID, txn_version=number)

    kinds = res.merges.get_column("kind")
    report = ResolveReport(
        run_id=run_id,
        run_number=number,
        model_version=number,
        model_trained=trained,
        records=records.height,
        customers=int(res.stats.get("clusters", 0)),
        largest_cluster=int(res.stats.get("largest_cluster", 0)),
        links=res.links.height,
        merges=int((kinds == "merge").sum()),
        splits=int((kinds == "split").sum()),
        overrides=active.height,
        aliases=aliases.height,
        seconds=round(time.perf_counter() - started, 3),
        stats=res.stats,
    )
    logger.info(
        "identity run %d (%s): %d records, %d customers, %d merges, %d splits, %.1fs%s",
        number,
        "replayed" if replay else "new",
        report.records,
        report.customers,
        report.merges,
        report.splits,
        report.seconds,
        "" if not replay else " (history already written)",
    )
    return report


# -- explain -------------------------------------------------------------------------------


def _customer_of(identity_map: pl.DataFrame | None, key: tuple[str, str]) -> str | None:
    if identity_map is None:
        return None
    hit = identity_map.filter((pl.col("source") == key[0]) & (pl.col("source_record_id") == key[1]))
    return str(hit.get_column("customer_id")[0]) if hit.height else None


def explain_records(
    lakehouse: Lakehouse, a: str, b: str, *, settings: ResolveSettings | None = None
) -> PairExplanation:
    """Explain two stored records (keys ``source:record_id``) with the latest stored model
    (the shipped default model before the first run) on the Splink backend of ``settings``
    (the veto rules are those of the stored model's run). Raises :class:`IdentityError`
    naming an unknown key."""
    key_a, key_b = split_key(a), split_key(b)
    if key_a == key_b:
        raise IdentityError("explain needs two different records")
    records = live_records(lakehouse)
    keys = set(
        records.select(pl.concat_str("source", pl.lit(":"), "source_record_id"))
        .to_series()
        .to_list()
    )
    for key in (a, b):
        if key not in keys:
            raise IdentityError(f"unknown record {key!r} (not a live identity record)")
    stored = latest_model(lakehouse)
    model = stored.model_json if stored else json.dumps(default_model(max(records.height, 2)))
    engine = settings or ResolveSettings()
    expl = explain(
        key_a,
        key_b,
        records,
        model,
        vetoes=_stored_vetoes(stored),
        backend=engine.backend,
        spark=engine.spark,
    )
    identity_map = _read(lakehouse, "identity_map")
    return PairExplanation(
        explanation=expl,
        customer_a=_customer_of(identity_map, key_a),
        customer_b=_customer_of(identity_map, key_b),
        model_version=stored.version if stored else None,
    )


def _stored_vetoes(stored: StoredModel | None) -> frozenset[str]:
    """The veto rules the stored model's run used (the defaults when unknown)."""
    default = ResolveSettings().vetoes
    if stored is None or not stored.settings_json:
        return default
    try:
        rules = json.loads(stored.settings_json).get("vetoes")
    except (ValueError, AttributeError):
        return default
    if not isinstance(rules, list):
        return default
    return frozenset(str(r) for r in rules) & default


def format_explanation(expl: PairExplanation) -> str:
    """A readable table: per-comparison weights, total, veto verdict, same customer now."""
    e = expl.explanation
    a, b = f"{e.a[0]}:{e.a[1]}", f"{e.b[0]}:{e.b[1]}"
    lines = [f"{a}  vs  {b}", ""]
    if e.match_weight is None:
        lines.append("not scored: a record has no identity fields")
    else:
        width = max(len(n) for n in COMPARISON_NAMES)
        lines.append(f"{'comparison':<{width}}  {'weight':>8}")
        lines.append(f"{'-' * width}  {'-' * 8}")
        for name in COMPARISON_NAMES:
            lines.append(f"{name:<{width}}  {e.weights.get(name, 0.0):>+8.2f}")
        lines.append(f"{'-' * width}  {'-' * 8}")
        lines.append(f"{'match weight':<{width}}  {e.match_weight:>+8.2f}  (prior included)")
        probability = e.match_probability if e.match_probability is not None else 0.0
        lines.append(f"{'probability':<{width}}  {probability:>8.4f}")
    lines.append("")
    lines.append(f"veto: {e.veto or 'none'}")
    now = "yes" if expl.same_customer else "no"
    lines.append(f"same customer now: {now}")
    if expl.customer_a or expl.customer_b:
        lines.append(f"  {a} -> {expl.customer_a or '(not resolved)'}")
        lines.append(f"  {b} -> {expl.customer_b or '(not resolved)'}")
    if expl.model_version is not None:
        lines.append(f"model version: {expl.model_version}")
    return "\n".join(lines)


# -- overrides -----------------------------------------------------------------------------


def add_override(
    lakehouse: Lakehouse,
    kind: OverrideKind,
    a: str,
    b: str | None,
    *,
    reason: str,
    by: str,
    now: datetime | None = None,
) -> str:
    """Record a person's decision on records ``a``/``b`` (keys ``source:record_id``) and
    return its ``override_id``; the next resolution honours it. ``merge`` pins two records
    together, ``never_merge`` keeps them apart, ``split`` (``b`` None) makes ``a`` its own
    customer. For one pair of records the latest decision counts."""
    if kind not in _KINDS:
        raise IdentityError("override kind must be merge, never_merge or split")
    split_key(a)
    if kind == "split":
        if b is not None:
            raise IdentityError("a split names one record")
    else:
        if b is None:
            raise IdentityError(f"a {kind} override names two records")
        split_key(b)
        if a == b:
            raise IdentityError("an override needs two different records")
    if not reason.strip() or not by.strip():
        raise IdentityError("an override needs a reason and who made it")
    override_id = f"ovr_{uuid.uuid4().hex}"
    row: Mapping[str, Any] = {
        "override_id": override_id,
        "kind": kind,
        "left_key": a,
        "right_key": b,
        "reason": reason,
        "created_by": by,
        "created_at": now or datetime.now(UTC),
        "active": True,
    }
    lakehouse.append("identity_overrides", [row])
    logger.info("override %s (%s) recorded", override_id, kind)
    return override_id


def deactivate_override(lakehouse: Lakehouse, override_id: str) -> None:
    """Switch an override off (the row stays, ``active`` false); unknown ids raise."""
    rows = _read(lakehouse, "identity_overrides")
    if rows is None or rows.filter(pl.col("override_id") == override_id).height == 0:
        raise IdentityError(f"unknown override {override_id!r}")
    row = rows.filter(pl.col("override_id") == override_id).with_columns(
        pl.lit(False).alias("active")
    )
    lakehouse.upsert("identity_overrides", row)


# -- id history ----------------------------------------------------------------------------


def resolve_customer_id(lakehouse: Lakehouse, customer_id: str) -> str:
    """The current id of ``customer_id``: itself while it is in ``identity_map``, else the id
    it was merged into (following chains of merges; a cycle or a dead end stops at the last
    id seen). Raises :class:`IdentityError` for an id never seen."""
    identity_map = _read(lakehouse, "identity_map")
    current: set[str] = set()
    if identity_map is not None:
        current = set(identity_map.get_column("customer_id").unique().to_list())
    if customer_id in current:
        return customer_id
    merges = _read(lakehouse, "identity_merges")
    moves: dict[str, list[tuple[datetime, str]]] = {}
    if merges is not None:
        for old, new, at in merges.select("old_customer_id", "new_customer_id", "at").iter_rows():
            moves.setdefault(old, []).append((at, new))
    if customer_id not in moves:
        raise IdentityError("unknown customer id")
    seen = {customer_id}
    cid = customer_id
    for _ in range(_MAX_CHAIN):
        if cid in current or cid not in moves:
            return cid
        options = sorted(moves[cid], key=lambda m: (m[0], m[1]), reverse=True)
        live = [new for _at, new in options if new in current]
        nxt = live[0] if live else options[0][1]
        if nxt in seen:
            logger.warning("identity_merges holds a cycle; stopping at the last id seen")
            return cid
        seen.add(nxt)
        cid = nxt
    return cid
