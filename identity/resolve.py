"""Full identity resolution: evidence, vetoes, clustering, stable ids (DESIGN §7)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from identity._cluster import assign_ids, cluster
from identity._prepare import features_of, prepare
from identity._splink import SplinkScorer, default_model, empty_scored
from identity._vetoes import veto
from identity.errors import IdentityError
from identity.settings import ResolveSettings

__all__ = ["Resolution", "resolve"]

logger = logging.getLogger(__name__)

_DEFAULT_SETTINGS: Final = ResolveSettings()
_PAIR_SCHEMA: Final = {"uid_l": pl.String, "uid_r": pl.String, "evidence": pl.String}
#: Deterministic evidence is trusted before any score, in this order.
_EVIDENCE_RANK: Final = {"override": -1, "user_id": 0, "alias": 0, "anonymous_id": 0, "email": 1}
_OVERRIDE_COLUMNS: Final = (
    "left_source",
    "left_record_id",
    "right_source",
    "right_record_id",
    "action",
)
_OVERRIDE_ACTIONS: Final = frozenset({"merge", "never_merge"})
_MAX_GROUP: Final = 20


@dataclass(frozen=True)
class Resolution:
    """The result of :func:`resolve`: frames shaped like the catalogue's tables, and stats.

    ``identity_map``: one row per live record; ``match_probability`` is the best accepted link
    of the record (None for a customer of one record). ``links``: every pair that was scored at
    or above ``review_weight`` or had deterministic evidence, with its ``decision`` (match,
    review, veto) and ``veto_reason`` (a veto rule, or ``cluster_<rule>``, ``cluster_size``,
    ``cluster_unique_source`` for a link the clustering refused). ``merges``: id changes
    against ``previous``. ``model_json``: the Splink model used (None without two scoreable
    records).
    """

    identity_map: pl.DataFrame
    links: pl.DataFrame
    merges: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    model_json: str | None = None


def _pairs_within(frame: pl.DataFrame, key: str, evidence: str) -> pl.DataFrame:
    sized = frame.filter(pl.col(key).is_not_null()).select("uid", key)
    sized = sized.filter(pl.len().over(key).is_between(2, _MAX_GROUP))
    pairs = sized.join(sized, on=key, suffix="_r").filter(pl.col("uid") < pl.col("uid_r"))
    return pairs.select(
        pl.col("uid").alias("uid_l"), pl.col("uid_r"), pl.lit(evidence).alias("evidence")
    )


def _web_pairs(frame: pl.DataFrame, aliases: pl.DataFrame | None) -> pl.DataFrame:
    """Web identity keys tied by an anonymous id seen with a user id, or by an alias."""
    web = frame.filter(pl.col("source") == "web").select("uid", "source_record_id")
    links = [
        frame.filter(pl.col("anonymous_id").is_not_null())
        .select(pl.col("uid").alias("a"), pl.concat_str(pl.lit("web:"), "anonymous_id").alias("b"))
        .with_columns(pl.lit("anonymous_id").alias("evidence"))
    ]
    if aliases is not None and aliases.height:
        if not {"previous_id", "user_id"} <= set(aliases.columns):
            raise IdentityError("aliases need columns previous_id and user_id")
        links.append(
            aliases.select(
                pl.concat_str(pl.lit("web:"), "previous_id").alias("a"),
                pl.concat_str(pl.lit("web:"), "user_id").alias("b"),
                pl.lit("alias").alias("evidence"),
            )
        )
    both = pl.concat(links)
    known = web.get_column("uid")
    both = both.filter(
        pl.col("a").is_in(known.implode())
        & pl.col("b").is_in(known.implode())
        & (pl.col("a") != pl.col("b"))
    )
    return both.select(
        pl.min_horizontal("a", "b").alias("uid_l"),
        pl.max_horizontal("a", "b").alias("uid_r"),
        "evidence",
    )


def _override_pairs(frame: pl.DataFrame, overrides: pl.DataFrame | None) -> pl.DataFrame:
    """``(uid_l, uid_r, action)`` of the overrides whose two records are both present."""
    schema = {"uid_l": pl.String, "uid_r": pl.String, "action": pl.String}
    if overrides is None or overrides.height == 0:
        return pl.DataFrame(schema=schema)
    missing = [c for c in _OVERRIDE_COLUMNS if c not in overrides.columns]
    if missing:
        raise IdentityError(f"overrides lack column(s): {', '.join(missing)}")
    unknown = set(overrides.get_column("action").drop_nulls().unique()) - _OVERRIDE_ACTIONS
    if unknown or overrides.get_column("action").null_count():
        raise IdentityError("override action must be merge or never_merge")
    a = pl.concat_str("left_source", pl.lit(":"), "left_record_id")
    b = pl.concat_str("right_source", pl.lit(":"), "right_record_id")
    known = frame.get_column("uid").implode()
    pairs = (
        overrides.select(
            pl.min_horizontal(a, b).alias("uid_l"), pl.max_horizontal(a, b).alias("uid_r"), "action"
        )
        .filter(pl.col("uid_l").is_in(known) & pl.col("uid_r").is_in(known))
        .filter(pl.col("uid_l") != pl.col("uid_r"))
        .unique()
    )
    if pairs.select(pl.struct("uid_l", "uid_r").is_duplicated().any()).item():
        raise IdentityError("an override pair is both merge and never_merge")
    return pairs.cast(schema)  # type: ignore[arg-type]


def _deterministic(
    frame: pl.DataFrame, aliases: pl.DataFrame | None, overrides: pl.DataFrame
) -> pl.DataFrame:
    pinned = overrides.filter(pl.col("action") == "merge").select(
        "uid_l", "uid_r", pl.lit("override").alias("evidence")
    )
    parts = [
        pinned,
        _pairs_within(frame, "email", "email"),
        _pairs_within(frame, "user_id", "user_id"),
        _web_pairs(frame, aliases),
    ]
    pairs = pl.concat([p.cast(_PAIR_SCHEMA) for p in parts])  # type: ignore[arg-type]
    return (
        pairs.unique()
        .sort("evidence")
        .group_by("uid_l", "uid_r", maintain_order=True)
        .agg(pl.col("evidence").str.join(","))
    )


def _python_vetoes(frame: pl.DataFrame, pairs: pl.DataFrame, rules: frozenset[str]) -> pl.DataFrame:
    feats = features_of(frame)
    index = dict(zip(frame.get_column("uid").to_list(), range(frame.height), strict=True))
    reasons = [
        veto(feats[index[a]], feats[index[b]], rules)
        for a, b in zip(pairs.get_column("uid_l"), pairs.get_column("uid_r"), strict=True)
    ]
    return pairs.with_columns(pl.Series("veto_reason", reasons, dtype=pl.String))


def _model_of(settings: ResolveSettings, n: int) -> tuple[dict[str, Any], bool]:
    if settings.model_json is not None:
        try:
            model = json.loads(settings.model_json)
        except ValueError as e:
            raise IdentityError("model_json is not valid JSON") from e
        if not isinstance(model, dict) or "comparisons" not in model:
            raise IdentityError("model_json is not a Splink model")
        return model, False
    return default_model(n), settings.train and n >= settings.min_records_to_train


def _score(
    frame: pl.DataFrame, settings: ResolveSettings, det: pl.DataFrame, stats: dict[str, Any]
) -> tuple[pl.DataFrame, pl.DataFrame, str | None]:
    """Splink-scored candidate pairs, the deterministic pairs with vetoes, the model JSON."""
    scoreable = int(stats["scoreable"])
    stats["backend"] = settings.backend
    if scoreable < 2:
        stats["trained"] = []
        return empty_scored(), _python_vetoes(frame, det, settings.vetoes), None
    model, train = _model_of(settings, scoreable)
    with SplinkScorer(
        frame,
        model,
        threads=settings.threads,
        vetoes=settings.vetoes,
        backend=settings.backend,
        spark=settings.spark,
    ) as scorer:
        stats["trained"] = (
            scorer.train(seed=settings.seed, max_pairs_u=settings.max_pairs_u) if train else []
        )
        scored = scorer.predict(min_weight=settings.review_weight)
        return scored, scorer.veto_pairs(det), scorer.model_json()


def _decide(
    scored: pl.DataFrame, det: pl.DataFrame, overrides: pl.DataFrame, settings: ResolveSettings
) -> pl.DataFrame:
    """One row per pair with evidence, decision and the order links are tried in."""
    scored = scored.with_columns(
        pl.min_horizontal("uid_l", "uid_r").alias("uid_l"),
        pl.max_horizontal("uid_l", "uid_r").alias("uid_r"),
    )
    pairs = scored.join(det, on=["uid_l", "uid_r"], how="full", coalesce=True, suffix="_det")
    pairs = pairs.with_columns(
        pl.coalesce("veto_reason", "veto_reason_det").alias("veto_reason"),
        pl.when(pl.col("evidence").is_not_null() & pl.col("match_weight").is_not_null())
        .then(pl.col("evidence") + ",splink")
        .when(pl.col("evidence").is_not_null())
        .then(pl.col("evidence"))
        .otherwise(pl.lit("splink"))
        .alias("evidence"),
        # deterministic evidence Splink did not score (web ids, aliases) is certain
        pl.col("match_probability").fill_null(1.0),
    ).drop("veto_reason_det")
    never = overrides.filter(pl.col("action") == "never_merge").select(
        "uid_l", "uid_r", pl.lit("override_never_merge").alias("_never")
    )
    pairs = pairs.join(never, on=["uid_l", "uid_r"], how="left")
    is_det = pl.col("evidence") != "splink"
    pinned = pl.col("evidence").str.contains("override")
    corroborated = pl.col("personal") | (not settings.require_personal)
    pairs = pairs.with_columns(
        pl.coalesce("_never", pl.when(~pinned).then(pl.col("veto_reason"))).alias("veto_reason")
    ).drop("_never")
    return pairs.with_columns(
        pl.when(pl.col("veto_reason").is_not_null())
        .then(pl.lit("veto"))
        .when(is_det | ((pl.col("match_weight") >= settings.match_weight) & corroborated))
        .then(pl.lit("match"))
        .otherwise(pl.lit("review"))
        .alias("decision"),
        pl.when(is_det)
        .then(
            pl.col("evidence")
            .str.split(",")
            .list.eval(pl.element().replace_strict(_EVIDENCE_RANK, default=2, return_dtype=pl.Int8))
            .list.min()
        )
        .otherwise(pl.lit(2, dtype=pl.Int8))
        .alias("_rank"),
    ).sort(
        ["_rank", "match_weight", "uid_l", "uid_r"],
        descending=[False, True, False, False],
        nulls_last=True,
    )


def _clustered(
    frame: pl.DataFrame, pairs: pl.DataFrame, overrides: pl.DataFrame, settings: ResolveSettings
) -> tuple[pl.DataFrame, list[int]]:
    """Cluster along the accepted links (best first); refused links become ``review``."""
    rid = dict(zip(frame.get_column("uid").to_list(), range(frame.height), strict=True))
    accepted = pairs.filter(pl.col("decision") == "match")
    edges = [(rid[a], rid[b]) for a, b in accepted.select("uid_l", "uid_r").iter_rows()]
    never = frozenset(
        (min(rid[a], rid[b]), max(rid[a], rid[b]))
        for a, b in overrides.filter(pl.col("action") == "never_merge")
        .select("uid_l", "uid_r")
        .iter_rows()
    )
    pinned = int(accepted.get_column("evidence").str.contains("override").sum())
    clusters = cluster(
        frame.height,
        edges,
        features_of(frame),
        max_size=settings.max_cluster_size,
        rules=settings.vetoes,
        sources=frame.get_column("source").to_list(),
        unique_sources=settings.unique_sources,
        pinned=pinned,
        never=never,
    )
    refused = accepted.select("uid_l", "uid_r").with_columns(
        pl.Series("_refused", [clusters.blocked.get(i) for i in range(accepted.height)], pl.String)
    )
    pairs = pairs.join(refused, on=["uid_l", "uid_r"], how="left", maintain_order="left")
    pairs = pairs.with_columns(
        pl.when(pl.col("_refused").is_not_null())
        .then(pl.lit("review"))
        .otherwise(pl.col("decision"))
        .alias("decision"),
        pl.coalesce("veto_reason", "_refused").alias("veto_reason"),
    ).drop("_refused", "_rank")
    return pairs, clusters.label


def _previous_ids(frame: pl.DataFrame, previous: pl.DataFrame | None) -> list[str | None]:
    if previous is None or previous.height == 0:
        return [None] * frame.height
    missing = [c for c in ("source", "source_record_id", "customer_id") if c not in previous]
    if missing:
        raise IdentityError(f"previous lacks column(s): {', '.join(missing)}")
    prev = previous.select(
        pl.concat_str("source", pl.lit(":"), "source_record_id").alias("uid"), "customer_id"
    ).unique("uid", keep="last")
    joined = frame.select("uid").join(prev, on="uid", how="left", maintain_order="left")
    return joined.get_column("customer_id").to_list()


def _stamp(frame: pl.DataFrame, run_id: str | None, at: datetime, column: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(run_id, dtype=pl.String).alias("run_id"),
        pl.lit(at).cast(pl.Datetime("us", "UTC")).alias(column),
    )


def _map_frame(frame: pl.DataFrame, pairs: pl.DataFrame, customer: list[str]) -> pl.DataFrame:
    used = pairs.filter(pl.col("decision") == "match")
    best = (
        pl.concat(
            [
                used.select(pl.col("uid_l").alias("uid"), "match_probability"),
                used.select(pl.col("uid_r").alias("uid"), "match_probability"),
            ]
        )
        .group_by("uid")
        .agg(pl.col("match_probability").max())
    )
    return (
        frame.select("uid", "source", "source_record_id")
        .with_columns(pl.Series("customer_id", customer, dtype=pl.String))
        .join(best, on="uid", how="left", maintain_order="left")
        .select("source", "source_record_id", "customer_id", "match_probability")
    )


def _links_frame(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    keys = frame.select("uid", "source", "source_record_id")
    left = {"uid": "uid_l", "source": "left_source", "source_record_id": "left_record_id"}
    right = {"uid": "uid_r", "source": "right_source", "source_record_id": "right_record_id"}
    return (
        pairs.join(keys.rename(left), on="uid_l")
        .join(keys.rename(right), on="uid_r")
        .select(
            "left_source",
            "left_record_id",
            "right_source",
            "right_record_id",
            "match_probability",
            "match_weight",
            "weights",
            "evidence",
            "decision",
            "veto_reason",
        )
        .sort("left_source", "left_record_id", "right_source", "right_record_id")
    )


def _merges_frame(changes: list[tuple[str, str, str]]) -> pl.DataFrame:
    reasons = {"merge": "records joined another customer", "split": "records split off"}
    return pl.DataFrame(
        {
            "old_customer_id": [c[0] for c in changes],
            "new_customer_id": [c[1] for c in changes],
            "reason": [reasons[c[2]] for c in changes],
            "kind": [c[2] for c in changes],
        },
        schema={
            "old_customer_id": pl.String,
            "new_customer_id": pl.String,
            "reason": pl.String,
            "kind": pl.String,
        },
    )


def resolve(
    records: pl.DataFrame,
    *,
    settings: ResolveSettings = _DEFAULT_SETTINGS,
    previous: pl.DataFrame | None = None,
    aliases: pl.DataFrame | None = None,
    overrides: pl.DataFrame | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Resolution:
    """Resolve ``identity_records`` rows into customers (see the package README).

    ``previous`` is the last ``identity_map`` (``source, source_record_id, customer_id``): ids
    are kept where the records stay together, merges and splits are reported. ``aliases`` are
    Segment ``alias`` pairs ``(previous_id, user_id)``. ``overrides`` are decisions a person
    made (``left_source, left_record_id, right_source, right_record_id, action``; action
    ``merge`` pins two records together whatever the vetoes, ``never_merge`` keeps them in
    different customers whatever the evidence). Deleted records are left out. ``run_id`` and
    ``now`` stamp the output rows. Raises :class:`IdentityError` for unusable input.
    """
    started = time.perf_counter()
    at = now or datetime.now(UTC)
    frame = prepare(records)
    stats: dict[str, Any] = {
        "records": frame.height,
        "scoreable": int(frame.get_column("scoreable").sum()),
    }
    manual = _override_pairs(frame, overrides)
    det = _deterministic(frame, aliases, manual)
    scored, det, model_json = _score(frame, settings, det, stats)
    stats["candidate_pairs"] = scored.height
    stats["deterministic_pairs"] = det.height
    pairs, labels = _clustered(frame, _decide(scored, det, manual, settings), manual, settings)
    assignment = assign_ids(
        labels, frame.get_column("uid").to_list(), _previous_ids(frame, previous)
    )
    customer = [assignment.ids[label] for label in labels]

    identity_map = _stamp(_map_frame(frame, pairs, customer), run_id, at, "resolved_at")
    links = _stamp(_links_frame(frame, pairs), run_id, at, "created_at")
    merges = _stamp(_merges_frame(assignment.changes), run_id, at, "at")

    sizes = identity_map.group_by("customer_id").len().get_column("len")
    vetoed = pairs.filter(pl.col("veto_reason").is_not_null())
    stats.update(
        {
            "decisions": dict(pairs.group_by("decision").len().iter_rows()),
            "veto_reasons": dict(vetoed.group_by("veto_reason").len().iter_rows()),
            "clusters": sizes.len(),
            "largest_cluster": int(sizes.max() or 0),  # type: ignore[arg-type]
            "merges": len(assignment.changes),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
    logger.info(
        "resolved %d records into %d customers (%d links kept) in %.1fs",
        frame.height,
        sizes.len(),
        pairs.height,
        stats["seconds"],
    )
    return Resolution(
        identity_map=identity_map, links=links, merges=merges, stats=stats, model_json=model_json
    )
