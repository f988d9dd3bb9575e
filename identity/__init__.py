"""Identity resolution (domain): Splink scoring, clustering and stable customer ids.

Framework-free functions over Arrow/Polars data (DESIGN §7):

* :func:`resolve` - ``identity_records`` rows -> :class:`Resolution` (``identity_map``,
  ``identity_links``, ``identity_merges`` frames, stats and the model JSON)
* :func:`explain` - per-comparison match weights and the veto verdict of one pair
* :func:`pairwise_scores` - precision / recall / F1 of a map against ground truth
* :mod:`identity.service` - the same over the lakehouse tables: :func:`resolve_lakehouse`,
  :func:`explain_records` / :func:`format_explanation`, :func:`add_override`,
  :func:`resolve_customer_id`
* :class:`IncrementalResolver` - one new record -> a customer in milliseconds
* :class:`ResolveSettings` ``backend="spark"`` runs Splink on Spark (:class:`SparkSettings`);
  :func:`spark_session` holds one session open across several runs
"""

from __future__ import annotations

from identity._spark import spark_session
from identity.errors import IdentityError, InvalidSettingsError
from identity.evaluate import pairwise_scores
from identity.explain import Explanation, explain
from identity.incremental import Assignment, IncrementalResolver
from identity.resolve import Resolution, resolve
from identity.service import (
    PairExplanation,
    ResolveReport,
    add_override,
    deactivate_override,
    explain_records,
    format_explanation,
    resolve_customer_id,
    resolve_lakehouse,
)
from identity.settings import ResolveSettings, SparkSettings

__all__ = [
    "Assignment",
    "Explanation",
    "IdentityError",
    "IncrementalResolver",
    "InvalidSettingsError",
    "PairExplanation",
    "Resolution",
    "ResolveReport",
    "ResolveSettings",
    "SparkSettings",
    "add_override",
    "deactivate_override",
    "explain",
    "explain_records",
    "format_explanation",
    "pairwise_scores",
    "resolve",
    "resolve_customer_id",
    "resolve_lakehouse",
    "spark_session",
]
