"""Statements about an erased subject keep only pseudonymous proof (consent.privacy)."""

from __future__ import annotations

from consent.privacy import pseudonymize_erased
from storage import TABLES


def test_only_the_erased_subjects_rows_lose_their_raw_values() -> None:
    rows = [
        {
            "subject_hash": "h-erased",
            "subject_value": "jane@example.com",
            "evidence": "{}",
            "evidence_hash": "e1",
            "status": "withdrawn",
        },
        {
            "subject_hash": "h-other",
            "subject_value": "joe@example.com",
            "evidence": "{}",
            "evidence_hash": "e2",
            "status": "granted",
        },
    ]
    pseudonymize_erased(rows, {"h-erased"})
    erased, other = rows
    assert {c: erased[c] for c in TABLES["consent_ledger"].personal} == {
        "subject_value": None,
        "evidence": None,
    }
    assert (erased["subject_hash"], erased["evidence_hash"], erased["status"]) == (
        "h-erased",
        "e1",
        "withdrawn",
    )
    assert other["subject_value"] == "joe@example.com" and other["evidence"] == "{}"
