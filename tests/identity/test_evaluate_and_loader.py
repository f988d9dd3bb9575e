"""The test/bench loader mirrors the generator's ground truth; pair scores match a naive count."""

from __future__ import annotations

import itertools
from collections import defaultdict

import polars as pl

from identity import ResolveSettings, pairwise_scores, resolve
from identity._testing import GeneratedData
from identity.resolve import Resolution
from storage import TABLES


def test_loader_gives_identity_records(generated: GeneratedData) -> None:
    records = generated.records
    assert records.columns == TABLES["identity_records"].columns
    keys = records.select("source", "source_record_id")
    assert keys.is_duplicated().sum() == 0
    truth = generated.truth.select("source", "source_record_id")
    assert keys.join(truth, on=["source", "source_record_id"], how="anti").height == 0
    counts = dict(records.group_by("source").len().iter_rows())
    truth_counts = dict(generated.truth.group_by("source").len().iter_rows())
    assert counts["crm"] == truth_counts["crm"]
    assert counts["erp"] == truth_counts["erp"]
    assert 0 < counts["web"] < truth_counts["web"]  # browsing-only identities are left out
    web = records.filter(pl.col("source") == "web")
    assert web.filter(pl.col("user_id").is_not_null()).height > 0
    assert generated.aliases.height > 0


def _naive(identity_map: pl.DataFrame, truth: pl.DataFrame) -> tuple[int, int, int]:
    both = identity_map.join(truth, on=["source", "source_record_id"])

    def pairs(column: str) -> set[tuple[str, str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for key, group in zip(
            (both.get_column("source") + ":" + both.get_column("source_record_id")).to_list(),
            both.get_column(column).to_list(),
            strict=True,
        ):
            groups[group].append(key)
        return {
            (min(a, b), max(a, b))
            for members in groups.values()
            for a, b in itertools.combinations(members, 2)
        }

    predicted, true = pairs("customer_id"), pairs("person_id")
    return len(predicted), len(true), len(predicted & true)


def test_pairwise_scores_match_a_naive_count(
    generated: GeneratedData, resolved: Resolution
) -> None:
    scores = pairwise_scores(resolved.identity_map, generated.truth)
    predicted, true, tp = _naive(resolved.identity_map, generated.truth)
    assert scores["predicted_pairs"] == predicted
    assert scores["true_pairs"] == true
    assert abs(scores["precision"] - tp / predicted) < 1e-5
    assert abs(scores["recall"] - tp / true) < 1e-5


def test_trained_model_keeps_precision(generated: GeneratedData) -> None:
    res = resolve(
        generated.records,
        aliases=generated.aliases,
        settings=ResolveSettings(min_records_to_train=0),
    )
    assert "u" in res.stats["trained"]
    scores = pairwise_scores(res.identity_map, generated.truth)
    assert scores["precision"] >= 0.98
    assert scores["largest_cluster"] <= 10
