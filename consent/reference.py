"""A deliberately simple reference model of ``docs/consent-rules.md`` (slow, obvious Python).

It reads every statement for every question and shares no code with :mod:`consent.gate`
beyond the inputs; the property tests check that the gate gives the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cdp.config import PrivacySettings, Purpose
from cdp.models.consent import parse_identifier

__all__ = ["ReferenceModel"]

_NEGATIVE = ("denied", "withdrawn", "objected")
_STRENGTH = {"granted": 0, "expired": 1, "denied": 2, "withdrawn": 3, "objected": 4}

Answer = tuple[bool, tuple[str, ...], tuple[str, ...]]


class ReferenceModel:
    """The rules, one at a time, over plain dictionaries (one per ledger row)."""

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any]],
        purposes: Mapping[str, Purpose],
        *,
        identities: Mapping[str, Iterable[str]],
        suppressed: Iterable[str] = (),
        privacy: PrivacySettings,
        fresh_at: datetime,
        max_staleness: timedelta,
        available: bool = True,
    ) -> None:
        self.rows = [dict(r) for r in rows if r["status"] in _STRENGTH]  # others: ignored
        self.purposes = purposes
        self.privacy = privacy
        self.suppressed = set(suppressed)
        self.fresh_at = fresh_at
        self.max_staleness = max_staleness
        self.available = available
        self.customer_of: dict[str, str] = {}
        for customer, identifiers in identities.items():
            for identifier in [*identifiers, f"customer_id:{customer}"]:
                kind, value = parse_identifier(identifier)
                self.customer_of[self._hash(f"{kind}:{value}")] = customer

    def _hash(self, identifier: str) -> str:
        return self.privacy.hash_identifier(identifier)

    def _owner_of_row(self, row: Mapping[str, Any]) -> str:
        if row["subject_hash"] in self.customer_of:
            return self.customer_of[row["subject_hash"]]
        if row.get("subject_type") == "customer_id" and row.get("subject_value"):
            return str(row["subject_value"])
        if row.get("customer_id"):
            return str(row["customer_id"])
        return "#" + row["subject_hash"]

    def _owner_of_subject(self, subject: str) -> str:
        kind, value = parse_identifier(subject)
        if kind == "customer_id":
            return value
        hashed = self._hash(f"{kind}:{value}")
        return self.customer_of.get(hashed, "#" + hashed)

    def _erased(self, owner: str) -> bool:
        hashes = {h for h, c in self.customer_of.items() if c == owner}
        if owner.startswith("#"):
            hashes.add(owner[1:])
        hashes.update(r["subject_hash"] for r in self.rows if self._owner_of_row(r) == owner)
        return bool(hashes & self.suppressed)

    @staticmethod
    def _latest(statements: list[dict[str, Any]]) -> dict[str, Any]:
        """R6: the latest captured_at; then the strongest status; then the smallest id."""
        latest = max(s["captured_at"] for s in statements)
        same_instant = [s for s in statements if s["captured_at"] == latest]
        strongest = max(_STRENGTH[s["status"]] for s in same_instant)
        candidates = [s for s in same_instant if _STRENGTH[s["status"]] == strongest]
        return min(candidates, key=lambda s: s["consent_id"])

    def decide(
        self,
        subject: str,
        purpose: str,
        *,
        at: datetime,
        as_of: datetime | None = None,
        jurisdiction: str | None = None,
    ) -> Answer:
        # R1: fail closed.
        if not self.available:
            return False, ("STATE_UNAVAILABLE",), ()
        reference_time = as_of if as_of is not None else at
        if reference_time - self.fresh_at > self.max_staleness:
            return False, ("STATE_STALE",), ()
        # R2: unknown purposes are refused.
        if purpose not in self.purposes:
            return False, ("UNKNOWN_PURPOSE",), ()
        spec = self.purposes[purpose]
        owner = self._owner_of_subject(subject)
        # R3: erased subjects.
        if self._erased(owner):
            return False, ("ERASED",), ()
        # R4: the legal basis of the jurisdiction, else default.
        basis = spec.legal_basis.get(jurisdiction or "default") or spec.legal_basis.get(
            "default", "consent"
        )
        # R5: the statements that count.
        statements = []
        for row in self.rows:
            if self._owner_of_row(row) != owner or row["purpose"] != purpose:
                continue
            if row["captured_at"] > at:
                continue
            if as_of is not None and row["recorded_at"] > as_of:
                continue
            if row["status"] == "granted" and row["channel"] != spec.channel:
                continue
            statements.append(row)
        # R7: direct marketing objections.
        if spec.direct_marketing:
            objections = [s for s in statements if s["status"] == "objected"]
            if objections:
                objection = self._latest(objections)
                later_grants = [
                    s
                    for s in statements
                    if s["status"] == "granted" and s["captured_at"] > objection["captured_at"]
                ]
                if not later_grants:
                    return False, ("OBJECTED",), (objection["consent_id"],)
        winner = self._latest(statements) if statements else None
        evidence = (winner["consent_id"],) if winner else ()
        # R8: contract and legal obligation.
        if basis == "contract":
            return True, ("CONTRACT",), evidence
        if basis == "legal_obligation":
            return True, ("LEGAL_OBLIGATION",), evidence
        if winner is None:
            if basis == "consent":
                return False, ("NO_CONSENT",), ()
            return (
                True,
                ("LEGITIMATE_INTEREST" if basis == "legitimate_interest" else "NO_OPT_OUT",),
                (),
            )
        if winner["status"] in _NEGATIVE:
            reason = winner["status"].upper() if basis == "consent" else "OBJECTED"
            # R11: a grant that wins on another identifier of the customer.
            conflicting = []
            for h in {s["subject_hash"] for s in statements}:
                if h == winner["subject_hash"]:
                    continue
                own = self._latest([s for s in statements if s["subject_hash"] == h])
                expired = own["expires_at"] is not None and own["expires_at"] <= at
                if own["status"] == "granted" and not expired:
                    conflicting.append(own)
            if conflicting:
                grant = self._latest(conflicting)
                return (
                    False,
                    (reason, "CLUSTER_CONFLICT"),
                    (winner["consent_id"], grant["consent_id"]),
                )
            return False, (reason,), evidence
        # R9: legitimate interest and opt-out.
        if basis == "legitimate_interest":
            return True, ("LEGITIMATE_INTEREST",), evidence
        if basis == "opt_out":
            return True, ("NO_OPT_OUT",), evidence
        # R10: consent.
        unexpired = winner["expires_at"] is None or winner["expires_at"] > at
        if winner["status"] == "granted" and unexpired:
            return True, ("CONSENT_GRANTED",), evidence
        return False, ("EXPIRED",), evidence
