"""Property tests: an extended state answers as a full build; the fast hasher is the HMAC."""

from __future__ import annotations

from typing import Any

import polars as pl
from consent_helpers import FRESH, PRIVACY, SCHEMA, make, t
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import ASKED, CUSTOMERS, IDENTIFIERS, PURPOSES, identities, statements

from cdp.config import PrivacySettings
from consent.gate import _hasher, build_state, decide, decide_many, extend_state


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=statements(),
    ids=identities(),
    erased=st.lists(st.sampled_from(IDENTIFIERS), max_size=2),
    cuts=st.lists(st.integers(0, 14), max_size=3),
    at=st.integers(-1, 30),
    as_of=st.none() | st.integers(0, 30),
)
def test_extended_state_equals_full_build(
    rows: list[dict[str, Any]],
    ids: dict[str, list[str]],
    erased: list[str],
    cuts: list[int],
    at: int,
    as_of: int | None,
) -> None:
    full, _ = make(rows, PURPOSES, identities=ids, erased=erased)
    bounds = sorted({min(c, len(rows)) for c in cuts} | {len(rows)})
    start = bounds[0]
    state = build_state(
        pl.DataFrame(rows[:start], schema=SCHEMA),
        PURPOSES,
        identities=ids,
        suppressed=full.suppressed,
        privacy=PRIVACY,
        fresh_at=FRESH,
    )
    for end in bounds[1:]:
        # Chunks overlap by one row: a re-read statement must not count twice.
        chunk = rows[max(start - 1, 0) : end]
        state = extend_state(state, pl.DataFrame(chunk, schema=SCHEMA), versions={"v": end})
        start = end
    assert state.ledger.height == full.ledger.height
    assert state.erased_owners == full.erased_owners
    at_, as_of_ = t(at), None if as_of is None else t(as_of)
    frame = pl.DataFrame({"customer_id": CUSTOMERS})
    for purpose in ASKED:
        a = decide_many(state, frame, purpose, at=at_, as_of=as_of_)
        b = decide_many(full, frame, purpose, at=at_, as_of=as_of_)
        assert a.equals(b)
        for subject in IDENTIFIERS:
            x = decide(state, subject, purpose, at=at_, as_of=as_of_)
            y = decide(full, subject, purpose, at=at_, as_of=as_of_)
            assert (x.allowed, x.reason_codes, x.evidence_ids) == (
                y.allowed,
                y.reason_codes,
                y.evidence_ids,
            )


@settings(max_examples=200, deadline=None)
@given(
    key=st.from_regex(r"[A-Za-z0-9äöü€_-]{16,90}", fullmatch=True),
    identifiers=st.lists(st.text(max_size=40), max_size=5),
)
def test_fast_hasher_equals_the_keyed_hash(key: str, identifiers: list[str]) -> None:
    privacy = PrivacySettings(hash_key=key)
    cache: dict[str, str] = {}
    hash_of = _hasher(privacy, cache)
    for identifier in identifiers * 2:  # the second round comes from the cache
        assert hash_of(identifier) == privacy.hash_identifier(identifier)
    assert set(cache) == set(identifiers)
