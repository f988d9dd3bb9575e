"""Pairwise accuracy of an identity map against ground truth, from group counts."""

from __future__ import annotations

import polars as pl

from identity.errors import IdentityError

__all__ = ["pairwise_scores"]

_KEYS = ("source", "source_record_id")


def _pairs(col: str) -> pl.Expr:
    return (pl.col(col) * (pl.col(col) - 1) // 2).sum()


def pairwise_scores(
    identity_map: pl.DataFrame,
    ground_truth: pl.DataFrame,
    *,
    truth_column: str = "person_id",
) -> dict[str, float | int]:
    """Precision, recall and F1 over all record pairs, plus cluster figures.

    Records present in both frames are scored (a record the map lacks is not a pair). Pair
    counts come from group sizes: predicted pairs = sum C(cluster, 2), true pairs = sum
    C(person, 2), true positives = sum C(cluster ∩ person, 2).
    """
    for frame, col in ((identity_map, "customer_id"), (ground_truth, truth_column)):
        missing = [c for c in (*_KEYS, col) if c not in frame.columns]
        if missing:
            raise IdentityError(f"frame lacks column(s): {', '.join(missing)}")
    both = identity_map.select(*_KEYS, "customer_id").join(
        ground_truth.select(*_KEYS, pl.col(truth_column).alias("_truth")), on=list(_KEYS)
    )
    cluster = both.group_by("customer_id").len().select(_pairs("len")).item() or 0
    truth = both.group_by("_truth").len().select(_pairs("len")).item() or 0
    tp = both.group_by("customer_id", "_truth").len().select(_pairs("len")).item() or 0
    sizes = identity_map.group_by("customer_id").len().get_column("len")
    precision = tp / cluster if cluster else 1.0
    recall = tp / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "largest_cluster": int(sizes.max() or 0),  # type: ignore[arg-type]
        "clusters": sizes.len(),
        "records": both.height,
        "true_pairs": int(truth),
        "predicted_pairs": int(cluster),
    }
