"""Consent audit over real Delta tables: history, replay (valid time × system time, identity
reconstructed from the ledger and identity_merges), lineage, and violations — engine faults
apart from late-arriving withdrawals — after a randomized scenario."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from store_helpers import Clock, at, make_store, map_identity, statement

from cdp.config import Settings
from consent import ActivationLog, ConsentStore
from consent.audit import ActivationNotFoundError, ConsentAudit
from consent.gate import Decision
from storage import Lakehouse

JANE = "email:jane@example.com"
PURPOSE = "email_marketing"


@pytest.fixture
def clock() -> Clock:
    return Clock(at(24 * 60))


@pytest.fixture
def store(lakehouse: Lakehouse, sample_settings: Settings, clock: Clock) -> ConsentStore:
    return make_store(lakehouse, sample_settings, clock)


@pytest.fixture
def audit(lakehouse: Lakehouse, sample_settings: Settings, store: ConsentStore) -> ConsentAudit:
    return ConsentAudit(lakehouse, sample_settings, store=store)


def test_replay_separates_valid_time_from_system_time(
    store: ConsentStore, audit: ConsentAudit, clock: Clock
) -> None:
    [grant] = store.record([statement(JANE, PURPOSE, "granted", 0)])  # recorded at day 1
    known_before = clock.now
    clock.advance(hours=1)
    # A withdrawal said at minute 10 but learnt an hour after the grant was recorded.
    [withdrawal] = store.record([statement(JANE, PURPOSE, "withdrawn", 10)])
    then = audit.replay(JANE, PURPOSE, valid_at=at(20), known_at=known_before)
    assert (then.allowed, then.evidence_ids) == (True, (grant,))
    now = audit.replay(JANE, PURPOSE, valid_at=at(20))
    assert (now.allowed, now.reason_codes, now.evidence_ids) == (
        False,
        ("WITHDRAWN",),
        (withdrawal,),
    )
    assert audit.replay(JANE, PURPOSE, valid_at=at(5)).allowed  # before it was said
    assert not audit.replay(JANE, PURPOSE, valid_at=at(20), known_at=at(0)).allowed  # nothing


def test_replay_reconstructs_identity_from_the_ledger_and_merges(
    store: ConsentStore, audit: ConsentAudit, lakehouse: Lakehouse, clock: Clock
) -> None:
    map_identity(lakehouse, ("crm", "1", "c1"), ("crm", "2", "c2"))
    store.record([statement("crm:1", PURPOSE, "granted", 0)])
    store.record([statement("crm:2", PURPOSE, "withdrawn", 1)])
    assert store.decide("customer_id:c1", PURPOSE).allowed
    before_merge = clock.now
    clock.advance(minutes=30)
    merged_at = clock.now
    lakehouse.upsert(
        "identity_map",
        [{"source": "crm", "source_record_id": "2", "customer_id": "c1", "resolved_at": merged_at}],
    )
    lakehouse.append(
        "identity_merges",
        [{"old_customer_id": "c2", "new_customer_id": "c1", "reason": "match", "at": merged_at}],
    )
    clock.advance(minutes=1)
    assert not store.decide("customer_id:c1", PURPOSE).allowed  # the live engine: merged
    # Replayed as of before the merge: c2's withdrawal did not belong to c1 yet.
    then = audit.replay("customer_id:c1", PURPOSE, valid_at=before_merge, known_at=before_merge)
    assert (then.allowed, then.customer_id) == (True, "c1")
    after = audit.replay("customer_id:c1", PURPOSE, valid_at=clock.now, known_at=clock.now)
    assert (after.allowed, after.reason_codes) == (False, ("WITHDRAWN", "CLUSTER_CONFLICT"))
    old = audit.replay("customer_id:c2", PURPOSE, valid_at=clock.now, known_at=clock.now)
    assert (old.customer_id, old.allowed) == ("c1", False)  # the old id follows the merge


def test_record_keeps_the_customer_at_recording_time(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    map_identity(lakehouse, ("crm", "7", "c7"))
    store.record([statement("crm:7", PURPOSE, "granted", 0), statement(JANE, PURPOSE, "denied", 0)])
    rows = lakehouse.read("consent_ledger").sort("subject_type")
    assert rows.select("subject_type", "customer_id").rows() == [("crm", "c7"), ("email", None)]


def test_history_lineage_and_an_engine_fault(
    store: ConsentStore, audit: ConsentAudit, lakehouse: Lakehouse, clock: Clock
) -> None:
    map_identity(lakehouse, ("crm", "1", "c1"))
    [grant] = store.record([statement("crm:1", PURPOSE, "granted", 0)])
    [denial] = store.record([statement(JANE, PURPOSE, "denied", 0)])
    history = audit.subject_history("crm:1")
    assert history.customer_id == "c1"
    assert history.rows["consent_id"].to_list() == [grant]
    assert {"captured_at", "recorded_at", "expires_at"} <= set(history.rows.columns)
    log = ActivationLog(lakehouse)
    good = store.decide("customer_id:c1", PURPOSE)
    [good_id] = log.record([good], activation_type="profile_read")
    lineage = audit.activation_lineage(good_id)
    assert lineage.consistent and lineage.replayed.allowed
    assert lineage.evidence["consent_id"].to_list() == [grant]
    assert lineage.versions["consent_ledger"] == good.versions["consent_ledger"]
    assert audit.violations().engine_faults.height == 0
    # An activation that let Jane through although she had refused: an engine fault.
    wrong = Decision(
        allowed=True,
        reason_codes=("CONSENT_GRANTED",),
        evidence_ids=(),
        versions={},
        purpose=PURPOSE,
        subject=JANE,
        decided_at=clock.now,
    )
    [wrong_id] = log.record([wrong], activation_type="stream_forward", destination="hook")
    found = audit.violations()
    assert found.checked == 2
    assert found.engine_faults["activation_id"].to_list() == [wrong_id]
    assert found.engine_faults["replay_evidence_ids"].to_list() == [[denial]]
    assert not audit.activation_lineage(wrong_id).consistent
    assert found.late_withdrawals.height == 0
    assert audit.violations(since=clock.now + timedelta(seconds=1)).checked == 0
    with pytest.raises(ActivationNotFoundError):
        audit.activation_lineage("nope")


# -- the randomized scenario ---------------------------------------------------------------------

STATUSES = ["granted"] * 5 + ["denied", "withdrawn", "objected", "expired"]
PURPOSES = ["email_marketing", "personalization"]


def _scenario(
    lakehouse: Lakehouse, settings: Settings, seed: int, rounds: int
) -> tuple[ConsentAudit, set[str], int, int]:
    """Statements, identity merges and gate-decided activations, interleaved at random.

    Returns the audit, the ids of activations constructed to be refuted by a late-arriving
    withdrawal, and the numbers of statements and activations.
    """
    rng = random.Random(seed)
    clock = Clock(datetime(2026, 5, 1, tzinfo=UTC))
    store = make_store(lakehouse, settings, clock)
    log = ActivationLog(lakehouse)
    customers = [f"c{i}" for i in range(60)]
    records = {c: [f"crm:{i}", f"erp:{i}"] for i, c in enumerate(customers)}
    owner = {r: c for c, rs in records.items() for r in rs}
    lakehouse.upsert(
        "identity_map",
        [
            {
                "source": r.split(":")[0],
                "source_record_id": r.split(":")[1],
                "customer_id": c,
                "resolved_at": clock.now,
            }
            for r, c in owner.items()
        ],
    )
    live = list(customers)  # customers not merged away
    merged_away: list[str] = []
    statements = activations = 0
    planted: set[str] = set()
    for n in range(rounds):
        clock.advance(minutes=rng.randint(1, 30))
        batch: list[dict[str, Any]] = []
        for _ in range(rng.randint(20, 40)):
            c = rng.choice(customers)
            subject = rng.choice([*records[c], f"customer_id:{c}", f"web:anon-{c}"])
            status = rng.choice(STATUSES)
            back = rng.choice([0, 0, 0, 1, 5, 60]) if rng.random() > 0.05 else 24 * 60
            captured = clock.now - timedelta(minutes=back, seconds=rng.randint(0, 59))
            s: dict[str, Any] = {
                "subject": subject,
                "purpose": rng.choice(PURPOSES),
                "status": status,
                "captured_at": captured.isoformat(),
                "source": "preference_center",
            }
            if status == "granted" and rng.random() < 0.2:
                s["expires_at"] = (captured + timedelta(minutes=rng.randint(5, 120))).isoformat()
            batch.append(s)
        store.record(batch)
        statements += len(batch)
        if n % 7 == 3 and len(live) > 10:  # a merge: b's records now belong to a
            a, b = rng.sample(live, 2)
            live.remove(b)
            merged_away.append(b)
            clock.advance(seconds=30)
            moved = [r for r, c in owner.items() if c == b]
            for r in moved:
                owner[r] = a
            lakehouse.upsert(
                "identity_map",
                [
                    {
                        "source": r.split(":")[0],
                        "source_record_id": r.split(":")[1],
                        "customer_id": a,
                        "resolved_at": clock.now,
                    }
                    for r in moved
                ],
            )
            lakehouse.append(
                "identity_merges",
                [{"old_customer_id": b, "new_customer_id": a, "reason": "match", "at": clock.now}],
            )
        clock.advance(seconds=rng.randint(1, 50))
        asked = rng.sample(live, 25) + rng.sample(merged_away, min(3, len(merged_away)))
        for purpose in PURPOSES:
            frame = store.decide_many(pl.DataFrame({"customer_id": asked}), purpose)
            log.record(frame, activation_type="segment_sync", run_id=f"r{n}-{purpose}")
            activations += frame.height
        one = rng.choice([*records[rng.choice(live)], JANE])
        log.record([store.decide(one, PURPOSES[0])], activation_type="profile_read")
        activations += 1
        if n % 10 == 5:  # planted: allowed now, refuted later by a withdrawal said before now
            c = rng.choice(live)
            captured = clock.now - timedelta(seconds=5)
            store.record(
                [
                    {
                        "subject": f"customer_id:{c}",
                        "purpose": "sms_marketing",
                        "status": "granted",
                        "captured_at": (captured - timedelta(minutes=1)).isoformat(),
                        "source": "preference_center",
                    }
                ]
            )
            d = store.decide(f"customer_id:{c}", "sms_marketing")
            assert d.allowed
            [aid] = log.record([d], activation_type="stream_forward", destination="sms")
            planted.add(aid)
            clock.advance(minutes=3)
            store.record(
                [
                    {
                        "subject": rng.choice(records[c])
                        if owner[records[c][0]] == c
                        else f"customer_id:{c}",
                        "purpose": "sms_marketing",
                        "status": "withdrawn",
                        "captured_at": captured.isoformat(),
                        "source": "agent",
                    }
                ]
            )
    return ConsentAudit(lakehouse, settings, store=store), planted, statements, activations


@pytest.mark.slow
def test_violations_are_empty_after_a_randomized_scenario(
    lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    audit, planted, statements, activations = _scenario(
        lakehouse, sample_settings, seed=20261121, rounds=90
    )
    assert statements >= 2_000 and activations >= 5_000
    found = audit.violations()
    assert found.checked > 500  # enough allowed activations to mean something
    assert found.engine_faults.height == 0, found.engine_faults.head(5)
    late = set(found.late_withdrawals["activation_id"].to_list())
    assert planted and planted <= late
    # Each late-arriving withdrawal rests on a refusal recorded after the decision.
    ledger = lakehouse.read("consent_ledger").select("consent_id", "recorded_at", "status")
    recorded = dict(zip(ledger["consent_id"], ledger["recorded_at"], strict=True))
    for row in found.late_withdrawals.iter_rows(named=True):
        assert any(recorded[e] > row["decided_at"] for e in row["replay_evidence_ids"])
    # A forged sync (every decision flipped to allowed) is caught, in the vectorized replay.
    store = ConsentStore(lakehouse, sample_settings)
    customers = lakehouse.read("identity_map")["customer_id"].unique().sort().head(40)
    real = store.decide_many(pl.DataFrame({"customer_id": customers}), "email_marketing")
    denied = real.filter(~pl.col("allowed"))
    assert real.height >= 16 and denied.height > 0
    forged = ActivationLog(lakehouse).record(
        real.with_columns(allowed=pl.lit(True)), activation_type="segment_sync", run_id="forged"
    )
    faults = set(audit.violations().engine_faults["activation_id"].to_list())
    flipped = {a for a, ok in zip(forged, real["allowed"], strict=True) if not ok}
    assert faults == flipped
    # Replaying one logged decision reproduces it.
    some = lakehouse.read("activation_log").sample(20, seed=1)
    for aid in some["activation_id"].to_list():
        assert audit.activation_lineage(aid).consistent


def test_an_erasure_does_not_turn_past_decisions_into_faults(
    store: ConsentStore, audit: ConsentAudit, lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    from consent.privacy import erase

    # A grant that arrived before its identifier was resolved (as from a stream: no customer).
    store.record([statement("crm:1", PURPOSE, "granted", 0)])
    assert lakehouse.read("consent_ledger")["customer_id"].to_list() == [None]
    map_identity(lakehouse, ("crm", "1", "c1"))
    decision = store.decide("customer_id:c1", PURPOSE)
    assert decision.allowed
    [aid] = ActivationLog(lakehouse).record([decision], activation_type="profile_read")
    erase(
        lakehouse, sample_settings, "crm:1", requested_by="test", settle_s=0, retention="deferred"
    )
    assert lakehouse.read("identity_map").height == 0  # the identity rows are gone
    found = audit.violations()
    assert (found.checked, found.engine_faults.height) == (1, 0)
    assert audit.activation_lineage(aid).consistent
    assert not store.decide("customer_id:c1", PURPOSE).allowed  # erased from then on
