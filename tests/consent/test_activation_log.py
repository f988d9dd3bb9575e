"""The activation log over real Delta tables: rows, versions, exactly-once with a run id."""

from __future__ import annotations

import orjson
import polars as pl
import pytest
from store_helpers import Clock, at, make_store, map_identity, statement

from cdp.config import Settings
from consent import ActivationLog, ConsentStore
from consent.gate import ConsentError
from storage import Lakehouse

PURPOSE = "email_marketing"


@pytest.fixture
def store(lakehouse: Lakehouse, sample_settings: Settings) -> ConsentStore:
    store = make_store(lakehouse, sample_settings, Clock(at(60)))
    map_identity(lakehouse, ("crm", "001", "c1"), ("crm", "002", "c2"))
    store.record(
        [
            statement("crm:001", PURPOSE, "granted", 0),
            statement("crm:002", PURPOSE, "withdrawn", 1),
        ]
    )
    return store


def test_decisions_are_logged_with_evidence_and_versions(
    store: ConsentStore, lakehouse: Lakehouse
) -> None:
    log = ActivationLog(lakehouse)
    decisions = [
        store.decide("crm:001", PURPOSE, destination="newsletter_file"),
        store.decide("customer_id:c2", PURPOSE),
    ]
    ids = log.record(decisions, activation_type="api_decision", destination="fallback")
    assert len(set(ids)) == 2
    rows = lakehouse.read("activation_log").sort("customer_id")
    assert rows["activation_id"].to_list() == ids
    assert rows["customer_id"].to_list() == ["c1", "c2"]
    assert rows["subject"].to_list() == ["crm:001", "customer_id:c2"]
    assert rows["allowed"].to_list() == [True, False]
    assert rows["reason"].to_list() == ["CONSENT_GRANTED", "WITHDRAWN"]
    assert rows["evidence_ids"].to_list() == [list(d.evidence_ids) for d in decisions]
    assert rows["destination"].to_list() == ["newsletter_file", "fallback"]
    assert rows["ledger_version"].to_list() == [lakehouse.version("consent_ledger")] * 2
    assert rows["identity_version"].to_list() == [lakehouse.version("identity_map")] * 2
    versions = orjson.loads(rows["table_versions"][0])
    assert versions == decisions[0].versions
    assert rows["decided_at"].to_list() == [at(60), at(60)]


def test_a_run_id_makes_the_log_exactly_once(store: ConsentStore, lakehouse: Lakehouse) -> None:
    log = ActivationLog(lakehouse)
    customers = pl.DataFrame({"customer_id": ["c1", "c2", "c3"]})
    frame = store.decide_many(customers, PURPOSE, destination="newsletter_file")
    first = log.record(frame, activation_type="segment_sync", segment="vip", run_id="run-1")
    again = log.record(frame, activation_type="segment_sync", segment="vip", run_id="run-1")
    assert first == again
    assert lakehouse.count("activation_log") == 3
    rows = lakehouse.read("activation_log").sort("customer_id")
    assert rows["allowed"].to_list() == [True, False, False]
    assert rows["segment"].to_list() == ["vip"] * 3
    assert rows["activation_type"].to_list() == ["segment_sync"] * 3
    assert rows["reason_codes"].to_list() == [["CONSENT_GRANTED"], ["WITHDRAWN"], ["NO_CONSENT"]]
    # A second chunk of the same run, and another run, are logged.
    log.record(frame.head(1), activation_type="segment_sync", run_id="run-1", batch=1)
    other = log.record(frame, activation_type="segment_sync", segment="vip", run_id="run-2")
    assert set(other).isdisjoint(first)
    assert lakehouse.count("activation_log") == 7
    # Without a run id every call logs.
    log.record(frame, activation_type="segment_sync")
    assert lakehouse.count("activation_log") == 10


def test_bad_input_is_refused(store: ConsentStore, lakehouse: Lakehouse) -> None:
    log = ActivationLog(lakehouse)
    with pytest.raises(ConsentError):
        log.record(pl.DataFrame({"customer_id": ["c1"]}), activation_type="segment_sync")
    with pytest.raises(ConsentError):
        log.record([], activation_type="mailing")  # type: ignore[arg-type]
    assert log.record([], activation_type="profile_read") == []
    assert lakehouse.count("activation_log") == 0
