"""Why two records are (or are not) one customer: per-comparison weights and the veto."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from identity._prepare import features_of, prepare
from identity._splink import SplinkScorer
from identity._vetoes import VETO_RULES, veto
from identity.errors import IdentityError
from identity.settings import Backend, SparkSettings

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """The model's view of one pair.

    ``weights`` are per-comparison match weights (log2 Bayes factors, term-frequency
    adjustments included) that add up, with the prior, to ``match_weight``; ``veto`` names the
    conflict that keeps the two apart (None: no conflict).
    """

    a: tuple[str, str]
    b: tuple[str, str]
    match_weight: float | None
    match_probability: float | None
    weights: dict[str, float] = field(default_factory=dict)
    veto: str | None = None


def explain(
    a_key: tuple[str, str],
    b_key: tuple[str, str],
    records: pl.DataFrame,
    model: str,
    *,
    vetoes: frozenset[str] = VETO_RULES,
    backend: Backend = "duckdb",
    spark: SparkSettings | None = None,
) -> Explanation:
    """Explain the pair ``a_key``/``b_key`` (``(source, source_record_id)``) of ``records``
    with a saved model (:attr:`identity.Resolution.model_json`); term frequencies come from
    ``records``; ``vetoes`` are the rules in force, ``backend``/``spark`` the Splink engine
    (as in :class:`identity.ResolveSettings`).
    Raises :class:`IdentityError` for an unknown key or an unusable model.
    """
    frame = prepare(records)
    uids = {f"{s}:{r}" for s, r in (a_key, b_key)}
    found = frame.filter(pl.col("uid").is_in(list(uids)))
    if found.height != len(uids) or len(uids) != 2:
        raise IdentityError("explain needs two different records present in records")
    rows = {row["uid"]: i for i, row in enumerate(found.select("uid").iter_rows(named=True))}
    feats = features_of(found)
    ua, ub = f"{a_key[0]}:{a_key[1]}", f"{b_key[0]}:{b_key[1]}"
    verdict = veto(feats[rows[ua]], feats[rows[ub]], vetoes)
    if not bool(found.get_column("scoreable").all()):
        return Explanation(
            a=a_key, b=b_key, match_weight=None, match_probability=None, veto=verdict
        )
    try:
        settings = json.loads(model)
    except ValueError as e:
        raise IdentityError("model is not valid JSON") from e
    with SplinkScorer(
        frame, settings, vetoes=vetoes, backend=backend, spark=spark or SparkSettings()
    ) as scorer:
        scored = scorer.explain_pair(ua, ub).row(0, named=True)
    return Explanation(
        a=a_key,
        b=b_key,
        match_weight=float(scored["match_weight"]),
        match_probability=float(scored["match_probability"]),
        weights={k: float(v) for k, v in json.loads(scored["weights"]).items()},
        veto=verdict,
    )
