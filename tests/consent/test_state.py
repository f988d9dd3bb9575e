"""The per-subject current consent the stream keeps: rule 6, in any order, deduplicated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consent.state import SubjectConsent, precedence, precedence_of

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


@settings(max_examples=300, deadline=None)
@given(st.lists(_statement, max_size=25), st.randoms())
def test_winner_is_rule_6_in_any_order(rows: list[dict[str, Any]], rnd: Any) -> None:
    unique = list({r["idempotency_key"]: r for r in rows}.values())
    state = SubjectConsent()
    shuffled = unique * 2  # every statement twice: the second is dropped
    rnd.shuffle(shuffled)
    fresh, _ = state.apply(shuffled)
    assert sorted(r["idempotency_key"] for r in fresh) == sorted(
        r["idempotency_key"] for r in unique
    )
    for purpose in ("advertising", "analytics"):
        want = _reference(unique, purpose)
        got = state.current.get(purpose)
        assert (got[1]["consent_id"] if got else None) == (want["consent_id"] if want else None)


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


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([*sorted(_STRENGTH), "unknown"]),
    st.uuids(),
)
def test_precedence_of_microseconds_equals_precedence(
    at: datetime, status: str, consent_id: uuid.UUID
) -> None:
    captured = at.replace(tzinfo=UTC)
    micros = (captured - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    row = {"captured_at": captured, "status": status, "consent_id": str(consent_id)}
    assert precedence_of(micros, status, str(consent_id)) == precedence(row)
