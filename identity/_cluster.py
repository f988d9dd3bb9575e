"""Clustering that cannot chain: constrained best-link merging, then stable customer ids."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from identity._vetoes import VETO_RULES, Features, veto

__all__ = ["Clusters", "assign_ids", "cluster", "customer_id"]


@dataclass
class Clusters:
    """Cluster label per rid, and per edge index why it was not used (None: used)."""

    label: list[int]
    blocked: dict[int, str] = field(default_factory=dict)


def cluster(
    n: int,
    edges: Sequence[tuple[int, int]],
    features: Sequence[Features],
    *,
    max_size: int,
    rules: frozenset[str] = VETO_RULES,
    sources: Sequence[str] | None = None,
    unique_sources: frozenset[str] = frozenset(),
    pinned: int = 0,
    never: frozenset[tuple[int, int]] = frozenset(),
) -> Clusters:
    """Merge along ``edges`` in the given order (best first) unless a merge would put two
    records with a veto-level conflict into one cluster or exceed ``max_size``.

    ``edges`` are ``(rid_a, rid_b)``; a single-record pair was already vetted by the caller,
    so only merges of larger clusters check their cross pairs here. A cluster holds at most one
    record of each of ``unique_sources`` (``sources`` gives each rid's source): with two such
    sources this is best-first one-to-one linking.

    Overrides: the first ``pinned`` edges are merges a person decided; they skip the vetoes, the
    size cap and the source rule. ``never`` holds ``(rid, rid)`` pairs (smaller first) that
    must never share a cluster; no edge, pinned or not, merges across one.
    """
    parent = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    held: dict[int, set[str]] = {}
    if unique_sources and sources is not None:
        held = {i: {sources[i]} & unique_sources for i in range(n)}
    blocked: dict[int, str] = {}
    for index, (a, b) in enumerate(edges):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma, mb = members[ra], members[rb]
        reason = _never_between(ma, mb, never) if never else None
        if reason is None and index >= pinned:
            reason = _rule_between(ma, mb, features, rules, max_size, held.get(ra), held.get(rb))
        if reason is not None:
            blocked[index] = reason
            continue
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        ma.extend(mb)
        del members[rb]
        if held:
            held[ra] |= held.pop(rb)
    return Clusters(label=[find(i) for i in range(n)], blocked=blocked)


def _never_between(ma: list[int], mb: list[int], never: frozenset[tuple[int, int]]) -> str | None:
    for x in ma:
        for y in mb:
            if (min(x, y), max(x, y)) in never:
                return "override_never_merge"
    return None


def _rule_between(
    ma: list[int],
    mb: list[int],
    features: Sequence[Features],
    rules: frozenset[str],
    max_size: int,
    held_a: set[str] | None,
    held_b: set[str] | None,
) -> str | None:
    """Why the clusters ``ma`` and ``mb`` must not merge (size, source, a vetoed pair)."""
    if len(ma) + len(mb) > max_size:
        return "cluster_size"
    if held_a and held_b and held_a & held_b:
        return "cluster_unique_source"
    if len(ma) > 1 or len(mb) > 1:
        for x in ma:
            fx = features[x]
            for y in mb:
                reason = veto(fx, features[y], rules)
                if reason is not None:
                    return f"cluster_{reason}"
    return None


def customer_id(key: str, salt: int = 0) -> str:
    """``cus_`` + 26 base32 characters of sha256 of a record key (and a salt on collision)."""
    text = key if salt == 0 else f"{key}#{salt}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "cus_" + base64.b32encode(digest).decode("ascii")[:26].lower()


@dataclass
class IdAssignment:
    """Customer id per cluster label, and id changes as ``(old, new, kind)``."""

    ids: dict[int, str]
    changes: list[tuple[str, str, str]]


def assign_ids(
    labels: Sequence[int], uids: Sequence[str], previous: Sequence[str | None]
) -> IdAssignment:
    """Stable ids: a cluster keeps the previous id most of its records had (each previous id
    goes to at most one cluster, the one holding most of its records; ties by smaller id);
    otherwise it gets :func:`customer_id` of its smallest record key.

    ``changes``: a cluster holding records of other previous ids records ``merge`` rows
    (old -> kept), a previous id whose records went to other clusters ``split`` rows.
    """
    min_key: dict[int, str] = {}
    votes: Counter[tuple[int, str]] = Counter()
    for label, uid, old in zip(labels, uids, previous, strict=True):
        if label not in min_key or uid < min_key[label]:
            min_key[label] = uid
        if old is not None:
            votes[(label, old)] += 1
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0][1], min_key[kv[0][0]]))
    ids: dict[int, str] = {}
    taken: set[str] = set()
    for (label, old), _count in ranked:
        if label in ids or old in taken:
            continue
        ids[label] = old
        taken.add(old)
    known = {old for (_label, old) in votes}
    for label in sorted(min_key, key=lambda lb: min_key[lb]):
        if label in ids:
            continue
        salt = 0
        new = customer_id(min_key[label])
        while new in taken or new in known:
            salt += 1
            new = customer_id(min_key[label], salt)
        ids[label] = new
        taken.add(new)
    changes: set[tuple[str, str, str]] = set()
    holders: dict[str, set[int]] = defaultdict(set)
    for (label, old), _count in votes.items():
        holders[old].add(label)
    for old, labels_of_old in holders.items():
        kept = old in taken and any(ids[lb] == old for lb in labels_of_old)
        for label in labels_of_old:
            new = ids[label]
            if new == old:
                continue
            # the old id lives on elsewhere: this part split off; else it merged into `new`
            changes.add((old, new, "split" if kept else "merge"))
    return IdAssignment(ids=ids, changes=sorted(changes))
