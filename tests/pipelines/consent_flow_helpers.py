"""Helpers of the consent-stream tests: consent messages and the rule-6 winners of a ledger."""

from __future__ import annotations

from typing import Any

import polars as pl

from consent.state import precedence

__all__ = ["consent_message", "winners"]

CHOICES = (
    {"Advertising": True, "Analytics": True},
    {"Advertising": False, "Analytics": True},
    {"Advertising": False, "Analytics": False},
    {"Advertising": True, "Analytics": False},
)


def consent_message(i: int, *, subjects: int = 7, second: int | None = None) -> dict[str, Any]:
    """An explicit consent event (never collapsed) of subject ``i % subjects``."""
    at = i if second is None else second
    return {
        "type": "track",
        "event": "Segment Consent Preference Updated",
        "messageId": f"c{i}",
        "userId": f"u{i % subjects}",
        "timestamp": f"2026-03-01T{at // 3600 % 24:02d}:{at // 60 % 60:02d}:{at % 60:02d}.000Z",
        "context": {"consent": {"categoryPreferences": CHOICES[(i * 7 + i // 5) % 4]}},
    }


def winners(ledger: pl.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """``(subject_hash, purpose) -> (status, consent_id)`` of the rule-6 winner per key."""
    best: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for row in ledger.iter_rows(named=True):
        key = (row["subject_hash"], row["purpose"])
        order = precedence(row)
        if key not in best or order > best[key][0]:
            best[key] = (order, row)
    return {k: (r["status"], r["consent_id"]) for k, (_, r) in best.items()}
