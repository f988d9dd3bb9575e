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

__all__ = ["STATE_COLUMNS", "SubjectConsent", "precedence", "precedence_of", "state_row"]

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
    return _order(micros, row["status"], row["consent_id"])


def precedence_of(captured_us: int, status: str, consent_id: object) -> str:
    """:func:`precedence` of a statement whose ``captured_at`` is ``captured_us`` microseconds
    since the epoch (an Arrow timestamp column as integers: no ``datetime`` per row)."""
    # the same count as precedence(): whole seconds truncated toward zero, plus the
    # (non-negative) microsecond of the datetime
    seconds = captured_us // 1_000_000 if captured_us >= 0 else -(-captured_us // 1_000_000)
    return _order(seconds * 1_000_000 + captured_us % 1_000_000, status, consent_id)


def _order(micros: int, status: str, consent_id: object) -> str:
    rank = _PRIORITY.get(status, -1) + 1
    tie = str(consent_id).lower().replace("-", "").translate(_HEX_COMPLEMENT)
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

    def __deepcopy__(self, memo: dict[int, Any]) -> SubjectConsent:
        # Bytewax snapshots the state at every epoch with deepcopy; the stored rows are never
        # mutated (``apply`` stores copies and replaces whole entries), so they are shared.
        return SubjectConsent(current=dict(self.current), seen=set(self.seen))

    def apply(self, rows: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], set[str]]:
        """Take ``rows``; return the new ones (not seen before) and the purposes whose winner
        changed."""
        fresh: list[dict[str, Any]] = []
        changed: set[str] = set()
        for row in rows:
            key = row["idempotency_key"]
            if key in self.seen:
                continue
            fresh.append(dict(row))
            purpose = row["purpose"]
            if self.offer(key, purpose, precedence(row), row):
                changed.add(purpose)
        return fresh, changed

    def offer(self, key: str, purpose: str, order: str, row: Mapping[str, Any]) -> bool:
        """Take one statement not seen before (``key`` not in :attr:`seen`) whose
        :func:`precedence` is ``order``; return whether it is now the winner of ``purpose``.

        ``row`` is what :attr:`current` keeps of a winner (a copy is stored): the ledger row,
        or as much of it as the caller needs (``status`` for :meth:`status`)."""
        seen = self.seen
        if len(seen) >= _MAX_SEEN:
            seen.clear()
        seen.add(key)
        found = self.current.get(purpose)
        if found is None or order > found[0]:
            self.current[purpose] = (order, dict(row))
            return True
        return False

    def status(self, purpose: str) -> str | None:
        """The winning status for ``purpose`` (None when nothing was stated)."""
        found = self.current.get(purpose)
        return None if found is None else found[1]["status"]
