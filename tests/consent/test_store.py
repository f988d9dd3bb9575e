"""The consent store over real Delta tables: freshness, read-your-write, identity, fail closed."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from store_helpers import Clock, at, make_store, map_identity, statement

from cdp.config import Settings
from cdp.models.errors import InvalidInputError
from consent import ConsentStore
from consent.gate import ConsentError
from storage import Lakehouse

JANE = "email:jane@example.com"
PURPOSE = "email_marketing"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> Clock:
    return Clock(at(24 * 60))


@pytest.fixture
def store(lakehouse: Lakehouse, sample_settings: Settings, clock: Clock) -> ConsentStore:
    return make_store(lakehouse, sample_settings, clock)


def builds(caplog: pytest.LogCaptureFixture) -> int:
    return sum("consent state built" in r.getMessage() for r in caplog.records)


def test_record_is_in_force_for_the_very_next_decision(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    assert store.decide(JANE, PURPOSE).reason_codes == ("NO_CONSENT",)
    [granted] = store.record([statement(JANE, PURPOSE, "granted", 0)])
    d = store.decide(JANE, PURPOSE)
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (True, ("CONSENT_GRANTED",), (granted,))
    assert d.versions["consent_ledger"] == lakehouse.version("consent_ledger")
    [withdrawn] = store.record([statement(JANE, PURPOSE, "withdrawn", 5)])
    d = store.decide(JANE, PURPOSE)
    assert (d.allowed, d.reason_codes, d.evidence_ids) == (False, ("WITHDRAWN",), (withdrawn,))
    # Valid time: before the withdrawal the grant was in force.
    assert store.decide(JANE, PURPOSE, at=at(3)).allowed


def test_record_is_idempotent(
    store: ConsentStore, lakehouse: Lakehouse, sample_settings: Settings, clock: Clock
) -> None:
    first = store.record([statement(JANE, PURPOSE, "granted", 0)] * 2)
    assert first[0] == first[1]
    assert store.record([statement(JANE, PURPOSE, "granted", 0)]) == first[:1]
    other = make_store(Lakehouse(lakehouse.root), sample_settings, clock)
    assert other.record([statement("email: Jane@Example.com ", PURPOSE, "granted", 0)])
    assert lakehouse.count("consent_ledger") == 1


def test_record_rejects_bad_statements_and_writes_nothing(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    good = statement(JANE, PURPOSE, "granted", 0)
    with pytest.raises(InvalidInputError) as bad_status:
        store.record([good, {**good, "status": "maybe"}])
    assert bad_status.value.field == "status"
    with pytest.raises(InvalidInputError) as unknown:
        store.record([statement(JANE, "telepathy", "granted", 0)])
    assert unknown.value.field == "purpose"
    assert lakehouse.count("consent_ledger") == 0


def test_refresh_reads_appends_of_another_process_incrementally(
    store: ConsentStore,
    lakehouse: Lakehouse,
    sample_settings: Settings,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="consent.store")
    store.record([statement(JANE, PURPOSE, "granted", 0)])
    assert store.decide(JANE, PURPOSE).allowed
    script = textwrap.dedent(
        f"""
        from cdp.config import load_config
        from consent import ConsentStore
        from storage import Lakehouse
        store = ConsentStore(Lakehouse({lakehouse.root!r}), load_config({str(ROOT / "cdp.yaml")!r}))
        store.record([{statement(JANE, PURPOSE, "withdrawn", 10)!r}])
        store.record([{statement("phone:+41791234567", "sms_marketing", "granted", 11)!r}])
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=120)
    d = store.decide(JANE, PURPOSE)
    assert (d.allowed, d.reason_codes) == (False, ("WITHDRAWN",))
    assert store.decide("phone:+41791234567", "sms_marketing").allowed
    assert d.versions["consent_ledger"] == lakehouse.version("consent_ledger")
    assert builds(caplog) == 1  # the appends were read incrementally, not rebuilt
    # The incremental state answers as a state built from scratch.
    fresh = make_store(Lakehouse(lakehouse.root), sample_settings, clock)
    for subject in (JANE, "phone:+41791234567", "email:nobody@example.com"):
        for purpose in sample_settings.purposes:
            for minutes in (5, 10.5, 12):
                a = store.decide(subject, purpose, at=at(minutes))
                b = fresh.decide(subject, purpose, at=at(minutes))
                assert (a.allowed, a.reason_codes, a.evidence_ids) == (
                    b.allowed,
                    b.reason_codes,
                    b.evidence_ids,
                )


