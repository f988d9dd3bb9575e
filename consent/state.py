"""The derived current consent of one subject: the state the consent stream keeps per subject.

:class:`SubjectConsent` takes ``consent_ledger`` rows of one subject (one ``subject_hash``) in
any order, drops statements it has seen (same ``idempotency_key``) and keeps, per purpose, the
winning statement by rule 6 of ``docs/consent-rules.md``: the latest ``captured_at``; at the same
instant the stronger status (objected > withdrawn > denied > expired > granted); then the
smallest ``consent_id``. :func:`precedence` writes that order as one string that sorts the same
way, so the ``consent_state`` table can be upserted with "newer precedence wins" by any writer
in any order and still hold the winner.

This is the per-subject view the stream maintains; decisions stay with :mod:`consent.gate`
(which also applies identity, expiry, legal basis and erasure).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from consent.gate import _PRIORITY

__all__ = ["STATE_COLUMNS", "SubjectConsent", "precedence", "state_row"]

logger = logging.getLogger(__name__)

#: Columns of a ``consent_state`` row (storage/catalog.py).
STATE_COLUMNS: Final[tuple[str, ...]] = (
    "subject_hash",
    "subject_type",
    "customer_id",
    "purpose",
    "channel",
    "status",
    "captured_at",
    "expires_at",
    "recorded_at",
    "consent_id",
    "source",
    "method",
    "precedence",
    "updated_at",
)
_HEX_COMPLEMENT: Final = str.maketrans("0123456789abcdef", "fedcba9876543210")
_MAX_SEEN: Final = 10_000


def precedence(row: Mapping[str, Any]) -> str:
    """Rule-6 order of a statement as a string: a greater string wins.

    ``captured_at`` in microseconds since the epoch (zero-padded), the status rank, then the
    complement of the ``consent_id`` digits (the smallest id wins a full tie).
    """
    captured: datetime = row["captured_at"]
    micros = int(captured.timestamp()) * 1_000_000 + captured.microsecond
    rank = _PRIORITY.get(row["status"], -1) + 1
    tie = str(row["consent_id"]).lower().replace("-", "").translate(_HEX_COMPLEMENT)
    return f"{micros + (1 << 62):020d}.{rank}.{tie}"


def state_row(row: Mapping[str, Any], *, updated_at: datetime) -> dict[str, Any]:
    """The ``consent_state`` row of a winning ledger row."""
    out = {c: row.get(c) for c in STATE_COLUMNS}
    out["precedence"] = precedence(row)
    out["updated_at"] = updated_at
    return out


@dataclass
class SubjectConsent:
    """Current consent of one subject per purpose, fed with its ledger rows (picklable)."""

    #: purpose -> (precedence, winning ledger row)
    current: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: idempotency keys already seen (bounded; the ledger sink dedupes against the table too)
    seen: set[str] = field(default_factory=set)

    def apply(self, rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], set[str]]:
        """Take ``rows``; return the new ones (not seen before) and the purposes whose winner
        changed."""
        fresh: list[dict[str, Any]] = []
        changed: set[str] = set()
        for row in rows:
            key = row["idempotency_key"]
            if key in self.seen:
                continue
            if len(self.seen) >= _MAX_SEEN:
                self.seen.clear()
            self.seen.add(key)
            fresh.append(dict(row))
            order = precedence(row)
            purpose = row["purpose"]
            found = self.current.get(purpose)
            if found is None or order > found[0]:
                self.current[purpose] = (order, dict(row))
                changed.add(purpose)
        return fresh, changed

    def status(self, purpose: str) -> str | None:
        """The winning status for ``purpose`` (None when nothing was stated)."""
        found = self.current.get(purpose)
        return None if found is None else found[1]["status"]
