"""The profile learned from the data: does it hold households, which sources are deduplicated.

Customer data and a clean master file want different rules. Instead of a profile per data set
(a user choosing "no households"), resolution measures two things on the data itself:

* **Does the data hold households?** The household rules (``first_name``, ``birth_date``) keep
  apart people who share a last name and a home. Take every pair of records with the same
  last name, street and postcode whose first names and birth dates are known on both sides
  (groups of at most ``MAX_GROUP``). In customer data many of them are two people: couples,
  siblings, parents and children, whose first names *and* birth dates both clearly differ. In
  a file without households (FEBRL: every such pair is one person, with typing noise) that
  happens only when noise hits both fields at once. With at least ``MIN_HOME_PAIRS`` such
  pairs and a share of two-people pairs whose Wilson upper bound (95%) is below
  ``MAX_HOUSEHOLD_SHARE``, the data holds no households: both household rules are switched
  off for this run (they would only split one person's noisy records). Fewer pairs: no
  decision, the rules stay.
* **Is a source deduplicated?** A source with at least ``MIN_SOURCE_RECORDS`` records of which
  fewer than ``MAX_DUPLICATE_SHARE`` take part in a within-source link that would be accepted
  (deterministic or scored at ``match_weight`` and corroborated, not vetoed) holds one record
  per person: it joins ``unique_sources`` (a cluster never takes two of its records).

The outcome is reported in ``Resolution.stats["learned"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from identity._vetoes import Features, veto

__all__ = ["HOUSEHOLD_RULES", "Learned", "learn"]

#: The rules that keep the members of a household apart.
HOUSEHOLD_RULES: Final = frozenset({"first_name", "birth_date"})
MAX_GROUP: Final = 20
MIN_HOME_PAIRS: Final = 200
MAX_HOUSEHOLD_SHARE: Final = 0.05
MIN_SOURCE_RECORDS: Final = 1_000
MAX_DUPLICATE_SHARE: Final = 0.002
_FIRST, _BORN = frozenset({"first_name"}), frozenset({"birth_date"})


@dataclass(frozen=True)
class Learned:
    """What the data said: rules switched off, sources found deduplicated, and the counts."""

    vetoes_off: frozenset[str]
    unique_sources: frozenset[str]
    home_pairs: tuple[int, int]
    duplicate_share: dict[str, float]


def _wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return (centre - margin) / denom, (centre + margin) / denom


def _home_pairs(frame: pl.DataFrame, features: list[Features]) -> tuple[int, int]:
    """(pairs of two people, pairs) among same last name, street and postcode (module docs)."""
    keys = ["ln", "street", "pc"]
    known = (
        frame.with_row_index("_i")
        .filter(pl.all_horizontal(pl.col(c).is_not_null() for c in [*keys, "fn", "dob"]))
        .select("_i", *keys)
    )
    known = known.filter(pl.len().over(keys).is_between(2, MAX_GROUP))
    pairs = known.join(known, on=keys, suffix="_r").filter(pl.col("_i") < pl.col("_i_r"))
    two = 0
    for a, b in pairs.select("_i", "_i_r").iter_rows():
        fa, fb = features[a], features[b]
        two += veto(fa, fb, _FIRST) is not None and veto(fa, fb, _BORN) is not None
    return two, pairs.height


def learn(
    frame: pl.DataFrame,
    features: list[Features],
    scored: pl.DataFrame,
    deterministic: pl.DataFrame,
    *,
    rules: frozenset[str],
    match_weight: float,
    require_personal: bool,
) -> Learned:
    """The learned profile of one data set (see the module documentation)."""
    two, homes = _home_pairs(frame, features)
    off: frozenset[str] = frozenset()
    if homes >= MIN_HOME_PAIRS and _wilson(two, homes)[1] < MAX_HOUSEHOLD_SHARE:
        off = rules & HOUSEHOLD_RULES
    # a pair vetoed only by a rule now off counts as accepted (its first reason is that rule)
    open_ = pl.col("veto_reason").is_null() | pl.col("veto_reason").is_in(sorted(off))
    accepted = scored.filter(open_ & (pl.col("match_weight") >= match_weight))
    if require_personal:
        accepted = accepted.filter(pl.col("personal"))
    pairs = pl.concat(
        [accepted.select("uid_l", "uid_r"), deterministic.filter(open_).select("uid_l", "uid_r")]
    ).unique()
    source = pl.col("uid_l").str.split_exact(":", 1).struct.field("field_0")
    within = pairs.filter(source == pl.col("uid_r").str.split_exact(":", 1).struct.field("field_0"))
    involved = pl.concat([within.get_column("uid_l"), within.get_column("uid_r")]).unique()
    sizes = frame.group_by("source").len()
    dup = (
        frame.filter(pl.col("uid").is_in(involved.implode()))
        .group_by("source")
        .len()
        .rename({"len": "dups"})
    )
    share = {
        s: (d or 0) / n
        for s, n, d in sizes.join(dup, on="source", how="left")
        .select("source", "len", "dups")
        .iter_rows()
    }
    unique = frozenset(
        s
        for s, n in sizes.iter_rows()
        if n >= MIN_SOURCE_RECORDS and share[s] < MAX_DUPLICATE_SHARE
    )
    return Learned(
        vetoes_off=off,
        unique_sources=unique,
        home_pairs=(two, homes),
        duplicate_share={s: round(v, 5) for s, v in share.items()},
    )
