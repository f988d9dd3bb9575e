"""Statements about an erased subject keep only pseudonymous proof (consent.privacy)."""

from __future__ import annotations

import pyarrow as pa

from consent.privacy import pseudonymize_erased, pseudonymize_erased_table
from storage import TABLES


def _rows() -> list[dict[str, object]]:
    return [
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


def test_only_the_erased_subjects_rows_lose_their_raw_values() -> None:
    rows = _rows()
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


def test_the_table_form_nulls_the_same_values_as_the_row_form() -> None:
    rows = _rows()
    table = pa.Table.from_pylist(_rows())
    assert pseudonymize_erased_table(table, set()) is table  # nobody erased: untouched
    assert pseudonymize_erased_table(table, {"h-nobody"}).to_pylist() == rows
    got = pseudonymize_erased_table(table, {"h-erased", "h-nobody"})
    pseudonymize_erased(rows, {"h-erased"})
    assert got.schema == table.schema
    assert got.to_pylist() == rows