def test_a_non_append_ledger_change_rebuilds(
    store: ConsentStore, lakehouse: Lakehouse, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="consent.store")
    store.record([statement(JANE, PURPOSE, "granted", 0)])
    store.record([statement(JANE, PURPOSE, "withdrawn", 5)])
    assert not store.decide(JANE, PURPOSE).allowed
    lakehouse.delete("consent_ledger", "status = 'withdrawn'")
    d = store.decide(JANE, PURPOSE)
    assert d.allowed
    assert builds(caplog) == 2


def test_staleness_budget_exceeded_denies(
    lakehouse: Lakehouse, sample_settings: Settings, clock: Clock
) -> None:
    store = make_store(
        lakehouse,
        sample_settings,
        clock,
        check_interval=timedelta(hours=1),
        max_staleness=timedelta(seconds=30),
    )
    store.record([statement(JANE, PURPOSE, "granted", 0)])
    assert store.decide(JANE, PURPOSE).allowed
    clock.advance(seconds=31)  # no version check within the budget
    d = store.decide(JANE, PURPOSE)
    assert (d.allowed, d.reason_codes) == (False, ("STATE_STALE",))
    store.refresh()
    assert store.decide(JANE, PURPOSE).allowed


def test_unreadable_table_fails_closed_with_a_logged_reason(
    store: ConsentStore, lakehouse: Lakehouse, caplog: pytest.LogCaptureFixture
) -> None:
    store.record([statement(JANE, PURPOSE, "granted", 0)])
    assert store.decide(JANE, PURPOSE).allowed
    shutil.rmtree(Path(lakehouse.uri("suppression")))
    with caplog.at_level(logging.ERROR, logger="consent.store"):
        d = store.decide(JANE, PURPOSE)
    assert (d.allowed, d.reason_codes) == (False, ("STATE_UNAVAILABLE",))
    assert store.last_error is not None and "suppression" in store.last_error
    assert any("failing closed" in r.getMessage() for r in caplog.records)
    assert all("jane" not in r.getMessage() for r in caplog.records)
    with pytest.raises(ConsentError):
        store.record([statement(JANE, PURPOSE, "withdrawn", 5)])
    many = store.decide_many(pl.DataFrame({"customer_id": ["c1"]}), PURPOSE)
    assert many["reason_codes"].to_list() == [["STATE_UNAVAILABLE"]]
    lakehouse.init()
    assert store.decide(JANE, PURPOSE).allowed
    assert store.last_error is None


