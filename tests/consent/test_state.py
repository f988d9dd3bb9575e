"""The current consent per subject and purpose: rule 6, in any order, repeated or not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.state import STATE_COLUMNS, precedence, state_row, state_table
from storage import TABLES
from storage.lakehouse import as_arrow

_STRENGTH = {"granted": 0, "expired": 1, "denied": 2, "withdrawn": 3, "objected": 4}
_T0 = datetime(2026, 1, 1, tzinfo=UTC)

_statement = st.builds(
    lambda second, status, n, purpose: {
        "idempotency_key": f"k-{second}-{status}-{n}-{purpose}",
        "consent_id": str(uuid.UUID(int=n * 7919 % (1 << 128))),
        "captured_at": _T0 + timedelta(seconds=second, microseconds=n % 3),
        "status": status,
        "purpose": purpose,
    },
    st.integers(-5, 5),
    st.sampled_from(sorted(_STRENGTH)),
    st.integers(0, 40),
    st.sampled_from(["advertising", "analytics"]),
)


def _reference(rows: list[dict[str, Any]], purpose: str) -> dict[str, Any] | None:
    """Rule 6 written out: latest captured_at, then the stronger status, then smallest id."""
    mine = [r for r in rows if r["purpose"] == purpose]
    if not mine:
        return None
    latest = max(r["captured_at"] for r in mine)
    mine = [r for r in mine if r["captured_at"] == latest]
    strongest = max(_STRENGTH[r["status"]] for r in mine)
    mine = [r for r in mine if _STRENGTH[r["status"]] == strongest]
    return min(mine, key=lambda r: r["consent_id"])


def _ledger(rows: list[dict[str, Any]]) -> pa.Table:
    """Ledger rows (the catalogue's columns) of the statements of two subjects."""
    full = [
        {
            "subject_hash": f"s{n % 2}",
            "subject_type": "user_id",
            "source": "test",
            "method": "api",
            "recorded_at": _T0,
            **row,
        }
        for n, row in enumerate(rows)
    ]
    return as_arrow(pa.Table.from_pylist(full), TABLES["consent_ledger"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_statement, max_size=25), st.randoms())
def test_state_table_holds_the_rule_6_winner_in_any_order(
    rows: list[dict[str, Any]], rnd: Any
) -> None:
    unique = list({r["idempotency_key"]: r for r in rows}.values())
    shuffled = unique * 2  # every statement twice: it changes nothing
    rnd.shuffle(shuffled)
    ledger = _ledger(shuffled)
    state = state_table(ledger, updated_at=_T0).to_pylist()
    assert [c for c in STATE_COLUMNS] == list(state_table(ledger, updated_at=_T0).column_names)
    assert len({(r["subject_hash"], r["purpose"]) for r in state}) == len(state)
    for subject in ("s0", "s1"):
        mine = [r for r in ledger.to_pylist() if r["subject_hash"] == subject]
        for purpose in ("advertising", "analytics"):
            want = _reference(mine, purpose)
            got = [r for r in state if (r["subject_hash"], r["purpose"]) == (subject, purpose)]
            assert (got[0]["consent_id"] if got else None) == (want["consent_id"] if want else None)
            if got:  # the row state_row makes of the winner, column for column
                assert got[0] == state_row(want, updated_at=_T0)


def test_precedence_sorts_before_the_epoch_and_by_status() -> None:
    early = {
        "captured_at": datetime(1960, 1, 1, tzinfo=UTC),
        "status": "objected",
        "consent_id": "f",
    }
    late = {"captured_at": datetime(2030, 1, 1, tzinfo=UTC), "status": "granted", "consent_id": "0"}
    assert precedence(late) > precedence(early)
    deny = {**late, "status": "denied", "consent_id": "ffff"}
    assert precedence(deny) > precedence(late)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
            st.sampled_from([*sorted(_STRENGTH), "unknown"]),
            st.uuids(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_state_table_writes_the_precedence_of_precedence(
    statements: list[tuple[datetime, str, uuid.UUID]],
) -> None:
    rows = [
        {
            "idempotency_key": f"k{n}",
            "consent_id": str(consent_id).upper() if n % 2 else str(consent_id),
            "captured_at": at.replace(tzinfo=UTC),
            "status": status,
            "purpose": f"p{n}",  # one statement per purpose: every row is a winner
        }
        for n, (at, status, consent_id) in enumerate(statements)
    ]
    ledger = _ledger(rows)
    got = state_table(ledger, updated_at=_T0)["precedence"].to_pylist()
    assert got == [precedence(row) for row in ledger.to_pylist()]
