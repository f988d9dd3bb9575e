"""Identity resolution (domain): Splink scoring, clustering and stable customer ids.

Framework-free functions over Arrow/Polars data (DESIGN §7):

* :func:`resolve` - ``identity_records`` rows -> :class:`Resolution` (``identity_map``,
  ``identity_links``, ``identity_merges`` frames, stats and the model JSON)
* :func:`explain` - per-comparison match weights and the veto verdict of one pair
* :func:`pairwise_scores` - precision / recall / F1 of a map against ground truth
"""

from __future__ import annotations

from identity.errors import IdentityError, InvalidSettingsError
from identity.evaluate import pairwise_scores
from identity.explain import Explanation, explain
from identity.resolve import Resolution, resolve
from identity.settings import ResolveSettings

__all__ = [
    "Explanation",
    "IdentityError",
    "InvalidSettingsError",
    "Resolution",
    "ResolveSettings",
    "explain",
    "pairwise_scores",
    "resolve",
]