def test_merges_in_the_identity_map_change_decisions(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    map_identity(lakehouse, ("crm", "001", "c1"), ("crm", "002", "c2"))
    [grant] = store.record([statement("crm:001", PURPOSE, "granted", 0)])
    [withdrawal] = store.record([statement("crm:002", PURPOSE, "withdrawn", 5)])
    before = store.decide("customer_id:c1", PURPOSE)
    assert (before.allowed, before.customer_id) == (True, "c1")
    assert not store.decide("customer_id:c2", PURPOSE).allowed
    # Identity resolution merges c2 into c1.
    map_identity(lakehouse, ("crm", "002", "c1"))
    lakehouse.append(
        "identity_merges",
        [{"old_customer_id": "c2", "new_customer_id": "c1", "reason": "match", "at": at(6)}],
    )
    after = store.decide("customer_id:c1", PURPOSE)
    assert (after.allowed, after.reason_codes, after.evidence_ids) == (
        False,
        ("WITHDRAWN", "CLUSTER_CONFLICT"),
        (withdrawal, grant),
    )
    assert after.versions["identity_map"] == lakehouse.version("identity_map")
    assert after.versions["identity_map"] != before.versions["identity_map"]
    old_id = store.decide("customer_id:c2", PURPOSE)  # the old id resolves to c1
    assert (old_id.subject, old_id.customer_id, old_id.allowed) == ("customer_id:c2", "c1", False)
    assert store.decide("crm:001", PURPOSE).reason_codes == after.reason_codes


def test_record_identifiers_of_mapped_customers_count(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    lakehouse.upsert(
        "identity_records",
        [
            {
                "source": "crm",
                "source_record_id": "001",
                "deleted": False,
                "email": "Jane@Example.com",
                "phone": "not a phone",
            }
        ],
    )
    map_identity(lakehouse, ("crm", "001", "c1"))
    [grant] = store.record([statement(JANE, PURPOSE, "granted", 0)])
    d = store.decide("customer_id:c1", PURPOSE)
    assert (d.allowed, d.evidence_ids, d.customer_id) == (True, (grant,), "c1")


def test_suppression_denies_everything(store: ConsentStore, lakehouse: Lakehouse) -> None:
    map_identity(lakehouse, ("crm", "001", "c1"))
    store.record([statement("crm:001", PURPOSE, "granted", 0)])
    store.record([statement(JANE, "analytics", "granted", 0, channel="web")])
    assert store.decide("customer_id:c1", PURPOSE).allowed
    hashed = store.state().privacy.hash_identifier("crm:001")
    lakehouse.append("suppression", [{"identifier_hash": hashed, "erased_at": at(30)}])
    for purpose in ("email_marketing", "analytics", "sms_marketing"):
        d = store.decide("customer_id:c1", purpose)
        assert (d.allowed, d.reason_codes) == (False, ("ERASED",))
    assert store.decide(JANE, "analytics").allowed  # another person
    # a statement on the erased identifier is kept as pseudonymous proof only
    (cid,) = store.record([statement("crm:001", PURPOSE, "withdrawn", 40)])
    row = lakehouse.read("consent_ledger").filter(pl.col("consent_id") == cid).to_dicts()[0]
    assert (row["subject_hash"], row["subject_value"], row["evidence"]) == (hashed, None, None)
    assert row["status"] == "withdrawn"


def test_decide_many_equals_decide_row_by_row(
    store: ConsentStore, lakehouse: Lakehouse, sample_settings: Settings
) -> None:
    map_identity(
        lakehouse,
        ("crm", "001", "c1"),
        ("crm", "002", "c2"),
        ("web", "u3", "c3"),
        ("crm", "004", "c2"),
    )
    store.record(
        [
            statement("crm:001", PURPOSE, "granted", 0),
            statement("crm:002", PURPOSE, "granted", 0, expires_at=at(20).isoformat()),
            statement("crm:004", PURPOSE, "denied", 10),
            statement("web:u3", PURPOSE, "objected", 1),
            statement("customer_id:c5", PURPOSE, "granted", 2),
            statement("crm:001", "analytics", "granted", 0),
            statement("crm:002", "analytics", "denied", 3),
        ]
    )
    customers = pl.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5", "c1"]})
    for purpose in sample_settings.purposes:
        for minutes in (5, 15, 30):
            many = store.decide_many(customers, purpose, at=at(minutes), destination="file")
            assert many["customer_id"].to_list() == customers["customer_id"].to_list()
            for row in many.iter_rows(named=True):
                d = store.decide(f"customer_id:{row['customer_id']}", purpose, at=at(minutes))
                assert (row["allowed"], tuple(row["reason_codes"]), tuple(row["evidence_ids"])) == (
                    d.allowed,
                    d.reason_codes,
                    d.evidence_ids,
                )
                assert row["ledger_version"] == d.versions["consent_ledger"]
                assert row["identity_version"] == d.versions["identity_map"]
    assert store.decide_many(customers, PURPOSE, at=at(5))["allowed"].to_list() == [
        True,
        True,  # the denial on crm:004 comes later (minute 10)
        False,
        False,
        True,
        True,
    ]


def test_history_and_current_of_a_customer(store: ConsentStore, lakehouse: Lakehouse) -> None:
    map_identity(lakehouse, ("crm", "001", "c1"), ("web", "u1", "c1"), ("crm", "002", "c2"))
    ids = store.record(
        [
            statement("web:u1", PURPOSE, "withdrawn", 9),
            statement("crm:001", PURPOSE, "granted", 1),
            statement("crm:002", PURPOSE, "granted", 2),  # another customer
            statement("customer_id:c1", "analytics", "granted", 4),
        ]
    )
    history = store.history("crm:001")
    assert history["consent_id"].to_list() == [ids[1], ids[3], ids[0]]
    assert {"captured_at", "recorded_at", "expires_at", "status", "source"} <= set(history.columns)
    assert history["captured_at"].is_sorted()
    assert (
        store.history("customer_id:c1")["consent_id"].to_list() == history["consent_id"].to_list()
    )
    current = store.current("web:u1")
    assert set(current) == set(store.state().purposes)
    assert current[PURPOSE].reason_codes == ("WITHDRAWN", "CLUSTER_CONFLICT")
    # The statement named no channel: it is for the purpose's channel (web).
    assert (current["analytics"].allowed, current["analytics"].evidence_ids) == (True, (ids[3],))
