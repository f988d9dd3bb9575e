"""Incremental assignment: one new record -> a customer, in milliseconds (DESIGN §7).

:class:`IncrementalResolver` loads the live records, the current ``identity_map`` and the
latest stored model once and keeps in-memory blocking indexes (the blocking rules of the full
resolution: e-mail, phone, names, birth date with names/postcode/street, address, plus web
user and anonymous ids). :meth:`IncrementalResolver.assign` scores the new record against the
candidates of its blocks only, with the same comparison model (a Python re-implementation of
the stored Splink model's levels and parameters, term-frequency adjustments included: Splink's
per-call ``compare_records`` costs more than the whole budget), then decides like
:func:`identity.resolve`: deterministic evidence (same e-mail, web user id, anonymous id) or a
corroborated probabilistic match, never across a veto, and joins the best customer only when
no member of that customer vetoes the record, the cluster cap and the deduplicated sources
allow it, and no active override forbids it. Otherwise the record is a new customer with the
stable id a full run would give it. The record then joins the indexes, so a stream of records
sees its own earlier records.

The full resolution stays the reference: it re-clusters everything (and may move a record
later); the agreement of the two is measured in the tests and by ``bench/identity.py``.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import jellyfish
import polars as pl

from identity._cluster import customer_id
from identity._prepare import prepare
from identity._splink import default_model
from identity._vetoes import Features, veto
from identity.errors import IdentityError
from identity.settings import ResolveSettings
from identity.web import shared_anonymous_ids
from storage import TABLES, Lakehouse, TableMissingError

__all__ = ["Assignment", "IncrementalResolver"]

logger = logging.getLogger(__name__)

_MAX_GROUP: Final = 20  # as identity.resolve: a mailbox or user id shared wider is ignored
_VETO_FIELDS: Final = Features.__slots__
#: Blocking keys, mirroring ``identity._splink._BLOCKING_RULES`` (left side, right side).
_BLOCKS: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("email",), ("email",)),
    (("phone",), ("phone",)),
    (("fn", "ln"), ("fn", "ln")),
    (("ln", "dob"), ("ln", "dob")),
    (("fc", "dob"), ("fc", "dob")),
    (("pc", "ln"), ("pc", "ln")),
    (("pc", "fc"), ("pc", "fc")),
    (("street", "pc"), ("street", "pc")),
    (("street", "city"), ("street", "city")),
    (("street", "ln"), ("street", "ln")),
    (("dob", "pc"), ("dob", "pc")),
    (("dob", "street"), ("dob", "street")),
    (("dob", "ln3"), ("dob", "ln3")),
    (("fn", "city"), ("fn", "city")),
    (("fn", "ln"), ("ln", "fn")),
    (("email_local", "ln"), ("email_local", "ln")),
    (("dob", "city"), ("dob", "city")),
    (("pc", "ln3"), ("pc", "ln3")),
    (("fn", "pc"), ("ln", "pc")),
    (("ln", "pc"), ("fn", "pc")),
)
_EVIDENCE_RANK: Final = {
    "override": -1,
    "user_id": 0,
    "alias": 0,
    "anonymous_id": 0,
    "email": 1,
}

Row = dict[str, Any]
_EMPTY_RECORDS: Final = pl.from_arrow(TABLES["identity_records"].schema.empty_table())
assert isinstance(_EMPTY_RECORDS, pl.DataFrame)
_RECORD_SCHEMA: Final = _EMPTY_RECORDS.schema


@dataclass(frozen=True)
class Assignment:
    """Where one record went.

    ``new``: the record starts a customer of its own. ``match_probability``/``match_weight``:
    the score of the best accepted link (None for a new customer, or for deterministic
    evidence between records with no comparable fields). ``evidence``: ``known`` (the record
    was already mapped), ``override``, ``user_id``, ``alias``, ``anonymous_id``, ``email`` or
    ``splink``
    for a join; ``new`` otherwise. ``candidates``: records scored.
    """

    customer_id: str
    new: bool
    match_probability: float | None
    evidence: str
    match_weight: float | None = None
    candidates: int = 0


# -- the model, in Python --------------------------------------------------------------------


def _eq(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a == b


def _jw(a: str | None, b: str | None, t: float) -> bool:
    return a is not None and b is not None and jellyfish.jaro_winkler_similarity(a, b) >= t


def _in_email(name: str | None, other_name: str | None, other_local: str | None) -> bool:
    if name is None or other_name is not None or other_local is None or len(name) < 3:
        return False
    return name.replace(" ", "").replace("-", "") in other_local


def _year_end(local: str | None, dob: str | None) -> bool:
    if local is None or dob is None:
        return False
    digits = len(local) - len(local.rstrip("0123456789"))
    end = local[len(local) - digits :] if digits else ""
    return end in (dob[:4], dob[2:4])


def _same_place(l: Row, r: Row) -> bool:  # noqa: E741
    """``coalesce(pc_l = pc_r, city_l = city_r, true)``."""
    if l["pc"] is not None and r["pc"] is not None:
        return bool(l["pc"] == r["pc"])
    if l["city"] is not None and r["city"] is not None:
        return bool(l["city"] == r["city"])
    return True


_Level = Callable[[Row, Row], bool]


def _first(l: Row, r: Row) -> int | None:  # noqa: E741
    if l["fn"] is None or r["fn"] is None:
        return None
    if l["fn"] == r["fn"]:
        return 0
    if _eq(l["fc"], r["fc"]) or (_eq(l["fn"], r["ln"]) and _eq(l["ln"], r["fn"])):
        return 1
    sim = jellyfish.jaro_winkler_similarity(l["fn"], r["fn"])
    return 2 if sim >= 0.92 else 3 if sim >= 0.80 else 4


def _last(l: Row, r: Row) -> int | None:  # noqa: E741
    if l["ln"] is None or r["ln"] is None:
        return None
    if l["ln"] == r["ln"]:
        return 0
    if _eq(l["ln"], r["fn"]) and _eq(l["fn"], r["ln"]):
        return 1
    sim = jellyfish.jaro_winkler_similarity(l["ln"], r["ln"])
    return 2 if sim >= 0.92 else 3 if sim >= 0.80 else 4


def _birth(l: Row, r: Row) -> int | None:  # noqa: E741
    if l["dob"] is None or r["dob"] is None:
        return None
    if l["dob"] == r["dob"]:
        return 0
    return 1 if jellyfish.damerau_levenshtein_distance(l["dob"], r["dob"]) <= 1 else 2


def _exact(col: str) -> Callable[[Row, Row], int | None]:
    def level(l: Row, r: Row) -> int | None:  # noqa: E741
        if l[col] is None or r[col] is None:
            return None
        return 0 if l[col] == r[col] else 1

    return level


def _name_in_email(l: Row, r: Row) -> int | None:  # noqa: E741
    names = all(x[c] is not None for x in (l, r) for c in ("ln", "fn"))
    if names or (l["email_local"] is None and r["email_local"] is None):
        return None
    if _in_email(l["ln"], r["ln"], r["email_local"]) or _in_email(
        r["ln"], l["ln"], l["email_local"]
    ):
        return 0
    if _in_email(l["fn"], r["fn"], r["email_local"]) or _in_email(
        r["fn"], l["fn"], l["email_local"]
    ):
        return 1
    return 2


def _year_in_email(l: Row, r: Row) -> int | None:  # noqa: E741
    if (
        (l["dob"] is None or r["email_local"] is None)
        and (r["dob"] is None or l["email_local"] is None)
        and (l["email_year"] is None or r["email_year"] is None)
    ):
        return None
    if _year_end(r["email_local"], l["dob"]) or _year_end(l["email_local"], r["dob"]):
        return 0
    both = l["email"] is not None and r["email"] is not None
    if _eq(l["email_year"], r["email_year"]) and both and l["email"] != r["email"]:
        return 1
    return 2


def _address(l: Row, r: Row) -> int | None:  # noqa: E741
    if all(l[c] is None for c in ("street", "pc", "city")) or all(
        r[c] is None for c in ("street", "pc", "city")
    ):
        return None
    if _eq(l["street"], r["street"]) and _same_place(l, r):
        return 0
    if _jw(l["street"], r["street"], 0.85) and _same_place(l, r):
        return 1
    if _eq(l["pc"], r["pc"]):
        return 2
    if _eq(l["city"], r["city"]):
        return 3
    return 4


#: Per comparison: how its level (index among the non-null levels) is found.
_LEVELS: Final[dict[str, Callable[[Row, Row], int | None]]] = {
    "first_name": _first,
    "last_name": _last,
    "birth_date": _birth,
    "phone": _exact("phone"),
    "email": _exact("email"),
    "name_in_email": _name_in_email,
    "year_in_email": _year_in_email,
    "address": _address,
}


@dataclass(frozen=True)
class _Comparison:
    name: str
    weights: tuple[float, ...]
    u: tuple[float, ...]
    tf_column: str | None
    tf_level: int | None
    tf_weight: float


def _comparisons(model: Mapping[str, Any]) -> list[_Comparison]:
    out: list[_Comparison] = []
    for c in model.get("comparisons", []):
        name = c.get("output_column_name")
        if name not in _LEVELS:
            raise IdentityError(f"the stored model has a comparison this code lacks: {name}")
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        weights, us = [], []
        tf_column, tf_level, tf_weight = None, None, 0.0
        for i, lv in enumerate(levels):
            m, u = float(lv["m_probability"]), float(lv["u_probability"])
            weights.append(math.log2(m / u))
            us.append(u)
            if lv.get("tf_adjustment_column"):
                tf_column, tf_level = str(lv["tf_adjustment_column"]), i
                tf_weight = float(lv.get("tf_adjustment_weight", 1.0))
        out.append(_Comparison(name, tuple(weights), tuple(us), tf_column, tf_level, tf_weight))
    if {c.name for c in out} != set(_LEVELS):
        raise IdentityError("the stored model does not have the comparisons this code scores")
    return out


# -- the resolver ----------------------------------------------------------------------------


def _block_key(row: Row, cols: tuple[str, ...]) -> tuple[Any, ...] | None:
    values = tuple(row[c] for c in cols)
    return None if any(v is None for v in values) else values


@dataclass
class _Score:
    weight: float
    probability: float
    personal: bool
    parts: dict[str, float]


class IncrementalResolver:
    """In-memory matcher for new records against the resolved ones (module documentation)."""

    def __init__(
        self,
        records: pl.DataFrame,
        identity_map: pl.DataFrame | None,
        model_json: str | None,
        *,
        settings: ResolveSettings | None = None,
        overrides: pl.DataFrame | None = None,
        aliases: pl.DataFrame | None = None,
    ) -> None:
        """``records``: ``identity_records`` rows; ``identity_map``: the current map;
        ``model_json``: the stored model (None: the shipped defaults); ``overrides``: active
        ``identity_overrides`` rows (``kind``, ``left_key``, ``right_key``); ``aliases``: Segment
        ``alias`` pairs (``previous_id``, ``user_id``) tying web identities together."""
        self.settings = settings or ResolveSettings()
        frame = prepare(records)
        if model_json is None:
            model: dict[str, Any] = default_model(max(frame.height, 2))
        else:
            try:
                model = json.loads(model_json)
            except ValueError as e:
                raise IdentityError("model_json is not valid JSON") from e
        self._comparisons = _comparisons(model)
        prior = float(model.get("probability_two_random_records_match", 1e-3))
        self._prior = math.log2(prior / (1.0 - prior))
        self.rows: list[Row] = []
        self.customer: list[str] = []
        self._index: dict[str, int] = {}
        self._members: dict[str, list[int]] = defaultdict(list)
        self._blocks: dict[tuple[int, tuple[Any, ...]], list[int]] = defaultdict(list)
        self._by_email: dict[str, list[int]] = defaultdict(list)
        self._by_user: dict[str, list[int]] = defaultdict(list)
        self._by_anon: dict[str, list[int]] = defaultdict(list)
        self._tf_counts: dict[str, dict[str, int]] = {"fn": {}, "ln": {}}
        self._tf_total: dict[str, int] = {"fn": 0, "ln": 0}
        self._fn_n: dict[str, int] = {}
        self._never: dict[str, set[str]] = defaultdict(set)
        self._pinned: dict[str, set[str]] = defaultdict(set)
        self._split: set[str] = set()
        self._load_overrides(overrides)
        self._aliases: dict[str, set[str]] = defaultdict(set)
        if aliases is not None and aliases.height:
            # a shared device (an anonymous id of two or more users) ties nobody together
            shared = shared_anonymous_ids(aliases.select("previous_id", "user_id"))
            aliases = aliases.filter(~pl.col("previous_id").is_in(shared.implode()))
            for previous, user in aliases.select("previous_id", "user_id").iter_rows():
                if previous is not None and user is not None and previous != user:
                    self._aliases[f"web:{previous}"].add(f"web:{user}")
                    self._aliases[f"web:{user}"].add(f"web:{previous}")
        mapped: dict[str, str] = {}
        if identity_map is not None and identity_map.height:
            mapped = dict(
                identity_map.select(
                    pl.concat_str("source", pl.lit(":"), "source_record_id"), "customer_id"
                ).iter_rows()
            )
        self.customers: set[str] = set(mapped.values())
        for row in frame.iter_rows(named=True):
            uid = row["uid"]
            cid = mapped.get(uid) or self._new_id(uid)
            self._add(row, cid)
        logger.info(
            "incremental resolver ready: %d records, %d customers",
            len(self.rows),
            len(self._members),
        )

    @classmethod
    def from_lakehouse(
        cls, lakehouse: Lakehouse, *, settings: ResolveSettings | None = None
    ) -> IncrementalResolver:
        """Load the live records, the current map, the latest model and active overrides."""
        from identity.service import (
            active_overrides,
            alias_pairs,
            latest_model,
            live_records,
            web_traits,
        )
        from identity.web import with_accumulated_traits

        records = with_accumulated_traits(live_records(lakehouse), web_traits(lakehouse))
        try:
            identity_map: pl.DataFrame | None = lakehouse.read("identity_map")
        except TableMissingError:
            identity_map = None
        stored = latest_model(lakehouse)
        return cls(
            records,
            identity_map,
            stored.model_json if stored else None,
            settings=settings,
            overrides=active_overrides(lakehouse),
            aliases=alias_pairs(lakehouse),
        )

    def customer_of(self, key: str) -> str | None:
        """The customer of record ``source:record_id`` (None: not known here)."""
        i = self._index.get(key)
        return None if i is None else self.customer[i]

    # -- state -------------------------------------------------------------------------------

    def _load_overrides(self, overrides: pl.DataFrame | None) -> None:
        if overrides is None or overrides.height == 0:
            return
        for kind, left, right in overrides.select("kind", "left_key", "right_key").iter_rows():
            if kind == "split":
                self._split.add(left)
            elif kind == "never_merge" and right is not None:
                self._never[left].add(right)
                self._never[right].add(left)
            elif kind == "merge" and right is not None:
                self._pinned[left].add(right)
                self._pinned[right].add(left)

    def _new_id(self, uid: str) -> str:
        salt = 0
        cid = customer_id(uid)
        while cid in self.customers:
            salt += 1
            cid = customer_id(uid, salt)
        return cid

    def _add(self, row: Row, cid: str) -> None:
        i = len(self.rows)
        row = dict(row)
        row["ln3"] = row["ln"][:3] if row.get("ln") else None
        row["_features"] = Features(*(row.get(c) for c in _VETO_FIELDS))
        self.rows.append(row)
        self.customer.append(cid)
        self.customers.add(cid)
        self._index[row["uid"]] = i
        self._members[cid].append(i)
        if row["scoreable"]:
            for b, (cols, _other) in enumerate(_BLOCKS):
                key = _block_key(row, cols)
                if key is not None:
                    self._blocks[(b, key)].append(i)
            for col in ("fn", "ln"):
                value = row[col]
                if value is not None:
                    counts = self._tf_counts[col]
                    counts[value] = counts.get(value, 0) + 1
                    self._tf_total[col] += 1
        if row["fn"] is not None:
            self._fn_n[row["fn"]] = self._fn_n.get(row["fn"], 0) + 1
        if row["email"] is not None:
            self._by_email[row["email"]].append(i)
        if row.get("user_id") is not None:
            self._by_user[row["user_id"]].append(i)
        if row.get("anonymous_id") is not None:
            self._by_anon[row["anonymous_id"]].append(i)

    # -- scoring -----------------------------------------------------------------------------

    def _tf(self, col: str, value: str) -> float:
        total = self._tf_total[col]
        return self._tf_counts[col].get(value, 0) / total if total else 0.0

    def score(self, left: Row, right: Row) -> _Score:
        """Match weight (prior included), probability, corroboration and per-comparison
        weights of two prepared rows under the model."""
        total = self._prior
        parts: dict[str, float] = {}
        plain: dict[str, float] = {}
        for c in self._comparisons:
            level = _LEVELS[c.name](left, right)
            if level is None:
                parts[c.name] = plain[c.name] = 0.0
                continue
            weight = c.weights[level]
            plain[c.name] = weight
            if level == c.tf_level and c.tf_column is not None:
                tf = max(
                    self._tf(c.tf_column, left[c.tf_column]),
                    self._tf(c.tf_column, right[c.tf_column]),
                )
                if tf > 0:
                    weight += c.tf_weight * math.log2(c.u[level] / tf)
            parts[c.name] = weight
            total += weight
        probability = 1.0 / (1.0 + 2.0 ** (-total)) if total > -1000 else 0.0
        return _Score(total, probability, self._personal(left, right, plain), parts)

    @staticmethod
    def _personal(l: Row, r: Row, w: dict[str, float]) -> bool:  # noqa: E741
        """The corroboration rule of :mod:`identity._splink` (``personal``)."""
        if not (w["first_name"] > 0 or w["birth_date"] > 0 or w["email"] > 0):
            return False
        street_like = _jw(l["street"], r["street"], 0.85)
        postcode = (
            _eq(l["pc"], r["pc"])
            and w["phone"] >= 0
            and (l["street"] is None or r["street"] is None)
        )
        return (
            w["birth_date"] > 0
            or w["email"] > 0
            or w["phone"] > 0
            or street_like
            or postcode
            or w["name_in_email"] > 0
            or w["year_in_email"] > 0
        )

    # -- assignment --------------------------------------------------------------------------

    def _prepared(self, record_row: Mapping[str, Any]) -> Row:
        unknown = set(record_row) - set(_RECORD_SCHEMA)
        if unknown:
            raise IdentityError(f"not identity_records column(s): {', '.join(sorted(unknown))}")
        one = pl.DataFrame(
            {name: [record_row.get(name)] for name in _RECORD_SCHEMA}, schema=_RECORD_SCHEMA
        )
        frame = prepare(one)
        if frame.height == 0:
            raise IdentityError("a deleted record is not assigned")
        row = frame.row(0, named=True)
        if row["fn"] is not None:
            row["fn_n"] = self._fn_n.get(row["fn"], 0) + 1
        row["ln3"] = row["ln"][:3] if row["ln"] else None
        return row

    def _candidates(self, row: Row) -> dict[int, set[str]]:
        """Candidate rids with their deterministic evidence (empty set: blocked only)."""
        found: dict[int, set[str]] = defaultdict(set)
        if row["scoreable"]:
            for b, (_cols, other) in enumerate(_BLOCKS):
                # the index holds the left-side columns of the stored records; the new record
                # is the right side (the same columns, or swapped names)
                key = _block_key(row, other)
                if key is None:
                    continue
                for i in self._blocks.get((b, key), ()):
                    found[i]
        for key, index, evidence in (
            (row["email"], self._by_email, "email"),
            (row.get("user_id"), self._by_user, "user_id"),
        ):
            if key is not None:
                hits = index.get(key, [])
                if len(hits) + 1 <= _MAX_GROUP:
                    for i in hits:
                        found[i].add(evidence)
        if row["source"] == "web":
            for i in self._by_anon.get(row["source_record_id"], []):
                found[i].add("anonymous_id")
        if row.get("anonymous_id") is not None:
            j = self._index.get(f"web:{row['anonymous_id']}")
            if j is not None:
                found[j].add("anonymous_id")
        for partner in self._aliases.get(row["uid"], ()):
            j = self._index.get(partner)
            if j is not None:
                found[j].add("alias")
        for pinned_key in self._pinned.get(row["uid"], ()):
            j = self._index.get(pinned_key)
            if j is not None:
                found[j].add("override")
        return found

    def assign(self, record_row: Mapping[str, Any]) -> Assignment:
        """Assign one ``identity_records`` row (see the module documentation) and remember it."""
        row = self._prepared(record_row)
        uid = row["uid"]
        known = self._index.get(uid)
        if known is not None:
            return Assignment(self.customer[known], False, None, "known")
        rules = self.settings.vetoes
        mine = Features(*(row.get(c) for c in _VETO_FIELDS))
        offers: list[tuple[int, float, str, str, _Score | None]] = []
        candidates = self._candidates(row) if uid not in self._split else {}
        for i, evidence in candidates.items():
            other = self.rows[i]
            pinned = "override" in evidence
            if not pinned and veto(mine, other["_features"], rules) is not None:
                continue
            scored = self.score(row, other) if row["scoreable"] and other["scoreable"] else None
            deterministic = bool(evidence)
            accepted = deterministic or (
                scored is not None
                and scored.weight >= self.settings.match_weight
                and (scored.personal or not self.settings.require_personal)
            )
            if not accepted:
                continue
            rank = min((_EVIDENCE_RANK.get(e, 2) for e in evidence), default=2)
            weight = scored.weight if scored is not None else math.inf
            label = ",".join(sorted(evidence)) or "splink"
            offers.append((rank, -weight, self.customer[i], label, scored))
        offers.sort(key=lambda o: (o[0], o[1], o[2]))
        tried: set[str] = set()
        for _rank, _weight, cid, label, scored in offers:
            if cid in tried:
                continue
            tried.add(cid)
            if self._may_join(row, mine, cid, pinned="override" in label):
                self._add(row, cid)
                return Assignment(
                    cid,
                    False,
                    scored.probability if scored else None,
                    label,
                    scored.weight if scored else None,
                    len(candidates),
                )
        cid = self._new_id(uid)
        self._add(row, cid)
        return Assignment(cid, True, None, "new", None, len(candidates))

    def _may_join(self, row: Row, mine: Features, cid: str, *, pinned: bool) -> bool:
        members = self._members[cid]
        keys = {self.rows[i]["uid"] for i in members}
        if keys & self._never.get(row["uid"], set()) or keys & self._split:
            return False
        if pinned:
            return True
        if len(members) + 1 > self.settings.max_cluster_size:
            return False
        unique = self.settings.unique_sources
        if row["source"] in unique and any(
            self.rows[i]["source"] == row["source"] for i in members
        ):
            return False
        rules = self.settings.vetoes
        return all(veto(mine, self.rows[i]["_features"], rules) is None for i in members)

    def assign_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Assignment]:
        """:meth:`assign` each row in order."""
        return [self.assign(r) for r in rows]
