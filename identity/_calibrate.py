"""The profile learned from the data: which vetoes hold, which sources are deduplicated.

Customer data and a clean master file want different rules. Instead of a profile per data set
(a user choosing "no households"), resolution measures two things on the scored pairs of the
data itself, after Splink's training:

* **Does a veto contradict the data?** A veto says "these two are different people". Take the
  *anchor* pairs of a rule: pairs whose other evidence is overwhelming (Splink's comparison
  weights without the rule's own fields sum to at least ``ANCHOR_BITS``; for the first-name
  rule also the same birth date, since a household shares everything else). In customer data
  such pairs are the same person or, rarely, a twin or a junior: the rule fires on a few
  percent of them. In a file whose duplicates carry typing noise in every field (FEBRL), it
  fires on one anchor in six or ten: the disagreement is noise, not a second person. A rule
  whose firing rate among at least ``MIN_ANCHORS`` anchors is above ``MAX_FIRING`` (per rule,
  Wilson lower bound at 95%) is switched off for this run. Only the household rules
  (``first_name``, ``birth_date``) are checked; the others stay.
* **Is a source deduplicated?** A source with at least ``MIN_SOURCE_RECORDS`` records of which
  fewer than ``MAX_DUPLICATE_SHARE`` take part in a within-source link that would be accepted
  (deterministic or scored at ``match_weight`` and corroborated, not vetoed) holds one record
  per person: it joins ``unique_sources`` (a cluster never takes two of its records).

The outcome is reported in ``Resolution.stats["learned"]`` and kept with the run's settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from identity._splink import COMPARISON_NAMES
from identity._vetoes import Features, veto

__all__ = ["Learned", "learn"]

ANCHOR_BITS: Final = 24.0
MIN_ANCHORS: Final = 200
#: Above these firing rates a rule is contradicted by the data: about twice what customer data
#: shows (twins among same-birth-date anchors, juniors among same-name-and-address anchors).
MAX_FIRING: Final = {"first_name": 0.075, "birth_date": 0.025}
MIN_SOURCE_RECORDS: Final = 1_000
MAX_DUPLICATE_SHARE: Final = 0.002
#: Comparisons that look at the fields of a rule (left out of its anchor evidence).
_RULE_FIELDS: Final = {"first_name": ("first_name",), "birth_date": ("birth_date",)}
_SAME_BIRTH_DATE_BITS: Final = 5.0


@dataclass(frozen=True)
class Learned:
    """What the data said: rules switched off, sources found deduplicated, and the counts."""

    vetoes_off: frozenset[str]
    unique_sources: frozenset[str]
    anchors: dict[str, tuple[int, int]]
    duplicate_share: dict[str, float]


def _wilson_low(fired: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return 0.0
    p = fired / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def _weights(scored: pl.DataFrame) -> pl.DataFrame:
    dtype = pl.Struct({name: pl.Float64 for name in COMPARISON_NAMES})
    decoded = scored.select("uid_l", "uid_r", pl.col("weights").str.json_decode(dtype).alias("_w"))
    return decoded.unnest("_w").fill_null(0.0)


def _firing(
    scored: pl.DataFrame, features: list[Features], index: dict[str, int], rules: frozenset[str]
) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if scored.height == 0:
        return out
    w = _weights(scored)
    names = [c for c in w.columns if c not in ("uid_l", "uid_r")]
    total = pl.sum_horizontal(*[pl.col(c) for c in names])
    for rule, fields in _RULE_FIELDS.items():
        if rule not in rules:
            continue
        rest = total - pl.sum_horizontal(*[pl.col(c) for c in fields if c in names])
        cond = rest >= ANCHOR_BITS
        if rule == "first_name" and "birth_date" in names:
            cond = cond & (pl.col("birth_date") >= _SAME_BIRTH_DATE_BITS)
        anchors = w.filter(cond).select("uid_l", "uid_r")
        one = frozenset({rule})
        fired = sum(
            veto(features[index[a]], features[index[b]], one) is not None
            for a, b in anchors.iter_rows()
        )
        out[rule] = (fired, anchors.height)
    return out


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
    index = dict(zip(frame.get_column("uid").to_list(), range(frame.height), strict=True))
    anchors = _firing(scored, features, index, rules)
    off = frozenset(
        rule
        for rule, (fired, n) in anchors.items()
        if n >= MIN_ANCHORS and _wilson_low(fired, n) > MAX_FIRING[rule]
    )
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
        anchors=anchors,
        duplicate_share={s: round(v, 5) for s, v in share.items()},
    )
