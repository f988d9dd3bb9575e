"""Property tests: the gate, the reference model and the vectorized gate always agree.

Random interleavings of grants, denials, withdrawals, objections and expiries, on several
identifiers per customer, with late-arriving statements (recorded after captured), statements
on identifiers that later join a customer, erased identifiers, and random decision and
replay times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from consent_helpers import make, stmt, t
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdp.config import Purpose, Settings, load_config
from consent.gate import decide, decide_many

ROOT = Path(__file__).resolve().parents[2]
IDENTIFIERS = [
    "email:a@example.com",
    "email:b@example.com",
    "phone:+41791234567",
    "crm:001",
    "erp:9",
    "anonymous_id:x1",
    "user_id:u7",
    "customer_id:c1",
    "customer_id:c4",
]
CUSTOMERS = ["c1", "c2", "c3", "c4"]
STATUSES = ["granted", "granted", "denied", "withdrawn", "objected", "expired"]
JURISDICTIONS = [None, "EU", "CH", "US", "BR"]


def _purposes() -> dict[str, Purpose]:
    extra = {
        "order_updates": Purpose(channel="email", legal_basis={"default": "contract"}),
        "tax_mail": Purpose(
            channel="email", legal_basis={"default": "legal_obligation"}, direct_marketing=True
        ),
        "no_channel": Purpose(legal_basis={"default": "consent", "US": "opt_out"}),
    }
    sample: Settings = load_config(ROOT / "cdp.yaml")
    return {**sample.purposes, **extra}


PURPOSES = _purposes()
ASKED = ["email_marketing", "analytics", "ai_profiling", "order_updates", "tax_mail", "no_channel"]


@st.composite
def statements(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for n in range(draw(st.integers(0, 14))):
        purpose = draw(st.sampled_from(ASKED))
        captured = draw(st.integers(0, 20))
        expires = draw(st.none() | st.integers(captured + 1, captured + 15))
        rows.append(
            stmt(
                f"{draw(st.sampled_from('abc'))}{n:02d}",
                draw(st.sampled_from(IDENTIFIERS)),
                purpose,
                draw(st.sampled_from(STATUSES)),
                captured,
                recorded=captured + draw(st.sampled_from([0, 0, 1, 7])),
                expires=expires,
                channel=draw(st.sampled_from([PURPOSES[purpose].channel, None, "sms"])),
                customer_id=draw(st.none() | st.sampled_from(CUSTOMERS)),
            )
        )
    return rows


@st.composite
def identities(draw: st.DrawFn) -> dict[str, list[str]]:
    owned: dict[str, list[str]] = {c: [] for c in CUSTOMERS}
    for identifier in IDENTIFIERS:
        if identifier.startswith("customer_id:"):
            continue
        owner = draw(st.none() | st.sampled_from(CUSTOMERS))
        if owner is not None:
            owned[owner].append(identifier)
    return {c: ids for c, ids in owned.items() if ids or draw(st.booleans())}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=statements(),
    ids=identities(),
    erased=st.lists(st.sampled_from(IDENTIFIERS), max_size=2),
    at=st.integers(-1, 30),
    as_of=st.none() | st.integers(0, 30),
    jurisdiction=st.sampled_from(JURISDICTIONS),
)
def test_gate_equals_reference_equals_vectorized(
    rows: list[dict[str, Any]],
    ids: dict[str, list[str]],
    erased: list[str],
    at: int,
    as_of: int | None,
    jurisdiction: str | None,
) -> None:
    state, model = make(rows, PURPOSES, identities=ids, erased=erased)
    at_ = t(at)
    as_of_ = None if as_of is None else t(as_of)
    frame = pl.DataFrame({"customer_id": CUSTOMERS})
    for purpose in ASKED:
        many = decide_many(state, frame, purpose, at=at_, as_of=as_of_, jurisdiction=jurisdiction)
        assert many["customer_id"].to_list() == CUSTOMERS
        for customer, allowed, reasons, evidence in many.iter_rows():
            d = decide(
                state,
                f"customer_id:{customer}",
                purpose,
                at=at_,
                as_of=as_of_,
                jurisdiction=jurisdiction,
            )
            got = (d.allowed, d.reason_codes, d.evidence_ids)
            assert got == (allowed, tuple(reasons), tuple(evidence))
            expected = model.decide(
                f"customer_id:{customer}",
                purpose,
                at=at_,
                as_of=as_of_,
                jurisdiction=jurisdiction,
            )
            assert got == expected
        for subject in IDENTIFIERS:
            d = decide(state, subject, purpose, at=at_, as_of=as_of_, jurisdiction=jurisdiction)
            expected = model.decide(
                subject, purpose, at=at_, as_of=as_of_, jurisdiction=jurisdiction
            )
            assert (d.allowed, d.reason_codes, d.evidence_ids) == expected


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_decide_many_reads_a_jurisdiction_column(jurisdiction: str | None) -> None:
    rows = [stmt("a", "email:a@example.com", "email_marketing", "granted", 0)]
    state, _ = make(rows, PURPOSES, identities={"c1": ["email:a@example.com"]})
    frame = pl.DataFrame(
        {"customer_id": ["c1", "c2"], "jurisdiction": [jurisdiction, jurisdiction]},
        schema={"customer_id": pl.String, "jurisdiction": pl.String},
    )
    many = decide_many(state, frame, "email_marketing", at=t(5))
    for customer, allowed, reasons, _evidence in many.iter_rows():
        d = decide(
            state, f"customer_id:{customer}", "email_marketing", at=t(5), jurisdiction=jurisdiction
        )
        assert (d.allowed, d.reason_codes) == (allowed, tuple(reasons))
