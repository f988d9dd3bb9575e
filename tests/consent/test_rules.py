"""One test per rule of docs/consent-rules.md (named after the rule numbers).

Every case is answered by the gate, the reference model and the vectorized gate, which must
agree; the purposes are the sample ``cdp.yaml``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
import pytest
from consent_helpers import FRESH, SCHEMA, T0, make, stmt, t

from cdp.config import Purpose, Settings
from cdp.errors import CdpError
from consent.gate import ConsentError, ConsentState, Decision, build_state, decide, decide_many

ALICE = {"c1": ["email:alice@example.com", "phone:+41791234567", "crm:003A"]}
EMAIL = "email:alice@example.com"
PHONE = "phone:+41791234567"


@pytest.fixture
def purposes(sample_settings: Settings) -> dict[str, Purpose]:
    extra = {
        "order_updates": Purpose(channel="email", legal_basis={"default": "contract"}),
        "tax_mail": Purpose(
            channel="email", legal_basis={"default": "legal_obligation"}, direct_marketing=True
        ),
    }
    return {**sample_settings.purposes, **extra}


def ask(
    purposes: Mapping[str, Purpose],
    rows: Iterable[dict[str, Any]],
    purpose: str,
    *,
    at: float = 100,
    subject: str = "customer_id:c1",
    jurisdiction: str | None = None,
    identities: Mapping[str, list[str]] | None = None,
    erased: Iterable[str] = (),
    **kwargs: Any,
) -> Decision:
    """Decide with the gate; check the reference model and decide_many agree."""
    state, model = make(
        rows, purposes, identities=ALICE if identities is None else identities, erased=erased
    )
    decision = decide(state, subject, purpose, at=t(at), jurisdiction=jurisdiction, **kwargs)
    expected = model.decide(
        subject, purpose, at=t(at), jurisdiction=jurisdiction, as_of=kwargs.get("as_of")
    )
    assert (decision.allowed, decision.reason_codes, decision.evidence_ids) == expected
    if subject.startswith("customer_id:"):
        many = decide_many(
            state,
            pl.DataFrame({"customer_id": [subject.partition(":")[2]]}),
            purpose,
            at=t(at),
            jurisdiction=jurisdiction,
            as_of=kwargs.get("as_of"),
        ).row(0)
        assert (many[1], tuple(many[2]), tuple(many[3])) == expected
    return decision


def test_rule_01_fail_closed_when_state_unavailable(purposes: dict[str, Purpose]) -> None:
    for state in (None, ConsentState.unavailable(purposes)):
        d = decide(state, "customer_id:c1", "analytics", at=t(1))
        assert (d.allowed, d.reason_codes) == (False, ("STATE_UNAVAILABLE",))
        many = decide_many(state, pl.DataFrame({"customer_id": ["c1", "c2"]}), "analytics")
        assert many["reason_codes"].to_list() == [["STATE_UNAVAILABLE"]] * 2


def test_rule_01_fail_closed_when_state_stale(purposes: dict[str, Purpose]) -> None:
    rows = [stmt("a", EMAIL, "email_marketing", "granted", 0)]
    state, _ = make(rows, purposes, identities=ALICE, fresh_at=t(0))
    assert decide(state, "customer_id:c1", "email_marketing", at=t(0.5)).allowed
    late = decide(state, "customer_id:c1", "email_marketing", at=t(5))
    assert (late.allowed, late.reason_codes) == (False, ("STATE_STALE",))
    replay = decide(state, "customer_id:c1", "email_marketing", at=t(0.5), as_of=t(5))
    assert replay.reason_codes == ("STATE_STALE",)
    many = decide_many(state, pl.DataFrame({"customer_id": ["c1"]}), "email_marketing", at=t(5))
    assert many["reason_codes"].to_list() == [["STATE_STALE"]]
    # now (no `at`) is long after the fresh time of this state
    assert decide(state, "customer_id:c1", "email_marketing").reason_codes == ("STATE_STALE",)


def test_rule_01_unreadable_ledger_raises_consent_error(purposes: dict[str, Purpose]) -> None:
    with pytest.raises(ConsentError):
        build_state(pl.DataFrame({"consent_id": ["x"]}), purposes)


def test_rule_02_unknown_purpose(purposes: dict[str, Purpose]) -> None:
    d = ask(purposes, [stmt("a", EMAIL, "telemarketing", "granted", 0)], "telemarketing")
    assert (d.allowed, d.reason_codes) == (False, ("UNKNOWN_PURPOSE",))


def test_rule_03_erased_denies_everything(purposes: dict[str, Purpose]) -> None:
    rows = [stmt("a", EMAIL, "email_marketing", "granted", 0)]
    for purpose in ("email_marketing", "order_updates", "tax_mail", "analytics"):
        d = ask(purposes, rows, purpose, erased=[PHONE])
        assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("ERASED",), ())
    # an unresolved identifier that was erased
    d = ask(purposes, rows, "email_marketing", subject=EMAIL, identities={}, erased=[EMAIL])
    assert d.reason_codes == ("ERASED",)


def test_rule_04_legal_basis_per_jurisdiction(purposes: dict[str, Purpose]) -> None:
    eu = ask(purposes, [], "email_marketing", jurisdiction="EU")
    assert (eu.allowed, eu.reason_codes) == (False, ("NO_CONSENT",))
    ch = ask(purposes, [], "email_marketing", jurisdiction="CH")
    assert (ch.allowed, ch.reason_codes) == (True, ("LEGITIMATE_INTEREST",))
    us = ask(purposes, [], "email_marketing", jurisdiction="US")
    assert (us.allowed, us.reason_codes) == (True, ("NO_OPT_OUT",))
    for unknown in (None, "BR"):  # falls back to default: consent
        assert ask(purposes, [], "email_marketing", jurisdiction=unknown).reason_codes == (
            "NO_CONSENT",
        )


def test_rule_05_any_identifier_of_the_customer_counts(purposes: dict[str, Purpose]) -> None:
    rows = [stmt("a", "crm:003A", "email_marketing", "granted", 0)]
    for subject in ("customer_id:c1", EMAIL, PHONE, "CRM:003A", "email:ALICE@example.com"):
        d = ask(purposes, rows, "email_marketing", subject=subject)
        assert (d.allowed, d.evidence_ids) == (True, ("a",))


def test_rule_05_statement_on_identifier_that_joined_later(purposes: dict[str, Purpose]) -> None:
    # the grant was given as an anonymous visitor; the identity map links it to c1 today
    rows = [stmt("a", "anonymous_id:abc", "email_marketing", "granted", 0)]
    alone = ask(purposes, rows, "email_marketing", identities={}, subject="anonymous_id:abc")
    assert alone.allowed
    assert not ask(purposes, rows, "email_marketing").allowed
    merged = {"c1": [*ALICE["c1"], "anonymous_id:abc"]}
    assert ask(purposes, rows, "email_marketing", identities=merged).allowed


def test_rule_05_purpose_and_channel_must_match(purposes: dict[str, Purpose]) -> None:
    other_purpose = [stmt("a", EMAIL, "sms_marketing", "granted", 0, channel="sms")]
    assert ask(purposes, other_purpose, "email_marketing").reason_codes == ("NO_CONSENT",)
    other_channel = [stmt("a", EMAIL, "email_marketing", "granted", 0, channel="sms")]
    assert ask(purposes, other_channel, "email_marketing").reason_codes == ("NO_CONSENT",)
    no_channel = [stmt("a", EMAIL, "email_marketing", "granted", 0, channel=None)]
    assert not ask(purposes, no_channel, "email_marketing").allowed
    # a refusal counts on every channel
    rows = [
        stmt("a", EMAIL, "email_marketing", "granted", 0),
        stmt("b", EMAIL, "email_marketing", "withdrawn", 1, channel="sms"),
    ]
    assert ask(purposes, rows, "email_marketing").reason_codes == ("WITHDRAWN",)


def test_rule_05_valid_time_and_replay(purposes: dict[str, Purpose]) -> None:
    rows = [
        stmt("a", EMAIL, "email_marketing", "granted", 0),
        # captured at 10, learnt at 50 (a late-arriving withdrawal)
        stmt("b", EMAIL, "email_marketing", "withdrawn", 10, recorded=50),
    ]
    assert ask(purposes, rows, "email_marketing", at=5).allowed
    assert not ask(purposes, rows, "email_marketing", at=20).allowed
    # what we answered at 20 with what we knew at 20
    replay = ask(purposes, rows, "email_marketing", at=20, as_of=t(20))
    assert (replay.allowed, replay.evidence_ids) == (True, ("a",))
    replay = ask(purposes, rows, "email_marketing", at=20, as_of=t(50))
    assert replay.reason_codes == ("WITHDRAWN",)


def test_rule_06_latest_wins_and_refusal_wins_a_tie(purposes: dict[str, Purpose]) -> None:
    rows = [
        stmt("a", EMAIL, "email_marketing", "denied", 0),
        stmt("b", EMAIL, "email_marketing", "granted", 5),
    ]
    assert ask(purposes, rows, "email_marketing").allowed
    tie = [*rows, stmt("c", EMAIL, "email_marketing", "withdrawn", 5)]
    d = ask(purposes, tie, "email_marketing")
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("WITHDRAWN",), ("c",))
    tie = [*rows, stmt("c", EMAIL, "email_marketing", "expired", 5)]
    assert ask(purposes, tie, "email_marketing").reason_codes == ("EXPIRED",)
    # same instant, same status: the smallest consent_id is the evidence
    same = [
        stmt("z", EMAIL, "email_marketing", "granted", 5),
        stmt("m", PHONE, "email_marketing", "granted", 5),
    ]
    assert ask(purposes, same, "email_marketing").evidence_ids == ("m",)


def test_rule_07_direct_marketing_objection_is_absolute(purposes: dict[str, Purpose]) -> None:
    objection = stmt("o", EMAIL, "tax_mail", "objected", 0)
    d = ask(purposes, [objection], "tax_mail")  # legal obligation, but direct marketing
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("OBJECTED",), ("o",))
    later_denial = [objection, stmt("d", EMAIL, "tax_mail", "denied", 5)]
    assert ask(purposes, later_denial, "tax_mail").reason_codes == ("OBJECTED",)
    same_instant_grant = [objection, stmt("g", EMAIL, "tax_mail", "granted", 0)]
    assert not ask(purposes, same_instant_grant, "tax_mail").allowed
    later_grant = [objection, stmt("g", EMAIL, "tax_mail", "granted", 5)]
    assert ask(purposes, later_grant, "tax_mail").allowed
    # under legitimate interest too
    rows = [stmt("o", EMAIL, "email_marketing", "objected", 0)]
    d = ask(purposes, rows, "email_marketing", jurisdiction="CH")
    assert (d.allowed, d.reason_codes) == (False, ("OBJECTED",))


def test_rule_08_contract_and_legal_obligation_allow(purposes: dict[str, Purpose]) -> None:
    d = ask(purposes, [], "order_updates")
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (True, ("CONTRACT",), ())
    rows = [stmt("d", EMAIL, "order_updates", "denied", 0)]
    d = ask(purposes, rows, "order_updates")
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (True, ("CONTRACT",), ("d",))
    assert ask(purposes, [], "tax_mail").reason_codes == ("LEGAL_OBLIGATION",)


def test_rule_09_legitimate_interest_until_objection(purposes: dict[str, Purpose]) -> None:
    analytics = "analytics"  # US: legitimate interest, channel web
    assert ask(purposes, [], analytics, jurisdiction="US").allowed
    for status in ("denied", "withdrawn", "objected"):
        rows = [stmt("r", EMAIL, analytics, status, 0, channel="web")]
        d = ask(purposes, rows, analytics, jurisdiction="US")
        assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("OBJECTED",), ("r",))
    expired = [stmt("g", EMAIL, analytics, "granted", 0, expires=10, channel="web")]
    assert ask(purposes, expired, analytics, jurisdiction="US", at=20).allowed
    opt_out = [stmt("r", EMAIL, "email_marketing", "denied", 0)]
    assert ask(purposes, opt_out, "email_marketing", jurisdiction="US").reason_codes == (
        "OBJECTED",
    )


def test_rule_10_consent_default_deny_and_expiry(purposes: dict[str, Purpose]) -> None:
    d = ask(purposes, [], "email_marketing")
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("NO_CONSENT",), ())
    grant = [stmt("g", EMAIL, "email_marketing", "granted", 0, expires=50)]
    d = ask(purposes, grant, "email_marketing", at=49)
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (True, ("CONSENT_GRANTED",), ("g",))
    d = ask(purposes, grant, "email_marketing", at=50)
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("EXPIRED",), ("g",))
    for status, code in (("denied", "DENIED"), ("withdrawn", "WITHDRAWN"), ("expired", "EXPIRED")):
        rows = [*grant, stmt("x", EMAIL, "email_marketing", status, 10)]
        assert ask(purposes, rows, "email_marketing", at=20).reason_codes == (code,)


def test_rule_11_cluster_conflict(purposes: dict[str, Purpose]) -> None:
    rows = [
        stmt("g", EMAIL, "email_marketing", "granted", 0),
        stmt("d", PHONE, "email_marketing", "denied", 5),
    ]
    d = ask(purposes, rows, "email_marketing", subject=EMAIL)
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (
        False,
        ("DENIED", "CLUSTER_CONFLICT"),
        ("d", "g"),
    )
    # a grant overruled on its own identifier is no conflict
    own = [*rows, stmt("w", EMAIL, "email_marketing", "withdrawn", 1)]
    assert ask(purposes, own, "email_marketing").reason_codes == ("DENIED",)
    # an expired grant is no conflict
    expired = [stmt("g", EMAIL, "email_marketing", "granted", 0, expires=3), rows[1]]
    assert ask(purposes, expired, "email_marketing").reason_codes == ("DENIED",)


def test_decision_carries_versions_and_subject(purposes: dict[str, Purpose]) -> None:
    state, _ = make([], purposes, identities=ALICE)
    d = decide(state, EMAIL, "order_updates", at=T0, destination="newsletter_file")
    assert d.versions == {"consent_ledger": 3, "identity_map": 7}
    assert (d.subject, d.purpose, d.destination, d.decided_at) == (
        EMAIL,
        "order_updates",
        "newsletter_file",
        T0,
    )


def test_identities_from_identity_map_rows(purposes: dict[str, Purpose]) -> None:
    rows = [stmt("a", "crm:003A", "email_marketing", "granted", 0)]
    identity_map = pl.DataFrame(
        {"source": ["crm", "erp"], "source_record_id": ["003A", "9"], "customer_id": ["c1", "c1"]}
    )
    frame = pl.DataFrame(rows, schema=SCHEMA)
    state = build_state(frame, purposes, identities=identity_map, fresh_at=FRESH)
    for subject in ("customer_id:c1", "erp:9", "crm:003A"):
        d = decide(state, subject, "email_marketing", at=t(1))
        assert (d.allowed, d.evidence_ids) == (True, ("a",))
    many = decide_many(
        state, pl.DataFrame({"customer_id": ["c1", "c9"]}), "email_marketing", at=t(1)
    )
    assert many.get_column("allowed").to_list() == [True, False]


def test_errors_derive_from_the_project_base() -> None:
    assert issubclass(ConsentError, CdpError)


def test_unknown_statuses_are_ignored(purposes: dict[str, Purpose]) -> None:
    rows = [
        stmt("a", EMAIL, "email_marketing", "granted", 0),
        stmt("b", EMAIL, "email_marketing", "maybe", 5),
    ]
    d = ask(purposes, rows, "email_marketing")
    assert (d.allowed, d.evidence_ids) == (True, ("a",))
